"""Preflight in the whole program under mocks that answer as pulumi-github does.

A failed check ends the run with a RunError before anything but the providers and the component
is registered; a permission gap is a warning and the run goes on. The mock engine hands
pulumi.log.warn to Python's root logger (stderr outside pytest), so warnings are read from caplog.
"""

from __future__ import annotations

import pulumi
import pytest

from helpers import TOKEN, passes
from harness import (BRANCH, COMPONENT, DEPLOY_KEYS, GH_PROVIDER, GIT_REPO, K8S_PROVIDER, LOOKUPS, REPOSITORY, SSH_KEYS,
                     TREE, Run, Scenario, run_program)

PROVIDERS = {GH_PROVIDER, K8S_PROVIDER}
NO_CONTENTS = "403 Resource not accessible by personal access token"


@pytest.fixture
def default_branch_config(config_dir):
    """flux.yaml without a branch: the repository's default branch is used."""
    (config_dir / "flux.yaml").write_text("repo: https://github.com/acme/fleet\n")
    return config_dir


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


# A token without Contents is refused the branch and the trees alike (one permission covers both).
@pytest.mark.parametrize("refused,what", [((BRANCH, TREE), "that branch main exists"), ((TREE,), "the path ./clusters/dev")])
def test_missing_contents_permission_is_a_warning(config_dir, caplog, refused, what):
    run, stderr = passes(config_dir, Scenario(refusals=dict.fromkeys(refused, NO_CONTENTS)), caplog)
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
    # One listing of the default branch, by name, proves the branch and shows the path.
    assert sorted(i.token for i in run.invokes) == sorted([REPOSITORY, TREE, DEPLOY_KEYS, SSH_KEYS])
    (tree,) = [i for i in run.invokes if i.token == TREE]
    assert tree.args == {"repository": "fleet", "treeSha": "trunk", "recursive": True}


def test_every_lookup_answers_before_anything_else_is_registered(config_dir):
    run = run_program({"configDir": str(config_dir)})
    lookups = [i for i, e in enumerate(run.events) if e.removeprefix("invoke ") in LOOKUPS]
    others = [i for i, e in enumerate(run.events) if e.startswith("register ") and e[9:] not in PROVIDERS | {COMPONENT}]
    assert len(lookups) == 3 and len(others) == 7  # the repository, one tree, the deploy keys
    assert max(lookups) < min(others)


def test_nested_path_is_listed_in_one_call(config_dir, caplog):
    scenario = Scenario(branches={"main": ("a/b/c/d/kustomization.yaml", "a/other.yaml")})
    run, _ = passes(config_dir, scenario, caplog, path="a/b/c/d")
    assert [(i.args["treeSha"], i.args["recursive"]) for i in run.invokes if i.token in (BRANCH, TREE)] == [("main", True)]


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


# --- GitHub's rate limit (issue #15): a healthy run makes at most 4 calls ------------------------


def github_calls(run: Run) -> list[str]:
    return [i.token for i in run.invokes if i.token.startswith("github:")]


@pytest.mark.parametrize("given_branch", [True, False])
def test_a_healthy_run_makes_four_github_calls(config_dir, default_branch_config, caplog, given_branch):
    folder = config_dir if given_branch else default_branch_config
    run, stderr = passes(folder, Scenario(), caplog)
    assert stderr == ""
    # The repository, the branch's tree (branch and path in one), the deploy keys, GitHub's host keys.
    assert sorted(github_calls(run)) == sorted([REPOSITORY, TREE, DEPLOY_KEYS, SSH_KEYS])


def test_a_missing_branch_is_then_asked_with_get_branch(config_dir):
    run = Run()
    with pytest.raises(pulumi.RunError, match=r"Branch main \(the branch setting\) does not exist in username/manifests"):
        run_program({"configDir": str(config_dir)}, scenario=Scenario(branches={"trunk": ("clusters/dev/app.yaml",)}), run=run)
    # The listing by name answered 404; get_branch tells a missing branch from other refusals, in today's words.
    assert [i.token for i in run.invokes] == [REPOSITORY, TREE, BRANCH, DEPLOY_KEYS]


def test_a_branch_name_the_tree_api_cannot_take_is_looked_up_first(config_dir, caplog):
    scenario = Scenario(branches={"fix#12": ("clusters/dev/app.yaml",)})
    run, stderr = passes(config_dir, scenario, caplog, branch="fix#12")
    assert stderr == ""
    asked = [(i.token, i.args.get("treeSha"), i.args.get("recursive")) for i in run.invokes if i.token in (BRANCH, TREE)]
    # '#' would end the URL the provider builds: the branch's commit is listed instead.
    assert asked == [(BRANCH, None, None), (TREE, scenario.commit_sha("fix#12"), True)]


def bulk(count: int) -> tuple[str, ...]:
    """Files with long names (about 830 characters each, every folder name under Git's 255 bytes)."""
    folders = "/".join(c * 200 for c in "xyz")
    return tuple(f"bulk/{folders}/{i:05}-{'w' * 200}.yaml" for i in range(count))


def tree_calls(run: Run) -> list[tuple[str, bool]]:
    return [(i.args["treeSha"], i.args["recursive"]) for i in run.invokes if i.token == TREE]


def test_a_listing_that_could_have_been_cut_is_not_trusted_with_the_path(config_dir, caplog):
    # About 2 MB: under GitHub's 7 MB, but not far enough under it to prove nothing was cut.
    scenario = Scenario(branches={"main": ("clusters/dev/app.yaml", *bulk(2_000))})
    run, stderr = passes(config_dir, scenario, caplog)
    assert stderr == ""
    assert tree_calls(run) == [("main", True), (scenario.tree_sha("main", "clusters/dev"), True)]


def test_a_path_cut_from_the_listing_is_found_by_walking(config_dir, caplog):
    # Over 7 MB: GitHub cuts the listing before clusters/, which a single listing would call missing.
    scenario = Scenario(branches={"main": (*bulk(8_500), "clusters/dev/app.yaml")})
    run, stderr = passes(config_dir, scenario, caplog)
    assert stderr == ""
    assert tree_calls(run) == [
        ("main", True), ("main", False), (scenario.tree_sha("main", "clusters"), False),
        (scenario.tree_sha("main", "clusters/dev"), True),
    ]


def test_a_branch_named_like_a_tag_is_looked_up_as_a_branch(config_dir, caplog):
    # The tree API would list a tag v1.0; get_branch says no branch has that name, as before.
    message = fails(config_dir, Scenario(), caplog, branch="v1.0")
    assert "Branch v1.0 (the branch setting) does not exist in username/manifests" in message
