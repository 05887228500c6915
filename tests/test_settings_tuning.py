"""The tuning settings: accepted forms, and every refusal with the key path it names (pure, no Pulumi)."""

from __future__ import annotations

import pytest

from flux_bootstrap.errors import ConfigError
from flux_bootstrap.settings import STRUCTURED_SETTINGS, resolve_settings
from flux_bootstrap.kube_values import CONTROL_PLANE_TOLERATION, Toleration, check_label_key, quantity_value
from flux_bootstrap.chart.values import switches
from flux_bootstrap.settings.tuning_settings import TuningSettings
from helpers import resolve


def refusal(project_dir, **values) -> str:
    with pytest.raises(ConfigError) as err:
        resolve(project_dir, **values)
    return str(err.value)


def test_nothing_set_is_todays_install(config_dir):
    assert resolve(config_dir.parent).tuning == TuningSettings()
    tuning = TuningSettings()
    assert tuning.controllers == ("source-controller", "kustomize-controller", "helm-controller", "notification-controller")
    assert (tuning.network_policy, tuning.multitenancy, tuning.size, tuning.registry) == (True, False, None, None)


def test_structured_settings_are_the_object_and_list_ones():
    assert STRUCTURED_SETTINGS == {"tolerations", "nodeSelector", "resources", "imagePullSecrets", "helmValues"}


def test_every_setting_as_the_stack_file_gives_it(config_dir):
    tuning = resolve(
        config_dir.parent,
        imageAutomation="true", readWriteKey="true", sourceWatcher="true",
        tolerations=[{"key": "dedicated", "operator": "Equal", "value": "flux", "effect": "NoExecute", "tolerationSeconds": 60}],
        tolerateControlPlane="true",
        nodeSelector={"kubernetes.io/arch": "arm64", "disktype": ""},
        priorityClassName="system-cluster-critical",
        size="large",
        resources={"helm-controller": {"limits": {"memory": "4Gi", "cpu": 2}, "requests": {"cpu": 0.5}}},
        networkPolicy="false",
        multitenancy="true", tenantServiceAccount="tenant-runner",
        registry="registry.example.com:5000/mirror/fluxcd/",
        imagePullSecrets=["regcred", "backup.cred"],
        helmValues={"logLevel": "debug"},
    ).tuning
    assert tuning.controllers == (
        "source-controller", "kustomize-controller", "helm-controller", "notification-controller",
        "image-reflector-controller", "image-automation-controller", "source-watcher",
    )
    assert tuning.tolerations == (
        Toleration(key="dedicated", operator="Equal", value="flux", effect="NoExecute", tolerationSeconds=60),
        CONTROL_PLANE_TOLERATION,
    )
    assert tuning.node_selector == {"kubernetes.io/arch": "arm64", "disktype": ""}
    assert tuning.priority_class_name == "system-cluster-critical" and tuning.size == "large"
    # Numbers are quantities too, as Kubernetes accepts them.
    assert tuning.resources["helm-controller"].as_chart_value() == {
        "requests": {"cpu": "0.5"}, "limits": {"cpu": "2", "memory": "4Gi"}
    }
    assert (tuning.network_policy, tuning.multitenancy, tuning.tenant_service_account) == (False, True, "tenant-runner")
    assert tuning.registry == "registry.example.com:5000/mirror/fluxcd"  # a trailing '/' is dropped
    assert tuning.image_pull_secrets == ("regcred", "backup.cred")
    assert tuning.helm_values == {"logLevel": "debug"}


def test_multitenancy_runs_tenants_as_default_unless_told(config_dir):
    assert resolve(config_dir.parent, multitenancy="true").tuning.tenant_service_account == "default"
    assert resolve(config_dir.parent).tuning.tenant_service_account is None


def test_the_control_plane_toleration_is_not_added_twice(config_dir):
    tuning = resolve(config_dir.parent, tolerateControlPlane="true", tolerations=[CONTROL_PLANE_TOLERATION.as_chart_value()]).tuning
    assert tuning.tolerations == (CONTROL_PLANE_TOLERATION,)
    assert CONTROL_PLANE_TOLERATION.as_chart_value() == {
        "key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"
    }


