"""Checks every object the program emits, and every object the chart installs, against real schemas.

A Pulumi mock accepts any value, and Kubernetes only rejects a bad object at deploy time, so:
- GitRepository and Kustomization: the openAPIV3Schema of the CRDs rendered from the carried chart
  the stack installs (for a chart version that is not carried: the newest carried chart), with
  unknown fields refused as `kubectl --validate=strict` does;
- Namespace and Secret, and every object the chart renders: the Kubernetes schemas of
  `kubernetes-validate`, strict;
- Helm values: every key path against the chart's values.yaml (unknown keys refused), and, when
  the stack sets helmValues, the carried chart rendered with them (what no key check can see).
Messages name the object and the field path; they are built for redacted objects (render,
check) and test data, never for a Secret holding a real key.
"""

from __future__ import annotations

import io
import re
import tarfile
from functools import lru_cache
from typing import Any, Iterable

from . import chart
from .errors import ConfigError, Problem
from .chart.values import RELEASE_NAME
from .manifests import NAMESPACE
from .settings import Settings
from .settings.tuning_settings import TuningSettings
from .chart.tuning import chart_values as tuned_values

KUBERNETES_VERSION = "1.33"  # a release the Flux 2.8 line supports; Namespace and Secret are stable
FLUX_KINDS = ("GitRepository", "Kustomization", "Receiver", "Provider", "Alert")


