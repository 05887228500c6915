"""Pure builders, and every object they emit checked against the upstream schemas."""

import json
from pathlib import Path

import pytest

from helpers import leaf_paths
from flux_bootstrap import credentials, chart, manifests
from flux_bootstrap.chart.values import CHART_REPOSITORY, FluxChartValues, chart_values
from flux_bootstrap.settings import DEFAULT_CHART_VERSION, resolve_settings
from flux_bootstrap.validation import validate_helm_values, validate_object


def ssh_secret(identity, identity_pub, known_hosts):
    return manifests.git_secret_manifest(credentials.ssh_data(identity, identity_pub, known_hosts))


def settings_for(config_dir: Path, **values):
    return resolve_settings(
        project_dir=config_dir.parent, project="flux-bootstrap", stack="dev", stack_values=values, stack_source="stack"
    )


def all_objects(settings, branch="main"):
    return [
        manifests.namespace_manifest(),
        ssh_secret("PRIVATE", "ssh-ed25519 AAAA", manifests.known_hosts(["ssh-ed25519 AAAA"])),
        manifests.git_repository_manifest(settings, branch),
        manifests.kustomization_manifest(settings),
    ]


def test_flux_bootstrap_conventions(config_dir):
    settings = settings_for(config_dir)
    source = manifests.git_repository_manifest(settings, "main")
    assert source["apiVersion"] == "source.toolkit.fluxcd.io/v1"
    assert source["metadata"]["name"] == source["metadata"]["namespace"] == "flux-system"
    assert source["spec"] == {
        "interval": "1m",
        "ref": {"branch": "main"},
        "secretRef": {"name": "flux-system"},
        "url": "ssh://git@github.com/username/manifests",
    }
    sync = manifests.kustomization_manifest(settings)
    assert sync["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
    assert sync["spec"] == {
        "deletionPolicy": "Orphan",
        "interval": "10m",
        "path": "./clusters/dev",
        "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
    }


def test_readiness_annotation_follows_wait_for_sync(config_dir):
    waiting = settings_for(config_dir)
    for obj in (manifests.git_repository_manifest(waiting, "main"), manifests.kustomization_manifest(waiting)):
        assert obj["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}
    not_waiting = settings_for(config_dir, waitForSync="false")
    for obj in (manifests.git_repository_manifest(not_waiting, "main"), manifests.kustomization_manifest(not_waiting)):
        assert "annotations" not in obj["metadata"]


def test_destroy_workloads_waits_for_the_workloads_to_be_gone(config_dir):
    settings = settings_for(config_dir, destroyWorkloads="true")
    spec = manifests.kustomization_manifest(settings)["spec"]
    assert spec["deletionPolicy"] == "WaitForTermination"
    assert spec["timeout"] == "5m"
    # Pulumi waits longer for the delete than Flux may take, so the controllers outlive it.
    timeouts = manifests.custom_timeouts(settings, "Kustomization")
    assert timeouts == {"create": "5m", "update": "5m", "delete": "10m"}
    assert manifests.custom_timeouts(settings, "GitRepository")["delete"] == "5m"


def test_without_destroy_workloads_the_workloads_are_orphaned(config_dir):
    settings = settings_for(config_dir)
    spec = manifests.kustomization_manifest(settings)["spec"]
    assert spec["deletionPolicy"] == "Orphan" and "timeout" not in spec
    assert manifests.custom_timeouts(settings, "Kustomization")["delete"] == "5m"


def test_interval_and_path_settings_reach_the_objects(config_dir):
    settings = settings_for(config_dir, interval="90s", path="envs/dev")
    assert manifests.git_repository_manifest(settings, "x")["spec"]["interval"] == "90s"
    assert manifests.kustomization_manifest(settings)["spec"]["path"] == "./envs/dev"


def test_known_hosts_lists_every_key_once_sorted():
    text = manifests.known_hosts(["ssh-rsa BBB", "ecdsa-sha2-nistp256 AAA\n", "ssh-rsa BBB", ""])
    assert text == "github.com ecdsa-sha2-nistp256 AAA\ngithub.com ssh-rsa BBB\n"
    assert manifests.known_hosts(["b", "a"]) == manifests.known_hosts(["a", "b"])


def test_secret_has_the_keys_source_controller_reads():
    secret = ssh_secret("priv", "pub", "hosts")
    assert secret["stringData"] == {"identity": "priv", "identity.pub": "pub", "known_hosts": "hosts"}
    assert secret["metadata"]["namespace"] == "flux-system"


@pytest.mark.parametrize(
    "algorithm,expected",
    [
        ("ed25519", {"algorithm": "ED25519"}),
        ("ecdsa-p256", {"algorithm": "ECDSA", "ecdsa_curve": "P256"}),
        ("ecdsa-p384", {"algorithm": "ECDSA", "ecdsa_curve": "P384"}),
        ("ecdsa-p521", {"algorithm": "ECDSA", "ecdsa_curve": "P521"}),
        ("rsa-4096", {"algorithm": "RSA", "rsa_bits": 4096}),
    ],
)
def test_key_algorithms_map_to_tls_arguments(config_dir, algorithm, expected):
    assert manifests.private_key_args(settings_for(config_dir, keyAlgorithm=algorithm)) == expected


def test_deploy_key_title_names_project_and_stack(config_dir):
    assert manifests.deploy_key_title(settings_for(config_dir)) == "flux-bootstrap/dev"


def test_helm_release_is_pinned_and_fixed(config_dir):
    release = manifests.helm_release(settings_for(config_dir, chartVersion="2.18.3"))
    assert (release.name, release.chart, release.version, release.namespace) == (
        "flux2", "./charts/flux2-2.18.3.tgz", "2.18.3", "flux-system"
    )
    assert release.repository is None  # the carried archive, never a download
    assert release.as_dict()["chart"] == release.chart and "repository" not in release.as_dict()
    assert release.values == {
        "installCRDs": True,
        # The CRD migration hook: `flux migrate` before each upgrade (chart 2.18.3 has it).
        "crds": {"annotations": {"helm.sh/resource-policy": "keep"}, "migration": {"enabled": True}},
        "imageAutomationController": {"create": False},
        "imageReflectionController": {"create": False},
    }


def test_a_version_not_carried_comes_from_the_chart_repository(config_dir):
    release = manifests.helm_release(settings_for(config_dir, chartVersion="2.17.2"))
    assert (release.chart, release.repository, release.version) == ("flux2", CHART_REPOSITORY, "2.17.2")
    assert release.as_dict()["repository"] == CHART_REPOSITORY
    # The same values, but no migration value: chart 2.17.2 has no migration hook.
    expected = manifests.helm_release(settings_for(config_dir)).values
    expected["crds"] = {"annotations": expected["crds"]["annotations"]}
    assert release.values == expected


def test_builders_are_deterministic(config_dir):
    settings = settings_for(config_dir)
    assert json.dumps(all_objects(settings)) == json.dumps(all_objects(settings_for(config_dir)))


# --- schemas ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"destroyWorkloads": "true", "waitForSync": "false", "interval": "1h30m", "path": "."},
        {"branch": "feature/x", "path": "envs/prod/cluster-1", "interval": "500ms"},
    ],
)
def test_every_emitted_object_is_schema_valid(config_dir, values):
    for obj in all_objects(settings_for(config_dir, **values)):
        assert validate_object(obj) == [], obj["kind"]


