"""Preflight rules over what GitHub answered: pure, no Pulumi, no mocks."""

from __future__ import annotations

import pytest

from helpers import TOKEN
from flux_bootstrap import preflight as rules
from flux_bootstrap.preflight import (
    BranchFacts,
    DeployKeysFacts,
    Facts,
    GitHubError,
    PathFacts,
    RepositoryFacts,
    TreeEntry,
    check,
    find_entry,
    format_errors,
    parse_github_error,
    resolve_branch,
    skipped_warning,
)

REPO = "acme/fleet"
FOUND = RepositoryFacts(default_branch="main", visibility="private", private=True)
EMPTY_ANSWER = RepositoryFacts()  # what get_repository gives for a missing or invisible repository
FORBIDDEN = GitHubError(403, "Resource not accessible by personal access token")
MANIFESTS = (TreeEntry("apps.yaml", "blob"),)


def facts(
    repo: RepositoryFacts = FOUND,
    *,
    given: str | None = None,
    branch: BranchFacts | None = BranchFacts("main", sha="c0ffee"),
    path: PathFacts | None = PathFacts("clusters/dev", entries=MANIFESTS),
    keys: DeployKeysFacts | None = DeployKeysFacts(),
) -> Facts:
    return Facts(REPO, "dev", given, repo, branch=branch, path=path, deploy_keys=keys)


# --- parsing GitHub's answer ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text,status,message",
    [
        ("GET https://api.github.com/repos/acme/fleet/git/ref/heads/main: 409 Git Repository is empty. []", 409, "Git Repository is empty."),
        ("invoke of github:index/getTree:getTree failed: GET https://api.github.com/repos/a/b/git/trees/x: "
         "403 Resource not accessible by personal access token [] ()", 403, "Resource not accessible by personal access token"),
        ("GET https://api.github.com/repos/a/b/keys: 404 Not Found []", 404, "Not Found"),
        ("1 error occurred:\n\t* GET https://api.github.com/repos/a/b: 401 Bad credentials []\n\n", 401, "Bad credentials"),
        ("GET https://api.github.com/repos/a/b/git/trees/zz: 422 Invalid tree info []", 422, "Invalid tree info"),
        ("something failed with 502 Bad Gateway", 502, "Bad Gateway"),
    ],
)
def test_status_line_is_parsed(text, status, message):
    assert parse_github_error(text) == GitHubError(status, message)


@pytest.mark.parametrize(
    "text",
    [
        f"GET https://api.github.com/repos/a/b: 401 Bad credentials {TOKEN} []",
        "GET https://api.github.com/repos/a/b: 401 token ghp_" + "abcdefABCDEF0123456789abcdefABCDEF01 []",
        "GET https://api.github.com/repos/a/b: 401 github_pat_11AAAAAAA0aaaaaaaaaaaa []",
        "GET https://api.github.com/repos/a/b: 401 " + "word " * 200 + "[]",
    ],
)
def test_a_message_that_is_not_plain_prose_is_dropped(text):
    error = parse_github_error(text)
    assert error == GitHubError(401)
    assert error.answer == "HTTP 401"


def test_no_status_line_keeps_nothing():
    error = parse_github_error(f"rpc error: connection reset; token {TOKEN}")
    assert error == GitHubError(None)
    assert TOKEN not in error.answer


def test_huge_error_text_is_cut_before_scanning():
    assert parse_github_error("x" * 10_000_000 + ": 403 Forbidden") == GitHubError(None)


# --- the repository -------------------------------------------------------------------------


def test_healthy_repository_passes_without_warning():
    result = check(facts())
    assert result.ok and result.warnings == () and result.branch == "main"


def test_empty_answer_is_an_error_never_a_default_branch():
    result = check(facts(EMPTY_ANSWER, branch=None, path=None, keys=None))
    assert result.branch is None
    (error,) = result.errors
    assert "GitHub found no repository acme/fleet" in error
    assert "does not exist, or the token cannot see it" in error
    assert "Metadata: Read-only" in error and "'repo' scope" in error
    assert resolve_branch(None, EMPTY_ANSWER) is None


def test_empty_answer_is_an_error_even_with_a_given_branch():
    result = check(facts(EMPTY_ANSWER, given="main", branch=None, path=None, keys=None))
    assert not result.ok and result.branch is None


