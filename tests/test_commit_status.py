"""Commit status (#18, commitStatus): the Provider and Alert per host, valid against the chart's
CRDs; the credential (the GitHub App, or commitStatusToken, never the bootstrap token)."""

from __future__ import annotations

import json
import shutil

import pytest

from helpers import APP, ROOT, TOKEN, settings_for
from flux_bootstrap.cli import main, schema_problems
from flux_bootstrap.errors import ConfigError
from flux_bootstrap.plan import plan
from flux_bootstrap.settings import SecretValue
from flux_bootstrap.validation import validate_object
from harness import SECRET, run_program
from pems import app_private_key

PROVIDER = "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider"
ALERT = "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Alert"
STATUS_TOKEN = "status-Token-0987654321"  # a stand-in; it must appear only in its own Secret
ON = {"commitStatus": "true", "commitStatusToken": SecretValue(STATUS_TOKEN)}


def refused(config_dir, **values) -> str:
    with pytest.raises(ConfigError) as err:
        settings_for(config_dir, **values)
    text = str(err.value)
    assert STATUS_TOKEN not in text and TOKEN not in text
    return text


def test_refusals(config_dir):
    assert "flux-bootstrap:commitStatus" in refused(config_dir, commitStatus="true")
    assert "pulumi config set --secret commitStatusToken" in refused(config_dir, commitStatus="true")
    assert "only used with commitStatus true" in refused(config_dir, commitStatusToken=SecretValue(STATUS_TOKEN))
    text = refused(config_dir, **ON, **APP, githubAppPrivateKey=SecretValue(app_private_key()))
    assert "flux-bootstrap:commitStatusToken" in text and "the App posts the statuses" in text
    assert "is not a token" in refused(config_dir, commitStatus="true", commitStatusToken=SecretValue("a b"))
    assert "stored in plain text" in refused(config_dir, commitStatus="true", commitStatusToken=STATUS_TOKEN)
    # Bitbucket's provider reads USER:SECRET (notification-controller splits it at the colon).
    assert "must be USER:SECRET for Bitbucket" in refused(config_dir, repo="https://bitbucket.org/acme/fleet", auth="https", **ON)
    generic = refused(config_dir, repo="https://git.example.com/a/b.git", auth="https", **ON)
    assert "flux-bootstrap:commitStatus" in generic and "GitHub, GitLab, Bitbucket Cloud and Azure DevOps" in generic


def test_the_bootstrap_token_is_refused(config_dir):
    (config_dir / "secrets-flux.yaml").write_text(f'token: "{TOKEN}"\n')
    settings = dict(ON, commitStatusToken=SecretValue(TOKEN))
    with pytest.raises(ConfigError) as err:
        from flux_bootstrap.settings import resolve_settings
        resolve_settings(project_dir=config_dir.parent, project="flux-bootstrap", stack="dev",
                         stack_values=settings, stack_source="stack")
    assert "is the bootstrap token" in str(err.value) and TOKEN not in str(err.value)


@pytest.mark.parametrize("repo, kind, address", [
    ("https://github.com/acme/fleet", "github", "https://github.com/acme/fleet"),
    ("https://gitlab.com/acme/group/fleet", "gitlab", "https://gitlab.com/acme/group/fleet"),
    ("https://bitbucket.org/acme/fleet", "bitbucket", "https://bitbucket.org/acme/fleet"),
    ("https://dev.azure.com/acme/proj/_git/fleet", "azuredevops", "https://dev.azure.com/acme/proj/_git/fleet"),
])
def test_provider_and_alert_per_host_are_valid_against_the_chart_crds(config_dir, repo, kind, address):
    on = dict(ON, commitStatusToken=SecretValue("acme:" + STATUS_TOKEN)) if kind == "bitbucket" else ON
    planned = plan(settings_for(config_dir, repo=repo, auth="https", **on))
    provider, alert = planned.object("commit-status-provider"), planned.object("commit-status-alert")
    assert provider.manifest["spec"] == {"type": kind, "address": address, "secretRef": {"name": "commit-status"}}
    assert alert.manifest["spec"]["eventSources"] == [{"kind": "Kustomization", "name": "flux-system"}]
    assert alert.manifest["spec"]["providerRef"] == {"name": "commit-status"}
    assert validate_object(provider.manifest, planned.settings.source.chart_version) == []
    assert validate_object(alert.manifest, planned.settings.source.chart_version) == []
    assert schema_problems(planned) == []  # every object as `check` validates it, the token redacted
    assert provider.depends_on == ("release", "commit-status-secret")
    assert alert.depends_on == ("release", "commit-status-provider", "kustomization")


def test_with_a_token_only_its_own_secret_holds_it(config_dir):
    run = run_program({"configDir": str(config_dir), "commitStatus": "true"}, {"commitStatusToken": STATUS_TOKEN})
    secrets = {r.inputs["metadata"]["name"]: r for r in run.of_type(SECRET)}
    assert secrets["commit-status"].inputs["stringData"] == {"token": STATUS_TOKEN}
    assert "stringData" in secrets["commit-status"].secret_inputs
    assert run.one(PROVIDER).inputs["spec"]["secretRef"] == {"name": "commit-status"}
    assert run.one(ALERT).inputs["spec"]["eventSources"] == [{"kind": "Kustomization", "name": "flux-system"}]
    # The bootstrap token is never placed in the cluster; the status token only in its Secret.
    cluster = [r for r in run.registrations if r.type.startswith("kubernetes:") and r.type != "pulumi:providers:kubernetes"]
    for registration in cluster:
        text = json.dumps(registration.inputs)
        assert TOKEN not in text, registration.name
        assert (STATUS_TOKEN in text) == (registration.name == "flux-commit-status-secret"), registration.name


def test_as_the_github_app_the_provider_reads_the_app_keys(config_dir):
    (config_dir / "github-app.pem").write_text(app_private_key())
    (config_dir / "secrets-flux.yaml").unlink()
    run = run_program({"configDir": str(config_dir), **APP, "commitStatus": "true", "keyRotation": "4"})
    assert run.one(PROVIDER).inputs["spec"] == {
        "type": "github", "address": "https://github.com/username/manifests", "secretRef": {"name": "flux-system-4"},
    }
    assert [r.inputs["metadata"]["name"] for r in run.of_type(SECRET)] == ["flux-system-4"]
    # It switches with the GitRepository in a rotation: it depends on the generation's Secret.
    (git_secret,) = run.of_type(SECRET)
    assert git_secret.urn in run.one(PROVIDER).dependencies


def test_off_creates_nothing(config_dir):
    run = run_program({"configDir": str(config_dir)})
    assert not run.of_type(PROVIDER) and not run.of_type(ALERT)


def test_check_and_render_show_it_redacted(tmp_path, config_dir, capsys):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  flux-bootstrap:commitStatus: true\n  flux-bootstrap:commitStatusToken:\n    secure: v1:c2VjcmV0\n")
    (config_dir / "secrets-flux.yaml").chmod(0o600)
    assert main(["--project-dir", str(tmp_path), "check", "--stack", "dev"]) == 0
    assert main(["--project-dir", str(tmp_path), "render", "--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert "# Commit status: Provider github for https://github.com/username/manifests" in out
    assert "kind: Provider" in out and "kind: Alert" in out and "name: commit-status" in out
    assert "token: <redacted>" in out
