"""The `auth` settings: each mode resolved, and every combination that cannot work refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import TOKEN
from flux_bootstrap.errors import ConfigError
from flux_bootstrap.settings import SecretValue, resolve_settings
from flux_bootstrap.known_hosts import check_known_hosts
from host_keys import key_base64
from pems import app_private_key, ca_certificate, ec_private_key
from helpers import resolve
from helpers import write_repo

KEY = key_base64("ssh-ed25519")  # a real host key, made for this run
GITLAB_HOSTS = f"gitlab.com ssh-ed25519 {KEY}\ngitlab.com ecdsa-sha2-nistp256 {key_base64('ecdsa-sha2-nistp256')}\n"
APP = {"auth": "github-app", "githubAppId": "12345", "githubAppInstallationId": "678"}


def refused(project_dir: Path, **values) -> list:
    with pytest.raises(ConfigError) as err:
        resolve(project_dir, **values)
    text = str(err.value)
    assert TOKEN not in text
    return err.value.problems


def only(problems: list, field: str, fragment: str) -> None:
    assert [p.field for p in problems] == [field], [p.describe() for p in problems]
    assert fragment in problems[0].message


# --- deploy-key (default) ---------------------------------------------------------------------


def test_default_is_deploy_key_on_github_com(config_dir):
    settings = resolve(config_dir.parent)
    auth = settings.auth
    assert (auth.mode, auth.github_host, auth.enterprise, auth.api_base_url) == (
        "deploy-key", "github.com", False, "https://api.github.com/")
    assert settings.token.get_secret_value() == TOKEN


def test_deploy_key_on_another_host_needs_known_hosts_and_no_token(config_dir):
    write_repo(config_dir, "git@gitlab.com:group/sub/fleet.git")
    (config_dir / "secrets-flux.yaml").unlink()
    settings = resolve(config_dir.parent, knownHosts="# from GitLab's documented fingerprints\n" + GITLAB_HOSTS)
    assert settings.repo.kind == "gitlab" and settings.token is None
    assert settings.auth.known_hosts == GITLAB_HOSTS  # comments dropped, one line each


def test_deploy_key_on_another_host_refuses_an_unused_token_setting(config_dir):
    write_repo(config_dir, "ssh://git@git.example.org:2222/srv/fleet.git")
    problems = refused(config_dir.parent, knownHosts=f"[git.example.org]:2222 ssh-ed25519 {KEY}",
                       githubToken=SecretValue(TOKEN))
    only(problems, "flux-bootstrap:githubToken", "is not used by this stack")


def test_known_hosts_is_required_and_never_scanned(config_dir):
    write_repo(config_dir, "ssh://git@git.example.org/srv/fleet.git")
    only(refused(config_dir.parent), "flux-bootstrap:knownHosts", "never learned by scanning")


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("", "is empty"),
        ("gitlab.com", "line 1 is not a known_hosts line"),
        (f"gitlab.com ssh-dss {KEY}", "line 1 is not a known_hosts line"),
        (f"gitlab.com ssh-ed25519 not*base64{KEY}", "line 1 is not a known_hosts line"),
        (f"@cert-authority *.gitlab.com ssh-ed25519 {KEY}", "marker"),
        (f"example.org ssh-ed25519 {KEY}", "no line for the repository's SSH host (gitlab.com)"),
        ("\n".join([f"gitlab.com ssh-ed25519 {KEY}"] * 201), "more than 200 lines"),
    ],
)
def test_known_hosts_lines_are_checked(text, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        check_known_hosts(text, "gitlab.com", None)


def test_known_hosts_match_the_port_and_accept_hashed_names():
    check_known_hosts(f"[git.example.org]:2222 ssh-ed25519 {KEY}", "git.example.org", 2222)
    with pytest.raises(ValueError, match=re.escape("([git.example.org]:2222)")):
        check_known_hosts(f"git.example.org ssh-ed25519 {KEY}", "git.example.org", 2222)
    hashed = f"|1|{'a' * 28}=|{'b' * 28}= ssh-ed25519 {KEY}"
    check_known_hosts(hashed, "gitlab.com", None)


def test_known_hosts_on_github_com_is_refused(config_dir):
    only(refused(config_dir.parent, knownHosts=f"github.com ssh-ed25519 {KEY}"), "flux-bootstrap:knownHosts", "github.com")


def test_a_host_that_is_not_github_needs_the_branch(config_dir):
    write_repo(config_dir, "git@gitlab.com:group/fleet.git", branch=None)
    only(refused(config_dir.parent, knownHosts=GITLAB_HOSTS), "flux-bootstrap:branch", "not on GitHub")


def test_deploy_key_needs_an_ssh_address(config_dir):
    write_repo(config_dir, "https://git.example.org/srv/fleet.git")
    problems = refused(config_dir.parent, knownHosts=f"git.example.org ssh-ed25519 {KEY}")
    only(problems, "flux-bootstrap:auth", "Give the ssh:// URL")


def test_azure_devops_takes_only_rsa_keys(config_dir):
    write_repo(config_dir, "https://dev.azure.com/org/proj/_git/fleet")
    hosts = f"ssh.dev.azure.com ssh-rsa {key_base64('ssh-rsa')}"
    # Unset, the key type fits the host; another type set on purpose is refused with the fix.
    assert resolve(config_dir.parent, knownHosts=hosts).key_algorithm == "rsa-4096"
    only(refused(config_dir.parent, knownHosts=hosts, keyAlgorithm="ed25519"), "flux-bootstrap:keyAlgorithm", "rsa-4096")
    settings = resolve(config_dir.parent, knownHosts=hosts, keyAlgorithm="rsa-4096")
    assert settings.repo.ssh_url == "ssh://git@ssh.dev.azure.com/v3/org/proj/fleet"


def test_the_default_key_type_elsewhere_is_ed25519(config_dir):
    write_repo(config_dir, "https://github.com/acme/fleet")
    assert resolve(config_dir.parent).key_algorithm == "ed25519"


def test_read_write_key_has_no_effect_off_github(config_dir):
    write_repo(config_dir, "git@gitlab.com:group/fleet.git")
    problems = refused(config_dir.parent, knownHosts=GITLAB_HOSTS, readWriteKey="true")
    only(problems, "flux-bootstrap:readWriteKey", "does not register the key")


# --- GitHub Enterprise Server -------------------------------------------------------------------


def test_github_enterprise_server_follows_githubs_rules(config_dir):
    write_repo(config_dir, "git@GHE.example.com:acme/fleet.git")
    settings = resolve(config_dir.parent, githubUrl="https://ghe.example.com/")
    assert (settings.repo.kind, settings.repo.full_name) == ("github", "acme/fleet")
    assert settings.repo.ssh_url == "ssh://git@ghe.example.com/acme/fleet"
    assert settings.auth.api_base_url == "https://ghe.example.com/api/v3/"
    assert settings.auth.app_base_url == "https://ghe.example.com/api/v3"
    assert settings.token is not None  # the deploy key is registered there with the token


def test_github_enterprise_server_url_below_the_repository_is_refused(config_dir):
    write_repo(config_dir, "https://ghe.example.com/acme/fleet/tree/main")
    (problem,) = refused(config_dir.parent, githubUrl="https://ghe.example.com")
    assert (problem.source, problem.field) == ("config/flux.yaml", "repo") and "give only OWNER/NAME" in problem.message


@pytest.mark.parametrize(
    "url,fragment",
    [("https://github.com", "points at github.com"), ("https://gitlab.com", "not a GitHub Enterprise Server"),
     ("http://ghe.example.com", "https:// address"), ("https://ghe.example.com/path", "nothing else"),
     ("https://octo.ghe.com", "GitHub Enterprise Cloud host (ghe.com)")],
)
def test_github_url_is_a_github_enterprise_address(config_dir, url, fragment):
    only(refused(config_dir.parent, githubUrl=url), "flux-bootstrap:githubUrl", fragment)


def test_github_url_must_be_the_repositorys_host(config_dir):
    only(refused(config_dir.parent, githubUrl="https://ghe.example.com"), "flux-bootstrap:githubUrl", "another host")


def test_github_enterprise_known_hosts_may_override_the_published_keys(config_dir):
    write_repo(config_dir, "https://ghe.example.com/acme/fleet")
    settings = resolve(config_dir.parent, githubUrl="https://ghe.example.com", knownHosts=f"ghe.example.com ssh-ed25519 {KEY}")
    assert settings.auth.known_hosts == f"ghe.example.com ssh-ed25519 {KEY}\n"


# --- github-app ---------------------------------------------------------------------------------


def test_github_app_from_the_key_file_needs_no_token(config_dir):
    (config_dir / "secrets-flux.yaml").unlink()
    pem = app_private_key()
    (config_dir / "github-app.pem").write_text(pem)
    settings = resolve(config_dir.parent, **APP)
    auth = settings.auth
    assert (auth.mode, auth.app_id, auth.installation_id, auth.installation_owner) == ("github-app", "12345", "678", None)
    assert auth.app_private_key.get_secret_value() == pem.strip() + "\n"
    assert auth.app_key_source == "config/github-app.pem"
    assert settings.token is None and pem not in repr(settings)


def test_github_app_key_from_the_secret_setting(config_dir):
    pem = app_private_key()
    settings = resolve(config_dir.parent, githubAppPrivateKey=SecretValue(pem), **APP)
    assert settings.auth.app_key_source == "stack setting flux-bootstrap:githubAppPrivateKey"
    assert settings.token is None  # the secrets file is not read with an installation id


def test_github_app_with_the_installation_owner_uses_the_token_for_lookups(config_dir):
    settings = resolve(config_dir.parent, auth="github-app", githubAppId="12345", githubAppInstallationOwner="acme",
                       githubAppPrivateKey=SecretValue(app_private_key()))
    assert settings.auth.installation_owner == "acme" and settings.token.get_secret_value() == TOKEN


def test_github_app_with_the_installation_owner_needs_flux_2_8(config_dir):
    problems = refused(config_dir.parent, auth="github-app", githubAppId="1", githubAppInstallationOwner="acme",
                       githubAppPrivateKey=SecretValue(app_private_key()), chartVersion="2.17.2")
    only(problems, "flux-bootstrap:githubAppInstallationOwner", "Flux 2.8")


def test_github_app_token_setting_is_refused_with_an_installation_id(config_dir):
    problems = refused(config_dir.parent, githubAppPrivateKey=SecretValue(app_private_key()),
                       githubToken=SecretValue(TOKEN), **APP)
    only(problems, "flux-bootstrap:githubToken", "authenticates as the GitHub App")


@pytest.mark.parametrize(
    "values,field,fragment",
    [
        ({"githubAppInstallationId": "678"}, "githubAppId", "is required"),
        ({"githubAppId": "1"}, "githubAppInstallationId", "exactly one"),
        ({"githubAppId": "1", "githubAppInstallationId": "2", "githubAppInstallationOwner": "acme"}, "githubAppInstallationId", "exactly one"),
        ({"githubAppId": "app-1", "githubAppInstallationId": "2"}, "githubAppId", "must be a number"),
        ({"githubAppId": "1", "githubAppInstallationOwner": "-acme"}, "githubAppInstallationOwner", "organisation or user"),
    ],
)
def test_github_app_settings_are_checked(config_dir, values, field, fragment):
    problems = refused(config_dir.parent, auth="github-app", githubAppPrivateKey=SecretValue(app_private_key()), **values)
    assert any(p.field == f"flux-bootstrap:{field}" and fragment in p.message for p in problems), problems


@pytest.mark.parametrize(
    "text,fragment",
    [("not a key", "is not a PEM private key"), (ec_private_key(), "is not an RSA key"),
     ("-----BEGIN " + "RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "cannot be read"),
     ("x" * 70000, "larger than")],
)
def test_a_bad_app_key_is_refused_without_showing_it(config_dir, text, fragment):
    problems = refused(config_dir.parent, githubAppPrivateKey=SecretValue(text), **APP)
    only(problems, "flux-bootstrap:githubAppPrivateKey", fragment)
    assert text[:40] not in problems[0].message


def test_a_bad_app_key_file_is_named(config_dir):
    (config_dir / "github-app.pem").write_text(ec_private_key())
    (problem,) = refused(config_dir.parent, **APP)
    assert problem.source == "config/github-app.pem" and "not an RSA key" in problem.message


def test_the_app_key_in_plain_text_is_refused(config_dir):
    problems = refused(config_dir.parent, githubAppPrivateKey="-----BEGIN " + "RSA PRIVATE KEY-----", **APP)
    assert "pulumi config set --secret githubAppPrivateKey" in problems[0].fix


def test_github_app_only_on_github(config_dir):
    write_repo(config_dir, "https://gitlab.com/group/fleet")
    problems = refused(config_dir.parent, githubAppPrivateKey=SecretValue(app_private_key()), **APP)
    only(problems, "flux-bootstrap:auth", "works only with GitHub")


@pytest.mark.parametrize(
    "values,field",
    [({"keyAlgorithm": "ecdsa-p384"}, "keyAlgorithm"), ({"readWriteKey": "true"}, "readWriteKey"),
     ({"knownHosts": f"github.com ssh-ed25519 {KEY}"}, "knownHosts"), ({"httpsUsername": "me"}, "httpsUsername")],
)
def test_deploy_key_and_https_settings_are_refused_with_github_app(config_dir, values, field):
    problems = refused(config_dir.parent, githubAppPrivateKey=SecretValue(app_private_key()), **APP, **values)
    only(problems, f"flux-bootstrap:{field}", "only used with `auth:")


def test_offline_the_encrypted_app_key_is_only_present(config_dir):
    settings = resolve(config_dir.parent, require_token=False, githubAppPrivateKey=SecretValue(None), **APP)
    assert settings.auth.app_private_key is None


# --- https --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "repo,username",
    [("git@github.com:acme/fleet.git", "git"), ("https://bitbucket.org/ws/fleet.git", "x-token-auth"),
     ("https://dev.azure.com/org/proj/_git/fleet", "git"), ("https://git.example.org/srv/fleet.git", "git")],
)
def test_https_on_every_host_needs_the_token(config_dir, repo, username):
    write_repo(config_dir, repo)
    settings = resolve(config_dir.parent, auth="https")
    assert settings.auth.https_username == username and settings.token.get_secret_value() == TOKEN
    (config_dir / "secrets-flux.yaml").unlink()
    assert "config/secrets-flux.yaml" in str(refused(config_dir.parent, auth="https")[0].source)


def test_https_username_and_ca(config_dir):
    write_repo(config_dir, "https://git.example.org/srv/fleet.git")
    ca = ca_certificate()
    settings = resolve(config_dir.parent, auth="https", httpsUsername="flux-bot", caCert=ca)
    assert (settings.auth.https_username, settings.auth.ca_cert) == ("flux-bot", ca.strip() + "\n")


def test_ca_file_beside_the_config(config_dir):
    write_repo(config_dir, "https://git.example.org/srv/fleet.git")
    (config_dir / "ca.crt").write_text(ca_certificate())
    assert resolve(config_dir.parent, auth="https").auth.ca_cert.startswith("-----BEGIN CERTIFICATE-----")
    # With deploy-key the file is not read (it may serve other stacks); the setting would be refused.
    assert resolve(config_dir.parent, knownHosts=f"git.example.org ssh-ed25519 {KEY}",
                   repo="ssh://git@git.example.org/srv/fleet.git").auth.ca_cert is None


@pytest.mark.parametrize(
    "values,field,fragment",
    [
        ({"caCert": "not a certificate"}, "caCert", "not a PEM certificate"),
        ({"caCert": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}, "caCert", "cannot be read"),
        ({"httpsUsername": "me:tok"}, "httpsUsername", "without the token"),
        ({"githubAppInstallationId": "2"}, "githubAppInstallationId", "only used with `auth: github-app`"),
    ],
)
def test_https_refusals(config_dir, values, field, fragment):
    write_repo(config_dir, "https://git.example.org/srv/fleet.git")
    only(refused(config_dir.parent, auth="https", **values), f"flux-bootstrap:{field}", fragment)


def test_https_needs_an_https_address(config_dir):
    write_repo(config_dir, "ssh://git@git.example.org/srv/fleet.git")
    only(refused(config_dir.parent, auth="https"), "flux-bootstrap:auth", "Give the https:// URL")


def test_ca_cert_is_refused_with_deploy_key_and_on_github_com(config_dir):
    only(refused(config_dir.parent, caCert=ca_certificate()), "flux-bootstrap:caCert", "trust store")
    only(refused(config_dir.parent, auth="https", caCert=ca_certificate()), "flux-bootstrap:caCert", "public CA")


def test_unknown_mode(config_dir):
    only(refused(config_dir.parent, auth="ssh"), "flux-bootstrap:auth", "deploy-key")


def test_known_hosts_lines_may_list_several_names_of_the_host():
    check_known_hosts(f"gitlab.com,172.65.251.78 ssh-ed25519 {KEY}", "gitlab.com", None)
    with pytest.raises(ValueError, match="not a known_hosts line"):
        check_known_hosts(f"gitlab.com,bad host ssh-ed25519 {KEY}", "gitlab.com", None)


def test_a_ca_bundle_with_its_private_key_is_refused_and_the_key_never_shown(config_dir):
    write_repo(config_dir, "https://git.example.org/team/fleet.git")
    key = ec_private_key()
    problems = refused(config_dir.parent, auth="https", caCert=ca_certificate() + key)
    # The secret screen's words (settings/secret_screen.py) replace the CA rule's at that field.
    only(problems, "flux-bootstrap:caCert", "looks like a private key")
    body = key.splitlines()[1]
    assert body not in " ".join(p.describe() for p in problems)


def test_a_token_given_as_the_https_username_is_refused(config_dir):
    token = "ghp_" + "Zq9x" * 9
    problems = refused(config_dir.parent, auth="https", httpsUsername=token)
    only(problems, "flux-bootstrap:httpsUsername", "looks like a GitHub token")
    assert token not in problems[0].describe()
    assert resolve(config_dir.parent, auth="https", httpsUsername="x-token-auth").auth.https_username == "x-token-auth"
