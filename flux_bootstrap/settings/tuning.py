"""Tuning settings: which Flux controllers run, where, how large, from which registry, and any
other chart value (`helmValues`).

The structured settings (tolerations, nodeSelector, resources, imagePullSecrets, helmValues) are
YAML lists or objects in the stack file (`pulumi config set --path`); each problem names the key
path inside the setting, such as `flux-bootstrap:tolerations.0.effect`. Values are checked with
Kubernetes' own rules (label keys, DNS names, resource quantities), so a mistake is refused here
rather than by the API server halfway through `pulumi up`.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Annotated, Any, Callable, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, StrictInt, StrictStr, ValidationInfo, field_validator, model_validator

from ..errors import ConfigError, Problem
from ..helm_values import CONTROLLERS, CORE_CONTROLLERS, IMAGE_CONTROLLERS, SETTING_PATHS, override_problems
from ..sizes import SIZES, Size
from ..yaml_source import MAX_DEPTH, MAX_NODES
from .base import Group
from .fields import StackBool

CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"
# Settings whose value is a YAML list or object (read with Config.get_object in the program).
TUNING_STRUCTURED = frozenset({"tolerations", "nodeSelector", "resources", "imagePullSecrets", "helmValues"})

MAX_TOLERATIONS = 32
MAX_NODE_SELECTOR = 32
MAX_PULL_SECRETS = 16
MAX_QUANTITY_LENGTH = 64
MAX_REGISTRY_LENGTH = 200  # the image names stay below the 255 characters a reference may have
MAX_HELM_VALUES_STRING = 64 * 1024
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
# A registry host (a dot, a port or localhost tells it from a Docker Hub path), then image path parts.
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[-A-Za-z0-9]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?", re.ASCII)
_PATH_PART = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*", re.ASCII)


# ---- Kubernetes names and values ------------------------------------------------------------


def dns_subdomain_problem(value: str) -> str | None:
    if len(value) > MAX_DNS_SUBDOMAIN or not _DNS_SUBDOMAIN.fullmatch(value):
        return (f"is not a valid Kubernetes name: lower-case letters, digits, '-' and '.', starting and ending "
                f"with a letter or digit, at most {MAX_DNS_SUBDOMAIN} characters.")
    return None


def label_key_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > MAX_DNS_SUBDOMAIN or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return "is not a valid label key: the part before '/' must be a DNS name such as node-role.kubernetes.io."
    if len(name) > MAX_LABEL_NAME or not _LABEL_NAME.fullmatch(name):
        return (f"is not a valid label key: the name must be 1 to {MAX_LABEL_NAME} letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit (optionally after a prefix and '/').")
    return None


def label_value_problem(value: str) -> str | None:
    if value and (len(value) > MAX_LABEL_NAME or not _LABEL_NAME.fullmatch(value)):
        return (f"is not a valid label value: at most {MAX_LABEL_NAME} letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit (or empty).")
    return None


def _checked(problem: Callable[[str], str | None]) -> Callable[[str], str]:
    def check(value: str) -> str:
        message = problem(value)
        if message:
            raise ValueError(message)
        return value

    return check


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
    match = _QUANTITY.fullmatch(text)
    assert match is not None, "only for validated quantities"
    suffix = match["suffix"] or ""
    scale = Decimal(10) ** int(suffix[1:]) if suffix[:1] in ("e", "E") else _SCALE[suffix]
    return Decimal(match["number"]) * scale


def _registry(value: str) -> str:
    text = value.rstrip("/")
    if "://" in text:
        raise ValueError("must be a registry host and path without a scheme, such as registry.example.com:5000/fluxcd.")
    if len(text) > MAX_REGISTRY_LENGTH:
        raise ValueError(f"is longer than {MAX_REGISTRY_LENGTH} characters; image references are at most 255.")
    if "@" in text:
        raise ValueError("must not have a digest: the chart's image tags are kept, only the registry changes.")
    host, *path = text.split("/")
    if not _HOST.fullmatch(host) or not ("." in host or ":" in host or host == "localhost"):
        raise ValueError("must start with a registry host such as registry.example.com or mirror.local:5000 (a name "
                         "without '.' or ':' would be taken for a Docker Hub path).")
    if not all(_PATH_PART.fullmatch(part) for part in path):
        raise ValueError("has an invalid path after the host: lower-case letters, digits and single '.', '_' or '-' "
                         "between '/' (no tag: the chart's image tags are kept).")
    return text


def _list(what: str, limit: int, example: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"must be a list of {what}: a YAML list in the stack file, or {example}.")
        if len(value) > limit:
            raise ValueError(f"has more than {limit} entries.")
        return value

    return check


def _mapping(what: str, limit: int, example: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError(f"must be an object ({what}): a YAML mapping in the stack file, or {example}.")
        if len(value) > limit:
            raise ValueError(f"has more than {limit} entries.")
        return value

    return check


def _json_shape(value: Any) -> dict[str, Any]:
    """helmValues is any chart value: refuse what no values.yaml holds, and hostile sizes, early
    (at most the depth and number of values a config file may have)."""
    if not isinstance(value, dict):
        raise ValueError("must be an object of chart values: a YAML mapping in the stack file, or "
                         "`pulumi config set --path 'helmValues.logLevel' debug`.")
    count = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ValueError(f"holds more than {MAX_NODES} values.")
        if depth > MAX_DEPTH:
            raise ValueError(f"nests deeper than {MAX_DEPTH} levels.")
        if isinstance(node, dict):
            if not all(isinstance(key, str) for key in node):
                raise ValueError("has a key that is not a string.")
            stack.extend((inner, depth + 1) for inner in node.values())
        elif isinstance(node, list):
            stack.extend((inner, depth + 1) for inner in node)
        elif isinstance(node, str):
            if len(node) > MAX_HELM_VALUES_STRING:
                raise ValueError(f"has a string longer than {MAX_HELM_VALUES_STRING} characters.")
        elif isinstance(node, float) and not math.isfinite(node):
            raise ValueError("has a number that is not finite.")
        elif node is not None and not isinstance(node, (bool, int, float)):
            raise ValueError("has a value that is not a string, number, boolean, list or object.")
    return value


DnsName = Annotated[StrictStr, PlainValidator(lambda v: _checked(dns_subdomain_problem)(_string(v)))]
LabelValue = Annotated[StrictStr, PlainValidator(lambda v: _checked(label_value_problem)(_string(v)))]
Quantity = Annotated[str, PlainValidator(_quantity)]
Registry = Annotated[StrictStr, PlainValidator(lambda v: _registry(_string(v)))]


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string. Quote the value in YAML.")
    return value


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

    key: Annotated[StrictStr, PlainValidator(lambda v: _checked(label_key_problem)(_string(v)))] | None = None
    operator: Literal["Exists", "Equal"] = Field("Equal", validate_default=True)
    value: LabelValue | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: StrictInt | None = Field(None, alias="tolerationSeconds")

    @field_validator("operator")
    @classmethod
    def _operator(cls, operator: str, info: ValidationInfo) -> str:
        if operator == "Equal" and "key" in info.data and not info.data["key"]:  # (absent: the key was refused)
            raise ValueError("must be Exists when no key is given (a toleration without a key matches every taint); "
                             "add a key, or set operator: Exists.")
        return operator

    @field_validator("value")
    @classmethod
    def _value(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and info.data.get("operator") == "Exists":
            raise ValueError("must be empty when operator is Exists (it matches any value); remove it, or use operator: Equal.")
        return value

    @field_validator("toleration_seconds")
    @classmethod
    def _seconds(cls, seconds: int | None, info: ValidationInfo) -> int | None:
        if seconds is not None:
            if "effect" in info.data and info.data["effect"] != "NoExecute":  # (absent: the effect was refused)
                raise ValueError("is only allowed with effect: NoExecute (how long a pod stays on a node after such a taint appears).")
            if not 0 <= seconds <= MAX_TOLERATION_SECONDS:
                raise ValueError("must be a whole number of seconds, 0 or more.")
        return seconds

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


_PATH_HINT = "`pulumi config set --path '{}' ...`"
Tolerations = Annotated[
    tuple[Toleration, ...],
    BeforeValidator(_list("tolerations", MAX_TOLERATIONS, _PATH_HINT.format("tolerations[0].key"))),
]
NodeSelector = Annotated[
    dict[StrictStr, LabelValue],
    BeforeValidator(_mapping("node label: value", MAX_NODE_SELECTOR, _PATH_HINT.format("nodeSelector.disktype"))),
]
ResourcesByController = Annotated[
    dict[StrictStr, ResourceRequirements],
    BeforeValidator(_mapping("controller name: resource requirements", len(CONTROLLERS),
                             _PATH_HINT.format("resources.helm-controller.limits.memory"))),
]
PullSecrets = Annotated[
    tuple[DnsName, ...],
    BeforeValidator(_list("Secret names", MAX_PULL_SECRETS, _PATH_HINT.format("imagePullSecrets[0]"))),
]
HelmValues = Annotated[dict[str, Any], BeforeValidator(_json_shape)]


# ---- The stack settings and the resolved tuning ---------------------------------------------


class TuningStack(Group):
    """Which controllers run, where and how large, and from which registry."""

    image_automation: StackBool = Field(False, alias="imageAutomation")
    source_watcher: StackBool = Field(False, alias="sourceWatcher")
    tolerations: Tolerations = ()
    tolerate_control_plane: StackBool = Field(False, alias="tolerateControlPlane")
    node_selector: NodeSelector = Field({}, alias="nodeSelector")
    priority_class_name: DnsName | None = Field(None, alias="priorityClassName")
    size: Size | None = None
    resources: ResourcesByController = {}
    network_policy: StackBool = Field(True, alias="networkPolicy")
    multitenancy: StackBool = False
    tenant_service_account: DnsName | None = Field(None, alias="tenantServiceAccount")
    registry: Registry | None = None
    image_pull_secrets: PullSecrets = Field((), alias="imagePullSecrets")
    helm_values: HelmValues = Field({}, alias="helmValues")


class TuningSettings(BaseModel):
    """The validated tuning; `flux_bootstrap.tuning` turns it into chart values."""

    model_config = ConfigDict(frozen=True)
    image_automation: bool = False
    source_watcher: bool = False
    tolerations: tuple[Toleration, ...] = ()  # the control-plane toleration included when asked for
    node_selector: dict[str, str] = {}
    priority_class_name: str | None = None
    size: Size | None = None
    resources: dict[str, ResourceRequirements] = {}  # by controller (Deployment) name
    network_policy: bool = True
    multitenancy: bool = False
    tenant_service_account: str | None = None  # set exactly when multitenancy is on
    registry: str | None = None
    image_pull_secrets: tuple[str, ...] = ()
    helm_values: dict[str, Any] = {}

    @property
    def controllers(self) -> tuple[str, ...]:
        """The controllers installed, by Deployment name, in the chart's order."""
        on = set(CORE_CONTROLLERS)
        if self.image_automation:
            on.update(IMAGE_CONTROLLERS)
        if self.source_watcher:
            on.add("source-watcher")
        return tuple(name for name in CONTROLLERS if name in on)


