"""Kubernetes names, values and the objects tuning sets: label keys and values, DNS names,
resource quantities, tolerations and resource requirements, checked with Kubernetes' own rules.

Pure: used by the tuning settings, so a mistake is refused before `pulumi up` rather than by the
API server halfway through it. Messages are our own words, never the value.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Annotated, Any, Callable, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StrictInt, StrictStr, ValidationInfo, field_validator, model_validator

from .errors import known

CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"
MAX_QUANTITY_LENGTH = 64
MAX_DNS_SUBDOMAIN = 253
MAX_LABEL_NAME = 63
MAX_TOLERATION_SECONDS = 2**63 - 1  # int64 in the Pod API
_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*", re.ASCII)
_LABEL_NAME = re.compile(r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]", re.ASCII)
# The Kubernetes quantity grammar (k8s.io/apimachinery resource.Quantity), non-negative only.
_QUANTITY = re.compile(
    r"\+?(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]{1,2})?",
    re.ASCII,
)
_SCALE = {
    "": Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": Decimal("1e3"),
    "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"), "P": Decimal("1e15"), "E": Decimal("1e18"),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40), "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


# ---- Kubernetes names and values ------------------------------------------------------------


def is_dns_subdomain(value: str) -> bool:
    return len(value) <= MAX_DNS_SUBDOMAIN and _DNS_SUBDOMAIN.fullmatch(value) is not None


def check_dns_subdomain(value: str) -> str:
    if not is_dns_subdomain(value):
        raise ValueError(f"is not a valid Kubernetes name: lower-case letters, digits, '-' and '.', starting and "
                         f"ending with a letter or digit, at most {MAX_DNS_SUBDOMAIN} characters.")
    return value


def check_label_key(key: str) -> str:
    prefix, slash, name = key.rpartition("/")
    if slash and not (prefix and is_dns_subdomain(prefix)):
        raise ValueError("is not a valid label key: the part before '/' must be a DNS name such as "
                         "node-role.kubernetes.io.")
    if len(name) > MAX_LABEL_NAME or not _LABEL_NAME.fullmatch(name):
        raise ValueError(f"is not a valid label key: the name must be 1 to {MAX_LABEL_NAME} letters, digits, '-', "
                         "'_' or '.', starting and ending with a letter or digit (optionally after a prefix and '/').")
    return key


def check_label_value(value: str) -> str:
    if value and (len(value) > MAX_LABEL_NAME or not _LABEL_NAME.fullmatch(value)):
        raise ValueError(f"is not a valid label value: at most {MAX_LABEL_NAME} letters, digits, '-', '_' or '.', "
                         "starting and ending with a letter or digit (or empty).")
    return value


def _quantity(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError("must be a quantity such as 100m or 64Mi, not true or false.")
    if isinstance(value, int):
        value = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite quantity such as 0.5 or 500m.")
        value = repr(value)
    if not isinstance(value, str):
        raise ValueError("must be a quantity such as 100m or 64Mi.")
    if len(value) > MAX_QUANTITY_LENGTH or not _QUANTITY.fullmatch(value):
        raise ValueError("is not a Kubernetes quantity: use a number and an optional unit, such as 100m or 0.5 "
                         "(CPU) or 64Mi or 1Gi (memory); no negative values.")
    return value


def quantity_value(text: str) -> Decimal:
    """The amount a valid quantity stands for, to compare two quantities."""
    match = known(_QUANTITY.fullmatch(text), "only for validated quantities")
    suffix = match["suffix"] or ""
    scale = Decimal(10) ** int(suffix[1:]) if suffix[:1] in ("e", "E") else _SCALE[suffix]
    return Decimal(match["number"]) * scale


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string. Quote the value in YAML.")
    return value


DnsName = Annotated[StrictStr, PlainValidator(lambda v: check_dns_subdomain(_string(v)))]
LabelKey = Annotated[StrictStr, PlainValidator(lambda v: check_label_key(_string(v)))]
LabelValue = Annotated[StrictStr, PlainValidator(lambda v: check_label_value(_string(v)))]
Quantity = Annotated[str, PlainValidator(_quantity)]


# ---- Kubernetes objects ---------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    _shape: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        if not isinstance(value, (dict, BaseModel)):
            raise ValueError(f"must be an object: {cls._shape}.")
        return value


class Toleration(_Strict):
    """A Kubernetes toleration (core/v1 Toleration), as the Pod API validates it."""

    _shape = "a toleration with key, operator (Exists or Equal), value, effect and tolerationSeconds"

    key: LabelKey | None = None
    operator: Literal["Exists", "Equal"] = Field("Equal", validate_default=True)
    value: LabelValue | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: StrictInt | None = Field(None, alias="tolerationSeconds")

    # The Pod API's rules across fields, by field: (test of the value and the fields before it,
    # message); the first test that holds refuses. A field before it that was refused is absent.
    _rules: ClassVar[dict[str, tuple[tuple[Callable[[Any, dict[str, Any]], object], str], ...]]] = {
        "operator": (
            (lambda operator, data: operator == "Equal" and "key" in data and not data["key"],
             "must be Exists when no key is given (a toleration without a key matches every taint); "
             "add a key, or set operator: Exists."),
        ),
        "value": (
            (lambda value, data: value and data.get("operator") == "Exists",
             "must be empty when operator is Exists (it matches any value); remove it, or use operator: Equal."),
        ),
        "toleration_seconds": (
            (lambda seconds, data: seconds is not None and "effect" in data and data["effect"] != "NoExecute",
             "is only allowed with effect: NoExecute (how long a pod stays on a node after such a taint appears)."),
            (lambda seconds, data: seconds is not None and not 0 <= seconds <= MAX_TOLERATION_SECONDS,
             "must be a whole number of seconds, 0 or more."),
        ),
    }

    @field_validator(*_rules)
    @classmethod
    def _across_fields(cls, value: Any, info: ValidationInfo) -> Any:
        for test, message in cls._rules[info.field_name]:
            if test(value, info.data):
                raise ValueError(message)
        return value

    def as_chart_value(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


CONTROL_PLANE_TOLERATION = Toleration(key=CONTROL_PLANE_TAINT, operator="Exists", effect="NoSchedule")


class ResourceList(_Strict):
    _shape = "amounts of cpu, memory or ephemeral-storage, such as cpu: 100m and memory: 64Mi"
    cpu: Quantity | None = None
    memory: Quantity | None = None
    ephemeral_storage: Quantity | None = Field(None, alias="ephemeral-storage")

    def as_chart_value(self) -> dict[str, str]:
        return self.model_dump(by_alias=True, exclude_none=True)


class ResourceRequirements(_Strict):
    """Kubernetes resource requirements of a container (requests and limits)."""

    _shape = "requests and limits, each with cpu, memory or ephemeral-storage"

    requests: ResourceList | None = None
    limits: ResourceList | None = None

    def as_chart_value(self) -> dict[str, dict[str, str]]:
        out = {}
        if self.requests is not None:
            out["requests"] = self.requests.as_chart_value()
        if self.limits is not None:
            out["limits"] = self.limits.as_chart_value()
        return out
