"""Each tuning setting, proven on the carried chart rendered by real Helm: it changes exactly the
rendered objects it should, and every rendered object is valid against the Kubernetes schemas."""

from __future__ import annotations

import pytest

from flux_bootstrap import chart, manifests, validation
from flux_bootstrap.errors import ConfigError
from flux_bootstrap.settings import DEFAULT_CHART_VERSION, resolve_settings
from flux_bootstrap.chart.presets import REQUEUE_DEPENDENCY_FLAG, SIZES
from flux_bootstrap.validation import bounded_render, helm_values_problems, helm_values_render, validate_chart_objects, validate_object

V = DEFAULT_CHART_VERSION
KUBERNETES = chart.KNOWN_VERSIONS[V].min_kubernetes
CORE = {"source-controller", "kustomize-controller", "helm-controller", "notification-controller"}
IMAGE = {"image-reflector-controller", "image-automation-controller"}
JOBS = {"flux2-flux-check", "flux2-flux-migrate"}  # pre-install check, pre-upgrade migration


def settings_of(config_dir, **values):
    return resolve_settings(
        project_dir=config_dir.parent, project="flux-bootstrap", stack="dev", stack_values=values, stack_source="stack"
    )


def settings_problems(config_dir, **values):
    with pytest.raises(ConfigError) as err:
        settings_of(config_dir, **values)
    return err.value.problems


def render(config_dir, **values):
    release = manifests.helm_release(settings_of(config_dir, **values))
    objects = chart.render(release.version, release.values, name=release.name, namespace=release.namespace)
    assert validate_chart_objects(objects, KUBERNETES) == []  # every object, every time
    return objects


def of_kind(objects, kind):
    return {r.object["metadata"]["name"]: r.object for r in objects if r.object["kind"] == kind}


def pod(obj):
    return obj["spec"]["template"]["spec"]


def workloads(objects):
    """Every pod template: the controllers' Deployments and the hook Jobs."""
    return {**of_kind(objects, "Deployment"), **of_kind(objects, "Job")}


def without(objects, names):
    """The objects, with the given (kind, name) left out, for `nothing else changed` comparisons."""
    return [r.object for r in objects if (r.object["kind"], r.object["metadata"]["name"]) not in names]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    folder = tmp_path_factory.mktemp("p") / "config"
    folder.mkdir()
    (folder / "flux.yaml").write_text("repo: https://github.com/a/b\nbranch: main\n")
    (folder / "secrets-flux.yaml").write_text('token: "tok-Secret-1234567890"\n')
    return render(folder)


def test_the_default_release(baseline):
    assert set(of_kind(baseline, "Deployment")) == CORE
    assert set(of_kind(baseline, "Job")) == JOBS
    assert len(of_kind(baseline, "NetworkPolicy")) == 3
    for name, obj in workloads(baseline).items():
        spec = pod(obj)
        assert not {"tolerations", "nodeSelector", "priorityClassName", "imagePullSecrets"} & set(spec), name
        assert all(c["image"].startswith("ghcr.io/fluxcd/") for c in spec["containers"]), name


def test_the_migration_job_runs_flux_migrate_before_an_upgrade_only(baseline):
    (job,) = [r for r in baseline if r.object["metadata"]["name"] == "flux2-flux-migrate"]
    assert job.hook == "pre-upgrade"  # Helm runs it before an upgrade; a fresh install skips it
    (container,) = pod(job.object)["containers"]
    assert container["command"][:2] == ["/usr/local/bin/flux", "migrate"]
    assert container["image"] == f"ghcr.io/fluxcd/flux-cli:v{chart.KNOWN_VERSIONS[V].flux}"