@pytest.mark.parametrize("registry", ["ghcr.io/fluxcd", "localhost:5000", "mirror.local", "10.0.0.5:443/flux-cd/v2", "r.io/a__b/c.d"])
def test_registries_accepted(config_dir, registry):
    assert resolve(config_dir.parent, registry=registry).tuning.registry == registry


@pytest.mark.parametrize(
    "quantities",
    [{"cpu": "100m"}, {"cpu": "1.5"}, {"cpu": ".5"}, {"memory": "64Mi"}, {"memory": "1e9"}, {"memory": "128M"},
     {"ephemeral-storage": "2Gi"}, {"cpu": "+1"}, {"memory": "1E3"}],
)
def test_kubernetes_quantities_accepted(config_dir, quantities):
    tuning = resolve(config_dir.parent, resources={"source-controller": {"requests": quantities}}).tuning
    assert tuning.resources["source-controller"].as_chart_value() == {"requests": quantities}


def test_quantities_compare_by_amount():
    assert quantity_value("1Gi") == 1024 * quantity_value("1Mi") == 2**30
    assert quantity_value("500m") == quantity_value("0.5") < quantity_value("1")
    assert quantity_value("1e3") == quantity_value("1k") == 1000
    assert quantity_value("1M") < quantity_value("1Mi")


# (settings, the key path named, a fragment of the message). The value of each refusal is a
# marker that must never show up in the message.
MARK = "zq9marker"
DEEP: list = [MARK]
for _ in range(40):
    DEEP = [DEEP]
