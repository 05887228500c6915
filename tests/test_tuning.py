"""Tuning + chart version -> the Helm values (pure): exactly what each setting sends, nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from helpers import ROOT, leaf_paths

from flux_bootstrap import chart
from flux_bootstrap.chart import tuning
from flux_bootstrap.chart.values import (
    CONTROLLERS,
    SETTING_PATHS,
    FluxChartValues,
    chart_values as base_values,
    deep_merge,
    setting_paths,
    switches,
    value_problems,
)
from flux_bootstrap.settings import DEFAULT_CHART_VERSION
from flux_bootstrap.kube_values import CONTROL_PLANE_TOLERATION, ResourceRequirements, Toleration
from flux_bootstrap.settings.tuning_settings import TuningSettings
from flux_bootstrap.chart.presets import REQUEUE_DEPENDENCY_FLAG, SIZES
from flux_bootstrap.validation import validate_helm_values

V = DEFAULT_CHART_VERSION
BASE = base_values().as_helm_values()
CORE = ("sourceController", "kustomizeController", "helmController", "notificationController")
EVERYTHING = TuningSettings(
    image_automation=True, source_watcher=True,
    tolerations=(Toleration(key="dedicated", operator="Equal", value="flux", effect="NoExecute", tolerationSeconds=30),
                 CONTROL_PLANE_TOLERATION),
    node_selector={"kubernetes.io/os": "linux"}, priority_class_name="flux-critical", size="large",
    resources={"helm-controller": ResourceRequirements.model_validate({"limits": {"memory": "3Gi"}})},
    network_policy=False, multitenancy=True, tenant_service_account="tenant",
    registry="mirror.example.com/fluxcd", image_pull_secrets=("regcred",),
)


def values(**settings) -> dict:
    return tuning.chart_values(TuningSettings(**settings), V)


def without_migration(result: dict) -> dict:
    out = dict(result)
    out["crds"] = {k: v for k, v in result["crds"].items() if k != "migration"}
    return out


def test_no_tuning_is_todays_values_plus_the_migration_hook():
    result = values()
    assert without_migration(result) == BASE
    assert result["crds"]["migration"] == {"enabled": True}


def test_a_chart_without_the_hook_gets_exactly_todays_values():
    assert tuning.chart_values(TuningSettings(), "2.17.2") == BASE


@pytest.mark.parametrize(
    "version,hook",
    [("2.18.3", True), ("2.18.2", False), ("2.17.0", False), ("2.18.4", True), ("3.0.0", True), ("2.16.0", False)],
)
def test_the_migration_hook_is_on_where_the_chart_has_it(version, hook):
    assert tuning.migration_hook(version) is hook
    assert ("migration" in tuning.chart_values(TuningSettings(), version)["crds"]) is hook


def test_the_table_names_the_hook_of_the_carried_chart():
    assert chart.KNOWN_VERSIONS[V].migration_hook
    assert "migration" in chart.default_values(V)["crds"]


def test_image_automation_turns_both_image_controllers_on():
    result = values(image_automation=True)
    assert result["imageAutomationController"] == result["imageReflectionController"] == {"create": True}
    assert without_migration(values(image_automation=False)) == BASE


def test_source_watcher():
    assert values(source_watcher=True)["sourceWatcher"] == {"create": True}
    assert "sourceWatcher" not in values()


def test_scheduling_reaches_every_installed_controller_and_both_jobs():
    result = values(image_automation=True, tolerations=(CONTROL_PLANE_TOLERATION,), node_selector={"disk": "ssd"},
                    priority_class_name="high")
    toleration = [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]
    for key in (*CORE, "imageAutomationController", "imageReflectionController"):
        assert result[key]["tolerations"] == toleration, key
        assert result[key]["nodeSelector"] == {"disk": "ssd"}, key
        assert result[key]["priorityClassName"] == "high", key
    for job in (result["cli"], result["crds"]["migration"]):
        assert job["tolerations"] == toleration and job["nodeSelector"] == {"disk": "ssd"}
        assert "priorityClassName" not in job  # the chart has no such value for its jobs
    assert "sourceWatcher" not in result  # not installed: nothing to schedule


@pytest.mark.parametrize("size", sorted(SIZES))
def test_each_size_sets_resources_and_concurrency(size):
    preset = SIZES[size]
    result = values(size=size, source_watcher=True, image_automation=True)
    for name, key in CONTROLLERS.items():
        assert result[key]["resources"] == {"requests": preset.requests, "limits": preset.limits}, key
        args = result[key]["container"]["additionalArgs"]
        assert args[0] == f"--concurrent={preset.concurrent}"
        expected = 2 if preset.requeue_dependency and name in REQUEUE_DEPENDENCY_FLAG else 1
        assert len(args) == expected, key


def test_presets_grow_and_keep_requests_within_limits():
    from flux_bootstrap.kube_values import quantity_value as q

    small, medium, large = SIZES["small"], SIZES["medium"], SIZES["large"]
    for resource in ("cpu", "memory"):
        assert q(small.limits[resource]) < q(medium.limits[resource]) < q(large.limits[resource])
        for preset in (small, medium, large):
            assert q(preset.requests[resource]) <= q(preset.limits[resource])
    assert small.concurrent < medium.concurrent < large.concurrent


def test_resources_merge_over_the_preset_key_by_key():
    merged = values(size="small", resources={"helm-controller": ResourceRequirements.model_validate({"limits": {"memory": "1Gi"}})})
    assert merged["helmController"]["resources"] == {"requests": SIZES["small"].requests,
                                                     "limits": {"cpu": "500m", "memory": "1Gi"}}
    assert merged["sourceController"]["resources"] == SIZES["small"].resources()
    alone = values(resources={"helm-controller": ResourceRequirements.model_validate({"limits": {"memory": "1Gi"}})})
    assert alone["helmController"] == {"resources": {"limits": {"memory": "1Gi"}}}
    assert "sourceController" not in alone  # no size: the chart's defaults everywhere else


def test_network_policy_off_and_multitenancy():
    assert values(network_policy=False)["policies"] == {"create": False}
    assert "policies" not in values()
    assert values(multitenancy=True, tenant_service_account="runner")["multitenancy"] == {
        "enabled": True, "defaultServiceAccount": "runner"
    }
    assert "multitenancy" not in values()


SWITCHES = switches(TuningSettings)


def test_every_switch_is_a_boolean_setting_and_a_boolean_value_of_the_chart():
    assert "network_policy" in SWITCHES
    defaults = chart.default_values(V)
    for name, (marker, field) in SWITCHES.items():
        node = defaults
        for key in marker.keys:
            assert isinstance(node, dict) and key in node, (name, marker.path)
            node = node[key]
        assert isinstance(node, bool) and isinstance(field.default, bool), name
        assert node == field.default, name  # left alone, the setting is what the chart does
        assert TuningSettings(**{name: "true"}).model_dump()[name] is True  # a stack setting's text


@pytest.mark.parametrize("name", sorted(SWITCHES))
def test_a_switch_writes_its_value_only_when_not_at_its_default(name):
    marker, field = SWITCHES[name]
    untouched = dict(leaf_paths(values()))
    assert values(**{name: field.default}) == values()  # set to its default: no diff for the stack
    flipped = values(**{name: not field.default})
    changed = [(path, value) for path, value in leaf_paths(flipped) if untouched.get(path) != value]
    assert changed == [(marker.keys, not field.default)]


def test_registry_rewrites_every_image_and_keeps_the_charts_tags():
    result = values(registry="mirror.example.com:5000/fluxcd", image_automation=True, source_watcher=True)
    defaults = chart.default_values(V)
    for key in (*CONTROLLERS.values(), "cli"):
        name = defaults[key]["image"].rsplit("/", 1)[-1]
        assert result[key]["image"] == f"mirror.example.com:5000/fluxcd/{name}", key
        assert "tag" not in result[key]
    assert result["cli"]["image"] == "mirror.example.com:5000/fluxcd/flux-cli"


def test_pull_secrets_in_the_charts_form():
    assert values(image_pull_secrets=("a", "b"))["imagePullSecrets"] == [{"name": "a"}, {"name": "b"}]
    assert "imagePullSecrets" not in values()


def test_helm_values_are_merged_last_over_ours():
    result = values(size="small", helm_values={"logLevel": "debug", "helmController": {"resources": {"limits": {"cpu": "2"}}}})
    assert result["logLevel"] == "debug"
    assert result["helmController"]["resources"]["limits"] == {"cpu": "2", "memory": "512Mi"}
    assert result["crds"]["annotations"] == {"helm.sh/resource-policy": "keep"}


def test_deep_merge_replaces_lists_and_scalars_and_merges_maps():
    assert deep_merge({"a": {"b": 1, "c": [1]}, "d": 1}, {"a": {"c": [2], "e": None}, "d": {"x": 1}}) == {
        "a": {"b": 1, "c": [2], "e": None}, "d": {"x": 1}
    }


def test_every_value_we_can_set_is_a_value_of_the_chart_with_its_type():
    # Everything on: every key path our typed model can emit is checked against values.yaml.
    result = tuning.typed_values(EVERYTHING, V).as_helm_values()
    assert value_problems(result, chart.default_values(V)) == []
    assert validate_helm_values(result) == []
    emitted = {key for key in result}
    assert emitted == {f.alias or n for n, f in FluxChartValues.model_fields.items()}


def test_a_typo_in_our_values_is_caught():
    result = tuning.chart_values(EVERYTHING, V)
    result["helmController"]["nodeSelectors"] = {"a": "b"}
    result["imageReflectorController"] = {"create": False}
    result["policies"]["create"] = "false"
    assert validate_helm_values(result) == [
        "Helm values: helmController.nodeSelectors: is not a value of the flux2 chart (not in its values.yaml), so "
        "Helm would ignore it. Check the spelling against the chart's values.yaml.",
        "Helm values: policies.create: must be true or false, as in the chart's values.yaml.",
        "Helm values: imageReflectorController: is not a value of the flux2 chart (not in its values.yaml), so "
        "Helm would ignore it. Check the spelling against the chart's values.yaml.",
    ]
    with pytest.raises(ValueError):
        FluxChartValues.model_validate({**BASE, "imageReflectorController": {}})


def test_values_are_the_same_in_every_process():
    # Two processes with different hash seeds build the values from the same settings: no set or
    # hash order may reach them (key and list order included), or each `pulumi up` would diff.
    script = (
        "import json, sys\n"
        "from flux_bootstrap.chart import tuning\n"
        "from flux_bootstrap.settings.tuning_settings import TuningSettings\n"
        "settings = TuningSettings.model_validate_json(sys.stdin.read())\n"
        f"print(json.dumps(tuning.chart_values(settings, {V!r})))\n"
    )

    def build(seed: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script], input=EVERYTHING.model_dump_json(), capture_output=True, text=True,
            cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed}, check=True,
        )
        return done.stdout

    first = build("1")
    assert json.loads(first) == tuning.chart_values(EVERYTHING, V)
    assert build("2") == first


# One way to set each setting of SETTING_PATHS (tolerateControlPlane arrives as a toleration).
ONE_SETTING = {
    "tolerations": {"tolerations": (Toleration(key="dedicated", operator="Exists"),)},
    "tolerateControlPlane": {"tolerations": (CONTROL_PLANE_TOLERATION,)},
    "nodeSelector": {"node_selector": {"disktype": "ssd"}},
    "priorityClassName": {"priority_class_name": "flux-critical"},
    "registry": {"registry": "mirror.example.com/fluxcd"},
    "size": {"size": "large"},
    "resources": {"resources": {name: ResourceRequirements.model_validate({"limits": {"memory": "3Gi"}})
                                for name in CONTROLLERS}},
}


@pytest.mark.parametrize("setting", sorted(ONE_SETTING))
def test_the_table_of_setting_paths_covers_every_value_the_setting_writes(setting):
    # Whatever a setting changes in the values, helmValues must not be able to replace silently.
    assert set(ONE_SETTING) == set(SETTING_PATHS)
    every = {"image_automation": True, "source_watcher": True}
    before = dict(leaf_paths(values(**every)))
    changed = [path for path, value in leaf_paths(values(**every, **ONE_SETTING[setting])) if before.get(path) != value]
    assert changed
    owned = setting_paths([setting])
    for path in changed:
        assert any(path[: len(prefix)] == prefix for prefix in owned), path
