"""Checks every object the program emits, and every object the chart installs, against real schemas.

A Pulumi mock accepts any value, and Kubernetes only rejects a bad object at deploy time, so:
- GitRepository and Kustomization: the openAPIV3Schema of the CRDs rendered from the carried chart
  the stack installs (for a chart version that is not carried: the newest carried chart), with
  unknown fields refused as `kubectl --validate=strict` does;
- Namespace and Secret, and every object the chart renders: the Kubernetes schemas of
  `kubernetes-validate`, strict;
- Helm values: every key path against the chart's values.yaml (unknown keys refused).
Messages name the object and the field path; they are built for redacted objects (render,
check) and test data, never for a Secret holding a real key.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from . import chart
from .helm_values import RELEASE_NAME
from .manifests import NAMESPACE
from .settings.tuning import TuningSettings
from .tuning import chart_values as tuned_values

KUBERNETES_VERSION = "1.33"  # a release the Flux 2.8 line supports; Namespace and Secret are stable
FLUX_KINDS = ("GitRepository", "Kustomization")


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

    schema = chart.crd_schema(chart_objects(chart.schema_version(chart_version)), kind, api_version)
    return Draft7Validator(_strict(schema))


def _path(error) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(object)"


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
    if kind in ("Namespace", "Secret"):
        return _kubernetes_problems(obj, name, KUBERNETES_VERSION)
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
    from .helm_values import value_problems

    defaults = chart.default_values(chart.schema_version(chart_version))
    return [f"Helm values: {path}: {message}" for path, message in value_problems(values, defaults)]