def test_bad_credentials():
    (error,) = check(facts(RepositoryFacts(error=GitHubError(401, "Bad credentials")))).errors
    assert 'HTTP 401 "Bad credentials"' in error and "wrong, expired or revoked" in error


def test_other_repository_failure_names_the_answer():
    (error,) = check(facts(RepositoryFacts(error=GitHubError(502)))).errors
    assert "acme/fleet" in error and "HTTP 502" in error


@pytest.mark.parametrize(
    "repo,public",
    [
        (RepositoryFacts(default_branch="main", visibility="public", private=False), True),
        (RepositoryFacts(default_branch="main", visibility="", private=False), True),
        (RepositoryFacts(default_branch="main", visibility="internal", private=True), False),
        (RepositoryFacts(default_branch="main", visibility="private", private=True), False),
    ],
)
def test_public_repository_warns_with_the_audit_command(repo, public):
    result = check(facts(repo))
    assert result.ok
    if public:
        (warning,) = result.warnings
        assert "acme/fleet as public" in warning
        assert "python -m flux_bootstrap audit <checkout> --stack dev" in warning
    else:
        assert result.warnings == ()


# --- the branch -----------------------------------------------------------------------------


def test_given_branch_wins_over_the_default():
    assert resolve_branch("release", FOUND) == "release"
    assert resolve_branch(None, FOUND) == "main"


def test_empty_repository():
    result = check(facts(branch=BranchFacts("main", error=GitHubError(409, "Git Repository is empty.")), path=None))
    (error,) = result.errors
    assert "acme/fleet is empty" in error and "409" in error and "Push a first commit" in error


def test_missing_given_branch():
    result = check(facts(given="release", branch=BranchFacts("release"), path=None))
    (error,) = result.errors
    assert "Branch release (the branch setting) does not exist in acme/fleet" in error
    assert "git push origin HEAD:release" in error


def test_missing_default_branch():
    (error,) = check(facts(branch=BranchFacts("main"), path=None)).errors
    assert "Branch main (the repository's default branch) does not exist" in error


def test_branch_refused_for_lack_of_contents_is_a_warning():
    result = check(facts(branch=BranchFacts("main", error=FORBIDDEN), path=None))
    assert result.ok and result.branch == "main"
    (warning,) = result.warnings
    assert "Could not check that branch main exists in acme/fleet" in warning
    assert "Contents: Read-only" in warning and "HTTP 403" in warning


def test_other_branch_failure_is_an_error():
    (error,) = check(facts(branch=BranchFacts("main", error=GitHubError(500)), path=None)).errors
    assert "branch main of acme/fleet" in error and "HTTP 500" in error


# --- the path -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entries",
    [
        (TreeEntry("kustomization.yaml", "blob"),),
        (TreeEntry("Kustomization", "blob"),),
        (TreeEntry("apps", "tree"), TreeEntry("apps/deep/nested/app.yml", "blob")),  # recursive
        (TreeEntry("README.md", "blob"), TreeEntry("infra/kustomization.yml", "blob")),
    ],
)
def test_path_with_a_manifest_passes(entries):
    assert check(facts(path=PathFacts("clusters/dev", entries=entries))).ok


@pytest.mark.parametrize(
    "entries",
    [
        (),
        (TreeEntry("README.md", "blob"), TreeEntry("docs", "tree")),
        (TreeEntry("app.yaml", "tree"),),  # a folder named like a manifest holds nothing
        (TreeEntry("vendor", "commit"),),  # a submodule: Flux does not fetch it
        (TreeEntry("app.YAML", "blob"),),  # Flux compares extensions exactly
    ],
)
def test_path_without_a_manifest_is_an_error(entries):
    (error,) = check(facts(path=PathFacts("clusters/dev", entries=entries))).errors
    assert "path ./clusters/dev in branch main of acme/fleet holds no manifest" in error
    assert "Commit at least one manifest" in error


def test_json_only_path_says_why():
    (error,) = check(facts(path=PathFacts("clusters/dev", entries=(TreeEntry("app.json", "blob"),)))).errors
    assert "only .json files" in error and "kustomization.yaml" in error


def test_missing_path():
    (error,) = check(facts(path=PathFacts("clusters/dev", missing="clusters"))).errors
    assert "path ./clusters/dev in branch main of acme/fleet does not exist" in error
    assert "no folder clusters there" in error and "stack setting `path`" in error


