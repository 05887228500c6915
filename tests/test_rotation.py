"""Key rotation without a gap (#18, keyRotation): names per generation, and the order `pulumi up`
takes when the generation changes, replayed step by step (tests/replay.py)."""

from __future__ import annotations

import pytest

from helpers import ROOT, settings_for
from flux_bootstrap.errors import ConfigError
from flux_bootstrap.plan import plan
from harness import DEPLOY_KEY, GIT_REPO, KEY, SECRET, make_key, run_program
from replay import replay

# Pulumi names and URNs of a stack without keyRotation, as before it existed: unchanged.
BEFORE = {
    "flux", "flux-github", "flux-kubernetes", "flux-deploy-key", "flux-namespace", "flux-secret",
    "flux-release", "flux-git-repository", "flux-kustomization",
}


def names(run) -> set[str]:
    return {reg.name for reg in run.registrations}


def test_unset_keeps_every_name(config_dir):
    run = run_program({"configDir": str(config_dir)})
    assert names(run) == BEFORE
    assert run.one(SECRET).inputs["metadata"]["name"] == "flux-system"
    assert run.one(GIT_REPO).inputs["spec"]["secretRef"] == {"name": "flux-system"}
    assert run.one(DEPLOY_KEY).inputs["title"] == "flux-bootstrap/dev"


def test_a_generation_names_key_deploy_key_and_secret(config_dir):
    run = run_program({"configDir": str(config_dir), "keyRotation": "2026-11-30"})
    assert names(run) - BEFORE == {"flux-deploy-key-2026-11-30", "flux-secret-2026-11-30"}
    assert BEFORE - names(run) == {"flux-deploy-key", "flux-secret"}
    assert run.one(KEY).name == run.one(DEPLOY_KEY).name == "flux-deploy-key-2026-11-30"
    assert run.one(SECRET).inputs["metadata"]["name"] == "flux-system-2026-11-30"
    assert run.one(GIT_REPO).inputs["spec"]["secretRef"] == {"name": "flux-system-2026-11-30"}
    assert run.one(DEPLOY_KEY).inputs["title"] == "flux-bootstrap/dev (key 2026-11-30)"
    # The GitRepository waits for the new Secret and the new deploy key.
    depends = set(run.one(GIT_REPO).dependencies)
    assert {run.one(SECRET).urn, run.one(DEPLOY_KEY).urn} <= depends


@pytest.mark.parametrize("value", ["Two", "-2", "2-", "a_b", "2026.11", "x" * 41, ""])
def test_refused_generations(config_dir, value):
    if value == "":  # Pulumi.yaml's default: unset
        assert settings_for(config_dir, keyRotation=value).gitops.key_rotation is None
        return
    with pytest.raises(ConfigError) as err:
        settings_for(config_dir, keyRotation=value)
    text = str(err.value)
    assert "flux-bootstrap:keyRotation" in text and "lower-case letters, digits" in text
    assert value not in text.replace("flux-bootstrap", "")


def test_plan_dependencies(config_dir):
    planned = plan(settings_for(config_dir, keyRotation="3"))
    assert [p.resource for p in planned.objects] == ["namespace", "secret-3", "git-repository", "kustomization"]
    assert planned.object("git-repository").depends_on == ("release", "secret-3", "deploy-key-3")
    assert planned.deploy_key.resource == "deploy-key-3"


def _runs(config_dir, old: dict, new: dict, *, same_key=False, **kwargs):
    base = {"configDir": str(config_dir)}
    first_key = make_key()
    old_run = run_program({**base, **old}, key=first_key, **kwargs)
    new_run = run_program({**base, **new}, key=first_key if same_key else make_key(), **kwargs)
    return old_run, new_run


@pytest.mark.parametrize("old, new", [({}, {"keyRotation": "2"}), ({"keyRotation": "2"}, {"keyRotation": "3"})],
                         ids=["first rotation", "next rotation"])
