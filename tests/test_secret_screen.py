"""One secret screen for every input that is not a secret setting (issue #16): config/flux.yaml,
every stack setting (nested included), every command-line argument; offline (`check`, `render`)
and in the program under mocks. A hit names the source, key path and line, never the value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pulumi
import pytest
import yaml

from cases import GHP, apply_files
from helpers import ROOT, age_identity, age_recipient, resolve
from flux_bootstrap.errors import ConfigError
from flux_bootstrap.cli import main
from flux_bootstrap.settings.messages import StackPlace
from flux_bootstrap.settings.secret_screen import hits, stack_problems
from flux_bootstrap.settings.stack import SECRET_SETTINGS
from harness import Run, run_program
from host_keys import host_key
from pems import app_private_key, ca_certificate

KEY = app_private_key()
AGE = age_identity()
SECRET_OBJECT = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app", "namespace": "flux-system"},
                 "stringData": {"identity": KEY}}
TOKEN_ADVICE = "config/secrets-flux.yaml or `pulumi config set --secret githubToken`"
HELM_ADVICE = ("a Secret's data does not belong in helmValues; put it in Git encrypted with SOPS (docs/sops.md) "
               "or create the Secret yourself")

# name: (config files, stack settings, fragments, the secret)
SCREENED = {
    "branch in flux.yaml": ({"flux.yaml": f"repo: https://github.com/acme/fleet\nbranch: {GHP}\n"}, {},
                            ["config/flux.yaml", "line 2, field 'branch': looks like a GitHub token", TOKEN_ADVICE], GHP),
    "URL path segment in flux.yaml": ({"flux.yaml": f"repo: https://github.com/acme/{GHP}\n"}, {},
                                      ["line 1, field 'repo': looks like a GitHub token"], GHP),
    "password in the URL in flux.yaml": ({"flux.yaml": "repo: https://fluxcd:hunter2secret@github.com/acme/fleet\n"}, {},
                                         ["line 1, field 'repo': looks like a password or token in a URL (user:password@); "
                                          "credentials never belong in a URL"], "hunter2secret"),
    "key of flux.yaml": ({"flux.yaml": f"repo: https://github.com/acme/fleet\n{GHP}: x\n"}, {},
                         ["config/flux.yaml", "line 2, a field whose name looks like a secret (not shown)"], GHP),
    "branch setting": ({}, {"branch": GHP}, ["setting 'flux-bootstrap:branch': looks like a GitHub token", TOKEN_ADVICE], GHP),
    "path setting": ({}, {"path": f"clusters/{GHP}"}, ["setting 'flux-bootstrap:path': looks like a GitHub token"], GHP),
    "URL path segment setting": ({}, {"repo": f"https://github.com/{GHP}/fleet"},
                                 ["setting 'flux-bootstrap:repo': looks like a GitHub token"], GHP),
    "nodeSelector key": ({}, {"nodeSelector": {GHP: "x"}},
                         ["setting 'flux-bootstrap:nodeSelector': a key here looks like a GitHub token"], GHP),
    "nodeSelector value": ({}, {"nodeSelector": {"pool": GHP}},
                           ["setting 'flux-bootstrap:nodeSelector.pool': looks like a GitHub token"], GHP),
    "registry path": ({}, {"registry": f"registry.example.com/{GHP}"},
                      ["setting 'flux-bootstrap:registry': looks like a GitHub token"], GHP),
    "toleration value": ({}, {"tolerations": [{"key": "k", "operator": "Equal", "value": GHP, "effect": "NoSchedule"}]},
                         ["setting 'flux-bootstrap:tolerations.0.value': looks like a GitHub token"], GHP),
    "resources value": ({}, {"resources": {"helm-controller": {"limits": {"memory": GHP}}}},
                        ["setting 'flux-bootstrap:resources.helm-controller.limits.memory': looks like a GitHub token"], GHP),
    "imagePullSecrets entry": ({}, {"imagePullSecrets": [GHP]},
                               ["setting 'flux-bootstrap:imagePullSecrets.0': looks like a GitHub token"], GHP),
    "helmValues value": ({}, {"helmValues": {"cli": {"image": GHP}}},
                         ["setting 'flux-bootstrap:helmValues.cli.image': looks like a GitHub token", TOKEN_ADVICE], GHP),
    "helmValues key": ({}, {"helmValues": {"podLabels": {GHP: "x"}}},
                       ["setting 'flux-bootstrap:helmValues.podLabels': a key here looks like a GitHub token"], GHP),
    "a Secret with a private key in helmValues.extraObjects": (
        {}, {"helmValues": {"extraObjects": [SECRET_OBJECT]}},
        ["setting 'flux-bootstrap:helmValues.extraObjects.0.stringData': is a Secret's data in helmValues", HELM_ADVICE[2:]],
        KEY),
    "an age identity in helmValues": ({}, {"helmValues": {"podLabels": {"k": AGE}}},
                                      ["setting 'flux-bootstrap:helmValues.podLabels.k': looks like an age identity",
                                       HELM_ADVICE], AGE),
    "a private key as knownHosts": ({}, {"knownHosts": KEY},
                                    ["setting 'flux-bootstrap:knownHosts': looks like a private key", "githubAppPrivateKey"], KEY),
    "a private key as caCert": ({}, {"auth": "https", "caCert": KEY},
                                ["setting 'flux-bootstrap:caCert': looks like a private key"], KEY),
    "an age identity as the sops mode": ({}, {"sops": AGE},
                                         ["setting 'flux-bootstrap:sops': looks like an age identity", "sopsAgeKey"], AGE),
}
IDS = list(SCREENED)


def fragments_of(secret: str) -> list[str]:
    """Every 12-character part of the secret's body (a key's header lines are public words)."""
    body = "".join(line for line in secret.splitlines() if not line.startswith("-----"))
    return [body[i:i + 12] for i in range(0, len(body) - 11, 4)]


def assert_never_shown(secret: str, *texts: str) -> None:
    for text in texts:
        assert not any(part in text for part in fragments_of(secret))


def write_stack(project: Path, settings: dict[str, object]) -> None:
    """Pulumi.dev.yaml, one setting a line from line 2 (objects and lists as JSON, which is YAML)."""
    lines = ["config:"] + [f"  flux-bootstrap:{k}: {json.dumps(v)}" for k, v in settings.items()]
    (project / "Pulumi.dev.yaml").write_text("\n".join(lines + ["  kubernetes:context: kind-dev"]) + "\n")


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("files,settings,fragments,secret", SCREENED.values(), ids=IDS)
@pytest.mark.parametrize("command", ["check", "render"])
def test_check_and_render_refuse_a_secret_where_none_belongs(project, capsys, command, files, settings, fragments, secret):
    apply_files(project / "config", files)
    write_stack(project, settings)
    code, out, err = run_cli(capsys, "--project-dir", str(project), command, "--stack", "dev")
    assert code == 1 and out == ""
    for fragment in fragments:
        assert fragment in err, err
    if settings:  # at the line of the setting in Pulumi.dev.yaml
        name = fragments[0].split("'flux-bootstrap:")[1].split("'")[0].split(".")[0]
        assert f"line {2 + list(settings).index(name)}, {fragments[0]}" in err
    assert_never_shown(secret, out, err)


@pytest.mark.parametrize("files,settings,fragments,secret", SCREENED.values(), ids=IDS)
def test_the_program_refuses_it_and_creates_nothing(config_dir, files, settings, fragments, secret):
    apply_files(config_dir, files)
    run = Run()
    given = {k: v if isinstance(v, str) else json.dumps(v) for k, v in settings.items()}
    with pytest.raises(pulumi.RunError) as err:
        run_program({"configDir": str(config_dir), **given}, run=run)
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, message
    assert_never_shown(secret, message)
    assert run.registrations == [] and run.invokes == []


def test_ordinary_values_pass_check(project, capsys):
    (project / "config" / "flux.yaml").write_text("repo: https://github.com/acme/fleet.git\nbranch: feature/x\n")
    write_stack(project, {
        "path": "clusters/dev-eu", "interval": "5m", "registry": "registry.example.com:5000/fluxcd",
        "nodeSelector": {"kubernetes.io/os": "linux", "node-role.kubernetes.io/infra": "true"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "flux", "effect": "NoSchedule"}],
        "resources": {"helm-controller": {"requests": {"cpu": "100m", "memory": "256Mi"}}},
        "imagePullSecrets": ["regcred"],
        "helmValues": {"logLevel": "debug", "extraObjects": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
            "name": "team", "namespace": "flux-system", "labels": {"team": "platform"}}, "data": {"owner": "platform"}}]},
    })
    code, out, err = run_cli(capsys, "--project-dir", str(project), "check", "--stack", "dev")
    assert (code, err) == (0, ""), err
    assert "branch feature/x" in out


def test_public_keys_and_certificates_are_not_refused():
    place = StackPlace("flux-bootstrap", "Pulumi.dev.yaml")
    values = {"knownHosts": "\n".join(f"gitlab.com {host_key(t)}" for t in ("ssh-ed25519", "ssh-rsa")),
              "caCert": ca_certificate(), "repo": "git@gitlab.com:group/fleet.git", "sops": "generate"}
    assert stack_problems(values, place, SECRET_SETTINGS) == []


def test_the_secret_settings_are_not_screened():
    place = StackPlace("flux-bootstrap", "Pulumi.dev.yaml")
    values = {"githubToken": GHP, "sopsAgeKey": AGE, "githubAppPrivateKey": KEY, "commitStatusToken": GHP}
    assert stack_problems(values, place, SECRET_SETTINGS) == []


def test_a_secret_key_stops_the_path_and_every_hit_is_found_in_order():
    found = list(hits({"a": [{"b": GHP}], GHP: {"c": KEY}, "d": {"e": KEY}}))
    assert [(h.path, h.in_key) for h in found] == [(("a", "0", "b"), False), ((), True), (("d", "e"), False)]


# --- command-line arguments ---------------------------------------------------------------------

ARGUMENTS = {
    "--stack": (["check", "--stack", GHP], "argument 3 (the value of --stack) looks like a GitHub token"),
    "--stack=": (["check", f"--stack={GHP}"], "argument 2 (the value of --stack) looks like a GitHub token"),
    "audit --path": (["audit", ".", "--path", GHP], "argument 4 (the value of --path) looks like a GitHub token"),
    "audit checkout": (["audit", f"/tmp/{GHP}"], "argument 2 looks like a GitHub token"),
    "--project-dir": (["--project-dir", f"/srv/{GHP}", "check", "--stack", "dev"],
                      "argument 2 (the value of --project-dir) looks like a GitHub token"),
    "--recipient identity": (["audit", ".", "--recipient", AGE],
                             "argument 4 (the value of --recipient) looks like an age identity (a private key); "
                             "an identity is the private key; pass the recipient, the age public key"),
    "a stray argument": (["check", "--stack", "dev", KEY], "argument 4 looks like a private key"),
}


@pytest.mark.parametrize("argv,fragment", ARGUMENTS.values(), ids=ARGUMENTS.keys())
def test_a_secret_on_the_command_line_is_refused_unshown(capsys, argv, fragment):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == "" and fragment in err
    assert_never_shown(GHP if GHP in " ".join(argv) else AGE if AGE in argv else KEY, out, err)


def test_a_secret_stack_from_the_environment_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("PULUMI_STACK", GHP)
    code, out, err = run_cli(capsys, "check")
    assert code == 2 and "$PULUMI_STACK looks like a GitHub token" in err
    assert_never_shown(GHP, out, err)


def test_an_age_recipient_is_accepted(tmp_path, capsys):
    code, _, err = run_cli(capsys, "audit", str(tmp_path), "--recipient", age_recipient())
    assert code != 2 or "looks like" not in err


# --- render redacts every Secret ------------------------------------------------------------------

def test_render_chart_redacts_the_secrets_the_chart_renders(monkeypatch):
    # The settings refuse a Secret's data in helmValues (above), so no stack reaches this today;
    # render still redacts every Secret the chart renders, whatever the values.
    from flux_bootstrap import cli
    from flux_bootstrap.chart.tuning import chart_values
    from flux_bootstrap.settings.tuning_settings import TuningSettings
    from flux_bootstrap.validation import chart_objects

    plain = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "extra", "namespace": "flux-system"},
             "stringData": {"password": "hunter2 is plain"}, "data": {"user": "YWRtaW4="}}
    values = {**chart_values(TuningSettings(), "2.18.3"), "extraObjects": [plain]}
    _, text, _ = cli.render_chart_objects("2.18.3", chart_objects("2.18.3", values))
    assert "hunter2" not in text and "YWRtaW4=" not in text
    extra = [d for d in yaml.safe_load_all(text) if d and d.get("kind") == "Secret" and d["metadata"]["name"] == "extra"]
    assert extra and extra[0]["stringData"] == {"password": "<redacted>"} and extra[0]["data"] == {"user": "<redacted>"}


def test_the_charts_own_secret_data_in_helm_values_is_refused(config_dir):
    values = {"kustomizeController": {"secret": {"create": True, "name": "s", "data": {"k": "hunter2 is plain"}}}}
    with pytest.raises(ConfigError) as err:
        resolve(config_dir.parent, helmValues=values)
    (problem,) = err.value.problems
    assert problem.field == "flux-bootstrap:helmValues.kustomizeController.secret.data" and "hunter2" not in str(err.value)


def test_check_of_ordinary_settings_does_not_load_detect_secrets(project):
    # The pre-filter clears names, paths and URLs: `check` stays as fast as before the screen.
    # (Run in the project: a long argument with digits, such as pytest's folder, would load it.)
    code = ("import sys; from flux_bootstrap.cli import main\n"
            "code = main(['check', '--stack', 'dev'])\n"
            "print(code, 'detect_secrets' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.stdout.split()[-2:] == ["0", "False"], result.stderr


def base64_text(text: str) -> str:
    import base64
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("obj, field", [
    ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "data": {"k": "PLACEHOLDER"}}, "data"),
    ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "stringData": {"password": "hunter2-not-a-shape"}}, "stringData"),
], ids=["base64 data", "a password of no known shape"])
def test_any_secret_with_data_in_extra_objects_is_refused(config_dir, obj, field):
    # Base64 hides a key from a shape check, and a plain password has no shape: a Secret's data in
    # helmValues would be stored in plain text in the release and the state whatever it holds.
    if field == "data":
        obj = {**obj, "data": {"k": base64_text(KEY)}}
    with pytest.raises(ConfigError) as err:
        resolve(config_dir.parent, helmValues={"extraObjects": [obj]})
    (problem,) = err.value.problems
    assert problem.field == f"flux-bootstrap:helmValues.extraObjects.0.{field}" and "is a Secret's data" in problem.message
    assert KEY[30:60] not in str(err.value) and "hunter2" not in str(err.value)


def test_a_base64_secret_in_a_config_maps_binary_data_is_refused(config_dir):
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "binaryData": {"k": base64_text(KEY)}}
    with pytest.raises(ConfigError) as err:
        resolve(config_dir.parent, helmValues={"extraObjects": [config_map]})
    (problem,) = err.value.problems
    assert problem.field == "flux-bootstrap:helmValues.extraObjects.0.binaryData.k" and "looks like a private key" in problem.message
    plain = {**config_map, "binaryData": {"k": base64_text("just some bytes")}}
    assert resolve(config_dir.parent, helmValues={"extraObjects": [plain]}).tuning.helm_values["extraObjects"] == [plain]