def test_path_that_is_a_file():
    (error,) = check(facts(path=PathFacts("clusters/dev", not_a_folder="clusters/dev"))).errors
    assert "is not a folder" in error


def test_root_path():
    (error,) = check(facts(path=PathFacts("", entries=()))).errors
    assert "path ./ in branch main" in error


def test_path_refused_for_lack_of_contents_is_a_warning():
    result = check(facts(path=PathFacts("clusters/dev", error=FORBIDDEN)))
    assert result.ok
    (warning,) = result.warnings
    assert "Could not check the path ./clusters/dev in branch main of acme/fleet" in warning
    assert "Contents: Read-only" in warning


def test_bad_tree_reference_is_an_error():
    (error,) = check(facts(path=PathFacts("clusters/dev", error=GitHubError(422, "Invalid tree info")))).errors
    assert 'could not list the path ./clusters/dev' in error and "Invalid tree info" in error


def test_find_entry_matches_whole_names():
    entries = (TreeEntry("clusters-old", "tree", "a"), TreeEntry("clusters", "tree", "b"))
    assert find_entry(entries, "clusters") == TreeEntry("clusters", "tree", "b")
    assert find_entry(entries, "cluster") is None


# --- deploy keys ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 404])
def test_token_that_cannot_manage_deploy_keys(status):
    (error,) = check(facts(keys=DeployKeysFacts(GitHubError(status)))).errors
    assert "cannot manage the deploy keys of acme/fleet" in error
    assert "Administration: Read and write" in error and "'repo' scope" in error


def test_several_problems_are_all_reported():
    result = check(
        facts(
            RepositoryFacts(default_branch="main", visibility="public", private=False),
            given="dev",
            branch=BranchFacts("dev"),
            path=None,
            keys=DeployKeysFacts(GitHubError(403, "Must have admin rights to Repository.")),
        )
    )
    assert len(result.errors) == 2 and len(result.warnings) == 1
    text = format_errors(REPO, result.errors)
    assert text.startswith("Preflight found 2 problems with GitHub repository acme/fleet; nothing was created.")
    assert text.count("\n  - ") == 2


def test_skipped_warning_says_how_to_turn_checks_back_on():
    text = skipped_warning("flux-bootstrap")
    assert "flux-bootstrap:preflight is false" in text
    assert "pulumi config set flux-bootstrap:preflight true" in text


# --- who the lookups run as (issue #11) ---------------------------------------------------------

APP_CREDENTIAL = rules.Credential(app="GitHub App 12345 (installation 678)", flux_reads_with_it=True)


def test_an_installation_that_cannot_see_the_repository_names_the_app_and_the_repository():
    (error,) = rules.repository_errors("acme/fleet", rules.RepositoryFacts(), APP_CREDENTIAL)
    assert error.startswith("GitHub App 12345 (installation 678) cannot see repository acme/fleet")
    assert "Contents: Read-only" in error and "token" not in error


def test_refused_app_credentials_name_the_settings():
    facts = rules.RepositoryFacts(error=rules.GitHubError(401, "A JSON web token could not be decoded"))
    (error,) = rules.repository_errors("acme/fleet", facts, APP_CREDENTIAL)
    assert "githubAppId, githubAppInstallationId and the private key" in error


def test_contents_refusal_is_an_error_when_flux_reads_with_the_same_credential():
    facts = rules.Facts("acme/fleet", "dev", "main", rules.RepositoryFacts(default_branch="main", visibility="private"),
                        branch=rules.BranchFacts("main", error=rules.GitHubError(403, "Resource not accessible by integration")),
                        credential=APP_CREDENTIAL)
    result = rules.check(facts)
    assert not result.ok and "give GitHub App 12345 (installation 678) Contents: Read-only" in result.errors[0]
    token_only = rules.check(rules.Facts(facts.repository, facts.stack, facts.given_branch, facts.repo, branch=facts.branch))
    assert token_only.ok and token_only.warnings


# --- one listing instead of a walk (issue #15) ---------------------------------------------------