def test_rotation_never_leaves_flux_without_a_credential(config_dir, old, new):
    old_run, new_run = _runs(config_dir, old, new)
    done, gaps = replay(old_run, new_run)
    assert gaps == []
    new_gen, old_gen = "-" + new["keyRotation"], "-" + old["keyRotation"] if old else ""
    # New key pair, deploy key and Secret first; then the GitRepository switches; the old ones last.
    # (Between independent resources, Pulumi's order is not fixed: only what dependencies impose.)
    ops = [(step.op, step.resource.type, step.resource.name) for step in done]
    assert ops[0] == ("create", KEY, f"flux-deploy-key{new_gen}")
    assert set(ops[1:3]) == {("create", DEPLOY_KEY, f"flux-deploy-key{new_gen}"),
                             ("create", SECRET, f"flux-secret{new_gen}")}
    assert ops[3] == ("update", GIT_REPO, "flux-git-repository")
    assert set(ops[4:6]) == {("delete", DEPLOY_KEY, f"flux-deploy-key{old_gen}"),
                             ("delete", SECRET, f"flux-secret{old_gen}")}
    assert ops[6:] == [("delete", KEY, f"flux-deploy-key{old_gen}")]


def test_the_replay_sees_the_gap_of_replacing_the_key_in_place(config_dir):
    """Control: the way before keyRotation (`pulumi up --replace <privateKeyUrn>`) deletes the deploy
    key and the Secret before their replacements exist; the replay must see that."""
    old_run, new_run = _runs(config_dir, {}, {})
    _, gaps = replay(old_run, new_run, replace=frozenset({old_run.one(KEY).urn}))
    assert gaps and any("not a deploy key" in gap or "does not exist" in gap for gap in gaps)


def test_unchanged_generation_changes_nothing(config_dir):
    old_run, new_run = _runs(config_dir, {"keyRotation": "2"}, {"keyRotation": "2"}, same_key=True)
    done, gaps = replay(old_run, new_run)
    assert (done, gaps) == ([], [])


def test_https_rotation_replaces_the_secret_first(config_dir):
    https = {"auth": "https"}
    old_run, new_run = _runs(config_dir, https, {**https, "keyRotation": "2"})
    done, gaps = replay(old_run, new_run)
    assert gaps == []
    assert [str(step) for step in done] == ["create flux-secret-2", "update flux-git-repository", "delete flux-secret"]


def test_render_shows_the_generation(tmp_path, config_dir, capsys):
    import shutil

    from flux_bootstrap.cli import main

    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  flux-bootstrap:keyRotation: '7'\n")
    assert main(["--project-dir", str(tmp_path), "render", "--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert "# Key rotation: generation '7': Secret flux-system-7." in out
    assert "name: flux-system-7" in out and "creates the key pair, the deploy key and the new Secret first" in out


def test_app_rotation_switches_the_commit_status_provider_before_the_old_secret_goes(config_dir):
    from pems import app_private_key

    (config_dir / "github-app.pem").write_text(app_private_key())
    (config_dir / "secrets-flux.yaml").unlink()
    app = {"auth": "github-app", "githubAppId": "12345", "githubAppInstallationId": "678", "commitStatus": "true"}
    old_run, new_run = _runs(config_dir, app, {**app, "keyRotation": "2"})
    done, gaps = replay(old_run, new_run)
    assert gaps == []
    shown = [str(step) for step in done]
    assert shown[0] == "create flux-secret-2" and shown[-1] == "delete flux-secret"
    assert {"update flux-git-repository", "update flux-commit-status-provider"} == set(shown[1:3])


def test_refused_where_the_deploy_key_is_added_by_hand(config_dir):
    hosts = "gitlab.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    with pytest.raises(ConfigError) as err:
        settings_for(config_dir, repo="https://gitlab.com/acme/fleet", knownHosts=hosts, keyRotation="2")
    assert "flux-bootstrap:keyRotation" in str(err.value) and "only where the program registers" in str(err.value)
    # Over HTTPS the Secret alone rotates, which needs nothing by hand.
    assert settings_for(config_dir, repo="https://gitlab.com/acme/fleet", auth="https", keyRotation="2")
