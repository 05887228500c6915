"""Preflight on the Pulumi side: ask GitHub, then let flux_bootstrap.preflight decide.

Lookups are SYNCHRONOUS invokes, so they finish before the component registers anything else:
a failed check raises RunError while only the providers and the component exist. Each lookup's
exception is turned into a fact (status code and GitHub's message, never the raw text).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_github as github

from flux_bootstrap import preflight as rules
from flux_bootstrap.settings import Settings


def checked_branch(settings: Settings, provider: github.Provider | None, parent: pulumi.Resource) -> str:
    """The branch Flux tracks, after checking the repository; raises pulumi.RunError on any problem.

    With `preflight` off: a warning, no check; the default branch is still looked up when no branch
    is given, and an empty answer is an error, never a silent default. Without a GitHub provider
    (a host that is not GitHub): no lookup at all, a warning, and the branch the settings require.
    """
    if provider is None:
        if settings.preflight:
            pulumi.log.warn(rules.not_github_warning(settings.project, settings.repo.host), resource=parent)
        assert settings.branch is not None, "settings require the branch off GitHub"
        return settings.branch
    lookups = _Lookups(settings, pulumi.InvokeOptions(provider=provider, parent=parent))
    repository = settings.repo.full_name
    if not settings.preflight:
        pulumi.log.warn(rules.skipped_warning(settings.project), resource=parent)
        if settings.branch:
            return settings.branch
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
    assert result.branch is not None  # no error means the branch is known
    return result.branch


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
        answer, error = self._ask(github.get_tree, repository=self.settings.repo.name, tree_sha=sha, recursive=recursive)
        if error is not None:
            return (), error
        return tuple(rules.TreeEntry(e.path, e.type, e.sha) for e in answer.entries or ()), None

    def path(self, commit: str) -> rules.PathFacts:
        # Walk down one folder at a time, then list the path's folder recursively: a recursive
        # listing of a whole large repository is truncated by GitHub, and the provider cannot tell.
        path = self.settings.path
        parts = path.split("/") if path else []
        sha = commit
        for depth, part in enumerate(parts, start=1):
            entries, error = self.tree(sha, recursive=False)
            if error is not None:
                return rules.PathFacts(path, error=error)
            entry = rules.find_entry(entries, part)
            prefix = "/".join(parts[:depth])
            if entry is None:
                return rules.PathFacts(path, missing=prefix)
            if entry.type != "tree":
                return rules.PathFacts(path, not_a_folder=prefix)
            sha = entry.sha
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
        facts = rules.Facts(settings.repo.full_name, settings.stack, settings.branch, repo, credential=credential)
        branch_name = rules.resolve_branch(settings.branch, repo)
        if branch_name is None:
            return facts  # nothing else can be asked about a repository GitHub did not find
        branch = self.branch(branch_name)
        path = self.path(branch.sha) if branch.sha else None
        # Deploy keys are only checked where the program registers one.
        deploy_keys = self.deploy_keys() if settings.auth.mode == "deploy-key" else None
        # Webhooks only where the program adds one (sync on push).
        webhooks = self.webhooks() if settings.gitops.webhook is not None else None
        return rules.Facts(
            facts.repository, facts.stack, facts.given_branch, repo,
            branch=branch, path=path, deploy_keys=deploy_keys, credential=credential, webhooks=webhooks,
        )