def _strict(schema: Any) -> Any:
    """Refuse unknown fields where the API server's strict field validation would."""
    if isinstance(schema, dict):
        schema = {key: _strict(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def chart_objects(version: str, values: dict[str, Any] | None = None) -> tuple[chart.RenderedObject, ...]:
    """What the carried chart `version` renders with exactly the release the program installs:
    `values` (the release's), by default those of a stack that sets no tuning."""
    if values is None:
        values = tuned_values(TuningSettings(), version)
    return chart.render(version, values, name=RELEASE_NAME, namespace=NAMESPACE)


@lru_cache(maxsize=None)
def _crd_validator(chart_version: str, kind: str, api_version: str):
    from jsonschema import Draft7Validator

    schema = chart.served_schema(chart.schema_version(chart_version), kind, api_version)
    return Draft7Validator(_strict(schema))


def _path(error) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(object)"


# Namespace and Secret, the core kinds the program emits: their strict schemas for KUBERNETES_VERSION
# and only the definitions they reach, taken from kubernetes-validate by scripts/chart_schemas.py
# (tests/test_validation.py compares). Its 1.4 MB of definitions, read per object, cost `check`
# more than the validation itself.
CORE_KINDS = {"Namespace": "namespace-v1", "Secret": "secret-v1"}
CORE_SCHEMAS = chart.CHARTS_DIR / f"kubernetes-{KUBERNETES_VERSION}.core-schemas.json"
_DEFINITION_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")


def core_schemas(kubernetes_version: str = KUBERNETES_VERSION) -> dict[str, Any]:
    """From kubernetes-validate's strict schemas (of the newest version not above
    `kubernetes_version`, as it picks): each core kind's schema, and the definitions document
    holding only the definitions those reach."""
    import json
    from importlib.resources import files

    from kubernetes_validate.utils import all_versions, major_minor

    version = [v for v in all_versions() if major_minor(v) <= major_minor(kubernetes_version)][-1]
    folder = files("kubernetes_validate") / "kubernetes-json-schema" / f"v{version}-local-strict"
    kinds = {kind: json.loads((folder / f"{file}.json").read_text()) for kind, file in CORE_KINDS.items()}
    document = json.loads((folder / "_definitions.json").read_text())
    reached: set[str] = set()
    pending: list[Any] = list(kinds.values())
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            match = _DEFINITION_REF.match(str(node.get("$ref", "")))
            if match and match[1] not in reached:
                reached.add(match[1])
                pending.append(document["$defs"][match[1]])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    definitions = {**{k: v for k, v in document.items() if k != "$defs"},
                   "$defs": {name: document["$defs"][name] for name in sorted(reached)}}
    return {"kinds": kinds, "definitions": definitions}


@lru_cache(maxsize=None)
def _core_registry() -> tuple[dict[str, Any], Any]:
    """The committed core schemas, read once: each kind's schema, and the definitions to resolve."""
    import json

    from referencing import Registry, Resource

    schemas = json.loads(CORE_SCHEMAS.read_text())
    return schemas["kinds"], Resource.from_contents(schemas["definitions"]) @ Registry()


@lru_cache(maxsize=None)
def _core_validator(kind: str):
    from jsonschema import Draft202012Validator
    from referencing import Resource

    kinds, definitions = _core_registry()
    schema = kinds[kind]
    return Draft202012Validator(schema, registry=Resource.from_contents(schema) @ definitions)  # as kubernetes-validate


def _core_problems(obj: dict[str, Any], name: str) -> list[str]:
    from jsonschema.exceptions import best_match

    error = best_match(_core_validator(str(obj["kind"])).iter_errors(obj))  # the one kubernetes-validate reports
    return [] if error is None else [f"{name}: {_path(error)}: {error.message}"]


def _kubernetes_problems(obj: dict[str, Any], name: str, kubernetes_version: str) -> list[str]:
    import kubernetes_validate

    try:
        kubernetes_validate.validate(obj, kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as err:
        return [f"{name}: {_path(err)}: {err.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{name}: no Kubernetes {kubernetes_version} schema for {obj.get('apiVersion')} {obj.get('kind')}"]
    return []


def _name(obj: dict[str, Any]) -> str:
    return f"{obj.get('kind')} {obj.get('metadata', {}).get('name', '?')}"


def validate_object(obj: dict[str, Any], chart_version: str = chart.NEWEST_CARRIED) -> list[str]:
    """Problems of one object the program emits; empty when it is valid. Flux objects are checked
    against the CRDs of `chart_version` when it is carried, else of the newest carried chart."""
    kind = obj.get("kind")
    name = _name(obj)
    if kind in FLUX_KINDS:
        try:
            validator = _crd_validator(chart_version, kind, str(obj.get("apiVersion")))
        except KeyError:
            return [f"{name}: the flux2 chart {chart.schema_version(chart_version)} serves no {kind} {obj.get('apiVersion')}"]
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
        return [f"{name}: {_path(e)}: {e.message}" for e in errors]
    if kind in CORE_KINDS and obj.get("apiVersion") == "v1":
        return _core_problems(obj, name)
    return [f"{name}: no schema known for kind {kind!r}"]


def validate_chart_objects(objects: Iterable[chart.RenderedObject], kubernetes_version: str) -> list[str]:
    """Problems of the objects a chart renders against the Kubernetes `kubernetes_version` schemas
    (strict); CustomResourceDefinitions included, as the API server checks them."""
    return [
        f"{rendered.template}: {problem}"
        for rendered in objects
        for problem in _kubernetes_problems(rendered.object, _name(rendered.object), kubernetes_version)
    ]


def validate_helm_values(values: dict[str, Any], chart_version: str = chart.NEWEST_CARRIED) -> list[str]:
    """Problems of Helm values against the chart's values.yaml (of `chart_version` when carried,
    else of the newest carried chart): a key Helm would silently ignore, or a value of another type."""
    from .chart.values import value_problems

    defaults = chart.default_values(chart.schema_version(chart_version))
    return [f"Helm values: {path}: {message}" for path, message in value_problems(values, defaults)]


HELM_VALUES_SETTING = "helmValues"
# A chart template's path as Helm's errors give it (flux2/templates/helm-controller.yaml:1:18).
_TEMPLATE = re.compile(r"[A-Za-z0-9_.-]+/templates/[A-Za-z0-9_./-]+?\.(?:yaml|yml|tpl)")


@lru_cache(maxsize=None)
def _templates(version: str) -> frozenset[str]:
    """The template files of the carried chart `version`, by their path in the archive."""
    with tarfile.open(fileobj=io.BytesIO(chart.carried_archive(version)), mode="r:gz") as archive:
        return frozenset(member.name for member in archive.getmembers() if member.isfile() and "/templates/" in member.name)


def bounded_render(version: str, values: dict[str, Any]) -> tuple[chart.RenderedObject, ...]:
    """The carried chart `version` rendered with the release's `values` in a child process bounded
    in time and memory. Raises ValueError, in our words, when Helm cannot render it into Kubernetes
    objects. Helm's own error may quote a value, so of it only the path of the chart template that
    failed is kept, and only when the chart has it."""
    try:
        return chart.render_bounded(version, values, name=RELEASE_NAME, namespace=NAMESPACE)
    except chart.HelmFailed as err:
        template = next((found for found in _TEMPLATE.findall(str(err)) if found in _templates(version)), None)
        where = f"its template {template} fails" if template else "a template fails"
        more = ("`helm template` with the same values shows Helm's full error, not shown here because it may "
                "quote a value.")
    except chart.RenderedNotObjects as err:
        where = f"its template {err.template} {err.reason}"
        more = "Helm would refuse to install it."
    except chart.RenderLimit as err:
        raise ValueError(f"makes rendering the flux2 chart {version} exceed its bounds (it {err}), so `pulumi up` "
                         "would hang or fail. Remove what makes the chart's templates loop or grow.") from None
    raise ValueError(
        f"makes Helm fail to render the flux2 chart {version} ({where}): a value here does not fit what the "
        "chart's templates expect (such as text or a template where they expect objects), so `pulumi up` would "
        f"fail. Correct or remove it; {more}"
    )


def helm_values_render(
    settings: Settings, values: dict[str, Any], *, source: str, line: int | None = None
) -> tuple[chart.RenderedObject, ...] | None:
    """The chart's objects for the release's `values` when the stack sets helmValues, rendered
    bounded (see bounded_render); None otherwise (our own values are proven by the tests) and for a
    chart version not carried (it cannot be rendered offline). Raises ConfigError naming the
    setting helmValues, as from `source` at `line`, when Helm cannot render them."""
    if not settings.tuning.helm_values or not chart.is_carried(settings.source.chart_version):
        return None
    try:
        return bounded_render(settings.source.chart_version, values)
    except ValueError as err:
        field = f"{settings.project}:{HELM_VALUES_SETTING}"
        raise ConfigError([Problem(source, str(err), field=field, line=line, label="setting")]) from None


def helm_values_problems(
    settings: Settings, values: dict[str, Any], *, source: str, line: int | None = None
) -> list[Problem]:
    """The problem of helmValues when Helm cannot render the carried chart with them (see
    helm_values_render), for a caller that collects problems."""
    try:
        helm_values_render(settings, values, source=source, line=line)
    except ConfigError as err:
        return err.problems
    return []
