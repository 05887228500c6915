"""The flux2 Helm chart: where it comes from, a typed model of the values we set, and the check of
any value against the chart's own values.yaml.

Helm silently ignores a misspelled value, so two guards: the model forbids unknown keys (a typo in
our code fails at once), a test walks every key path of a fully populated model against the
chart's values.yaml, and `value_problems` checks the merged values (ours and the stack's
`helmValues`) against the values.yaml of the chart version installed. `override_problems` also
keeps `helmValues` off what the program protects and what a stack setting writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

CHART_NAME = "flux2"
CHART_REPOSITORY = "https://fluxcd-community.github.io/helm-charts"
RELEASE_NAME = "flux2"  # fixed: a reinstall with the same name adopts CRDs kept from an earlier one
KEEP_ANNOTATION = "helm.sh/resource-policy"

# Controller (its Deployment name, as users know it) -> its key in the chart's values.
CONTROLLERS: dict[str, str] = {
    "source-controller": "sourceController",
    "kustomize-controller": "kustomizeController",
    "helm-controller": "helmController",
    "notification-controller": "notificationController",
    "image-reflector-controller": "imageReflectionController",
    "image-automation-controller": "imageAutomationController",
    "source-watcher": "sourceWatcher",
}
# What `flux bootstrap` installs; the others are switched on by a setting.
CORE_CONTROLLERS = ("source-controller", "kustomize-controller", "helm-controller", "notification-controller")
IMAGE_CONTROLLERS = ("image-reflector-controller", "image-automation-controller")


class _Values(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TolerationValues(_Values):
    key: str | None = None
    operator: str
    value: str | None = None
    effect: str | None = None
    toleration_seconds: int | None = Field(None, alias="tolerationSeconds")


class ResourceValues(_Values):
    requests: dict[str, str] | None = None
    limits: dict[str, str] | None = None


class ContainerValues(_Values):
    additional_args: list[str] = Field(alias="additionalArgs")


class ControllerValues(_Values):
    create: bool | None = None
    image: str | None = None
    resources: ResourceValues | None = None
    container: ContainerValues | None = None
    priority_class_name: str | None = Field(None, alias="priorityClassName")
    node_selector: dict[str, str] | None = Field(None, alias="nodeSelector")
    tolerations: list[TolerationValues] | None = None


class JobValues(_Values):
    """A hook Job's values: the pre-install check (`cli`) or the pre-upgrade migration."""

    enabled: bool | None = None  # crds.migration only
    image: str | None = None  # cli only: the migration job runs the same image
    node_selector: dict[str, str] | None = Field(None, alias="nodeSelector")
    tolerations: list[TolerationValues] | None = None


class CrdsValues(_Values):
    annotations: dict[str, str]
    migration: JobValues | None = None


class MultitenancyValues(_Values):
    enabled: bool
    default_service_account: str = Field(alias="defaultServiceAccount")


class PullSecretValues(_Values):
    name: str


class FluxChartValues(_Values):
    install_crds: bool = Field(alias="installCRDs")
    crds: CrdsValues
    cli: JobValues | None = None
    source_controller: ControllerValues | None = Field(None, alias="sourceController")
    kustomize_controller: ControllerValues | None = Field(None, alias="kustomizeController")
    helm_controller: ControllerValues | None = Field(None, alias="helmController")
    notification_controller: ControllerValues | None = Field(None, alias="notificationController")
    image_automation_controller: ControllerValues = Field(alias="imageAutomationController")
    image_reflection_controller: ControllerValues = Field(alias="imageReflectionController")
    source_watcher: ControllerValues | None = Field(None, alias="sourceWatcher")
    multitenancy: MultitenancyValues | None = None
    image_pull_secrets: list[PullSecretValues] | None = Field(None, alias="imagePullSecrets")

    def as_helm_values(self) -> dict[str, Any]:
        # Only what we set: an unset field leaves the chart's default (no diff for existing stacks).
        return self.model_dump(by_alias=True, exclude_none=True)


def chart_values() -> FluxChartValues:
    """The values every release gets, whatever the tuning: CRDs installed and kept, and the
    controllers `flux bootstrap` installs."""
    return FluxChartValues(
        install_crds=True,
        # CRDs live in the chart's templates: without this, an uninstall deletes them and with
        # them every Flux object in the cluster.
        crds=CrdsValues(annotations={KEEP_ANNOTATION: "keep"}),
        # `flux bootstrap` installs only source, kustomize, helm and notification controllers.
        image_automation_controller=ControllerValues(create=False),
        image_reflection_controller=ControllerValues(create=False),
    )


