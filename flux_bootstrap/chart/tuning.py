"""Tuning + chart version -> the Helm values the release gets (pure: no Pulumi).

Only what a setting changes is sent, so a stack that sets nothing gets the values it always got
(plus the CRD migration hook, see `migration_hook`). `helmValues` is merged last, over ours; the
settings already refused any of its paths that is protected, written by a stack setting that is
set (chart.values.SETTING_PATHS), null over a chart default, or not in the chart's values.yaml.
"""

from __future__ import annotations

from typing import Any

from .. import chart
from .values import (
    CONTROLLERS,
    FluxChartValues,
    ContainerValues,
    ControllerValues,
    CrdsValues,
    JobValues,
    MultitenancyValues,
    PullSecretValues,
    ResourceValues,
    TolerationValues,
    chart_values as base_values,
    deep_merge,
    switch_values,
)
from ..settings.tuning_settings import TuningSettings
from .presets import SIZES, additional_args

# Fields of FluxChartValues, by the chart's controller key.
_FIELDS = {
    "sourceController": "source_controller",
    "kustomizeController": "kustomize_controller",
    "helmController": "helm_controller",
    "notificationController": "notification_controller",
    "imageReflectionController": "image_reflection_controller",
    "imageAutomationController": "image_automation_controller",
    "sourceWatcher": "source_watcher",
}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-")[0].split("+")[0].split("."))


def migration_hook(version: str) -> bool:
    """Whether chart `version` has the pre-upgrade hook that runs `flux migrate` (crds.migration).

    Known versions say so in the table; a version newer than every known one is taken to keep the
    hook (a chart ignores a value it does not have, so this is harmless if not)."""
    known = chart.KNOWN_VERSIONS.get(version)
    if known is not None:
        return known.migration_hook
    newest_with_hook = max((v for v, k in chart.KNOWN_VERSIONS.items() if k.migration_hook), key=_version_key)
    return _version_key(version) > _version_key(newest_with_hook)


def _image_names(version: str) -> dict[str, str]:
    """Chart key -> image name (the last part of the chart's image reference), e.g. source-controller."""
    defaults = chart.default_values(chart.schema_version(version))
    keys = [*CONTROLLERS.values(), "cli"]
    return {key: str(defaults[key]["image"]).rsplit("/", 1)[-1] for key in keys}


def typed_values(tuning: TuningSettings, version: str) -> FluxChartValues:
    """Our values for chart `version`, typed (a misspelled value fails here, not silently in Helm)."""
    base = base_values()
    tolerations = [TolerationValues(**t.as_chart_value()) for t in tuning.tolerations] or None
    node_selector = dict(tuning.node_selector) or None
    images = _image_names(version) if tuning.registry else {}

    def image(key: str) -> str | None:
        return f"{tuning.registry}/{images[key]}" if tuning.registry else None

    controllers: dict[str, ControllerValues] = {}
    for name, key in CONTROLLERS.items():
        installed = name in tuning.controllers
        current = getattr(base, _FIELDS[key])
        if not installed:
            if current is not None:
                controllers[_FIELDS[key]] = current  # the chart's default is on: keep it off
            continue
        resources = SIZES[tuning.size].resources() if tuning.size else {}
        if name in tuning.resources:
            resources = deep_merge(resources, tuning.resources[name].as_chart_value())
        args = additional_args(tuning.size, name)
        create = True if current is not None or key == "sourceWatcher" else None
        controllers[_FIELDS[key]] = ControllerValues(
            create=create,
            image=image(key),
            resources=ResourceValues(**resources) if resources else None,
            container=ContainerValues(additional_args=args) if args else None,
            priority_class_name=tuning.priority_class_name,
            node_selector=node_selector,
            tolerations=tolerations,
        )
    for field in _FIELDS.values():  # an empty block changes nothing: leave the chart's default
        if field in controllers and controllers[field] == ControllerValues():
            del controllers[field]

    cli = JobValues(image=image("cli"), node_selector=node_selector, tolerations=tolerations)
    migration = (
        JobValues(enabled=True, node_selector=node_selector, tolerations=tolerations) if migration_hook(version) else None
    )
    return FluxChartValues(
        install_crds=base.install_crds,
        crds=CrdsValues(annotations=dict(base.crds.annotations), migration=migration),
        cli=cli if cli != JobValues() else None,
        **controllers,
        multitenancy=(
            MultitenancyValues(enabled=True, default_service_account=tuning.tenant_service_account or "default")
            if tuning.multitenancy else None
        ),
        image_pull_secrets=[PullSecretValues(name=name) for name in tuning.image_pull_secrets] or None,
    )


def chart_values(tuning: TuningSettings, version: str) -> dict[str, Any]:
    """The Helm values of the release: ours (the typed values and the settings' switches), then
    the stack's helmValues merged over them."""
    ours = deep_merge(typed_values(tuning, version).as_helm_values(), switch_values(tuning))
    return deep_merge(ours, tuning.helm_values)
