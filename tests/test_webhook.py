"""Sync on push (#18, webhookHost): settings, the Receiver and its token, the GitHub webhook, the
chart's Ingress rendered by real Helm, the preflight warning, and what `render` shows."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from helpers import ROOT, TOKEN, passes, settings_for
from flux_bootstrap import chart, webhook
from flux_bootstrap.cli import main
from flux_bootstrap.errors import ConfigError
from flux_bootstrap.plan import plan
from flux_bootstrap.validation import validate_chart_objects, validate_object
from harness import GIT_REPO, RANDOM_BYTES, RECEIVER, RELEASE, SECRET, WEBHOOK, WEBHOOKS, Scenario, run_program

HOST = "flux-webhook.example.com"


def receiver_token(run) -> str:
    (secret,) = [r for r in run.of_type(SECRET) if r.inputs["metadata"]["name"] == webhook.TOKEN_SECRET]
    assert "stringData" in secret.secret_inputs
    return secret.inputs["stringData"]["token"]


def test_hook_path_matches_an_independent_computation():
    token, name, namespace = "a1" * 32, "flux-system", "flux-system"
    digest = subprocess.run(["sha256sum"], input=(token + name + namespace).encode(), capture_output=True,
                            check=True).stdout.split()[0].decode()
    assert webhook.hook_path(token) == "/hook/" + digest
    assert webhook.url(HOST, token) == f"https://{HOST}/hook/{digest}"


@pytest.mark.parametrize("values, field", [
    ({"webhookHost": "https://flux.example.com"}, "webhookHost"),
    ({"webhookHost": "Flux.Example.com"}, "webhookHost"),
    ({"webhookHost": "localhost"}, "webhookHost"),
    ({"webhookHost": "*.example.com"}, "webhookHost"),
    ({"webhookIngressClass": "nginx"}, "webhookIngressClass"),
    ({"webhookTlsSecret": "tls"}, "webhookTlsSecret"),
    ({"webhookIngress": "false"}, "webhookIngress"),
    ({"webhookHost": HOST, "webhookIngress": "false", "webhookTlsSecret": "tls"}, "webhookTlsSecret"),
    ({"webhookHost": HOST, "webhookIngressClass": "Nginx!"}, "webhookIngressClass"),
])
def test_refused_settings(config_dir, values, field):
    with pytest.raises(ConfigError) as err:
        settings_for(config_dir, **values)
    assert f"flux-bootstrap:{field}" in str(err.value)


@pytest.mark.parametrize("repo, kind, events", [
    ("https://github.com/acme/fleet", "github", ["ping", "push"]),
    ("https://gitlab.com/acme/fleet", "gitlab", ["Push Hook"]),
    ("https://bitbucket.org/acme/fleet", "bitbucket", ["repo:push"]),
    ("https://git.example.com/acme/fleet.git", "generic-hmac", None),
])
def test_receiver_per_host_is_valid_against_the_chart_crd(config_dir, repo, kind, events):
    planned = plan(settings_for(config_dir, repo=repo, auth="https", webhookHost=HOST))
    receiver = planned.object("receiver")
    assert receiver.manifest["spec"]["type"] == kind
    assert receiver.manifest["spec"].get("events") == events
    assert receiver.depends_on == ("release", "webhook-secret", "git-repository")
    assert validate_object(receiver.manifest, planned.settings.source.chart_version) == []
    assert planned.webhook.registered == (kind == "github")


def test_github_enterprise_server_gets_a_github_receiver(config_dir):
    planned = plan(settings_for(config_dir, repo="https://ghe.example.com/acme/fleet",
                                githubUrl="https://ghe.example.com", webhookHost=HOST))
    assert planned.object("receiver").manifest["spec"]["type"] == "github" and planned.webhook.registered


def test_on_github_one_run_creates_token_receiver_and_webhook(config_dir):
    run = run_program({"configDir": str(config_dir), "webhookHost": HOST})
    token = receiver_token(run)
    assert run.one(RANDOM_BYTES).inputs["length"] == 32 and len(token) == 64
    receiver = run.one(RECEIVER)
    assert receiver.inputs["spec"]["secretRef"] == {"name": webhook.TOKEN_SECRET}
    assert receiver.inputs["spec"]["resources"][0]["name"] == run.one(GIT_REPO).inputs["metadata"]["name"]
    hook = run.one(WEBHOOK)
    config = hook.inputs["configuration"]
    assert config == {"url": f"https://{HOST}{webhook.hook_path(token)}", "contentType": "json",
                      "secret": token, "insecureSsl": False}
    assert "configuration" in hook.secret_inputs  # the token is a secret on the wire and in the state
    assert hook.inputs["events"] == ["push"] and hook.inputs["active"] is True
    assert hook.inputs["repository"] == "manifests"
    assert receiver.urn in hook.dependencies  # GitHub's ping finds the Receiver, Ready:
    assert receiver.inputs["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}
    assert receiver.custom_timeouts["create"] == "5m"
    assert run.outputs["webhookUrl"] == config["url"] and "webhookUrl" not in run.secret_outputs
    assert run.outputs["webhookId"] == "flux-webhook-id"
    assert "webhookSecret" not in run.outputs


def test_the_release_exposes_only_the_hook_path(config_dir):
    run = run_program({"configDir": str(config_dir), "webhookHost": HOST, "webhookIngressClass": "nginx",
                       "webhookTlsSecret": "flux-webhook-tls"})
    ingress = run.one(RELEASE).inputs["values"]["notificationController"]["webhookReceiver"]["ingress"]
    assert ingress == {"create": True, "hosts": [{"host": HOST, "paths": [{"path": "/hook/", "pathType": "Prefix"}]}],
                       "ingressClassName": "nginx", "tls": [{"secretName": "flux-webhook-tls", "hosts": [HOST]}]}


def test_ingress_off_leaves_the_chart_values_alone(config_dir):
    without = run_program({"configDir": str(config_dir)})
    run = run_program({"configDir": str(config_dir), "webhookHost": HOST, "webhookIngress": "false"})
    assert run.one(RELEASE).inputs["values"] == without.one(RELEASE).inputs["values"]
    assert run.one(RECEIVER)


def test_unset_creates_nothing_new(config_dir):
    run = run_program({"configDir": str(config_dir)})
    assert not run.of_type(RECEIVER) and not run.of_type(WEBHOOK) and not run.of_type(RANDOM_BYTES)
    assert not {"webhookUrl", "webhookId", "webhookSecret"} & set(run.outputs)
    assert WEBHOOKS not in {i.token for i in run.invokes}


def test_other_hosts_get_the_url_and_the_secret_reference(config_dir):
    (config_dir / "flux.yaml").write_text("repo: https://gitlab.com/acme/fleet\nbranch: main\n")
    run = run_program({"configDir": str(config_dir), "webhookHost": HOST, "auth": "https"})
    assert not run.of_type(WEBHOOK)
    assert run.one(RECEIVER).inputs["spec"]["events"] == ["Push Hook"]
    assert run.outputs["webhookUrl"] == f"https://{HOST}{webhook.hook_path(receiver_token(run))}"
    assert run.outputs["webhookSecret"] == "flux-system/webhook-token"


def test_preflight_warns_when_the_token_may_not_manage_webhooks(config_dir, caplog):
    scenario = Scenario(refusals={WEBHOOKS: "403 Resource not accessible by personal access token"})
    run, warned = passes(config_dir, scenario, caplog, webhookHost=HOST)
    assert "may not manage the webhooks of username/manifests" in warned and "Webhooks: Read and write" in warned
    assert run.one(WEBHOOK)
    caplog.clear()
    _, quiet = passes(config_dir, Scenario(), caplog, webhookHost=HOST)
    assert "webhooks" not in quiet.lower()


def test_the_chart_renders_the_ingress_with_real_helm(config_dir):
    planned = plan(settings_for(config_dir, webhookHost=HOST, webhookIngressClass="nginx",
                                webhookTlsSecret="flux-webhook-tls"))
    release = planned.release
    objects = chart.render(release.version, release.values, name=release.name, namespace=release.namespace)
    assert validate_chart_objects(objects, chart.KNOWN_VERSIONS[release.version].min_kubernetes) == []
    (ingress,) = [r.object for r in objects if r.object["kind"] == "Ingress"]
    assert ingress["metadata"]["name"] == "webhook-receiver"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": [HOST], "secretName": "flux-webhook-tls"}]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == HOST
    assert rule["http"]["paths"] == [{"path": "/hook/", "pathType": "Prefix", "backend": {
        "service": {"name": webhook.SERVICE, "port": {"number": 80}}}}]
    services = {r.object["metadata"]["name"] for r in objects if r.object["kind"] == "Service"}
    assert webhook.SERVICE in services


def test_check_and_render_show_it_redacted(tmp_path, config_dir, capsys):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.dev.yaml").write_text(f"config:\n  flux-bootstrap:webhookHost: {HOST}\n"
                                              "  flux-bootstrap:webhookIngressClass: nginx\n")
    (config_dir / "secrets-flux.yaml").chmod(0o600)
    assert main(["--project-dir", str(tmp_path), "check", "--stack", "dev"]) == 0
    assert main(["--project-dir", str(tmp_path), "render", "--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert f"# Sync on push: Receiver github at https://{HOST}/hook/<sha256 of the token>" in out
    assert "kind: Receiver" in out and "name: webhook-token" in out
    assert "token: <redacted>" in out and TOKEN not in out


def test_commented_chart_values_are_read_by_a_template():
    """values.yaml shows ingressClassName only in a comment; the values check accepts it because the
    chart's Ingress template reads it (else Helm would silently ignore it)."""
    import io
    import tarfile

    from flux_bootstrap.chart.values import COMMENTED_VALUES

    with tarfile.open(fileobj=io.BytesIO(chart.carried_archive(chart.NEWEST_CARRIED)), mode="r:gz") as archive:
        templates = "".join(archive.extractfile(m).read().decode() for m in archive.getmembers()
                            if m.isfile() and "/templates/" in m.name)
    for path in COMMENTED_VALUES:
        assert ".Values." + ".".join(path) in templates, path