# Values the program relies on for safety: `helmValues` may not set them (nor null a parent).
PROTECTED: dict[tuple[str, ...], str] = {
    ("installCRDs",): "the CRDs come from the chart; without them no Flux object can exist",
    ("crds", "annotations", KEEP_ANNOTATION): "it keeps the CRDs, and every Flux object, when the release is uninstalled",
    ("crds", "migration", "enabled"): "the CRD migration hook runs `flux migrate` before an upgrade, which a Flux minor upgrade needs",
    ("sourceController", "create"): "the GitRepository this program creates needs source-controller",
    ("kustomizeController", "create"): "the Kustomization this program creates needs kustomize-controller",
}
# Values a stack setting owns (and validates): `helmValues` must use the setting instead.
OWNED: dict[tuple[str, ...], str] = {
    ("imageAutomationController", "create"): "imageAutomation",
    ("imageReflectionController", "create"): "imageAutomation",
    ("sourceWatcher", "create"): "sourceWatcher",
    ("multitenancy", "enabled"): "multitenancy",
    ("multitenancy", "defaultServiceAccount"): "tenantServiceAccount",
    ("imagePullSecrets",): "imagePullSecrets",
}


@dataclass(frozen=True)
class ChartSwitch:
    """Marks a boolean stack setting that is one chart value (`Annotated[StackBool, ChartSwitch(
    "policies.create")]` on its field): the release gets the setting's value there whenever it is
    not the setting's default (a stack that leaves it alone gets no diff). Such a setting needs no
    builder and no entry in OWNED or SETTING_PATHS."""

    path: str  # dotted, as in the chart's values.yaml
    # True: `helmValues` may never set the path (as OWNED). False: it may while the setting is at
    # its default (as SETTING_PATHS), so stacks that set the value there before the setting
    # existed keep working.
    owned: bool = True

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.path.split("."))


def switches(model: type[BaseModel]) -> dict[str, tuple[ChartSwitch, FieldInfo]]:
    """The fields of `model` marked with a ChartSwitch, by field name."""
    return {name: (marker, field) for name, field in model.model_fields.items()
            for marker in field.metadata if isinstance(marker, ChartSwitch)}


def switch_values(settings: BaseModel) -> dict[str, Any]:
    """The chart values the switches of `settings` write: those not at their default."""
    values: dict[str, Any] = {}
    for name, (marker, field) in switches(type(settings)).items():
        value = getattr(settings, name)
        if value != field.default:
            values = deep_merge(values, _nested(marker.keys, value))
    return values


def switch_paths(model: type[BaseModel], values: dict[str, Any]) -> tuple[dict[tuple[str, ...], str],
                                                                         dict[tuple[str, ...], tuple[str, ...]]]:
    """For the override policy, by key path: the owned switches' settings (as OWNED), and the
    settings of the other switches that `values` (by field name) set off their default (as
    setting_paths)."""
    owned, written = {}, {}
    for name, (marker, field) in switches(model).items():
        setting = field.alias or name
        if marker.owned:
            owned[marker.keys] = setting
        elif values.get(name, field.default) != field.default:
            written[marker.keys] = (setting,)
    return owned, written


# Values a dedicated stack setting writes when it is set: `helmValues` may write them only while
# that setting is unset (else it would silently replace what the setting wrote, lists included).
# "*" stands for every controller's key.
_EVERY_POD = (("*",), ("cli",), ("crds", "migration"))
SETTING_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "tolerations": tuple(pod + ("tolerations",) for pod in _EVERY_POD),
    "tolerateControlPlane": tuple(pod + ("tolerations",) for pod in _EVERY_POD),
    "nodeSelector": tuple(pod + ("nodeSelector",) for pod in _EVERY_POD),
    "priorityClassName": (("*", "priorityClassName"),),
    "registry": (("*", "image"), ("cli", "image")),
    "size": (("*", "resources"), ("*", "container", "additionalArgs")),
    "resources": (("*", "resources"),),
}