def test_schema_checks_catch_what_a_mock_would_accept(config_dir):
    source = manifests.git_repository_manifest(settings_for(config_dir), "main")
    source["spec"]["url"] = "git@github.com:username/manifests"  # the scp form Flux refuses
    source["spec"]["intervall"] = "1m"
    problems = validate_object(source)
    assert any("spec.url" in p for p in problems) and any("intervall" in p for p in problems)
    sync = manifests.kustomization_manifest(settings_for(config_dir))
    sync["spec"]["prune"] = "yes"
    assert any("spec.prune" in p for p in validate_object(sync))
    secret = ssh_secret("a", "b", "c")
    secret["stringdata"] = secret.pop("stringData")
    assert validate_object(secret) != []
    namespace = manifests.namespace_manifest()
    namespace["metadata"]["labels"]["x"] = 1
    assert validate_object(namespace) != []


def test_helm_values_model_refuses_unknown_keys(config_dir):
    values = manifests.helm_release(settings_for(config_dir)).values
    assert validate_helm_values(values) == []
    values["imageReflectorController"] = {"create": False}  # the misspelling the chart would ignore
    assert validate_helm_values(values) != []


def test_every_value_we_set_exists_in_the_chart_with_its_type():
    values = chart.default_values(DEFAULT_CHART_VERSION)  # values.yaml of the carried chart
    for path, value in leaf_paths(chart_values().as_helm_values()):
        node = values
        for i, key in enumerate(path):
            assert isinstance(node, dict), path
            if node == {} and i == len(path) - 1:  # a free-form map such as crds.annotations
                break
            assert key in node, f"{'.'.join(path)} is not a value of the flux2 chart"
            node = node[key]
        else:
            assert type(node) is type(value), f"{'.'.join(path)}: chart default {node!r}, we set {value!r}"
    # The fields of our model are the chart's own names.
    assert set(FluxChartValues.model_fields) and all(
        (f.alias or n) in values for n, f in FluxChartValues.model_fields.items()
    )


def test_default_chart_version_is_carried_and_known():
    assert chart.is_carried(DEFAULT_CHART_VERSION) and DEFAULT_CHART_VERSION in chart.KNOWN_VERSIONS