REFUSALS = {
    "image automation without write access": ({"imageAutomation": "true"}, "imageAutomation", "needs readWriteKey: image-automation-controller pushes"),
    "tenant account without multitenancy": ({"tenantServiceAccount": "runner"}, "tenantServiceAccount", "only used with multitenancy"),
    "bad boolean": ({"networkPolicy": "off"}, "networkPolicy", "true or false"),
    "unknown size": ({"size": f"x{MARK}"}, "size", "'small', 'medium' or 'large'"),
    "tolerations not a list": ({"tolerations": MARK}, "tolerations", "must be a list of tolerations"),
    "toleration not an object": ({"tolerations": [MARK]}, "tolerations.0", "must be an object: a toleration"),
    "bad effect": ({"tolerations": [{"key": "k", "operator": "Exists", "effect": MARK}]}, "tolerations.0.effect", "'NoSchedule', 'PreferNoSchedule' or 'NoExecute'"),
    "bad operator": ({"tolerations": [{"key": "k", "operator": MARK}]}, "tolerations.0.operator", "'Exists' or 'Equal'"),
    "value with Exists": ({"tolerations": [{"key": "k", "operator": "Exists", "value": MARK}]}, "tolerations.0.value", "must be empty when operator is Exists"),
    "Equal without a key": ({"tolerations": [{"value": MARK}]}, "tolerations.0.operator", "must be Exists when no key is given"),
    "seconds without NoExecute": ({"tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}]}, "tolerations.0.tolerationSeconds", "only allowed with effect: NoExecute"),
    "negative seconds": ({"tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": -5}]}, "tolerations.0.tolerationSeconds", "0 or more"),
    "seconds as text": ({"tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": "60"}]}, "tolerations.0.tolerationSeconds", "integer"),
    "unknown toleration field": ({"tolerations": [{"key": "k", "operator": "Exists", "efect": "NoSchedule"}]}, "tolerations.0.efect", "not a known"),
    "bad toleration key": ({"tolerations": [{"key": f"-{MARK}-", "operator": "Exists"}]}, "tolerations.0.key", "not a valid label key"),
    "value not a string": ({"tolerations": [{"key": "k", "value": 5}]}, "tolerations.0.value", "must be a string"),
    "too many tolerations": ({"tolerations": [{"key": "k", "operator": "Exists"}] * 33}, "tolerations", "more than 32"),
    "node selector not a map": ({"nodeSelector": [MARK]}, "nodeSelector", "must be an object"),
    "node selector bad value": ({"nodeSelector": {"disktype": f"{MARK} ssd"}}, "nodeSelector.disktype", "not a valid label value"),
    "node selector value a boolean": ({"nodeSelector": {"gpu": True}}, "nodeSelector.gpu", "must be a string"),
    "node selector bad key prefix": ({"nodeSelector": {"Bad_Prefix.io/role": "x"}}, "nodeSelector.Bad_Prefix.io/role", "part before '/' must be a DNS name"),
    "node selector key too long": ({"nodeSelector": {"a" * 64: "x"}}, None, "not a valid label key"),
    "priority class upper case": ({"priorityClassName": f"High{MARK}"}, "priorityClassName", "not a valid Kubernetes name"),
    "tenant account bad name": ({"multitenancy": "true", "tenantServiceAccount": f"{MARK}_x"}, "tenantServiceAccount", "not a valid Kubernetes name"),
    "registry with scheme": ({"registry": f"https://{MARK}.io/fluxcd"}, "registry", "without a scheme"),
    "registry without a host": ({"registry": f"{MARK}/fluxcd"}, "registry", "Docker Hub path"),
    "registry with a tag": ({"registry": f"r.io/{MARK}:v1"}, "registry", "no tag"),
    "registry with a digest": ({"registry": f"r.io/{MARK}@sha256:abc"}, "registry", "digest"),
    "registry upper-case path": ({"registry": f"r.io/{MARK.upper()}"}, "registry", "invalid path"),
    "registry too long": ({"registry": "r.io/" + "a" * 300}, "registry", "longer than 200"),
    "pull secrets not a list": ({"imagePullSecrets": MARK}, "imagePullSecrets", "must be a list of Secret names"),
    "pull secret bad name": ({"imagePullSecrets": ["ok", f"Bad{MARK}"]}, "imagePullSecrets.1", "not a valid Kubernetes name"),
    "resources not a map": ({"resources": [MARK]}, "resources", "must be an object"),
    "resources of an unknown controller": ({"resources": {"image-reflector": {}}}, "resources.image-reflector", "use one of: source-controller, kustomize-controller"),
    "resources of a controller not installed": ({"resources": {"image-automation-controller": {}}}, "resources.image-automation-controller", "set imageAutomation to true"),
    "resources of source-watcher not installed": ({"resources": {"source-watcher": {}}}, "resources.source-watcher", "set sourceWatcher to true"),
    "unknown resource": ({"resources": {"helm-controller": {"limits": {"gpu": "1"}}}}, "resources.helm-controller.limits.gpu", "not a known"),
    "unknown requirement": ({"resources": {"helm-controller": {"claims": []}}}, "resources.helm-controller.claims", "not a known"),
    "negative quantity": ({"resources": {"helm-controller": {"limits": {"memory": "-1Gi"}}}}, "resources.helm-controller.limits.memory", "not a Kubernetes quantity"),
    "bad unit": ({"resources": {"helm-controller": {"requests": {"memory": "64MB"}}}}, "resources.helm-controller.requests.memory", "not a Kubernetes quantity"),
    "boolean quantity": ({"resources": {"helm-controller": {"requests": {"cpu": True}}}}, "resources.helm-controller.requests.cpu", "not true or false"),
    "limit below the chart's request": ({"resources": {"helm-controller": {"limits": {"memory": "32Mi"}}}}, "resources.helm-controller.limits.memory", "below the memory request (the chart's default)"),
    "limit below the preset's request": ({"size": "large", "resources": {"kustomize-controller": {"limits": {"cpu": "200m"}}}}, "resources.kustomize-controller.limits.cpu", "below the cpu request (size large)"),
    "limit below its own request": ({"resources": {"helm-controller": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}}, "resources.helm-controller.limits.cpu", "below the cpu request (this entry)"),
    "request above the preset's limit": ({"size": "small", "resources": {"source-controller": {"requests": {"memory": "1Gi"}}}}, "resources.source-controller.requests.memory", "above the memory limit (size small)"),
    "helm values not an object": ({"helmValues": [MARK]}, "helmValues", "must be an object of chart values"),
    "helm values unknown key": ({"helmValues": {"logLevl": MARK}}, "helmValues.logLevl", "not a value of the flux2 chart"),
    "helm values unknown nested key": ({"helmValues": {"sourceController": {"replica": 2}}}, "helmValues.sourceController.replica", "not a value of the flux2 chart"),
    "helm values wrong type": ({"helmValues": {"watchAllNamespaces": "false"}}, "helmValues.watchAllNamespaces", "must be true or false"),
    "helm values map given a string": ({"helmValues": {"rbac": MARK}}, "helmValues.rbac", "must be an object"),
    "helm values drop the CRDs": ({"helmValues": {"installCRDs": False}}, "helmValues.installCRDs", "cannot be overridden: the CRDs come from the chart"),
    "helm values do not keep the CRDs": ({"helmValues": {"crds": {"annotations": {"helm.sh/resource-policy": MARK}}}}, "helmValues.crds.annotations.helm.sh/resource-policy", "cannot be overridden: it keeps the CRDs"),
    "helm values null the CRD annotations": ({"helmValues": {"crds": {"annotations": None}}}, "helmValues.crds.annotations", "must not be null"),
    "helm values turn the migration off": ({"helmValues": {"crds": {"migration": {"enabled": False}}}}, "helmValues.crds.migration.enabled", "cannot be overridden: the CRD migration hook"),
    "helm values remove source-controller": ({"helmValues": {"sourceController": {"create": False}}}, "helmValues.sourceController.create", "needs source-controller"),
    "helm values remove kustomize-controller": ({"helmValues": {"kustomizeController": {"create": False}}}, "helmValues.kustomizeController.create", "needs kustomize-controller"),
    "helm values bypass imageAutomation": ({"helmValues": {"imageAutomationController": {"create": True}}}, "helmValues.imageAutomationController.create", "stack setting imageAutomation"),
    "helm values bypass networkPolicy": ({"helmValues": {"policies": {"create": False}}}, "helmValues.policies.create", "stack setting networkPolicy"),
    "helm values bypass imagePullSecrets": ({"helmValues": {"imagePullSecrets": [{"name": MARK}]}}, "helmValues.imagePullSecrets", "stack setting imagePullSecrets"),
    "helm values null a block of the chart": ({"helmValues": {"helmController": None}}, "helmValues.helmController", "must not be null: Helm would delete the chart's default here"),
    "helm values null a nested value": ({"helmValues": {"sourceController": {"resources": {"requests": None}}}}, "helmValues.sourceController.resources.requests", "must not be null"),
    "helm values null a protected parent": ({"helmValues": {"kustomizeController": None}}, "helmValues.kustomizeController", "must not be null: that would remove kustomizeController.create"),
    "helm values replace the tolerations": ({"tolerations": [{"key": "k", "operator": "Exists"}], "helmValues": {"kustomizeController": {"tolerations": [{"key": MARK}]}}}, "helmValues.kustomizeController.tolerations", "is set by the stack setting tolerations, which this would replace; change it through tolerations instead"),
    "helm values replace the control-plane toleration": ({"tolerateControlPlane": "true", "helmValues": {"cli": {"tolerations": []}}}, "helmValues.cli.tolerations", "stack setting tolerateControlPlane"),
    "helm values replace the node selector": ({"nodeSelector": {"disktype": "ssd"}, "helmValues": {"crds": {"migration": {"nodeSelector": {"a": MARK}}}}}, "helmValues.crds.migration.nodeSelector", "stack setting nodeSelector"),
    "helm values replace the priority class": ({"priorityClassName": "high", "helmValues": {"helmController": {"priorityClassName": MARK}}}, "helmValues.helmController.priorityClassName", "stack setting priorityClassName"),
    "helm values replace the registry": ({"registry": "r.io/flux", "helmValues": {"cli": {"image": MARK}}}, "helmValues.cli.image", "stack setting registry"),
    "helm values replace the size's arguments": ({"size": "large", "helmValues": {"kustomizeController": {"container": {"additionalArgs": [MARK]}}}}, "helmValues.kustomizeController.container.additionalArgs", "stack setting size"),
    "helm values replace part of the size's resources": ({"size": "small", "helmValues": {"sourceWatcher": {"resources": {"limits": {"cpu": MARK}}}}}, "helmValues.sourceWatcher.resources", "stack setting size"),
    "helm values replace resources": ({"resources": {"helm-controller": {"limits": {"memory": "1Gi"}}}, "helmValues": {"notificationController": {"resources": {}}}}, "helmValues.notificationController.resources", "stack setting resources"),
    "helm values null what a setting writes": ({"size": "small", "helmValues": {"helmController": {"container": None}}}, "helmValues.helmController.container", "must not be null: that would remove helmController.container.additionalArgs, which the program sets through the stack setting size"),
    "helm values too deep": ({"helmValues": {"extraObjects": DEEP}}, "helmValues", "deeper than 32"),
    "helm values too many": ({"helmValues": {"extraObjects": list(range(10_001))}}, "helmValues", "more than 10000"),
    "helm values huge string": ({"helmValues": {"clusterDomain": MARK * 10_000}}, "helmValues", "longer than 65536"),
}