def resolve_tuning(
    stack: TuningStack,
    *,
    read_only_deploy_key: bool,
    chart_version: str,
    stack_problem: Callable[[str, str], Problem],
    problems: list[Problem],
) -> TuningSettings | None:
    """The tuning, or None with the cross-setting problems appended (each naming its key path).

    `read_only_deploy_key`: Flux reads through a deploy key this program registers read-only (with
    a token or an App, or a key pasted by hand on another host, write access is granted there).
    """
    found: list[Problem] = []
    if stack.image_automation and read_only_deploy_key:
        found.append(stack_problem(
            "imageAutomation",
            "needs readWriteKey: image-automation-controller pushes the image updates it makes as commits to the "
            "repository, which a read-only deploy key cannot do. Also run `pulumi config set readWriteKey true`, "
            "or turn imageAutomation off.",
        ))
    if stack.tenant_service_account is not None and not stack.multitenancy:
        found.append(stack_problem(
            "tenantServiceAccount",
            "is only used with multitenancy: true (the account tenants' objects run as). Turn multitenancy on, "
            "or remove it: pulumi config rm tenantServiceAccount",
        ))
    for key in stack.node_selector:
        message = label_key_problem(key)
        if message:
            found.append(stack_problem(f"nodeSelector.{key}", message))

    tuning = TuningSettings(
        image_automation=stack.image_automation,
        source_watcher=stack.source_watcher,
        tolerations=_tolerations(stack),
        node_selector=dict(stack.node_selector),
        priority_class_name=stack.priority_class_name,
        size=stack.size,
        resources=dict(stack.resources),
        network_policy=stack.network_policy,
        multitenancy=stack.multitenancy,
        tenant_service_account=(stack.tenant_service_account or "default") if stack.multitenancy else None,
        registry=stack.registry,
        image_pull_secrets=tuple(stack.image_pull_secrets),
        helm_values=dict(stack.helm_values),
    )
    found.extend(_resources_problems(tuning, chart_version, stack_problem))
    if tuning.helm_values:
        try:
            defaults = _chart_defaults(chart_version)
        except ConfigError as err:  # the carried archive is missing or altered
            found.extend(err.problems)
        else:
            found.extend(stack_problem(f"helmValues.{path}", message)
                         for path, message in override_problems(tuning.helm_values, defaults, _set_settings(stack)))
    problems.extend(found)
    return None if found else tuning


