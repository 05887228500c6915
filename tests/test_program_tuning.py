"""Tuning under Pulumi mocks: structured settings arrive as JSON text, as the Pulumi CLI passes a
stack file's YAML lists and objects, and reach the Release's values; refused ones register nothing."""

from __future__ import annotations

import json

import pulumi
import pytest

from harness import COMPONENT, KUSTOMIZATION, RELEASE, Run, run_program
from flux_bootstrap.validation import validate_helm_values, validate_object

CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
TOLERATION = {"key": "dedicated", "operator": "Equal", "value": "flux", "effect": "NoSchedule"}


def release_values(run: Run) -> dict:
    return run.one(RELEASE).inputs["values"]


def test_structured_settings_reach_the_release(config_dir):
    run = run_program({
        "configDir": str(config_dir),
        "tolerations": json.dumps([TOLERATION]),
        "tolerateControlPlane": "true",
        "nodeSelector": json.dumps({"kubernetes.io/arch": "arm64"}),
        "resources": json.dumps({"helm-controller": {"limits": {"memory": "1Gi"}}}),
        "imagePullSecrets": json.dumps(["regcred"]),
        "helmValues": json.dumps({"logLevel": "debug"}),
        "registry": "mirror.example.com/fluxcd",
        "size": "small",
    })
    values = release_values(run)
    assert values["sourceController"]["tolerations"] == [TOLERATION, CONTROL_PLANE]
    assert values["cli"]["tolerations"] == values["crds"]["migration"]["tolerations"] == [TOLERATION, CONTROL_PLANE]
    assert values["kustomizeController"]["nodeSelector"] == {"kubernetes.io/arch": "arm64"}
    assert values["helmController"]["resources"] == {"requests": {"cpu": "50m", "memory": "64Mi"},
                                                    "limits": {"cpu": "500m", "memory": "1Gi"}}
    assert values["imagePullSecrets"] == [{"name": "regcred"}]
    assert values["logLevel"] == "debug"
    assert values["cli"]["image"] == "mirror.example.com/fluxcd/flux-cli"
    assert values["crds"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    assert validate_helm_values(values) == []


def test_the_declared_defaults_give_todays_release(config_dir):
    # Pulumi.yaml's defaults (imagePullSecrets: [] arrives as the JSON text "[]") change nothing.
    values = release_values(run_program({"configDir": str(config_dir)}))
    assert values == {
        "installCRDs": True,
        "crds": {"annotations": {"helm.sh/resource-policy": "keep"}, "migration": {"enabled": True}},
        "imageAutomationController": {"create": False},
        "imageReflectionController": {"create": False},
    }


def test_image_automation_with_write_access(config_dir):
    run = run_program({"configDir": str(config_dir), "imageAutomation": "true", "readWriteKey": "true"})
    values = release_values(run)
    assert values["imageAutomationController"] == values["imageReflectionController"] == {"create": True}
    assert run.one("github:index/repositoryDeployKey:RepositoryDeployKey").inputs["readOnly"] is False


def test_multitenancy_gives_our_kustomization_an_account(config_dir):
    run = run_program({"configDir": str(config_dir), "multitenancy": "true", "networkPolicy": "false"})
    assert release_values(run)["multitenancy"] == {"enabled": True, "defaultServiceAccount": "default"}
    assert release_values(run)["policies"] == {"create": False}
    kustomization = run.one(KUSTOMIZATION).inputs
    assert kustomization["spec"]["serviceAccountName"] == "kustomize-controller"
    assert validate_object(kustomization) == []


@pytest.mark.parametrize(
    "settings,fragment",
    [
        ({"tolerations": "node-role.kubernetes.io/control-plane"}, "setting 'flux-bootstrap:tolerations': must be a list of tolerations"),
        ({"tolerations": "[{\"key\": \"a\","}, "setting 'flux-bootstrap:tolerations': must be a list of tolerations"),
        ({"helmValues": "{" * 5000 + "}" * 5000}, "setting 'flux-bootstrap:helmValues': must be an object of chart values"),
        ({"helmValues": "true"}, "setting 'flux-bootstrap:helmValues': must be an object of chart values"),
        ({"nodeSelector": json.dumps({"disk": "s s d"})}, "setting 'flux-bootstrap:nodeSelector.disk': is not a valid label value"),
        ({"tolerations": json.dumps([{"key": "a", "operator": "Exists", "effect": "NoSchedul"}])}, "setting 'flux-bootstrap:tolerations.0.effect'"),
        ({"imageAutomation": "true"}, "setting 'flux-bootstrap:imageAutomation': needs readWriteKey"),
        ({"helmValues": json.dumps({"installCRDs": False})}, "setting 'flux-bootstrap:helmValues.installCRDs': cannot be overridden"),
        ({"resources": json.dumps({"helm-controller": {"limits": {"memory": "32Mi"}}})}, "'flux-bootstrap:resources.helm-controller.limits.memory': is below"),
        ({"helmValues": json.dumps({"helmController": None})}, "setting 'flux-bootstrap:helmValues.helmController': must not be null"),
        ({"helmValues": json.dumps({"rbac": None})}, "setting 'flux-bootstrap:helmValues.rbac': must not be null"),
        ({"size": "large", "helmValues": json.dumps({"kustomizeController": {"container": {"additionalArgs": ["--x"]}}})},
         "setting 'flux-bootstrap:helmValues.kustomizeController.container.additionalArgs': is set by the stack setting size"),
    ],
)
def test_refused_tuning_registers_nothing(config_dir, capsys, settings, fragment):
    run = Run()
    with pytest.raises(pulumi.RunError) as err:
        run_program({"configDir": str(config_dir), **settings}, run=run)
    message = str(err.value)
    assert message.startswith("1 configuration problem;") and fragment in message, message
    assert run.registrations == [] and run.invokes == []
    stderr = capsys.readouterr().err
    for value in settings.values():  # our words only: neither the text nor Pulumi's quote of it
        if len(value) > len("true"):
            assert value not in message and value not in stderr


def test_a_structured_setting_stored_as_a_secret_is_refused(config_dir):
    run = Run()
    with pytest.raises(pulumi.RunError, match="setting 'flux-bootstrap:helmValues': is stored as a secret"):
        run_program({"configDir": str(config_dir)}, secrets={"helmValues": json.dumps({"logLevel": "debug"})}, run=run)
    assert run.registrations == []


def test_helm_values_helm_cannot_render_stop_the_run_before_anything_is_created(config_dir, capsys):
    mark = "zq9marker"
    run = Run()
    with pytest.raises(pulumi.RunError) as err:
        run_program({"configDir": str(config_dir),
                     "helmValues": json.dumps({"extraObjects": [mark + ": ["]})}, run=run)
    message = str(err.value)
    assert message.startswith("1 configuration problem;"), message
    assert ("setting 'flux-bootstrap:helmValues': makes Helm fail to render the flux2 chart 2.18.3 "
            "(its template flux2/templates/extra-manifests.yaml holds a document that is not a Kubernetes object)") in message, message
    assert run.registrations == [] and run.invokes == []  # refused with the plan, before the component
    assert mark not in message and mark not in capsys.readouterr().err


def test_helm_values_that_render_reach_the_release(config_dir):
    extra = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "team"}}]
    values = release_values(run_program({"configDir": str(config_dir), "helmValues": json.dumps({"extraObjects": extra})}))
    assert values["extraObjects"] == extra