def setting_paths(settings: Iterable[str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Key path -> the given stack settings (in SETTING_PATHS order) that write it."""
    chosen = set(settings)
    owners: dict[tuple[str, ...], tuple[str, ...]] = {}
    for setting, templates in SETTING_PATHS.items():
        if setting not in chosen:
            continue
        for template in templates:
            for key in (CONTROLLERS.values() if template[0] == "*" else (template[0],)):
                path = (key, *template[1:])
                owners[path] = owners.get(path, ()) + (setting,)
    return owners


# Kubernetes metadata maps: any key, even where values.yaml gives some (prometheus.io/scrape).
FREE_FORM_KEYS = frozenset({"annotations", "labels"})


def dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _same_kind(default: Any, value: Any) -> bool:
    return default is None or _kind(default) == _kind(value)


# Values the chart's templates read that its values.yaml only shows in a comment, with the type
# they take (tests/test_webhook.py checks that a template reads each).
COMMENTED_VALUES: dict[tuple[str, ...], Any] = {
    ("notificationController", "webhookReceiver", "ingress", "ingressClassName"): "",
}


def _with_commented(defaults: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for path, default in COMMENTED_VALUES.items():
        merged = deep_merge(merged, _nested(path, default))
    return merged


def _nested(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    for key in reversed(path):
        value = {key: value}
    return value


def value_problems(values: dict[str, Any], defaults: dict[str, Any]) -> list[tuple[str, str]]:
    """(dotted key path, message) for every value that is not in the chart's values.yaml
    (`defaults`), has another type there, or is null where values.yaml has a value (Helm deletes a
    key set to null, and the templates read the chart's default). Below an empty map of values.yaml
    (`nodeSelector: {}`) and below annotations and labels (which values.yaml may pre-fill) any key
    is accepted: those maps are free-form. Keys values.yaml only shows in a comment count as
    present (COMMENTED_VALUES). Never echoes a value."""
    return list(_walk(values, _with_commented(defaults), ()))


def _walk(values: dict[str, Any], defaults: dict[str, Any], path: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    for key, value in values.items():
        here = path + (str(key),)
        if key not in defaults:
            yield dotted(here), ("is not a value of the flux2 chart (not in its values.yaml), so Helm would ignore it. "
                                 "Check the spelling against the chart's values.yaml.")
            continue
        default = defaults[key]
        if value is None and default is not None:
            yield dotted(here), ("must not be null: Helm would delete the chart's default here, which the chart's "
                                 "templates need. Remove the key to keep the default, or give a value of the same type.")
        elif not _same_kind(default, value):
            yield dotted(here), f"must be {_kind(default)}, as in the chart's values.yaml."
        elif isinstance(default, dict) and default and isinstance(value, dict) and key not in FREE_FORM_KEYS:
            yield from _walk(value, default, here)


def override_problems(
    overrides: dict[str, Any], defaults: dict[str, Any], settings: Iterable[str] = (),
    switched: tuple[dict[tuple[str, ...], str], dict[tuple[str, ...], tuple[str, ...]]] = ({}, {}),
) -> list[tuple[str, str]]:
    """(dotted key path, message) for each problem of the stack's `helmValues`: a value the
    program protects or a setting owns (OWNED, and the owned ChartSwitch paths), a value one of the
    stack settings that are set (`settings`, by name; and the set ChartSwitch settings of
    `switched`, see switch_paths) writes, then every value problem against the chart's values.yaml."""
    owned = {**OWNED, **switched[0]}
    written = {**setting_paths(settings), **switched[1]}
    found: dict[str, str] = {}
    for path in (*PROTECTED, *owned, *written):
        if path in PROTECTED:
            why, refusal = f"because {PROTECTED[path]}", f"cannot be overridden: {PROTECTED[path]}."
        elif path in owned:
            why, refusal = f"through the stack setting {owned[path]}", f"is set by the stack setting {owned[path]}; use that setting instead."
        else:
            names, several = " and ".join(written[path]), len(written[path]) > 1
            why = f"through the stack setting{'s' * several} {names}"
            refusal = (f"is set by the stack setting{'s' * several} {names}, which this would replace; change it "
                       f"through {names} instead (helmValues may set it only while {names} {'are' if several else 'is'} "
                       "not set).")
        node: Any = overrides
        for depth, key in enumerate(path):
            if not isinstance(node, dict) or key not in node:
                break
            if depth == len(path) - 1:
                found.setdefault(dotted(path), refusal)
            elif node[key] is None:  # null removes the whole map from the chart's values
                found.setdefault(dotted(path[: depth + 1]), f"must not be null: that would remove {dotted(path)}, "
                                                            f"which the program sets {why}.")
                break
            node = node[key]
    problems = list(found.items()) + [(path, message) for path, message in value_problems(overrides, defaults) if path not in found]
    return problems + [(path, message) for path, message in template_problems(overrides) if path not in found]


# Go template actions: the chart passes some values (extraObjects) through Helm's `tpl`, which would
# run them at install time, loops included ({{ range until 100000000 }}).
TEMPLATE_ACTION = "{{"
_TEMPLATE_MESSAGE = ("holds Helm template syntax ({{ ... }}), which the chart would run at install time; "
                     "helmValues takes literal values only. Write the value out without {{ }}.")


def template_problems(values: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(dotted key path, message) for every key or string value holding a template action. Never
    echoes the value; a key holding one is named by its parent's path."""
    items = values.items() if isinstance(values, dict) else enumerate(values) if isinstance(values, list) else ()
    for key, value in items:
        if isinstance(key, str) and TEMPLATE_ACTION in key:
            yield dotted(path) or "(top level)", "has a key that " + _TEMPLATE_MESSAGE
            continue
        here = path + (str(key),)
        if isinstance(value, str) and TEMPLATE_ACTION in value:
            yield dotted(here), _TEMPLATE_MESSAGE
        else:
            yield from template_problems(value, here)


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` merged into a copy of `base` as Helm merges values: maps key by key, anything else replaced."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class HelmReleaseSpec:
    """The release, and where Helm takes the chart from: a carried archive (`chart` is its path
    relative to the project, `repository` None) or the chart repository (`chart` is the name)."""

    name: str
    chart: str
    repository: str | None
    version: str
    namespace: str
    values: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        source = {"chart": self.chart} if self.repository is None else {"chart": self.chart, "repository": self.repository}
        return {"name": self.name, **source, "version": self.version, "namespace": self.namespace, "values": self.values}
