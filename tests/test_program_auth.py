"""Each auth mode through the whole program under mocks: what is made and not made, the Secret's keys,
the URL, secrecy on the wire, how the GitHub provider authenticates, and what preflight asks."""

from __future__ import annotations

import json
import logging

import pulumi
import pytest

from helpers import TOKEN
from flux_bootstrap.validation import validate_object
from harness import COMPONENT, DEPLOY_KEY, GH_PROVIDER, GIT_REPO, K8S_PROVIDER, KEY, KUSTOMIZATION, NAMESPACE, RELEASE, SECRET, DEPLOY_KEYS, HOST_KEYS, REPOSITORY, SSH_KEYS, TREE, Run, Scenario, make_key, run_program
from host_keys import key_base64
from pems import app_private_key, ca_certificate
from helpers import write_repo

CLUSTER_SIDE = [NAMESPACE, SECRET, RELEASE, GIT_REPO, KUSTOMIZATION]
APP = {"auth": "github-app", "githubAppId": "12345", "githubAppInstallationId": "678"}
HOST_KEY = key_base64()


def types(run: Run) -> list[str]:
    return sorted(r.type for r in run.registrations)


def plain_text(run: Run) -> str:
    """Everything not secret on the wire: plain inputs of every resource, invoke args, outputs."""
    parts = []
    for registration in run.registrations:
        parts.append(json.dumps({k: v for k, v in registration.inputs.items() if k not in registration.secret_inputs}))
    parts += [json.dumps(invoke.args) for invoke in run.invokes]
    parts.append(json.dumps(run.outputs))
    return "\n".join(parts)


def assert_valid_objects(run: Run) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", **run.one(SECRET).inputs}
    assert validate_object(secret) == []
    for kind in (GIT_REPO, KUSTOMIZATION):
        assert validate_object(run.one(kind).inputs, "2.18.3") == [], kind


# --- github-app ---------------------------------------------------------------------------------


@pytest.fixture
def app_key(config_dir) -> str:
    pem = app_private_key()
    (config_dir / "github-app.pem").write_text(pem)
    (config_dir / "secrets-flux.yaml").unlink()  # no token anywhere: the App does everything
    return pem


def test_github_app_makes_no_key_and_authenticates_as_the_app(config_dir, app_key):
    run = run_program({"configDir": str(config_dir), **APP})
    assert types(run) == sorted([COMPONENT, GH_PROVIDER, K8S_PROVIDER, *CLUSTER_SIDE])
    provider = run.one(GH_PROVIDER)
    assert "token" not in provider.inputs
    app_auth = provider.inputs["appAuth"]
    app_auth = json.loads(app_auth) if isinstance(app_auth, str) else app_auth
    assert app_auth == {"id": "12345", "installationId": "678", "pemFile": app_key.strip() + "\n"}
    assert "appAuth" in provider.secret_inputs

    secret = run.one(SECRET)
    assert secret.inputs["stringData"] == {
        "githubAppID": "12345", "githubAppInstallationID": "678", "githubAppPrivateKey": app_key.strip() + "\n",
    }
    assert "stringData" in secret.secret_inputs
    spec = run.one(GIT_REPO).inputs["spec"]
    assert (spec["provider"], spec["url"]) == ("github", "https://github.com/username/manifests")
    assert_valid_objects(run)
    # Preflight ran as the App, without the deploy-key check; no host keys are fetched.
    asked = {i.token for i in run.invokes}
    assert asked == {REPOSITORY, TREE}  # the branch is proven by its tree
    assert "deployKeyPublicKey" not in run.outputs and "privateKeyUrn" not in run.outputs
    assert run.outputs["gitUrl"] == "https://github.com/username/manifests"
    body = app_key.strip().splitlines()[1]
    assert body not in plain_text(run)


def test_github_app_installation_that_cannot_see_the_repository(config_dir, app_key, caplog):
    run = Run()
    with pytest.raises(pulumi.RunError) as err:
        run_program({"configDir": str(config_dir), **APP}, scenario=Scenario(exists=False), run=run)
    message = str(err.value)
    assert "GitHub App 12345 (installation 678) cannot see repository username/manifests" in message
    assert "Repository access" in message and "nothing was created" in message
    assert {r.type for r in run.registrations} == {COMPONENT, GH_PROVIDER, K8S_PROVIDER}


