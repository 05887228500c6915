"""Tuning settings: which Flux controllers run, where, how large, from which registry, and any
other chart value (`helmValues`).

The structured settings (tolerations, nodeSelector, resources, imagePullSecrets, helmValues) are
YAML lists or objects in the stack file (`pulumi config set --path`); each problem names the key
path inside the setting, such as `flux-bootstrap:tolerations.0.effect`. Values are checked with
Kubernetes' own rules (label keys, DNS names, resource quantities: flux_bootstrap/kube_values.py),
so a mistake is refused here rather than by the API server halfway through `pulumi up`.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Callable

from pydantic import BeforeValidator, Field, PlainValidator, StrictStr, ValidationInfo, field_validator

from ..errors import ConfigError
from ..kube_values import (
    CONTROL_PLANE_TOLERATION,
    DnsName,
    LabelValue,
    ResourceRequirements,
    Toleration,
    _string,
    check_label_key,
    quantity_value,
)
from ..chart.values import (
    CONTROLLERS,
    CORE_CONTROLLERS,
    IMAGE_CONTROLLERS,
    SETTING_PATHS,
    ChartSwitch,
    override_problems,
    switch_paths,
)
from ..chart.presets import SIZES, Size
from ..yaml_source import MAX_DEPTH, MAX_NODES
from .base import Facts, Group, facts, facts_validator
from .fields import StackBool
from .messages import Refusal, Refusals, raise_all

# Settings whose value is a YAML list or object (read with Config.get_object in the program).
TUNING_STRUCTURED = frozenset({"tolerations", "nodeSelector", "resources", "imagePullSecrets", "helmValues"})

MAX_TOLERATIONS = 32
MAX_NODE_SELECTOR = 32
MAX_PULL_SECRETS = 16
MAX_REGISTRY_LENGTH = 200  # the image names stay below the 255 characters a reference may have
MAX_HELM_VALUES_STRING = 64 * 1024

# A registry host (a dot, a port or localhost tells it from a Docker Hub path), then image path parts.
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[-A-Za-z0-9]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?", re.ASCII)
_PATH_PART = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*", re.ASCII)


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


Registry = Annotated[StrictStr, PlainValidator(lambda v: _registry(_string(v)))]



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


# ---- The tuning group: fields in the order their rules read them ----------------------------


class TuningSettings(Group):
    """Which controllers run, where and how large, and from which registry; `flux_bootstrap.tuning`
    turns it into chart values. A rule between fields sits on the later field and reads the earlier
    ones that validated (`info.data`), so a refused field hides only the rules that need it."""

    image_automation: StackBool = Field(False, alias="imageAutomation", description=(
        "Install image-reflector-controller and image-automation-controller (image update "
        "automation); needs readWriteKey, as it pushes commits."
    ))
    source_watcher: StackBool = Field(False, alias="sourceWatcher", description="Install source-watcher (ArtifactGenerator sources).")
    tolerate_control_plane: StackBool = Field(False, alias="tolerateControlPlane", description=(
        "Let every Flux controller and the chart's jobs run on control-plane nodes tainted node-"
        "role.kubernetes.io/control-plane."
    ))
    # The control-plane toleration is included when tolerateControlPlane asks for it.
    tolerations: Tolerations = Field((), validate_default=True, description="Tolerations added to every Flux controller (list of Kubernetes tolerations: key, operator, value, effect, tolerationSeconds).")
    node_selector: NodeSelector = Field({}, alias="nodeSelector", description="Node labels every Flux controller must run on (object of label: value).")
    priority_class_name: DnsName | None = Field(None, alias="priorityClassName", description="PriorityClass of every Flux controller. Empty means none.")
    size: Size | None = Field(None, description=(
        "Resources and concurrency of the controllers: small, medium or large. Empty keeps the "
        "chart's defaults."
    ))
    resources: ResourcesByController = Field({}, description="Requests and limits per controller (object: controller name -> {requests, limits} of cpu and memory); overrides `size`.")
    network_policy: Annotated[StackBool, ChartSwitch("policies.create")] = Field(True, alias="networkPolicy", description=(
        "Create the chart's NetworkPolicies in flux-system (allow-egress, allow-scraping, allow-"
        "webhooks)."
    ))
    multitenancy: StackBool = Field(False, description=(
        "Multi-tenancy lockdown (no cross-namespace references; tenants' objects run as "
        "tenantServiceAccount)."
    ))
    # Set exactly when multitenancy is on ("default" unless given).
    tenant_service_account: DnsName | None = Field(None, alias="tenantServiceAccount", validate_default=True, description=(
        "With multitenancy, the service account tenants' Kustomizations and HelmReleases run as when "
        "they name none. Empty means `default`."
    ))
    # Not owned: helmValues.distro.openshift, the only way before this setting, still works.
    openshift: Annotated[StackBool, ChartSwitch("distro.openshift", owned=False)] = Field(False, description=(
        "Run on OpenShift or OKD: the controllers leave their user ids to OpenShift (no fixed ones), and the "
        "chart binds the nonroot SecurityContextConstraints to their service accounts (source-watcher's not "
        "included in chart 2.18.3)."))
    registry: Registry | None = Field(None, description=(
        "A registry host and path that mirrors ghcr.io/fluxcd, for every Flux image (controllers and "
        "the chart's jobs). Empty means ghcr.io/fluxcd."
    ))
    image_pull_secrets: PullSecrets = Field((), alias="imagePullSecrets", description="Names of Secrets in flux-system used to pull the Flux images.")
    helm_values: HelmValues = Field({}, alias="helmValues", description="Further values of the flux2 chart (object), checked against its values.yaml; paths a setting owns are refused.")

    @property
    def controllers(self) -> tuple[str, ...]:
        """The controllers installed, by Deployment name, in the chart's order."""
        return installed(self.image_automation, self.source_watcher)

    @facts_validator("image_automation")
    def _image_automation(value: bool, known: Facts, info: ValidationInfo) -> bool:
        if value and known.read_only_deploy_key:
            raise ValueError(
                "needs readWriteKey: image-automation-controller pushes the image updates it makes as commits to the "
                "repository, which a read-only deploy key cannot do. Also run `pulumi config set readWriteKey true`, "
                "or turn imageAutomation off.")
        return value

    @field_validator("tolerations")
    @classmethod
    def _control_plane(cls, value: tuple[Toleration, ...], info: ValidationInfo) -> tuple[Toleration, ...]:
        if info.data.get("tolerate_control_plane") and CONTROL_PLANE_TOLERATION not in value:
            value = (*value, CONTROL_PLANE_TOLERATION)
        return value

    @field_validator("node_selector")
    @classmethod
    def _label_keys(cls, value: dict[str, str]) -> dict[str, str]:
        found = []
        for key in value:
            try:
                check_label_key(key)
            except ValueError as err:
                found.append(Refusal(str(err), at=f"nodeSelector.{key}"))
        raise_all(found)
        return value

    @field_validator("resources")
    @classmethod
    def _resources(cls, value: dict[str, ResourceRequirements], info: ValidationInfo) -> dict[str, ResourceRequirements]:
        known = facts(info)
        # A switch or the size refused: what it would have installed or given is unknown, not compared.
        switches = {"image_automation", "source_watcher"} <= info.data.keys()
        controllers = installed(info.data["image_automation"], info.data["source_watcher"]) if switches else None
        chart_version = known.chart_version if known is not None and "size" in info.data else None
        raise_all(resources_problems(value, controllers, info.data.get("size"), chart_version))
        return value

    @field_validator("tenant_service_account")
    @classmethod
    def _tenant(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "multitenancy" not in info.data:
            return value
        if not info.data["multitenancy"]:
            if value is not None:
                raise ValueError("is only used with multitenancy: true (the account tenants' objects run as). Turn "
                                 "multitenancy on, or remove it: pulumi config rm tenantServiceAccount")
            return None
        return value or "default"

    @facts_validator("helm_values")
    def _overrides(value: dict[str, Any], known: Facts, info: ValidationInfo) -> dict[str, Any]:
        if not value or known.chart_version is None:
            return value
        try:
            defaults = _chart_defaults(known.chart_version)
        except ConfigError as err:  # the carried archive is missing or altered
            raise Refusals(Refusal.of(p) for p in err.problems) from None
        set_settings = _set_settings(info.data)
        switched = switch_paths(TuningSettings, info.data)
        raise_all([Refusal(message, at=f"helmValues.{path}")
                   for path, message in override_problems(value, defaults, set_settings, switched)])
        return value


def installed(image_automation: bool, source_watcher: bool) -> tuple[str, ...]:
    on = set(CORE_CONTROLLERS)
    if image_automation:
        on.update(IMAGE_CONTROLLERS)
    if source_watcher:
        on.add("source-watcher")
    return tuple(name for name in CONTROLLERS if name in on)


def _set_settings(data: dict[str, Any]) -> set[str]:
    """The settings of SETTING_PATHS that are set (not empty, off or absent), by stack name."""
    by_alias = {field.alias or name: data.get(name) for name, field in TuningSettings.model_fields.items()}
    if data.get("tolerate_control_plane"):  # the toleration it adds is no setting of `tolerations`
        by_alias["tolerations"] = tuple(t for t in by_alias["tolerations"] or () if t != CONTROL_PLANE_TOLERATION)
    return {setting for setting in SETTING_PATHS if by_alias[setting]}


def _chart_defaults(chart_version: str) -> dict[str, Any]:
    """values.yaml of the chart installed; for a version not carried, of the newest carried one."""
    from .. import chart  # loads Helm's SDK: only when a check needs the chart

    return chart.default_values(chart.schema_version(chart_version))


def resources_problems(resources: dict[str, ResourceRequirements], controllers: tuple[str, ...] | None,
                       size: Size | None, chart_version: str | None) -> list[ValueError]:
    """The entries naming no controller of the chart, or one not installed (`controllers`, when
    known), and the requests above limits (with the size, or the chart version, when known)."""
    found: list[ValueError] = []
    names = ", ".join(CONTROLLERS)
    for name, requirements in resources.items():
        if name not in CONTROLLERS:
            found.append(Refusal(f"is not a Flux controller of the chart; use one of: {names}.", at=f"resources.{name}"))
        elif controllers is None:
            continue
        elif name not in controllers:
            switch = "imageAutomation" if name in IMAGE_CONTROLLERS else "sourceWatcher"
            found.append(Refusal(f"is not installed, so these resources would change nothing: set {switch} to "
                                 "true, or remove this entry.", at=f"resources.{name}"))
        elif size is not None or chart_version is not None:
            found.extend(_request_above_limit(name, requirements, size, chart_version))
    return found


def _request_above_limit(name: str, requirements: ResourceRequirements, size: Size | None,
                         chart_version: str | None) -> list[ValueError]:
    """Kubernetes refuses a container whose request is above its limit: compare what the pod gets,
    this entry merged over the size preset (or over the chart's default when no size is set)."""
    if size is not None:
        base, origin = SIZES[size].resources(), f"size {size}"
    else:
        base = _chart_defaults(chart_version).get(CONTROLLERS[name], {}).get("resources") or {}
        origin = "the chart's default"
    own_requests = requirements.requests.as_chart_value() if requirements.requests is not None else {}
    own_limits = requirements.limits.as_chart_value() if requirements.limits is not None else {}
    requests = {**(base.get("requests") or {}), **own_requests}
    limits = {**(base.get("limits") or {}), **own_limits}
    found: list[ValueError] = []
    for resource in sorted(set(requests) & set(limits)):
        if quantity_value(str(requests[resource])) <= quantity_value(str(limits[resource])):
            continue
        if resource in own_limits:
            where = f"limits.{resource}"
            other = "this entry" if resource in own_requests else origin
            message = f"is below the {resource} request ({other})"
        else:
            where, message = f"requests.{resource}", f"is above the {resource} limit ({origin})"
        found.append(Refusal(f"{message}; Kubernetes refuses a container whose request is above its limit. Raise "
                             "the limit, or lower the request.", at=f"resources.{name}.{where}"))
    return found
