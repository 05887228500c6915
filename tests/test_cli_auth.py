"""`check` and `render` for each auth mode (issue #11), on a copy of the project."""

from __future__ import annotations

import subprocess

import yaml

from host_keys import host_key
from pems import app_private_key
from helpers import run_cli, stack_file



def test_render_shows_the_app_secret_keys_redacted_and_the_https_url(project, capsys):
    pem = app_private_key()
    (project / "config" / "github-app.pem").write_text(pem)
    (project / "config" / "github-app.pem").chmod(0o600)
    stack_file(project, {"auth": "github-app", "githubAppId": "12345", "githubAppInstallationId": "678"})
    code, out, err = run_cli(project, "render", "--stack", "dev", capsys=capsys)
    assert code == 0, err
    documents = list(yaml.safe_load_all(out))
    secret = next(d for d in documents if d and d.get("kind") == "Secret")
    assert secret["stringData"] == {"githubAppID": "<redacted>", "githubAppInstallationID": "<redacted>",
                                    "githubAppPrivateKey": "<redacted>"}
    spec = next(d for d in documents if d and d.get("kind") == "GitRepository")["spec"]
    assert (spec["provider"], spec["url"]) == ("github", "https://github.com/username/manifests")
    assert "# GitHub App 12345 (installation 678) on username/manifests" in out
    assert pem.splitlines()[1] not in out
    code, out, _ = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 0 and out.startswith("ok: stack dev: https://github.com/username/manifests branch main path ./clusters/dev (auth github-app)")


def test_check_refuses_a_tracked_app_key(project, capsys):
    (project / "config" / "github-app.pem").write_text(app_private_key())
    (project / "config" / "github-app.pem").chmod(0o600)
    stack_file(project, {"auth": "github-app", "githubAppId": "12345", "githubAppInstallationId": "678"})
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "config/github-app.pem"], cwd=project, check=True)
    code, _, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 1 and "config/github-app.pem:\n  - is tracked by Git, so the GitHub App's private key is in the repository" in err


def test_check_of_a_deploy_key_on_another_host_needs_no_token(project, capsys):
    (project / "config" / "secrets-flux.yaml").unlink()
    (project / "config" / "flux.yaml").write_text("repo: git@gitlab.com:group/fleet.git\nbranch: main\n")
    stack_file(project, {"knownHosts": f"gitlab.com {host_key()}"})
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert (code, err) == (0, "") and out.startswith("ok: stack dev: ssh://git@gitlab.com/group/fleet.git branch main")
    code, out, _ = run_cli(project, "render", "--stack", "dev", capsys=capsys)
    assert "which is not GitHub: add the stack output deployKeyPublicKey" in out