def test_github_app_without_contents_permission_is_an_error(config_dir, app_key):
    with pytest.raises(pulumi.RunError, match="Flux fetches username/manifests with the same credential"):
        run_program({"configDir": str(config_dir), **APP},
                    scenario=Scenario(refusals={TREE: "403 Resource not accessible by integration"}))


def test_github_app_with_the_installation_owner_on_an_enterprise_server(config_dir):
    write_repo(config_dir, "git@ghe.example.com:acme/fleet.git")
    pem, ca = app_private_key(), ca_certificate()
    run = run_program(
        {"configDir": str(config_dir), "auth": "github-app", "githubAppId": "12345", "githubAppInstallationOwner": "acme",
         "githubUrl": "https://ghe.example.com", "caCert": ca},
        secrets={"githubAppPrivateKey": pem},
    )
    provider = run.one(GH_PROVIDER).inputs
    # Only a numeric installation lets the provider act as the App: the lookups use the token.
    assert provider["token"] == TOKEN and "appAuth" not in provider
    assert provider["baseUrl"] == "https://ghe.example.com/api/v3/"
    data = run.one(SECRET).inputs["stringData"]
    assert data["githubAppInstallationOwner"] == "acme" and "githubAppInstallationID" not in data
    assert data["githubAppBaseURL"] == "https://ghe.example.com/api/v3" and data["ca.crt"] == ca.strip() + "\n"
    assert run.one(GIT_REPO).inputs["spec"]["url"] == "https://ghe.example.com/acme/fleet"
    assert_valid_objects(run)
    assert TOKEN not in plain_text(run) and pem.splitlines()[1] not in plain_text(run)


# --- https ----------------------------------------------------------------------------------------


def test_https_on_github_puts_the_token_in_the_cluster_and_makes_no_key(config_dir):
    run = run_program({"configDir": str(config_dir), "auth": "https"})
    assert types(run) == sorted([COMPONENT, GH_PROVIDER, K8S_PROVIDER, *CLUSTER_SIDE])
    secret = run.one(SECRET)
    assert secret.inputs["stringData"] == {"username": "git", "password": TOKEN}
    assert "stringData" in secret.secret_inputs
    spec = run.one(GIT_REPO).inputs["spec"]
    assert spec["url"] == "https://github.com/username/manifests" and "provider" not in spec
    assert {i.token for i in run.invokes} == {REPOSITORY, TREE}  # the branch is proven by its tree
    assert_valid_objects(run)
    assert TOKEN not in plain_text(run)
    assert set(run.outputs) == {"gitUrl", "branch", "path", "namespace", "chartVersion"}


def test_https_with_a_token_that_cannot_read_contents_is_an_error(config_dir):
    with pytest.raises(pulumi.RunError, match="give the token Contents: Read-only"):
        run_program({"configDir": str(config_dir), "auth": "https"},
                    scenario=Scenario(refusals={TREE: "403 Resource not accessible by personal access token"}))


@pytest.mark.parametrize(
    "repo,url,username",
    [("git@gitlab.com:group/sub/fleet.git", "https://gitlab.com/group/sub/fleet.git", "git"),
     ("https://bitbucket.org/ws/fleet", "https://bitbucket.org/ws/fleet.git", "x-token-auth"),
     ("https://org@dev.azure.com/org/proj/_git/fleet", "https://dev.azure.com/org/proj/_git/fleet", "git"),
     ("https://git.example.org/srv/fleet.git", "https://git.example.org/srv/fleet.git", "git")],
)
def test_https_on_other_hosts_asks_github_nothing(config_dir, caplog, repo, url, username):
    write_repo(config_dir, repo)
    ca = ca_certificate()
    run = run_program({"configDir": str(config_dir), "auth": "https", "caCert": ca})
    assert types(run) == sorted([COMPONENT, K8S_PROVIDER, *CLUSTER_SIDE])
    assert run.invokes == []
    assert run.one(SECRET).inputs["stringData"] == {"username": username, "password": TOKEN, "ca.crt": ca.strip() + "\n"}
    assert run.one(GIT_REPO).inputs["spec"]["url"] == url
    warnings = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    assert "Preflight skipped" in warnings and "is not GitHub" in warnings
    assert_valid_objects(run)
    assert TOKEN not in plain_text(run)


# --- deploy-key on a GitHub Enterprise Server and on other hosts ----------------------------------