def _set_settings(stack: TuningStack) -> set[str]:
    """The settings of SETTING_PATHS that are set (not empty, off or absent), by stack name."""
    by_alias = {field.alias or name: getattr(stack, name) for name, field in TuningStack.model_fields.items()}
    return {setting for setting in SETTING_PATHS if by_alias[setting]}


def _tolerations(stack: TuningStack) -> tuple[Toleration, ...]:
    tolerations = tuple(stack.tolerations)
    if stack.tolerate_control_plane and CONTROL_PLANE_TOLERATION not in tolerations:
        tolerations += (CONTROL_PLANE_TOLERATION,)
    return tolerations


def _chart_defaults(chart_version: str) -> dict[str, Any]:
    """values.yaml of the chart installed; for a version not carried, of the newest carried one."""
    from .. import chart  # loads Helm's SDK: only when a check needs the chart

    return chart.default_values(chart.schema_version(chart_version))


def _resources_problems(
    tuning: TuningSettings, chart_version: str, stack_problem: Callable[[str, str], Problem]
) -> list[Problem]:
    found = []
    names = ", ".join(CONTROLLERS)
    for name, requirements in tuning.resources.items():
        if name not in CONTROLLERS:
            found.append(stack_problem(f"resources.{name}", f"is not a Flux controller of the chart; use one of: {names}."))
        elif name not in tuning.controllers:
            switch = "imageAutomation" if name in IMAGE_CONTROLLERS else "sourceWatcher"
            found.append(stack_problem(
                f"resources.{name}", f"is not installed, so these resources would change nothing: set {switch} to "
                                     "true, or remove this entry."))
        else:
            found.extend(_request_above_limit(tuning, name, requirements, chart_version, stack_problem))
    return found