@pytest.mark.parametrize("values,path,fragment", REFUSALS.values(), ids=REFUSALS.keys())
def test_refused_with_the_key_path_and_never_the_value(config_dir, values, path, fragment):
    message = refusal(config_dir.parent, **values)
    assert message.startswith("1 configuration problem;"), message
    if path is not None:
        assert f"setting 'flux-bootstrap:{path}': " in message, message
    assert fragment in message, message
    assert MARK not in message and MARK.upper() not in message


def test_every_problem_is_reported_at_once(config_dir):
    message = refusal(
        config_dir.parent, imageAutomation="true", tenantServiceAccount="x",
        resources={"foo": {}}, nodeSelector={"a/b/c": "x"}, helmValues={"logLevl": "x", "installCRDs": False},
    )
    assert message.startswith("6 configuration problems;")
    for path in ("imageAutomation", "tenantServiceAccount", "resources.foo", "nodeSelector.a/b/c",
                 "helmValues.logLevl", "helmValues.installCRDs"):
        assert f"'flux-bootstrap:{path}'" in message


def test_a_token_pasted_as_a_key_is_never_shown(config_dir):
    token = "ghp_" + "A1b2C3d4E5" * 4
    message = refusal(config_dir.parent, helmValues={token: "x"})
    assert token not in message and "a setting whose name looks like a secret (not shown)" in message


