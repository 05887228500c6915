"""Preflight on the Pulumi side: ask GitHub, then let flux_bootstrap.preflight decide.

Lookups are SYNCHRONOUS invokes, so they finish before the component registers anything else:
a failed check raises RunError while only the providers and the component exist. Each lookup's
exception is turned into a fact (status code and GitHub's message, never the raw text).

A healthy check costs 3 calls against the token's 5,000 an hour (issue #15): the repository, one
recursive listing of the branch BY NAME (the branch and the path in one answer) and, in deploy-key
mode, the deploy keys. Only when that listing fails, or could have been cut, is GitHub asked more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_github as github

from flux_bootstrap import preflight as rules
from flux_bootstrap.settings import Settings
from flux_bootstrap.errors import known


def checked_branch(settings: Settings, provider: github.Provider | None, parent: pulumi.Resource) -> str:
    """The branch Flux tracks, after checking the repository; raises pulumi.RunError on any problem.

    With `preflight` off: a warning, no check; the default branch is still looked up when no branch
    is given, and an empty answer is an error, never a silent default. Without a GitHub provider
    (a host that is not GitHub): no lookup at all, a warning, and the branch the settings require.
    """
    if provider is None:
        if settings.lifecycle.preflight:
            pulumi.log.warn(rules.not_github_warning(settings.project, settings.repo.host), resource=parent)
        return known(settings.source.branch, "the settings require the branch off GitHub")
    lookups = _Lookups(settings, pulumi.InvokeOptions(provider=provider, parent=parent))
    repository = settings.repo.full_name
    if not settings.lifecycle.preflight:
        pulumi.log.warn(rules.skipped_warning(settings.project), resource=parent)
        if settings.source.branch:
            return settings.source.branch
        repo = lookups.repository()
        errors = rules.repository_errors(repository, repo, lookups.credential())
        if errors:
            raise pulumi.RunError(rules.format_errors(repository, tuple(errors)))
        return repo.default_branch

    result = rules.check(lookups.facts())
    if not result.ok:
        raise pulumi.RunError(rules.format_errors(repository, result.errors))
    for warning in result.warnings:
        pulumi.log.warn(warning, resource=parent)
    return known(result.branch, "a preflight without errors knows the branch")


class _Lookups:
    def __init__(self, settings: Settings, opts: pulumi.InvokeOptions):
        self.settings, self.opts = settings, opts

    def _ask(self, lookup: Callable[..., Any], **args: Any) -> tuple[Any, rules.GitHubError | None]:
        try:
            return lookup(**args, opts=self.opts), None
        except Exception as err:  # noqa: BLE001 - any refusal becomes a fact; only its status line is kept
            return None, rules.parse_github_error(str(err))

    def repository(self) -> rules.RepositoryFacts:
        answer, error = self._ask(github.get_repository, full_name=self.settings.repo.full_name)
        if error is not None:
            return rules.RepositoryFacts(error=error)
        return rules.RepositoryFacts(
            default_branch=answer.default_branch or "",
            visibility=answer.visibility or "",
            private=answer.private,
        )

    def branch(self, name: str) -> rules.BranchFacts:
        answer, error = self._ask(github.get_branch, repository=self.settings.repo.name, branch=name)
        if error is not None:
            return rules.BranchFacts(name, error=error)
        return rules.BranchFacts(name, sha=answer.sha or "")

    def tree(self, sha: str, recursive: bool) -> tuple[tuple[rules.TreeEntry, ...], rules.GitHubError | None]:
        _, entries, error = self.listing(sha, recursive)
        return entries, error

    def listing(self, sha: str, recursive: bool) -> tuple[str, tuple[rules.TreeEntry, ...], rules.GitHubError | None]:
        """get_tree of a tree sha, commit or ref name: the listed tree's sha (the provider's id), its entries."""
        answer, error = self._ask(github.get_tree, repository=self.settings.repo.name, tree_sha=sha, recursive=recursive)
        if error is not None:
            return "", (), error
        return answer.id or "", tuple(rules.TreeEntry(e.path, e.type, e.sha) for e in answer.entries or ()), None

    def branch_and_path(self, name: str) -> tuple[rules.BranchFacts, rules.PathFacts | None]:
        """The branch and the path in it, in ONE call when the branch's name can be listed: the
        recursive tree of `name` proves the branch exists and shows the path. When GitHub refuses that
        listing, ask as the checks always did (get_branch, then its commit), so every failure is
        told in the same words; only a healthy run is cheaper."""
        if rules.lists_by_name(name):
            listed, entries, error = self.listing(name, recursive=True)
            if error is None and listed:
                return rules.BranchFacts(name, sha=listed), self.path_in(name, entries)
        branch = self.branch(name)
        if not branch.sha:
            return branch, None
        entries, error = self.tree(branch.sha, recursive=True)
        if error is not None:
            return branch, rules.PathFacts(self.settings.path, error=error)
        return branch, self.path_in(branch.sha, entries)

    def path_in(self, root: str, entries: tuple[rules.TreeEntry, ...]) -> rules.PathFacts:
        """The path in the recursive listing of `root` (a branch name or commit); where that listing
        may have been cut short of the path, GitHub is asked again from the last folder it showed."""
        found = rules.path_in_listing(self.settings.path, entries, rules.listing_may_be_cut(entries))
        if isinstance(found, rules.PathFacts):
            return found
        return self.walk(found.sha or root, found.depth)

    def walk(self, sha: str, depth: int) -> rules.PathFacts:
        """Down the path one folder at a time from its folder at `depth` (tree `sha`, the listed root
        at depth 0), then the path's folder alone, recursively: GitHub cuts each listing at its
        limits separately, so a folder is listed whole unless the path alone exceeds them."""
        path = self.settings.path
        for level in range(depth + 1, path.count("/") + 2 if path else 1):
            entries, error = self.tree(sha, recursive=False)
            if error is not None:
                return rules.PathFacts(path, error=error)
            step = rules.walk_step(path, level, entries)
            if isinstance(step, rules.PathFacts):
                return step
            sha = step
        entries, error = self.tree(sha, recursive=True)
        return rules.PathFacts(path, entries=entries, error=error)

    def deploy_keys(self) -> rules.DeployKeysFacts:
        _, error = self._ask(github.get_repository_deploy_keys, repository=self.settings.repo.name)
        return rules.DeployKeysFacts(error=error)

    def webhooks(self) -> rules.WebhooksFacts:
        _, error = self._ask(github.get_repository_webhooks, repository=self.settings.repo.name)
        return rules.WebhooksFacts(error=error)

    def credential(self) -> rules.Credential:
        auth = self.settings.auth
        if auth.lookups_as_app:
            return rules.Credential(app=f"GitHub App {auth.app_id} (installation {auth.installation_id})",
                                    flux_reads_with_it=True)
        return rules.Credential(flux_reads_with_it=auth.mode == "https")

    def facts(self) -> rules.Facts:
        settings = self.settings
        repo = self.repository()
        credential = self.credential()
        facts = rules.Facts(settings.repo.full_name, settings.stack, settings.source.branch, repo, credential=credential)
        branch_name = rules.resolve_branch(settings.source.branch, repo)
        if branch_name is None:
            return facts  # nothing else can be asked about a repository GitHub did not find
        branch, path = self.branch_and_path(branch_name)
        # Deploy keys are only checked where the program registers one.
        deploy_keys = self.deploy_keys() if settings.auth.mode == "deploy-key" else None
        # Webhooks only where the program adds one (sync on push).
        webhooks = self.webhooks() if settings.gitops.webhook is not None else None
        return rules.Facts(
            facts.repository, facts.stack, facts.given_branch, repo,
            branch=branch, path=path, deploy_keys=deploy_keys, credential=credential, webhooks=webhooks,
        )
