"""Preflight in the whole program under mocks that answer as pulumi-github does.

A failed check ends the run with a RunError before anything but the providers and the component
is registered; a permission gap is a warning and the run goes on. The mock engine hands
pulumi.log.warn to Python's root logger (stderr outside pytest), so warnings are read from caplog.
"""

from __future__ import annotations

import logging

import pulumi
import pytest

from conftest import TOKEN
from harness import BRANCH, DEPLOY_KEYS, LOOKUPS, REPOSITORY, TREE, Run, Scenario, run_program

COMPONENT = "flux-bootstrap:index:FluxBootstrap"
PROVIDERS = {"pulumi:providers:github", "pulumi:providers:kubernetes"}
GIT_REPO = "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository"
NO_CONTENTS = "403 Resource not accessible by personal access token"


@pytest.fixture
def default_branch_config(config_dir):
    """flux.yaml without a branch: the repository's default branch is used."""
    (config_dir / "flux.yaml").write_text("repo: https://github.com/acme/fleet\n")
    return config_dir


def warnings(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def fails(config_dir, scenario: Scenario, caplog, **settings) -> str:
    run = Run()
    with pytest.raises(pulumi.RunError) as err:
        run_program({"configDir": str(config_dir), **settings}, scenario=scenario, run=run)
    message = str(err.value)
    assert "nothing was created" in message
    assert TOKEN not in message and TOKEN not in caplog.text
    # Only the providers and the component: no key, deploy key or Kubernetes object.
    assert {r.type for r in run.registrations} == PROVIDERS | {COMPONENT}
    return message


def passes(config_dir, scenario: Scenario, caplog, **settings) -> tuple[Run, str]:
    run = run_program({"configDir": str(config_dir), **settings}, scenario=scenario)
    assert TOKEN not in caplog.text
    assert run.one(GIT_REPO)  # the program went on to the end
    return run, warnings(caplog)


# --- failures: a message and nothing created --------------------------------------------------


def test_missing_or_invisible_repository(default_branch_config, caplog):
    message = fails(default_branch_config, Scenario(exists=False), caplog)
    assert "GitHub found no repository acme/fleet" in message
    assert "Metadata: Read-only" in message


def test_missing_repository_is_an_error_also_with_a_given_branch(config_dir, caplog):
    message = fails(config_dir, Scenario(exists=False), caplog)
    assert "GitHub found no repository username/manifests" in message


def test_empty_repository(config_dir, caplog):
    message = fails(config_dir, Scenario(branches={}), caplog)
    assert "Repository username/manifests is empty" in message
    assert 'HTTP 409 "Git Repository is empty."' in message and "Push a first commit" in message


def test_missing_branch(config_dir, caplog):
    scenario = Scenario(branches={"trunk": ("clusters/dev/app.yaml",)})
    message = fails(config_dir, scenario, caplog)
    assert "Branch main (the branch setting) does not exist in username/manifests" in message


def test_missing_path(config_dir, caplog):
    scenario = Scenario(branches={"main": ("clusters/prod/app.yaml",)})
    message = fails(config_dir, scenario, caplog)
    assert "path ./clusters/dev in branch main of username/manifests does not exist" in message
    assert "no folder clusters/dev there" in message


def test_path_without_manifest(config_dir, caplog):
    scenario = Scenario(branches={"main": ("clusters/dev/README.md", "clusters/dev/notes/todo.txt")})
    message = fails(config_dir, scenario, caplog)
    assert "holds no manifest Flux would apply" in message


def test_token_without_administration(config_dir, caplog):
    scenario = Scenario(refusals={DEPLOY_KEYS: NO_CONTENTS})
    message = fails(config_dir, scenario, caplog)
    assert "cannot manage the deploy keys of username/manifests" in message
    assert "Administration: Read and write" in message


def test_bad_credentials(config_dir, caplog):
    message = fails(config_dir, Scenario(refusals={REPOSITORY: "401 Bad credentials"}), caplog)
    assert "GitHub refused the token" in message


def test_bad_tree_reference(config_dir, caplog):
    message = fails(config_dir, Scenario(refusals={TREE: "422 Invalid tree info"}), caplog)
    assert 'could not list the path ./clusters/dev' in message and "HTTP 422" in message


def test_token_echoed_by_github_is_not_repeated(config_dir, caplog):
    message = fails(config_dir, Scenario(refusals={REPOSITORY: f"401 Bad credentials {TOKEN}"}), caplog)
    assert "HTTP 401" in message


def test_every_problem_in_one_message(default_branch_config, caplog):
    scenario = Scenario(branches={"main": ("README.md",)}, default_branch="gone", refusals={DEPLOY_KEYS: "404 Not Found"})
    message = fails(default_branch_config, scenario, caplog)
    assert message.startswith("Preflight found 2 problems with GitHub repository acme/fleet")
    assert "Branch gone (the repository's default branch)" in message and "deploy keys" in message


# --- permission gaps: a warning, and the program goes on -------------------------------------


@pytest.mark.parametrize("refused,what", [(BRANCH, "that branch main exists"), (TREE, "the path ./clusters/dev")])
def test_missing_contents_permission_is_a_warning(config_dir, caplog, refused, what):
    run, stderr = passes(config_dir, Scenario(refusals={refused: NO_CONTENTS}), caplog)
    assert f"Could not check {what}" in stderr and "Contents: Read-only" in stderr
    assert run.one(GIT_REPO).inputs["spec"]["ref"] == {"branch": "main"}


def test_public_repository_is_a_warning(config_dir, caplog):
    _, stderr = passes(config_dir, Scenario(visibility="public"), caplog)
    assert "username/manifests as public" in stderr
    assert "python -m flux_bootstrap audit <checkout> --stack dev" in stderr


# --- healthy ----------------------------------------------------------------------------------


def test_healthy_repository_passes_silently(default_branch_config, caplog):
    run, stderr = passes(default_branch_config, Scenario(default_branch="trunk"), caplog)
    assert stderr == ""
    assert run.outputs["branch"] == "trunk"
    assert {i.token for i in run.invokes} >= set(LOOKUPS)
    (branch,) = [i for i in run.invokes if i.token == BRANCH]
    assert branch.args == {"repository": "fleet", "branch": "trunk"}


def test_every_lookup_answers_before_anything_else_is_registered(config_dir):
    run = run_program({"configDir": str(config_dir)})
    lookups = [i for i, e in enumerate(run.events) if e.removeprefix("invoke ") in LOOKUPS]
    others = [i for i, e in enumerate(run.events) if e.startswith("register ") and e[9:] not in PROVIDERS | {COMPONENT}]
    assert len(lookups) == 6 and len(others) == 7  # 1 repository, 1 branch, 3 trees, 1 deploy keys
    assert max(lookups) < min(others)


def test_nested_path_is_walked_one_folder_at_a_time(config_dir, caplog):
    scenario = Scenario(branches={"main": ("a/b/c/d/kustomization.yaml", "a/other.yaml")})
    run, _ = passes(config_dir, scenario, caplog, path="a/b/c/d")
    tree_lookups = [i for i in run.invokes if i.token == TREE]
    assert [i.args["recursive"] for i in tree_lookups] == [False] * 4 + [True]


# --- preflight off ----------------------------------------------------------------------------


def test_preflight_off_skips_the_checks_with_a_warning(config_dir, caplog):
    run, stderr = passes(config_dir, Scenario(branches={}), caplog, preflight="false")
    assert "Preflight checks are off (flux-bootstrap:preflight is false)" in stderr
    assert not [i for i in run.invokes if i.token in LOOKUPS]
    assert run.one(GIT_REPO).inputs["spec"]["ref"] == {"branch": "main"}


def test_preflight_off_still_resolves_the_default_branch(default_branch_config, caplog):
    run, stderr = passes(default_branch_config, Scenario(default_branch="trunk", branches={}), caplog, preflight="false")
    assert "Preflight checks are off" in stderr
    assert [i.token for i in run.invokes if i.token in LOOKUPS] == [REPOSITORY]
    assert run.outputs["branch"] == "trunk"


def test_preflight_off_never_uses_an_empty_default_branch(default_branch_config, caplog):
    message = fails(default_branch_config, Scenario(exists=False), caplog, preflight="false")
    assert "GitHub found no repository acme/fleet" in message