@pytest.mark.parametrize("good", ["disktype", "node-role.kubernetes.io/control-plane", "a.b/c_d.e", "x" * 63,
                                  "k8s.io/" + "n" * 63])
def test_label_keys_that_follow_kubernetes_rules_are_accepted(good):
    assert check_label_key(good) == good


@pytest.mark.parametrize("bad", ["", "-a", "a-", "/a", "a/", "Bad.io/a", "a/b/c", "x" * 64, "a b", "é"])
def test_label_keys_that_break_kubernetes_rules_are_refused(bad):
    with pytest.raises(ValueError, match="^is not a valid label key: "):
        check_label_key(bad)


def test_helm_values_of_a_version_not_carried_are_checked_against_the_newest_carried_chart(config_dir):
    assert resolve(config_dir.parent, chartVersion="2.17.2", helmValues={"logLevel": "debug"}).tuning.helm_values
    message = refusal(config_dir.parent, chartVersion="2.17.2", helmValues={"logLevl": "debug"})
    assert "'flux-bootstrap:helmValues.logLevl': is not a value of the flux2 chart" in message


def test_free_form_maps_of_the_chart_take_any_key(config_dir):
    values = {"sourceController": {"annotations": {"example.com/team": "platform"}, "extraEnv": [{"name": "A", "value": "b"}]},
              "crds": {"annotations": {"example.com/owner": "ops"}}, "extraObjects": [{"apiVersion": "v1", "kind": "ConfigMap"}]}
    assert resolve(config_dir.parent, helmValues=values).tuning.helm_values == values


def test_image_automation_needs_write_access_only_through_our_read_only_deploy_key(config_dir):
    # With a token (https) or an App, write access is granted on the host, not by readWriteKey,
    # which those modes refuse; off GitHub the key is pasted by hand, with its access chosen there.
    assert resolve(config_dir.parent, auth="https", imageAutomation="true").tuning.image_automation
    assert resolve(
        config_dir.parent, repo="ssh://git@gitlab.com/acme/fleet.git", branch="main",
        knownHosts="gitlab.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAfuCHKVTjquxvt6CM6tdG4SLp1Btn/nOeHHE5UOzRdf",
        imageAutomation="true",
    ).tuning.image_automation
    assert "needs readWriteKey" in refusal(config_dir.parent, imageAutomation="true")


