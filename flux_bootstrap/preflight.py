"""Preflight: is the GitHub repository ready for Flux? Pure rules over what GitHub answered.

The Pulumi program (components/github_lookups.py) only gathers the facts; every decision is here, so
it is tested without mocks. GitHub's lookups answer in ways that are easy to misread:
- a repository that does not exist, or that the token cannot see, comes back EMPTY, not as an
  error: an empty default branch means "not found", never "use some branch";
- a missing branch comes back empty too; an empty repository answers 409 "Git Repository is empty.";
- reading refs and trees of a private repository needs Contents: read, which is optional: when
  GitHub refuses it (403), the check becomes a warning naming the permission, not an error;
- a recursive tree listing is cut at GitHub's limits, and the provider drops the `truncated` flag
  that says so: a listing that could have been cut is never read as "the path does not exist".

Every message is built from our own words, the repository/branch/path names and GitHub's status
line; a GitHub message is kept only when it looks like plain prose, so a token never gets through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import known

# Where each permission lives, for fine-grained and classic tokens.
METADATA = "Metadata: Read-only"
CONTENTS = "Contents: Read-only"
ADMINISTRATION = "Administration: Read and write"
WEBHOOKS = "Webhooks: Read and write"
TOKEN_ACCESS = (
    f"fine-grained token: 'Repository access' must include {{repo}}, with {METADATA} and {ADMINISTRATION} "
    "(an organisation may have to approve the token); classic token: the 'repo' scope"
)
# Flux's kustomize-controller: a kustomization file at the path root is used as is; otherwise it
# generates one over every .yaml/.yml file below the path, recursively, taking a sub-folder that
# holds a kustomization file as one resource. Other extensions (.json too) are ignored.
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MANIFEST_SUFFIXES = (".yaml", ".yml")

_STATUS_AFTER_URL = re.compile(r":\s+([1-5][0-9]{2})\s+([^\[\]\n]*)")
_STATUS_ANYWHERE = re.compile(r"(?:^|\s)([45][0-9]{2})\s+([A-Z][^\[\]\n]*)")
# GitHub's messages are short English sentences. A word with digits, inner capitals or '_' could be
# a token (ghp_..., github_pat_...): then the whole message is dropped and only the status kept.
_PROSE_WORD = re.compile(r"[A-Za-z][a-z']{0,24}(?:-[a-z]{1,24})?[.,:;!]?")
_MAX_WORDS = 30


@dataclass(frozen=True)
class GitHubError:
    """A lookup GitHub refused: its HTTP status (None if the error carried none) and short message."""

    status: int | None
    message: str = ""

    @property
    def answer(self) -> str:
        if self.status is None:
            return "an error without an HTTP status"
        return f'HTTP {self.status} "{self.message}"' if self.message else f"HTTP {self.status}"


def parse_github_error(text: str) -> GitHubError:
    """GitHub's status line out of a provider error, e.g. `... GET https://...: 409 Git Repository is empty. []`.

    Keeps only the status code and a message made of plain words; anything else is dropped.
    """
    text = text[:20_000]  # an error text is short; never scan a huge one
    match = _STATUS_AFTER_URL.search(text) or _STATUS_ANYWHERE.search(text)
    if not match:
        return GitHubError(None)
    status = int(match[1])
    words = match[2].split()
    if 0 < len(words) <= _MAX_WORDS and all(_PROSE_WORD.fullmatch(word) for word in words):
        return GitHubError(status, " ".join(words))
    return GitHubError(status)


# --- facts: what each lookup answered ------------------------------------------------------


@dataclass(frozen=True)
class RepositoryFacts:
    """get_repository: empty fields when the repository is missing or invisible to the token."""

    default_branch: str = ""
    visibility: str = ""  # public, private, internal
    private: bool | None = None
    error: GitHubError | None = None  # the lookup itself failed (e.g. 401 Bad credentials)

    @property
    def found(self) -> bool:
        return self.error is None and bool(self.default_branch)

    @property
    def public(self) -> bool:
        if not self.found:
            return False
        return self.visibility == "public" if self.visibility else self.private is False


@dataclass(frozen=True)
class BranchFacts:
    """Whether the branch exists: get_branch's commit sha, or the sha of the tree GitHub listed for the
    branch name (get_tree). Empty when the branch does not exist (get_branch answers GitHub's 404 empty)."""

    name: str
    sha: str = ""
    error: GitHubError | None = None


@dataclass(frozen=True)
class TreeEntry:
    path: str  # relative to the folder that was listed
    type: str  # blob, tree or commit (a submodule)
    sha: str = ""


@dataclass(frozen=True)
class PathFacts:
    """The Kustomization path in the branch: its files (recursive), or where the walk stopped."""

    path: str  # normalised, "" is the repository root
    entries: tuple[TreeEntry, ...] = ()
    missing: str | None = None  # the first folder of `path` the branch does not have
    not_a_folder: str | None = None  # a part of `path` that is a file or submodule
    error: GitHubError | None = None


@dataclass(frozen=True)
class DeployKeysFacts:
    """get_repository_deploy_keys: listing them needs the permission that manages them."""

    error: GitHubError | None = None


@dataclass(frozen=True)
class WebhooksFacts:
    """get_repository_webhooks (sync on push on GitHub): listing them needs the permission that manages them."""

    error: GitHubError | None = None


@dataclass(frozen=True)
class Credential:
    """Who the lookups authenticate as, and whether Flux itself reads the repository with it."""

    app: str | None = None  # "GitHub App 123 (installation 456)" when the lookups run as the App
    flux_reads_with_it: bool = False  # auth https and github-app: Contents read is then required

    def access(self, repository: str) -> str:
        if self.app is not None:
            return (f"the App must be installed with access to {repository} and the permissions "
                    f"{CONTENTS} and {METADATA}")
        if self.flux_reads_with_it:
            return (f"fine-grained token: 'Repository access' must include {repository}, with {CONTENTS} and "
                    f"{METADATA}; classic token: the 'repo' scope")
        return TOKEN_ACCESS.format(repo=repository)


@dataclass(frozen=True)
class Facts:
    repository: str  # owner/name, as configured
    stack: str
    given_branch: str | None  # None: the repository's default branch
    repo: RepositoryFacts
    branch: BranchFacts | None = None  # None: not looked up (the repository was not found)
    path: PathFacts | None = None  # None: not looked up (no branch to look in)
    deploy_keys: DeployKeysFacts | None = None  # None: not looked up (no deploy key in this auth mode)
    credential: Credential = Credential()
    webhooks: WebhooksFacts | None = None  # None: not looked up (no webhook: webhookHost unset)


@dataclass(frozen=True)
class Result:
    branch: str | None  # the branch Flux will track; None when it cannot be known
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def find_entry(entries: tuple[TreeEntry, ...], name: str) -> TreeEntry | None:
    """The entry called `name` in one (non-recursive) tree listing."""
    return next((entry for entry in entries if entry.path == name), None)


# --- one listing instead of a walk (issue #15: GitHub's rate limit) -------------------------------
# GitHub's tree API takes a branch name as `tree_sha` and lists the branch's whole tree with
# `recursive`, so one call answers "does the branch exist" and "what is under the path". It cuts a
# recursive listing at 100,000 entries or 7 MB and flags it `truncated`, a flag the provider drops.
# GitHub's docs say a listing is cut when the tree exceeds a limit; taking that a cut listing holds
# about a limit's worth, one well under both (half of them, its size over-estimated) was not cut.
# Any other listing is trusted only for what it shows, never for what it lacks.
TREE_LIMIT_ENTRIES = 100_000
TREE_LIMIT_BYTES = 7_000_000
_ENTRY_BYTES = 400  # an entry in GitHub's answer without its path: mode, type, sha, size and URL
_REF_PART = r"[A-Za-z0-9_-][A-Za-z0-9._-]*"
_TREE_REF = re.compile(rf"{_REF_PART}(?:/{_REF_PART})*")
_HEX = re.compile(r"[0-9a-fA-F]{4,}")
_VERSION = re.compile(r"[vV]?[0-9]")  # v1.2, 1.2.3: names tags usually have
# Names git would read as another kind of ref (refs/heads/x, tags/x): never given as a branch name.
_REF_NAMESPACES = ("refs", "heads", "tags", "remotes")


def lists_by_name(branch: str) -> bool:
    """Whether the branch NAME can be given to GitHub's tree API as `tree_sha`.

    The provider puts it into the URL unescaped, so only letters, digits, '.', '_', '-' and '/'
    between parts; never a name GitHub could read as a commit sha (all hex) or another ref. The API
    takes a tag's name too: a name shaped like a version is more often a tag, which get_branch says
    is no branch. Any other branch is looked up with get_branch and its commit listed (one call more).
    """
    if not _TREE_REF.fullmatch(branch) or _HEX.fullmatch(branch) or _VERSION.match(branch) or ".." in branch:
        return False
    return branch.split("/", 1)[0] not in _REF_NAMESPACES and not branch.endswith(".lock")


def listing_may_be_cut(entries: tuple[TreeEntry, ...]) -> bool:
    """Whether a recursive listing could have been cut at GitHub's limits (the provider cannot tell)."""
    if len(entries) * 2 >= TREE_LIMIT_ENTRIES:
        return True
    size = sum(_ENTRY_BYTES + 2 * len(entry.path.encode("utf-8")) for entry in entries)
    return size * 2 >= TREE_LIMIT_BYTES


@dataclass(frozen=True)
class Resume:
    """Where a listing that may be cut stops proving anything: ask GitHub again from there."""

    depth: int  # how many folders of the path the listing showed (0: none)
    sha: str = ""  # the tree of the last of them; "" is the listed tree itself


def path_in_listing(path: str, entries: tuple[TreeEntry, ...], may_be_cut: bool) -> PathFacts | Resume:
    """The path's facts out of a recursive listing of the whole tree, or where to resume when the
    listing may be cut and does not show the path. Entries come back relative to the path."""
    parts = path.split("/") if path else []
    by_path = {entry.path: entry for entry in entries}
    sha = ""
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        entry = by_path.get(prefix)
        if entry is None:
            return Resume(depth - 1, sha) if may_be_cut else PathFacts(path, missing=prefix)
        if entry.type != "tree":
            return PathFacts(path, not_a_folder=prefix)
        sha = entry.sha
    if may_be_cut and parts:
        return Resume(len(parts), sha)  # the folder is there, its files may be cut: list it alone
    base = f"{path}/" if path else ""
    below = tuple(TreeEntry(e.path[len(base):], e.type, e.sha) for e in entries if e.path.startswith(base))
    return PathFacts(path, entries=below)


def walk_step(path: str, depth: int, entries: tuple[TreeEntry, ...]) -> PathFacts | str:
    """One level of a walk down `path`: in the listing of its folder at depth-1, the sha of the
    folder at `depth`, or the facts where the walk stops."""
    parts = path.split("/")
    prefix = "/".join(parts[:depth])
    entry = find_entry(entries, parts[depth - 1])
    if entry is None:
        return PathFacts(path, missing=prefix)
    if entry.type != "tree":
        return PathFacts(path, not_a_folder=prefix)
    return entry.sha


# --- rules ----------------------------------------------------------------------------------


def resolve_branch(given: str | None, repo: RepositoryFacts) -> str | None:
    """The given branch, else GitHub's default branch; None when GitHub gave none (never a guess)."""
    if given:
        return given
    return repo.default_branch if repo.found else None


def repository_errors(repository: str, repo: RepositoryFacts, credential: Credential = Credential()) -> list[str]:
    """Errors when the repository cannot be used at all: not found, invisible, or the lookup failed."""
    access = credential.access(repository)
    if credential.app is not None:
        return _app_repository_errors(repository, repo, credential.app, access)
    if repo.error is not None:
        answer = repo.error.answer
        if repo.error.status == 401:
            return [
                f"GitHub refused the token while looking up repository {repository} ({answer}): the token is "
                "wrong, expired or revoked. Create a new one and store it again (config/secrets-flux.yaml "
                f"or `pulumi config set --secret githubToken`); it needs: {access}."
            ]
        return [
            f"GitHub could not look up repository {repository} (it answered {answer}). Check the token "
            f"({access}), and retry if GitHub was unavailable."
        ]
    if not repo.found:
        return [
            f"GitHub found no repository {repository}: it does not exist, or the token cannot see it "
            "(GitHub answers both the same way, with an empty answer). Check the repository URL and the "
            f"token's access ({access}). Flux is not installed until the repository is found."
        ]
    return []


def _app_repository_errors(repository: str, repo: RepositoryFacts, app: str, access: str) -> list[str]:
    if repo.error is not None:
        if repo.error.status == 401:
            return [
                f"GitHub refused the credentials of {app} while looking up repository {repository} "
                f"({repo.error.answer}): check githubAppId, githubAppInstallationId and the private key "
                "(a key deleted on the App's settings page no longer works)."
            ]
        return [
            f"GitHub could not look up repository {repository} as {app} (it answered {repo.error.answer}): "
            f"{access}. Retry if GitHub was unavailable."
        ]
    if not repo.found:
        return [
            f"{app} cannot see repository {repository}: it does not exist, or the installation has no access to "
            f"it. Add {repository} to the installation's repository access (the installation's settings page: "
            f"Repository access); {access}."
        ]
    return []


def public_warning(repository: str, stack: str) -> str:
    return (
        f"GitHub reports repository {repository} as public: anyone can read every manifest Flux applies "
        "from it, and any secret ever committed to it, including its history. Make the repository private, "
        f"or check it holds no secret with: python -m flux_bootstrap audit <checkout> --stack {stack}"
    )


def _contents_warning(what: str, repository: str, answer: str) -> str:
    return (
        f"Could not check {what}: GitHub answered {answer}, the token may not read the contents of "
        f"{repository}. This check needs the optional permission {CONTENTS} (fine-grained token; a classic "
        "token with the 'repo' scope has it). Grant it to have this checked before Flux is installed; "
        "until then a wrong branch or path shows only when Flux fails to sync."
    )


def _empty_repository_error(repository: str, answer: str) -> str:
    return (
        f"Repository {repository} is empty (GitHub answered {answer}): Flux needs at least one commit. "
        "Push a first commit to the branch Flux should track, with a manifest under the Kustomization path."
    )


def _unreadable(facts: Facts, what: str, answer: str) -> str:
    """Flux itself reads with this credential: no Contents permission means no sync, an error."""
    who = facts.credential.app or "the token"
    return (
        f"Could not check {what}: GitHub answered {answer}. Flux fetches {facts.repository} with the same "
        f"credential, so it could not read it either: give {who} {CONTENTS} on {facts.repository}."
    )


def branch_rules(facts: Facts, branch: BranchFacts) -> tuple[list[str], list[str]]:
    repository = facts.repository
    origin = "the branch setting" if facts.given_branch else "the repository's default branch"
    if branch.error is not None:
        answer = branch.error.answer
        if branch.error.status == 409:
            return [_empty_repository_error(repository, answer)], []
        if branch.error.status == 403:
            what = f"that branch {branch.name} exists in {repository}"
            if facts.credential.flux_reads_with_it:
                return [_unreadable(facts, what, answer)], []
            return [], [_contents_warning(what, repository, answer)]
        if branch.error.status != 404:
            return [
                f"GitHub could not look up branch {branch.name} of {repository} (it answered {answer}). "
                "Retry; if it persists, check the token's access to the repository."
            ], []
    elif branch.sha:
        return [], []
    fix = (
        f"Create the branch (git push origin HEAD:{branch.name}), or set `branch` in config/flux.yaml or the "
        "stack setting to a branch that exists."
        if facts.given_branch
        else f"Push a commit to {branch.name}, or set `branch` to a branch that exists."
    )
    return [
        f"Branch {branch.name} ({origin}) does not exist in {repository}: GitHub found no such branch. {fix} "
        f"If the repository is private, also check the token has {CONTENTS}."
    ], []


def _has_manifest(entries: tuple[TreeEntry, ...]) -> bool:
    for entry in entries:
        if entry.type != "blob":
            continue
        name = entry.path.rsplit("/", 1)[-1]
        if name in KUSTOMIZATION_FILES or name.endswith(MANIFEST_SUFFIXES):
            return True
    return False


def path_rules(facts: Facts, branch: str, path: PathFacts) -> tuple[list[str], list[str]]:
    repository = facts.repository
    shown = f"./{path.path}"
    where = f"path {shown} in branch {branch} of {repository}"
    commit = (
        f"Commit at least one manifest (.yaml or .yml) or a kustomization.yaml under {shown} on {branch}, "
        "or set the stack setting `path` to the folder that holds this cluster's manifests."
    )
    if path.error is not None:
        answer = path.error.answer
        if path.error.status == 409:
            return [_empty_repository_error(repository, answer)], []
        if path.error.status == 403:
            if facts.credential.flux_reads_with_it:
                return [_unreadable(facts, f"the {where}", answer)], []
            return [], [_contents_warning(f"the {where}", repository, answer)]
        return [f"GitHub could not list the {where} (it answered {answer}). Retry; if it persists, {commit}"], []
    if path.missing is not None:
        return [f"The {where} does not exist: GitHub has no folder {path.missing} there. {commit}"], []
    if path.not_a_folder is not None:
        return [f"The {where} is not a folder: {path.not_a_folder} is a file or submodule. {commit}"], []
    if not _has_manifest(path.entries):
        json_only = any(e.type == "blob" and e.path.endswith(".json") for e in path.entries)
        detail = (
            " It holds only .json files, which Flux applies only when a kustomization.yaml lists them."
            if json_only
            else ""
        )
        return [f"The {where} holds no manifest Flux would apply.{detail} {commit}"], []
    return [], []


def deploy_key_errors(repository: str, keys: DeployKeysFacts) -> list[str]:
    if keys.error is None:
        return []
    return [
        f"The token cannot manage the deploy keys of {repository} (GitHub answered {keys.error.answer} when "
        f"listing them). Give it {ADMINISTRATION} on {repository} (fine-grained token), or use a classic token "
        "with the 'repo' scope whose owner is an admin of the repository; an organisation may also forbid "
        "deploy keys or require approving the token."
    ]


def webhook_warnings(repository: str, hooks: WebhooksFacts, credential: Credential) -> list[str]:
    """A warning, not an error: listing may be refused where creating is allowed (and the reverse)."""
    if hooks.error is None:
        return []
    who = (f"{credential.app} may not manage the webhooks of {repository}: give the App {WEBHOOKS}"
           if credential.app else
           f"The token may not manage the webhooks of {repository}: give it {WEBHOOKS} on {repository} "
           "(fine-grained token), or use a classic token with the 'repo' or 'admin:repo_hook' scope")
    return [f"{who} (GitHub answered {hooks.error.answer} when listing them). Without it, creating the repository "
            "webhook fails at the end of pulumi up, after Flux is installed (it then still polls)."]


def check(facts: Facts) -> Result:
    """Every rule over the gathered facts: the branch Flux will track, errors and warnings."""
    errors = repository_errors(facts.repository, facts.repo, facts.credential)
    if errors:
        return Result(branch=None, errors=tuple(errors))
    warnings: list[str] = []
    if facts.repo.public:
        warnings.append(public_warning(facts.repository, facts.stack))
    branch = known(resolve_branch(facts.given_branch, facts.repo), "a repository found has a default branch")
    if facts.branch is not None:
        found_errors, found_warnings = branch_rules(facts, facts.branch)
        errors += found_errors
        warnings += found_warnings
    if facts.path is not None:
        found_errors, found_warnings = path_rules(facts, branch, facts.path)
        errors += found_errors
        warnings += found_warnings
    if facts.deploy_keys is not None:
        errors += deploy_key_errors(facts.repository, facts.deploy_keys)
    if facts.webhooks is not None:
        warnings += webhook_warnings(facts.repository, facts.webhooks, facts.credential)
    return Result(branch=branch, errors=tuple(dict.fromkeys(errors)), warnings=tuple(warnings))


def skipped_warning(project: str) -> str:
    return (
        f"Preflight checks are off ({project}:preflight is false): the repository, branch, path and the "
        "token's permissions are not checked before Flux is installed; a problem shows only when Flux fails "
        f"to sync. Turn them back on with: pulumi config set {project}:preflight true"
    )


def not_github_warning(project: str, host: str) -> str:
    return (
        f"Preflight skipped: {host} is not GitHub, so the repository, branch and path cannot be checked before "
        "Flux is installed; a problem shows only when Flux fails to sync (pulumi up waits for Ready). A GitHub "
        f"Enterprise Server is checked like github.com once you set {project}:githubUrl."
    )


def format_errors(repository: str, errors: tuple[str, ...]) -> str:
    count = len(errors)
    head = (
        f"Preflight found {count} problem{'s' if count != 1 else ''} with GitHub repository {repository}; "
        "nothing was created."
    )
    return "\n".join([head, *(f"  - {error}" for error in errors)])
