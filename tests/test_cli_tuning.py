"""`check` and `render` on stack files whose tuning settings are YAML objects and lists."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from helpers import ROOT
from flux_bootstrap.cli import main
from helpers import run_cli

STACK = """\
config:
  flux-bootstrap:tolerateControlPlane: true
  flux-bootstrap:size: small
  flux-bootstrap:registry: mirror.example.com:5000/fluxcd
  flux-bootstrap:imagePullSecrets:
    - regcred
  flux-bootstrap:tolerations:
    - key: dedicated
      operator: Equal
      value: flux
      effect: NoExecute
      tolerationSeconds: 60
  flux-bootstrap:nodeSelector:
    kubernetes.io/arch: arm64
  flux-bootstrap:resources:
    helm-controller:
      limits:
        memory: 1Gi
  flux-bootstrap:helmValues:
    logLevel: debug
  kubernetes:context: kind-dev
"""


@pytest.fixture
def project(tmp_path: Path, config_dir: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (config_dir / "flux.yaml").write_text("repo: https://github.com/acme/fleet\nbranch: main\n")
    (config_dir / "secrets-flux.yaml").chmod(0o600)
    (tmp_path / "Pulumi.dev.yaml").write_text(STACK)
    return tmp_path


def test_check_accepts_yaml_objects_and_lists(project, capsys):
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert (code, err) == (0, ""), err
    assert out.startswith("ok: stack dev:")


def test_render_shows_the_tuned_release(project, capsys):
    code, out, err = run_cli(project, "render", "--stack", "dev", "--values", capsys=capsys)
    assert (code, err) == (0, "")
    values = yaml.safe_load(out)["helmRelease"]["values"]
    toleration = {"key": "dedicated", "operator": "Equal", "value": "flux", "effect": "NoExecute", "tolerationSeconds": 60}
    control_plane = {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
    assert values["kustomizeController"]["tolerations"] == [toleration, control_plane]
    assert values["helmController"]["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}
    assert values["imagePullSecrets"] == [{"name": "regcred"}] and values["logLevel"] == "debug"


def test_render_chart_shows_the_objects_of_the_tuned_release(project, capsys):
    code, out, err = run_cli(project, "render", "--stack", "dev", "--chart", capsys=capsys)
    assert (code, err) == (0, "")
    assert "all valid against the Kubernetes 1.33 schemas (strict)" in out
    documents = list(yaml.load_all(out, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    pods = [d["spec"]["template"]["spec"] for d in documents if d and d.get("kind") in ("Deployment", "Job")]
    assert len(pods) == 6  # four controllers, the pre-install check, the pre-upgrade migration
    for spec in pods:
        assert spec["nodeSelector"] == {"kubernetes.io/arch": "arm64"}
        assert spec["imagePullSecrets"] == [{"name": "regcred"}]
        assert all(c["image"].startswith("mirror.example.com:5000/fluxcd/") for c in spec["containers"])


@pytest.mark.parametrize("output", [(), ("-o", "json")])
def test_render_chart_with_helm_values_renders_the_chart_once(project, capsys, monkeypatch, output):
    # The stack sets helmValues: the bounded child's render is both the check and the output.
    from flux_bootstrap import chart

    calls = {"bounded": 0, "here": 0}
    bounded, here = chart.render_bounded, chart.render

    def count(name, render):
        def counted(*args, **kwargs):
            calls[name] += 1
            return render(*args, **kwargs)
        return counted

    monkeypatch.setattr(chart, "render_bounded", count("bounded", bounded))
    monkeypatch.setattr(chart, "render", count("here", here))
    code, out, err = run_cli(project, "render", "--stack", "dev", "--chart", *output, capsys=capsys)
    assert (code, err) == (0, "") and "flux2-flux-migrate" in out
    assert calls == {"bounded": 1, "here": 0}


@pytest.mark.parametrize(
    "edit,expected",
    [
        (("      effect: NoExecute\n", "      effect: NoExec9\n"),
         "line 7, setting 'flux-bootstrap:tolerations.0.effect': must be one of"),
        (("        memory: 1Gi\n", "        memory: 1GB\n"),
         "line 15, setting 'flux-bootstrap:resources.helm-controller.limits.memory': is not a Kubernetes quantity"),
        (("    logLevel: debug\n", "    logLevl: debug\n"),
         "line 19, setting 'flux-bootstrap:helmValues.logLevl': is not a value of the flux2 chart"),
        (("    kubernetes.io/arch: arm64\n", "    kubernetes.io/arch: true\n"),
         "line 13, setting 'flux-bootstrap:nodeSelector.kubernetes.io/arch': must be a string"),
        (("    - regcred\n", "    - RegCred\n"),
         "line 5, setting 'flux-bootstrap:imagePullSecrets.0': is not a valid Kubernetes name"),
        (("  flux-bootstrap:size: small\n", "  flux-bootstrap:size: tiny\n"),
         "line 3, setting 'flux-bootstrap:size': must be one of: 'small', 'medium' or 'large'"),
    ],
)
def test_check_names_the_line_and_key_path(project, capsys, edit, expected):
    (project / "Pulumi.dev.yaml").write_text(STACK.replace(*edit))
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 1 and out == ""
    assert "1 configuration problem;" in err and expected in err, err
    assert edit[1].split(":")[-1].strip() not in err.replace("'flux-bootstrap:", "")  # the value is not echoed


MARK = "zq9marker"
FAILING_TEMPLATE = STACK.replace("    logLevel: debug\n", "    extraObjects:\n      - kind: '{{ fail \"" + MARK + "\" }}'\n")
# No template, but text where the chart's extraObjects expects objects: only a Helm render sees it.
NOT_OBJECTS = STACK.replace("    logLevel: debug\n", "    extraObjects:\n      - '" + MARK + ": ['\n")


@pytest.mark.parametrize("command", [("check",), ("render", "--chart"), ("render",)])
def test_template_syntax_in_helm_values_is_refused_at_its_line(project, capsys, command):
    (project / "Pulumi.dev.yaml").write_text(FAILING_TEMPLATE)
    code, out, err = run_cli(project, *command, "--stack", "dev", capsys=capsys)
    assert code == 1 and out == ""
    assert ("line 19, setting 'flux-bootstrap:helmValues.extraObjects.0.kind': holds Helm template syntax") in err, err
    assert MARK not in err and "Traceback" not in err


@pytest.mark.parametrize("command", [("check",), ("render", "--chart")])
def test_values_helm_cannot_render_stop_check_and_render_chart(project, capsys, command):
    (project / "Pulumi.dev.yaml").write_text(NOT_OBJECTS)
    code, out, err = run_cli(project, *command, "--stack", "dev", capsys=capsys)
    assert code == 1 and out == ""
    assert err.startswith("1 configuration problem;"), err
    assert ("line 19, setting 'flux-bootstrap:helmValues': makes Helm fail to render the flux2 chart 2.18.3 "
            "(its template flux2/templates/extra-manifests.yaml holds a document that is not a Kubernetes object)") in err, err
    assert MARK not in err and "Traceback" not in err


def test_render_without_the_chart_does_not_render_it(project, capsys):
    # Only check and render --chart run Helm; render --values prints the release as configured.
    (project / "Pulumi.dev.yaml").write_text(NOT_OBJECTS)
    assert run_cli(project, "render", "--stack", "dev", capsys=capsys)[::2] == (0, "")
    code, out, err = run_cli(project, "render", "--stack", "dev", "--values", capsys=capsys)
    assert (code, err) == (0, "")
    assert yaml.safe_load(out)["helmRelease"]["values"]["extraObjects"] == [MARK + ": ["]


@pytest.mark.parametrize("command", [("check",), ("render", "--chart")])
def test_a_null_block_is_refused_before_helm_runs(project, capsys, command):
    (project / "Pulumi.dev.yaml").write_text(STACK.replace("    logLevel: debug\n", "    helmController: null\n"))
    code, out, err = run_cli(project, *command, "--stack", "dev", capsys=capsys)
    assert code == 1 and out == "" and "Traceback" not in err
    assert "line 19, setting 'flux-bootstrap:helmValues.helmController': must not be null" in err, err


def test_check_refuses_helm_values_that_replace_what_a_setting_writes(project, capsys):
    # The stack sets size and tolerateControlPlane: these would drop --concurrent and the toleration.
    (project / "Pulumi.dev.yaml").write_text(STACK.replace("    logLevel: debug\n", (
        "    kustomizeController:\n      container:\n        additionalArgs: [--log-encoding=json]\n      tolerations: []\n")))
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 1 and err.startswith("2 configuration problems;"), err
    assert "setting 'flux-bootstrap:helmValues.kustomizeController.container.additionalArgs': is set by the stack setting size" in err
    assert "setting 'flux-bootstrap:helmValues.kustomizeController.tolerations': is set by the stack settings tolerations and tolerateControlPlane" in err