@pytest.mark.parametrize("block", ["helmController", "cli", "distro", "notificationController", "prometheus", "rbac"])
def test_a_block_of_the_chart_set_to_null_is_refused(config_dir, block):
    # Helm would delete the block and its templates fail on it (nil pointer): refused by name.
    message = refusal(config_dir.parent, helmValues={block: None})
    assert f"setting 'flux-bootstrap:helmValues.{block}': must not be null" in message, message


def test_null_is_refused_only_where_the_chart_has_a_value():
    from flux_bootstrap.chart.values import value_problems

    assert value_problems({"a": None, "b": {"c": None}}, {"a": None, "b": {"c": None, "d": 1}}) == []
    assert [path for path, _ in value_problems({"b": {"d": None}}, {"b": {"c": None, "d": 1}})] == ["b.d"]


def test_two_settings_writing_the_same_value_are_both_named(config_dir):
    message = refusal(config_dir.parent, tolerateControlPlane="true", tolerations=[{"key": "k", "operator": "Exists"}],
                      helmValues={"sourceController": {"tolerations": []}})
    assert ("'flux-bootstrap:helmValues.sourceController.tolerations': is set by the stack settings tolerations and "
            "tolerateControlPlane") in message, message


def test_the_reported_overrides_of_a_tuned_stack_are_refused(config_dir):
    # size and tolerateControlPlane set: helmValues would have dropped --concurrent=10 and the toleration.
    message = refusal(config_dir.parent, size="large", tolerateControlPlane="true", helmValues={
        "kustomizeController": {"container": {"additionalArgs": ["--log-encoding=json"]}, "tolerations": []},
    })
    assert message.startswith("2 configuration problems;"), message
    assert "'flux-bootstrap:helmValues.kustomizeController.container.additionalArgs': is set by the stack setting size" in message
    assert "'flux-bootstrap:helmValues.kustomizeController.tolerations': is set by the stack setting tolerateControlPlane" in message


# helmValues on a path a dedicated setting writes: the escape hatch while that setting is unset.
OWNED_WHEN_SET = {
    "tolerations": {"kustomizeController": {"tolerations": [{"key": "k", "operator": "Exists"}]}},
    "nodeSelector": {"cli": {"nodeSelector": {"disktype": "ssd"}}, "crds": {"migration": {"nodeSelector": {"a": "b"}}}},
    "priorityClassName": {"helmController": {"priorityClassName": "high"}},
    "registry": {"sourceController": {"image": "r.io/source-controller"}, "cli": {"image": "r.io/flux-cli"}},
    "size and resources": {"kustomizeController": {"container": {"additionalArgs": ["--concurrent=20"]},
                                                   "resources": {"limits": {"memory": "2Gi"}}}},
}


@pytest.mark.parametrize("helm_values", OWNED_WHEN_SET.values(), ids=OWNED_WHEN_SET.keys())
def test_helm_values_may_set_what_an_unset_setting_would(config_dir, helm_values):
    assert resolve(config_dir.parent, helmValues=helm_values).tuning.helm_values == helm_values


def nested(keys, value):
    for key in reversed(keys):
        value = {key: value}
    return value


@pytest.mark.parametrize("name", sorted(switches(TuningSettings)))
def test_helm_values_on_a_switch_are_refused_as_it_says(config_dir, name):
    # Owned: never through helmValues. Not owned: through helmValues while the setting is unset.
    marker, field = switches(TuningSettings)[name]
    setting = field.alias or name
    helm_values = nested(marker.keys, not field.default)
    for stack in ([{}] if marker.owned else []) + [{setting: str(not field.default).lower()}]:
        with pytest.raises(ConfigError) as err:
            resolve(config_dir.parent, helmValues=helm_values, **stack)
        (problem,) = err.value.problems
        assert problem.field == f"flux-bootstrap:helmValues.{marker.path}"
        assert f"is set by the stack setting {setting}" in problem.message
    if not marker.owned:
        assert resolve(config_dir.parent, helmValues=helm_values).tuning.helm_values == helm_values


def test_openshift_set_through_helm_values_still_works(config_dir):
    # Before the setting existed, helmValues was the way; those stacks keep their value.
    from flux_bootstrap.chart.tuning import chart_values

    settings = resolve(config_dir.parent, helmValues={"distro": {"openshift": True}})
    assert chart_values(settings.tuning, settings.source.chart_version)["distro"] == {"openshift": True}