def test_deploy_key_on_an_enterprise_server(config_dir):
    write_repo(config_dir, "https://ghe.example.com/acme/fleet")
    key = make_key()
    run = run_program({"configDir": str(config_dir), "githubUrl": "https://ghe.example.com"}, key=key)
    assert types(run) == sorted([COMPONENT, GH_PROVIDER, K8S_PROVIDER, KEY, DEPLOY_KEY, *CLUSTER_SIDE])
    assert run.one(GH_PROVIDER).inputs["baseUrl"] == "https://ghe.example.com/api/v3/"
    assert run.one(DEPLOY_KEY).inputs["repository"] == "fleet"
    data = run.one(SECRET).inputs["stringData"]
    assert data["known_hosts"].splitlines() == sorted(f"ghe.example.com {k}" for k in HOST_KEYS)
    assert data["identity"] == key["privateKeyOpenssh"]
    assert run.one(GIT_REPO).inputs["spec"]["url"] == "ssh://git@ghe.example.com/acme/fleet"
    assert run.outputs["deployKeyPublicKey"] == key["publicKeyOpenssh"]


def test_an_enterprise_server_without_published_host_keys_stops_the_run(config_dir):
    write_repo(config_dir, "https://ghe.example.com/acme/fleet")
    run = Run()
    with pytest.raises(pulumi.RunError, match="published no SSH host keys.*pulumi config set flux-bootstrap:knownHosts"):
        run_program({"configDir": str(config_dir), "githubUrl": "https://ghe.example.com"}, host_keys=[], run=run)
    assert {r.type for r in run.registrations} == {COMPONENT, GH_PROVIDER, K8S_PROVIDER}


def test_known_hosts_on_an_enterprise_server_replaces_the_published_keys(config_dir):
    write_repo(config_dir, "https://ghe.example.com/acme/fleet")
    line = f"ghe.example.com ssh-ed25519 {HOST_KEY}"
    run = run_program({"configDir": str(config_dir), "githubUrl": "https://ghe.example.com", "knownHosts": line})
    assert run.one(SECRET).inputs["stringData"]["known_hosts"] == line + "\n"
    assert SSH_KEYS not in {i.token for i in run.invokes}


@pytest.mark.parametrize(
    "repo,url,known_hosts",
    [("https://gitlab.com/group/fleet", "ssh://git@gitlab.com/group/fleet.git", f"gitlab.com ssh-ed25519 {HOST_KEY}"),
     ("ssh://git@git.example.org:2222/srv/fleet.git", "ssh://git@git.example.org:2222/srv/fleet.git",
      f"[git.example.org]:2222 ssh-ed25519 {HOST_KEY}")],
    ids=["gitlab", "port"],
)
def test_deploy_key_on_another_host_exports_the_public_key_and_registers_nothing(config_dir, caplog, repo, url, known_hosts):
    write_repo(config_dir, repo)
    (config_dir / "secrets-flux.yaml").unlink()  # no token needed: nothing calls GitHub
    key = make_key()
    run = run_program({"configDir": str(config_dir), "knownHosts": known_hosts}, key=key)
    assert types(run) == sorted([COMPONENT, K8S_PROVIDER, KEY, *CLUSTER_SIDE])
    assert run.invokes == []
    data = run.one(SECRET).inputs["stringData"]
    assert data["known_hosts"] == known_hosts + "\n" and data["identity"] == key["privateKeyOpenssh"]
    assert run.one(GIT_REPO).inputs["spec"]["url"] == url
    assert {run.by_urn(u).type for u in run.one(GIT_REPO).dependencies} == {RELEASE, SECRET}
    assert run.outputs["deployKeyPublicKey"] == key["publicKeyOpenssh"]
    assert run.outputs["gitUrl"] == url
    assert key["privateKeyOpenssh"] not in plain_text(run)
    assert_valid_objects(run)


# --- URNs: the default mode's are pinned in test_program.py; the new modes keep the same names ---


def test_mode_resources_keep_the_default_names(config_dir):
    run = run_program({"configDir": str(config_dir), "auth": "https"})
    prefix = "urn:pulumi:dev::flux-bootstrap::flux-bootstrap:index:FluxBootstrap$"
    assert {r.urn.removeprefix(prefix) for r in run.registrations if r.type in (SECRET, GH_PROVIDER)} == {
        "kubernetes:core/v1:Secret::flux-secret", "pulumi:providers:github::flux-github",
    }
