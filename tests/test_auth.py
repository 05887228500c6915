"""flux_bootstrap.credentials: the URL, provider and Secret keys of each auth mode, valid for the installed chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux_bootstrap.cli import planned_objects
from flux_bootstrap.plan import plan
from flux_bootstrap import credentials, manifests
from flux_bootstrap.settings import SecretValue, resolve_settings
from flux_bootstrap.validation import validate_object
from host_keys import key_base64
from pems import app_private_key, ca_certificate

KEY = key_base64()


def settings_for(config_dir: Path, repo: str, **values):
    (config_dir / "flux.yaml").write_text(f"repo: {repo}\nbranch: main\n")
    return resolve_settings(project_dir=config_dir.parent, project="flux-bootstrap", stack="dev",
                            stack_values=values, stack_source="stack")


APP = {"auth": "github-app", "githubAppId": "12345", "githubAppInstallationId": "678"}


@pytest.mark.parametrize(
    "repo,values,url",
    [
        ("https://github.com/acme/fleet.git", {}, "ssh://git@github.com/acme/fleet"),
        ("git@github.com:acme/fleet.git", {"auth": "https"}, "https://github.com/acme/fleet"),
        ("git@github.com:acme/fleet.git", {**APP, "githubAppPrivateKey": SecretValue(app_private_key())}, "https://github.com/acme/fleet"),
        ("git@ghe.example.com:acme/fleet.git", {"auth": "https", "githubUrl": "https://ghe.example.com"}, "https://ghe.example.com/acme/fleet"),
        ("https://ghe.example.com/acme/fleet", {"githubUrl": "https://ghe.example.com"}, "ssh://git@ghe.example.com/acme/fleet"),
        ("git@gitlab.com:group/sub/fleet.git", {"auth": "https"}, "https://gitlab.com/group/sub/fleet.git"),
        ("https://gitlab.com/group/fleet", {"knownHosts": f"gitlab.com ssh-ed25519 {KEY}"}, "ssh://git@gitlab.com/group/fleet.git"),
        ("https://org@dev.azure.com/org/proj/_git/fleet", {"auth": "https"}, "https://dev.azure.com/org/proj/_git/fleet"),
        ("git@ssh.dev.azure.com:v3/org/proj/fleet", {"auth": "https"}, "https://dev.azure.com/org/proj/_git/fleet"),
        ("ssh://git@git.example.org:2222/~me/fleet.git", {"knownHosts": f"[git.example.org]:2222 ssh-ed25519 {KEY}"}, "ssh://git@git.example.org:2222/~me/fleet.git"),
    ],
)
def test_flux_url_per_mode_and_host_is_never_scp_form(config_dir, repo, values, url):
    settings = settings_for(config_dir, repo, **values)
    assert credentials.flux_url(settings) == url
    manifest = manifests.git_repository_manifest(settings, "main")
    assert manifest["spec"]["url"] == url
    assert validate_object(manifest, settings.source.chart_version) == []


def test_github_app_secret_keys_and_provider(config_dir):
    settings = settings_for(config_dir, "https://github.com/acme/fleet", **APP, githubAppPrivateKey=SecretValue(app_private_key()))
    assert credentials.app_data(settings, "PEM") == {
        "githubAppID": "12345", "githubAppInstallationID": "678", "githubAppPrivateKey": "PEM",
    }
    assert manifests.git_repository_manifest(settings, "main")["spec"]["provider"] == "github"
    assert not credentials.registers_deploy_key(settings)


def test_github_app_on_an_enterprise_server_with_a_private_ca(config_dir):
    ca = ca_certificate()
    settings = settings_for(config_dir, "https://ghe.example.com/acme/fleet", auth="github-app", githubAppId="1",
                            githubAppInstallationOwner="acme", githubUrl="https://ghe.example.com", caCert=ca,
                            githubAppPrivateKey=SecretValue(app_private_key()))
    data = credentials.app_data(settings, "PEM")
    assert list(data) == ["githubAppID", "githubAppInstallationOwner", "githubAppPrivateKey", "githubAppBaseURL", "ca.crt"]
    assert data["githubAppBaseURL"] == "https://ghe.example.com/api/v3" and data["ca.crt"] == ca.strip() + "\n"


def test_https_secret_keys(config_dir):
    settings = settings_for(config_dir, "https://bitbucket.org/ws/fleet", auth="https")
    assert credentials.https_data(settings, "TOKEN") == {"username": "x-token-auth", "password": "TOKEN"}
    assert "provider" not in manifests.git_repository_manifest(settings, "main")["spec"]


@pytest.mark.parametrize(
    "values,keys",
    [({}, ["identity", "identity.pub", "known_hosts"]), ({"auth": "https"}, ["username", "password"]),
     ({**APP, "githubAppPrivateKey": SecretValue("x")}, ["githubAppID", "githubAppInstallationID", "githubAppPrivateKey"])],
)
def test_redacted_secret_holds_every_key_and_no_value(config_dir, values, keys):
    if "githubAppPrivateKey" in values:  # a real key, made per test
        values = {**values, "githubAppPrivateKey": SecretValue(app_private_key())}
    settings = settings_for(config_dir, "https://github.com/acme/fleet", **values)
    (secret,) = [obj for obj in planned_objects(plan(settings)) if obj["metadata"]["name"] == "flux-system" and obj["kind"] == "Secret"]
    data = secret["stringData"]
    assert list(data) == keys and set(data.values()) == {"<redacted>"}
    assert validate_object(secret) == []


def test_the_installed_charts_crd_takes_provider_github_but_not_aws(config_dir):
    settings = settings_for(config_dir, "https://github.com/acme/fleet", **APP, githubAppPrivateKey=SecretValue(app_private_key()))
    manifest = manifests.git_repository_manifest(settings, "main")
    assert validate_object(manifest, "2.18.3") == []
    manifest["spec"]["provider"] = "aws"
    assert any("spec.provider" in problem for problem in validate_object(manifest, "2.18.3"))
    manifest["spec"]["provider"] = "github"
    manifest["spec"]["url"] = "git@github.com:acme/fleet"
    assert any("spec.url" in problem for problem in validate_object(manifest, "2.18.3"))


def test_describe_names_what_is_made(config_dir):
    settings = settings_for(config_dir, "https://gitlab.com/group/fleet", knownHosts=f"gitlab.com ssh-ed25519 {KEY}")
    line = credentials.describe(settings, "flux-bootstrap/dev")
    assert "not GitHub" in line and "deployKeyPublicKey" in line
    assert not credentials.registers_deploy_key(settings) and not credentials.needs_github(settings)
