"""Checks every object the program emits against the real upstream schemas.

A Pulumi mock accepts any value, and Kubernetes only rejects a bad object at deploy time, so:
- GitRepository and Kustomization: the openAPIV3Schema of the Flux v1 CRDs (vendored as JSON in
  schemas/, from the CRDs in shared/reference), with unknown fields refused as
  `kubectl --validate=strict` does;
- Namespace and Secret: the Kubernetes schemas of `kubernetes-validate`, strict;
- Helm values: the typed model in helm_values (unknown keys refused).
Messages name the object and the field path; they are built for redacted objects (render,
check) and test data, never for a Secret holding a real key.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

KUBERNETES_VERSION = "1.33"  # a release the Flux 2.8 line supports; Namespace and Secret are stable
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
CRD_SCHEMA_FILES = {
    "GitRepository": ("source.toolkit.fluxcd.io_gitrepositories.yaml", "gitrepository.v1.json"),
    "Kustomization": ("kustomize.toolkit.fluxcd.io_kustomizations.yaml", "kustomization.v1.json"),
}


def crd_schema_from_file(crd_path: Path) -> dict[str, Any]:
    """The openAPIV3Schema of the served v1 version of a CRD file."""
    import yaml

    crd = yaml.safe_load(crd_path.read_text(encoding="utf-8"))
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1" and v.get("served")]
    return version["schema"]["openAPIV3Schema"]


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


@lru_cache(maxsize=None)
def _crd_validator(kind: str):
    from jsonschema import Draft7Validator

    schema = json.loads((SCHEMA_DIR / CRD_SCHEMA_FILES[kind][1]).read_text(encoding="utf-8"))
    return Draft7Validator(_strict(schema))


def _path(error) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(object)"


def validate_object(obj: dict[str, Any]) -> list[str]:
    """Problems of one Kubernetes object; empty when it is valid."""
    kind = obj.get("kind")
    name = f"{kind} {obj.get('metadata', {}).get('name', '?')}"
    if kind in CRD_SCHEMA_FILES:
        errors = sorted(_crd_validator(kind).iter_errors(obj), key=lambda e: list(e.absolute_path))
        return [f"{name}: {_path(e)}: {e.message}" for e in errors]
    if kind in ("Namespace", "Secret"):
        import kubernetes_validate

        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as err:
            return [f"{name}: {_path(err)}: {err.message}"]
        return []
    return [f"{name}: no schema known for kind {kind!r}"]


def validate_helm_values(values: dict[str, Any]) -> list[str]:
    from pydantic import ValidationError

    from .helm_values import FluxChartValues

    try:
        FluxChartValues.model_validate(values)
    except ValidationError as err:
        return [
            f"Helm values: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in err.errors(include_url=False, include_input=False)
        ]
    return []