def _request_above_limit(
    tuning: TuningSettings,
    name: str,
    requirements: ResourceRequirements,
    chart_version: str,
    stack_problem: Callable[[str, str], Problem],
) -> list[Problem]:
    """Kubernetes refuses a container whose request is above its limit: compare what the pod gets,
    this entry merged over the size preset (or over the chart's default when no size is set)."""
    if tuning.size is not None:
        base, origin = SIZES[tuning.size].resources(), f"size {tuning.size}"
    else:
        base = _chart_defaults(chart_version).get(CONTROLLERS[name], {}).get("resources") or {}
        origin = "the chart's default"
    own_requests = requirements.requests.as_chart_value() if requirements.requests is not None else {}
    own_limits = requirements.limits.as_chart_value() if requirements.limits is not None else {}
    requests = {**(base.get("requests") or {}), **own_requests}
    limits = {**(base.get("limits") or {}), **own_limits}
    found = []
    for resource in sorted(set(requests) & set(limits)):
        if quantity_value(str(requests[resource])) <= quantity_value(str(limits[resource])):
            continue
        if resource in own_limits:
            where = f"limits.{resource}"
            other = "this entry" if resource in own_requests else origin
            message = f"is below the {resource} request ({other})"
        else:
            where, message = f"requests.{resource}", f"is above the {resource} limit ({origin})"
        found.append(stack_problem(
            f"resources.{name}.{where}",
            f"{message}; Kubernetes refuses a container whose request is above its limit. Raise the limit, "
            "or lower the request.",
        ))
    return found
