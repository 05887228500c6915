"""Schema checks: Flux objects against the CRDs the installed chart carries, strict."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from flux_bootstrap import chart, manifests, validation
from flux_bootstrap.settings import resolve_settings
from flux_bootstrap.validation import validate_object


@pytest.fixture
def settings(config_dir: Path):
    return resolve_settings(
        project_dir=config_dir.parent, project="flux-bootstrap", stack="dev", stack_values={}, stack_source="stack"
    )


@pytest.mark.parametrize("version", ["2.18.3", "2.17.2", "2.99.0"])
def test_flux_objects_are_checked_against_the_crds_of_the_carried_chart(settings, version):
    source = manifests.git_repository_manifest(settings, "main")
    assert validate_object(source, version) == []
    source["spec"]["provider"] = "github"
    assert validate_object(source, version) == []
    # Flux 2.8.5's GitRepository (chart 2.18.3) has no `aws` provider; the Flux 2.9 CRDs accept it.
    source["spec"]["provider"] = "aws"
    assert validate_object(source, version) == ["GitRepository flux-system: spec.provider: 'aws' is not one of ['generic', 'azure', 'github']"]


def test_a_version_not_carried_uses_the_newest_carried_crds():
    assert chart.schema_version("2.17.2") == chart.schema_version("2.99.0") == chart.NEWEST_CARRIED
    assert chart.schema_version("2.18.3") == "2.18.3"


def test_unknown_fields_are_refused(settings):
    sync = manifests.kustomization_manifest(settings)
    assert validate_object(sync) == []
    sync["spec"]["sourceRef"]["nmae"] = "x"
    sync["spec"]["prunee"] = True
    problems = validate_object(sync)
    assert len(problems) == 2
    assert any("spec.sourceRef" in p and "'nmae'" in p for p in problems) and any("'prunee'" in p for p in problems)


def test_free_form_fields_stay_free(settings):
    source = manifests.git_repository_manifest(settings, "main")
    source["metadata"]["annotations"] = {"any": "thing"}
    assert validate_object(source) == []


def test_an_api_version_the_chart_does_not_serve_is_reported(settings):
    source = manifests.git_repository_manifest(settings, "main")
    source["apiVersion"] = "source.toolkit.fluxcd.io/v1beta1"
    assert validate_object(source) == [
        "GitRepository flux-system: the flux2 chart 2.18.3 serves no GitRepository source.toolkit.fluxcd.io/v1beta1"
    ]


def test_a_kind_without_schema_is_reported():
    assert validate_object({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}) == [
        "ConfigMap x: no schema known for kind 'ConfigMap'"
    ]


def test_chart_objects_are_rendered_with_the_program_release(settings):
    release = manifests.helm_release(settings)
    assert validation.chart_objects(release.version) == chart.render(
        release.version, release.values, name=release.name, namespace=release.namespace
    )


def test_chart_objects_of_an_unknown_kind_are_reported():
    rendered = chart.RenderedObject("t.yaml", None, {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    assert validation.validate_chart_objects([rendered], "1.33") == [
        "t.yaml: Widget w: no Kubernetes 1.33 schema for example.com/v1 Widget"
    ]


def test_chart_objects_are_strict(settings):
    (service,) = [copy.deepcopy(r) for r in validation.chart_objects("2.18.3") if r.object["kind"] == "Service"
                  and r.object["metadata"]["name"] == "source-controller"]
    assert validation.validate_chart_objects([service], "1.33") == []
    service.object["spec"]["portz"] = []
    assert len(validation.validate_chart_objects([service], "1.33")) == 1


def test_the_committed_core_schemas_are_kubernetes_validates():
    import importlib.util
    import json

    from helpers import ROOT

    spec = importlib.util.spec_from_file_location("chart_schemas", ROOT / "scripts" / "chart_schemas.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert validation.CORE_SCHEMAS.read_text() == script.core_schemas_text(), (
        "the core schema file differs from kubernetes-validate's: run .venv/bin/python scripts/chart_schemas.py"
    )
    assert set(json.loads(validation.CORE_SCHEMAS.read_text())["kinds"]) == {"Namespace", "Secret"}


NAMESPACE_OBJ = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flux-system", "labels": {"a": "b"}}}
SECRET_OBJ = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
              "metadata": {"name": "flux-system", "namespace": "flux-system"}, "stringData": {"identity": "x"}}
CORE_CASES = {
    "a namespace": NAMESPACE_OBJ,
    "a secret": SECRET_OBJ,
    "an unknown top-level field": {**NAMESPACE_OBJ, "spek": {}},
    "an unknown metadata field": {**SECRET_OBJ, "metadata": {"name": "x", "namespaces": "y"}},
    "a label of another type": {**NAMESPACE_OBJ, "metadata": {"name": "x", "labels": {"a": 1}}},
    "data that is not a map": {**SECRET_OBJ, "data": ["x"]},
    "immutable that is not a boolean": {**SECRET_OBJ, "immutable": "yes"},
    "owner references without their uid": {**SECRET_OBJ, "metadata": {"name": "x", "ownerReferences": [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "c"}]}},
}


@pytest.mark.parametrize("obj", CORE_CASES.values(), ids=CORE_CASES.keys())
def test_namespace_and_secret_get_kubernetes_validates_verdict(obj):
    # The committed subset answers as kubernetes-validate does with all its definitions.
    name = validation._name(obj)
    expected = validation._kubernetes_problems(obj, name, validation.KUBERNETES_VERSION)
    assert validate_object(obj) == expected
    assert (expected == []) == (obj in (NAMESPACE_OBJ, SECRET_OBJ))