def test_tolerate_control_plane_reaches_every_controller_and_both_jobs(config_dir, baseline):
    objects = render(config_dir, tolerateControlPlane="true")
    found = workloads(objects)
    assert set(found) == CORE | JOBS
    for name, obj in found.items():
        assert pod(obj)["tolerations"] == [
            {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
        ], name
    # Nothing else changed.
    assert without(objects, {(o["kind"], n) for n, o in found.items()}) == without(baseline, {(o["kind"], n) for n, o in found.items()})


def test_tolerations_node_selector_and_priority_class(config_dir, baseline):
    toleration = {"key": "dedicated", "operator": "Equal", "value": "flux", "effect": "NoExecute", "tolerationSeconds": 300}
    objects = render(config_dir, imageAutomation="true", readWriteKey="true", sourceWatcher="true",
                     tolerations=[toleration], nodeSelector={"kubernetes.io/arch": "arm64"},
                     priorityClassName="system-cluster-critical")
    found = workloads(objects)
    assert set(found) == CORE | IMAGE | {"source-watcher"} | JOBS
    for name, obj in found.items():
        spec = pod(obj)
        assert spec["tolerations"] == [toleration], name
        assert spec["nodeSelector"] == {"kubernetes.io/arch": "arm64"}, name
        if name in JOBS:
            assert "priorityClassName" not in spec  # the chart gives its jobs no priority class
        else:
            assert spec["priorityClassName"] == "system-cluster-critical", name


def test_registry_mirror_rewrites_every_image_keeping_the_tags(config_dir, baseline):
    objects = render(config_dir, registry="registry.local:5000/mirror/fluxcd", imageAutomation="true",
                     readWriteKey="true", sourceWatcher="true")
    before = {n: pod(o)["containers"][0]["image"] for n, o in workloads(render(config_dir, imageAutomation="true",
                                                                              readWriteKey="true", sourceWatcher="true")).items()}
    after = {n: pod(o)["containers"][0]["image"] for n, o in workloads(objects).items()}
    assert set(after) == CORE | IMAGE | {"source-watcher"} | JOBS
    for name, image in after.items():
        assert before[name].startswith("ghcr.io/fluxcd/")
        assert image == before[name].replace("ghcr.io/fluxcd/", "registry.local:5000/mirror/fluxcd/"), name
    every_image = [c["image"] for r in objects if r.object["kind"] in ("Deployment", "Job")
                   for c in pod(r.object).get("containers", []) + pod(r.object).get("initContainers", [])]
    assert every_image and not [i for i in every_image if "ghcr.io" in i]


def test_pull_secrets_on_every_pod(config_dir):
    found = workloads(render(config_dir, imagePullSecrets=["regcred", "mirror-token"], imageAutomation="true",
                             readWriteKey="true"))
    assert set(found) == CORE | IMAGE | JOBS
    for name, obj in found.items():
        assert pod(obj)["imagePullSecrets"] == [{"name": "regcred"}, {"name": "mirror-token"}], name


def test_network_policies_absent_when_off(config_dir, baseline):
    objects = render(config_dir, networkPolicy="false")
    assert of_kind(objects, "NetworkPolicy") == {}
    assert set(of_kind(baseline, "NetworkPolicy")) == {"allow-egress", "allow-scraping", "allow-webhooks"}
    assert [r.object for r in objects] == without(baseline, {("NetworkPolicy", n) for n in of_kind(baseline, "NetworkPolicy")})


@pytest.mark.parametrize("size", sorted(SIZES))
def test_each_size_preset_on_every_controller(config_dir, size):
    preset = SIZES[size]
    deployments = of_kind(render(config_dir, size=size, imageAutomation="true", readWriteKey="true",
                                 sourceWatcher="true"), "Deployment")
    assert set(deployments) == CORE | IMAGE | {"source-watcher"}
    for name, obj in deployments.items():
        (container,) = pod(obj)["containers"]
        assert container["resources"] == {"requests": preset.requests, "limits": preset.limits}, name
        assert f"--concurrent={preset.concurrent}" in container["args"], name
        requeue = [a for a in container["args"] if a.startswith("--requeue-dependency")]
        if preset.requeue_dependency and name in REQUEUE_DEPENDENCY_FLAG:
            assert requeue == [f"--requeue-dependency={preset.requeue_dependency}"], name
        else:
            assert requeue == [], name


def test_no_size_keeps_the_charts_resources(baseline):
    for name, obj in of_kind(baseline, "Deployment").items():
        (container,) = pod(obj)["containers"]
        assert container["resources"] == {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {}}, name
        assert not [a for a in container["args"] if a.startswith(("--concurrent", "--requeue-dependency"))], name


def test_resources_of_one_controller_over_the_preset(config_dir):
    deployments = of_kind(render(config_dir, size="small", resources={"helm-controller": {"limits": {"memory": "2Gi"}}}),
                          "Deployment")
    assert deployments["helm-controller"]["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "2Gi"}
    }
    assert pod(deployments["kustomize-controller"])["containers"][0]["resources"] == SIZES["small"].resources()


def test_resources_without_a_size_merge_with_the_charts_requests(config_dir):
    deployments = of_kind(render(config_dir, resources={"source-controller": {"limits": {"memory": "1Gi"}}}), "Deployment")
    assert pod(deployments["source-controller"])["containers"][0]["resources"] == {
        "requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "1Gi"}
    }


def test_the_component_set(config_dir, baseline):
    assert set(of_kind(baseline, "Deployment")) == CORE
    with_image = render(config_dir, imageAutomation="true", readWriteKey="true")
    assert set(of_kind(with_image, "Deployment")) == CORE | IMAGE
    groups = {c["spec"]["group"] for c in of_kind(with_image, "CustomResourceDefinition").values()}
    assert "image.toolkit.fluxcd.io" in groups
    assert "image.toolkit.fluxcd.io" not in {c["spec"]["group"] for c in of_kind(baseline, "CustomResourceDefinition").values()}
    with_watcher = render(config_dir, sourceWatcher="true")
    assert set(of_kind(with_watcher, "Deployment")) == CORE | {"source-watcher"}
    assert "artifactgenerators.source.extensions.fluxcd.io" in of_kind(with_watcher, "CustomResourceDefinition")
    for crd in of_kind(with_watcher, "CustomResourceDefinition").values():
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_openshift_leaves_the_user_ids_to_the_nonroot_scc(config_dir, baseline):
    objects = render(config_dir, openshift="true")
    (role,) = of_kind(objects, "ClusterRole")["flux-scc"]["rules"]
    assert (role["apiGroups"], role["resources"], role["resourceNames"], role["verbs"]) == (
        ["security.openshift.io"], ["securitycontextconstraints"], ["nonroot"], ["use"])
    binding = of_kind(objects, "ClusterRoleBinding")["flux-scc"]
    # The chart binds the six controllers it knew (not source-watcher: docs/tuning.md says so).
    assert {s["name"] for s in binding["subjects"]} == CORE | IMAGE
    for name, obj in of_kind(objects, "Deployment").items():
        assert "securityContext" not in pod(obj) or "fsGroup" not in pod(obj)["securityContext"], name
        assert all("runAsUser" not in c["securityContext"] for c in pod(obj)["containers"]), name
    for name, obj in of_kind(baseline, "Deployment").items():  # elsewhere: the chart's fixed ids
        assert all(c["securityContext"]["runAsUser"] == 65534 for c in pod(obj)["containers"]), name
    added = {("ClusterRole", "flux-scc"), ("ClusterRoleBinding", "flux-scc")}
    assert {(r.object["kind"], r.object["metadata"]["name"]) for r in objects} - added == {
        (r.object["kind"], r.object["metadata"]["name"]) for r in baseline}


def test_multitenancy_locks_the_controllers_down_and_our_kustomization_keeps_working(config_dir, baseline):
    objects = render(config_dir, multitenancy="true", tenantServiceAccount="tenant-runner")
    deployments = of_kind(objects, "Deployment")
    for name in ("kustomize-controller", "helm-controller"):
        args = pod(deployments[name])["containers"][0]["args"]
        assert "--no-cross-namespace-refs=true" in args and "--default-service-account=tenant-runner" in args, name
    assert "--no-cross-namespace-refs=true" in pod(deployments["notification-controller"])["containers"][0]["args"]
    assert not [a for a in pod(deployments["source-controller"])["containers"][0]["args"] if "cross-namespace" in a]
    # Our Kustomization names its account, so it is not run as the tenants' default account.
    settings = settings_of(config_dir, multitenancy="true")
    kustomization = manifests.kustomization_manifest(settings)
    assert kustomization["spec"]["serviceAccountName"] == "kustomize-controller"
    assert validate_object(kustomization, V) == []
    assert "serviceAccountName" not in manifests.kustomization_manifest(settings_of(config_dir))["spec"]
    assert "kustomize-controller" in {r.object["metadata"]["name"] for r in objects if r.object["kind"] == "ServiceAccount"}


def test_helm_values_reach_the_objects(config_dir, baseline):
    objects = render(config_dir, helmValues={"logLevel": "debug", "sourceController": {"annotations": {"example.com/team": "ops"}}})
    source = of_kind(objects, "Deployment")["source-controller"]
    assert "--log-level=debug" in pod(source)["containers"][0]["args"]
    assert source["spec"]["template"]["metadata"]["annotations"]["example.com/team"] == "ops"
    assert source["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "true"  # merged, not replaced


def test_helm_values_set_what_an_unset_setting_would_and_reach_the_objects(config_dir):
    # No size, tolerations or registry set: helmValues is the escape hatch for those values too.
    toleration = {"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}
    objects = render(config_dir, helmValues={"kustomizeController": {
        "container": {"additionalArgs": ["--concurrent=20"]}, "tolerations": [toleration],
        "resources": {"limits": {"memory": "2Gi"}}, "priorityClassName": "system-cluster-critical",
    }})
    kustomize = pod(of_kind(objects, "Deployment")["kustomize-controller"])
    assert "--concurrent=20" in kustomize["containers"][0]["args"]
    assert kustomize["containers"][0]["resources"]["limits"] == {"memory": "2Gi"}
    assert kustomize["tolerations"] == [toleration] and kustomize["priorityClassName"] == "system-cluster-critical"


# extraObjects passes every key path and type check, but its entries are templates Helm runs.
MARK = "zq9marker"
UNRENDERABLE = {
    "a template that fails": ([{"kind": '{{ fail "' + MARK + '" }}'}], "its template flux2/templates/extra-manifests.yaml fails"),
    "a template reading a missing value": ([{"kind": "{{ .Values." + MARK + ".x }}"}], "its template flux2/templates/extra-manifests.yaml fails"),
    "text instead of an object": ([f"{MARK}: ["], "flux2/templates/extra-manifests.yaml holds a document that is not a Kubernetes object"),
    "a template breaking the YAML": ([{MARK: '{{ printf "%c" 39 }}'}], "flux2/templates/extra-manifests.yaml is not valid YAML"),
}


def refusal(values) -> str:
    """Why the bounded render of the carried chart with `values` is refused."""
    with pytest.raises(ValueError) as err:
        bounded_render(V, values)
    return str(err.value)


def test_the_bounded_render_gives_the_charts_objects(config_dir):
    settings = settings_of(config_dir, helmValues={"logLevel": "debug"})
    release = manifests.helm_release(settings)
    rendered = helm_values_render(settings, release.values, source="s")
    assert rendered == bounded_render(V, release.values) == chart.render(V, release.values, name=release.name,
                                                                         namespace=release.namespace)
    assert helm_values_render(settings_of(config_dir), release.values, source="s") is None  # no helmValues: ours


@pytest.mark.parametrize("extra,fragment", UNRENDERABLE.values(), ids=UNRENDERABLE.keys())
def test_values_helm_cannot_render_are_told_without_helms_text(config_dir, extra, fragment):
    # Template syntax is refused with the settings already; what reaches Helm is still told safely.
    settings = settings_of(config_dir, helmValues={"logLevel": "debug"})
    release = manifests.helm_release(settings)
    release.values["extraObjects"] = extra
    message = refusal(release.values)
    assert fragment in message, message
    assert message.startswith(f"makes Helm fail to render the flux2 chart {V} (") and MARK not in message
    (problem,) = helm_values_problems(settings, release.values, source="stack 'dev' settings", line=7)
    assert (problem.field, problem.line, problem.message) == ("flux-bootstrap:helmValues", 7, message)


def test_only_template_paths_of_the_chart_are_kept_from_helms_error(monkeypatch):
    def failing(version, values, **release):
        raise chart.HelmFailed(f'template: gotpl:1:3: executing "{MARK}/templates/x.yaml" at <.Values.{MARK}>: nil pointer')

    monkeypatch.setattr(chart, "render_bounded", failing)
    message = refusal({})
    assert "(a template fails)" in message and MARK not in message


def test_renders_only_with_helm_values_set_and_a_carried_chart(config_dir):
    broken = {"extraObjects": ["not an object"]}
    assert refusal(broken)
    # The values passed are the release's: without helmValues (or offline-unrenderable), no render.
    assert helm_values_problems(settings_of(config_dir), broken, source="s") == []
    assert helm_values_problems(settings_of(config_dir, chartVersion="2.17.2", helmValues={"logLevel": "debug"}),
                                broken, source="s") == []
    assert helm_values_problems(settings_of(config_dir, helmValues={"logLevel": "debug"}), broken, source="s") != []


@pytest.mark.parametrize("extra", [[{"kind": "{{ fail \"x\" }}"}], [{"{{ .Values.x }}": "v"}], [{"a": ["{{ range until 100000000 }}x{{ end }}"]}]])
def test_template_syntax_in_helm_values_is_refused_before_helm(config_dir, extra):
    problems = settings_problems(config_dir, helmValues={"extraObjects": extra})
    assert problems and all("holds Helm template syntax" in p.message for p in problems)
    assert all("range" not in p.describe() and "fail" not in p.describe() for p in problems)


def test_a_render_past_its_bounds_is_a_problem_not_a_hang(monkeypatch):
    # The child process that renders the user's values gets 1 second: a real slow render stops there.
    monkeypatch.setattr(chart, "RENDER_SECONDS", 0.001)
    message = refusal({})
    assert "exceed its bounds (it took Helm longer than 0.001 s)" in message
