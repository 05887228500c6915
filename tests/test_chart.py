"""The carried flux2 chart, rendered by real Helm with exactly the release the program installs."""

from __future__ import annotations

import importlib.util

import copy
import hashlib
import json
import shutil
from pathlib import Path

import helm_python
import pytest

from helpers import ROOT
from flux_bootstrap import chart, manifests
from flux_bootstrap.settings import DEFAULT_CHART_VERSION, resolve_settings
from flux_bootstrap.validation import validate_chart_objects

CONTROLLERS = {"source-controller", "kustomize-controller", "helm-controller", "notification-controller"}


@pytest.fixture
def release(config_dir: Path):
    settings = resolve_settings(
        project_dir=config_dir.parent, project="flux-bootstrap", stack="dev", stack_values={}, stack_source="stack"
    )
    return manifests.helm_release(settings)


@pytest.fixture
def rendered(release):
    return chart.render(release.version, release.values, name=release.name, namespace=release.namespace)


def of_kind(rendered, kind):
    return [r.object for r in rendered if r.object["kind"] == kind]


def test_the_program_installs_the_carried_default_chart(release):
    assert release.version == DEFAULT_CHART_VERSION and chart.is_carried(release.version)
    assert (ROOT / release.chart).resolve() == chart.CARRIED[release.version].path


def test_every_rendered_object_is_valid_against_kubernetes_1_33_strict(rendered):
    assert len(rendered) > 20
    assert validate_chart_objects(rendered, "1.33") == []
    assert chart.KNOWN_VERSIONS[DEFAULT_CHART_VERSION].min_kubernetes == "1.33"


def test_the_kubernetes_check_catches_a_broken_object(rendered):
    (deployment,) = [copy.deepcopy(r) for r in rendered if r.object["metadata"]["name"] == "source-controller"
                     and r.object["kind"] == "Deployment"]
    deployment.object["spec"]["replica"] = 1  # misspelled field
    problems = validate_chart_objects([deployment], "1.33")
    assert len(problems) == 1 and problems[0].startswith("flux2/templates/source-controller.yaml: Deployment source-controller")


def test_every_crd_is_kept_on_uninstall(rendered):
    crds = of_kind(rendered, "CustomResourceDefinition")
    assert {"gitrepositories.source.toolkit.fluxcd.io", "kustomizations.kustomize.toolkit.fluxcd.io"} <= {
        crd["metadata"]["name"] for crd in crds
    }
    for crd in crds:
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep", crd["metadata"]["name"]


def test_only_the_four_bootstrap_controllers_are_installed(rendered):
    assert {d["metadata"]["name"] for d in of_kind(rendered, "Deployment")} == CONTROLLERS
    assert len(of_kind(rendered, "Deployment")) == 4
    # (crd-controller's ClusterRoleBinding names their service accounts whatever the values: harmless)
    names = [r.object["metadata"]["name"] for r in rendered]
    assert not [n for n in names if "image-automation" in n or "image-reflector" in n]
    assert not [c for c in of_kind(rendered, "CustomResourceDefinition") if c["spec"]["group"] == "image.toolkit.fluxcd.io"]


def test_hooks_are_kept_and_marked(rendered):
    hooks = {(r.object["kind"], r.object["metadata"]["name"], r.hook) for r in rendered if r.hook}
    # The pre-install check, and the CRD migration (`flux migrate`) Helm runs before each upgrade.
    assert hooks == {("ServiceAccount", "flux2-flux-check", "pre-install"), ("Job", "flux2-flux-check", "pre-install"),
                     ("Job", "flux2-flux-migrate", "pre-upgrade")}
    for r in rendered:
        assert (r.hook is not None) == ("helm.sh/hook" in (r.object["metadata"].get("annotations") or {}))