@pytest.mark.parametrize("name", ["main", "trunk", "release/1.0", "release-v2", "feature/JIRA-12_x", "dev", "a"])
def test_branch_names_the_tree_api_can_take(name):
    assert rules.lists_by_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "fix#12", "50%", "a+b", "ümlaut",  # the provider puts the name into the URL unescaped
        "cafe", "deadbeef", "0123456789abcdef0123456789abcdef01234567",  # GitHub could read a sha
        "refs/heads/main", "heads/main", "tags/v1", "remotes/origin/main",  # git would read another ref
        "v1.2.3", "V2", "1.0", "2024-q1",  # shaped like a tag: a tag set as the branch is no branch
        ".hidden", "a/.b", "a..b", "x.lock",
    ],
)
def test_branch_names_looked_up_with_get_branch_first(name):
    assert not rules.lists_by_name(name)


def test_a_listing_far_under_githubs_limits_cannot_have_been_cut():
    assert not rules.listing_may_be_cut(tuple(TreeEntry(f"apps/app-{i}.yaml", "blob") for i in range(5_000)))
    assert not rules.listing_may_be_cut(())


def test_a_listing_near_githubs_limits_may_have_been_cut():
    assert rules.listing_may_be_cut(tuple(TreeEntry(f"f{i}", "blob") for i in range(50_000)))
    long_paths = tuple(TreeEntry("d/" * 400 + f"{i}.yaml", "blob") for i in range(2_000))  # ~4 MB estimated
    assert rules.listing_may_be_cut(long_paths)


WHOLE_TREE = (
    TreeEntry("README.md", "blob", "r"),
    TreeEntry("clusters", "tree", "c"),
    TreeEntry("clusters/dev", "tree", "d"),
    TreeEntry("clusters/dev/apps.yaml", "blob", "a"),
    TreeEntry("clusters/dev/infra", "tree", "i"),
    TreeEntry("clusters/dev/infra/kustomization.yaml", "blob", "k"),
    TreeEntry("clusters/dev-old", "tree", "o"),
    TreeEntry("clusters/dev-old/x.yaml", "blob", "x"),
    TreeEntry("vendor", "commit", "v"),
)


def test_path_in_a_complete_listing_is_relative_to_the_path():
    found = rules.path_in_listing("clusters/dev", WHOLE_TREE, may_be_cut=False)
    assert found == PathFacts("clusters/dev", entries=(
        TreeEntry("apps.yaml", "blob", "a"), TreeEntry("infra", "tree", "i"),
        TreeEntry("infra/kustomization.yaml", "blob", "k"),
    ))
    assert rules.path_in_listing("", WHOLE_TREE, may_be_cut=False) == PathFacts("", entries=WHOLE_TREE)


@pytest.mark.parametrize("may_be_cut", [False, True])
def test_a_file_or_submodule_on_the_path_is_known_from_any_listing(may_be_cut):
    assert rules.path_in_listing("README.md/x", WHOLE_TREE, may_be_cut) == PathFacts("README.md/x", not_a_folder="README.md")
    assert rules.path_in_listing("vendor", WHOLE_TREE, may_be_cut) == PathFacts("vendor", not_a_folder="vendor")


def test_a_missing_folder_is_missing_only_when_the_listing_is_complete():
    assert rules.path_in_listing("clusters/prod", WHOLE_TREE, False) == PathFacts("clusters/prod", missing="clusters/prod")
    assert rules.path_in_listing("envs/prod", WHOLE_TREE, False) == PathFacts("envs/prod", missing="envs")
    # A listing that may be cut: resume from the last folder it showed (the listed tree itself: "").
    assert rules.path_in_listing("clusters/prod", WHOLE_TREE, True) == rules.Resume(1, "c")
    assert rules.path_in_listing("envs/prod", WHOLE_TREE, True) == rules.Resume(0, "")


def test_a_path_in_a_listing_that_may_be_cut_is_listed_again_alone():
    assert rules.path_in_listing("clusters/dev", WHOLE_TREE, may_be_cut=True) == rules.Resume(2, "d")


def test_walk_step():
    level = (TreeEntry("clusters", "tree", "c"), TreeEntry("notes.txt", "blob", "n"))
    assert rules.walk_step("clusters/dev", 1, level) == "c"
    assert rules.walk_step("notes.txt/dev", 1, level) == PathFacts("notes.txt/dev", not_a_folder="notes.txt")
    assert rules.walk_step("a/clusters/dev", 2, level) == "c"
    assert rules.walk_step("a/b/dev", 2, level) == PathFacts("a/b/dev", missing="a/b")