def test_the_preinstall_check_runs_the_flux_version_the_table_names(rendered):
    (job,) = [j for j in of_kind(rendered, "Job") if j["metadata"]["name"] == "flux2-flux-check"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    flux = chart.KNOWN_VERSIONS[DEFAULT_CHART_VERSION].flux
    assert container["image"].endswith(f":v{flux}")
    assert container["command"][1:3] == ["check", "--pre"]


def test_chart_metadata_matches_the_known_versions_table():
    with helm_python.Chart.load_archive(chart.carried_archive(DEFAULT_CHART_VERSION)) as loaded:
        metadata = loaded.metadata
    assert metadata["name"] == "flux2" and metadata["version"] == DEFAULT_CHART_VERSION
    assert metadata["appVersion"] == chart.KNOWN_VERSIONS[DEFAULT_CHART_VERSION].flux


def test_rendering_is_deterministic(release):
    first = json.dumps([(r.template, r.hook, r.object) for r in chart.render(
        release.version, release.values, name=release.name, namespace=release.namespace)])
    chart._render.cache_clear()
    second = json.dumps([(r.template, r.hook, r.object) for r in chart.render(
        release.version, release.values, name=release.name, namespace=release.namespace)])
    assert first == second


def test_the_values_change_what_is_rendered(release):
    with_image_controllers = dict(release.values, imageAutomationController={"create": True})
    rendered = chart.render(release.version, with_image_controllers, name=release.name, namespace=release.namespace)
    assert "image-automation-controller" in {d["metadata"]["name"] for d in of_kind(rendered, "Deployment")}


def test_carried_archive_matches_its_pinned_sha256():
    for version, carried in chart.CARRIED.items():
        assert carried.path.parent == ROOT / "charts"
        assert hashlib.sha256(carried.path.read_bytes()).hexdigest() == carried.sha256, version
        assert chart.carried_archive(version) == carried.path.read_bytes()


def test_a_tampered_archive_is_refused(tmp_path):
    carried = chart.CARRIED[DEFAULT_CHART_VERSION]
    copy_path = tmp_path / carried.file
    shutil.copy(carried.path, copy_path)
    assert chart.load_archive(copy_path, carried.sha256) == carried.path.read_bytes()
    data = bytearray(copy_path.read_bytes())
    data[100] ^= 1
    copy_path.write_bytes(bytes(data))
    with pytest.raises(chart.ChartError) as err:
        chart.load_archive(copy_path, carried.sha256)
    message = str(err.value)
    assert f"charts/{carried.file}:" in message and "sha256 differs" in message
    assert f"git checkout -- charts/{carried.file}" in message


def test_a_missing_archive_is_refused(tmp_path):
    with pytest.raises(chart.ChartError, match="is missing: restore it with `git checkout -- charts/flux2-2.18.3.tgz`"):
        chart.load_archive(tmp_path / "flux2-2.18.3.tgz", chart.CARRIED["2.18.3"].sha256)


def test_default_values_are_the_charts_values_yaml():
    values = chart.default_values(DEFAULT_CHART_VERSION)
    assert values["installCRDs"] is True and values["imageReflectionController"]["create"] is True
    values["installCRDs"] = False  # a fresh copy each time
    assert chart.default_values(DEFAULT_CHART_VERSION)["installCRDs"] is True


def test_the_served_schemas_are_the_rendered_crds(rendered):
    schema = chart.served_schema(DEFAULT_CHART_VERSION, "GitRepository", "source.toolkit.fluxcd.io/v1")
    assert schema["properties"]["spec"]["properties"]["provider"]["enum"] == ["generic", "azure", "github"]
    with pytest.raises(KeyError):
        chart.served_schema(DEFAULT_CHART_VERSION, "GitRepository", "source.toolkit.fluxcd.io/v2")
    # What check validates with is what the chart installs: the file equals the CRDs of a Helm render.
    stored = chart.crd_schemas(DEFAULT_CHART_VERSION)
    for kind, versions in chart.schemas_of(rendered).items():
        assert stored[kind] == versions, kind


@pytest.mark.parametrize("version", sorted(chart.CARRIED))
def test_the_committed_schema_files_are_what_helm_renders(version):
    spec = importlib.util.spec_from_file_location("chart_schemas", ROOT / "scripts" / "chart_schemas.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert chart.CARRIED[version].schemas_path.read_text() == script.schemas_text(version), (
        "the CRD schema file differs from the chart's CRDs: run .venv/bin/python scripts/chart_schemas.py"
    )


def test_default_values_are_what_helm_reads(tmp_path):
    with helm_python.Chart.load_archive(chart.carried_archive(DEFAULT_CHART_VERSION)) as loaded:
        assert chart.default_values(DEFAULT_CHART_VERSION) == loaded.values


@pytest.mark.parametrize(
    "version,fragments",
    [
        ("2.18.3", ["installs Flux 2.8.5 (Kubernetes >= 1.33)", "charts/flux2-2.18.3.tgz (sha256 verified)"]),
        ("2.17.2", ["installs Flux 2.7.5 (Kubernetes >= 1.32)", "not verified", "fluxcd-community.github.io"]),
        ("2.99.0", ["is not a version this project knows", "not verified", "CRDs of chart 2.18.3"]),
    ],
)
def test_describe_says_what_a_version_installs_and_whether_it_was_verified(version, fragments):
    text = chart.describe(version)
    for fragment in fragments:
        assert fragment in text
    assert ("not verified" in text) != chart.is_carried(version)
