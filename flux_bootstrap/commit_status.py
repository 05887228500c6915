"""Commit status (#18, commitStatus): a notification Provider of the host's type and an Alert for
the Kustomization flux-system, so every commit it applies gets a status on the Git host.

Credentials: with `auth: github-app`, the Provider reads the GitHub App's keys from the Secret the
GitRepository reads (notification-controller v1.8.3 supports App auth for `github`; one copy of
the App's private key in the cluster); otherwise its own Secret holds the `commitStatusToken`
(key `token`), never the bootstrap token. Pure: the token is passed in (Deferred in the plan).
"""

from __future__ import annotations

from typing import Any

from .git_url import KIND_AZURE, KIND_BITBUCKET, KIND_GITLAB
from .errors import known
from .settings import Settings

NOTIFICATION_API = "notification.toolkit.fluxcd.io/v1beta3"
NAME = "commit-status"  # the Provider, the Alert and the token's Secret
TOKEN_KEY = "token"
_TYPES = {KIND_GITLAB: "gitlab", KIND_BITBUCKET: "bitbucket", KIND_AZURE: "azuredevops"}


def provider_type(settings: Settings) -> str:
    """GitHub and GitHub Enterprise Server: `github`; the settings refuse hosts without a type."""
    return "github" if settings.repo.is_github else _TYPES[settings.repo.kind]


def address(settings: Settings) -> str:
    """The repository's web address, from which the provider takes the host and the repository."""
    repo = settings.repo
    if repo.kind == KIND_AZURE:
        return known(repo.https_url, "an Azure DevOps URL always has its https form")
    return f"https://{repo.host}/{repo.full_name}"


def uses_app(settings: Settings) -> bool:
    return settings.auth.mode == "github-app"


def token_secret_manifest(token: Any, metadata: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque",
            "stringData": {TOKEN_KEY: token}}


def provider_manifest(settings: Settings, metadata: dict[str, Any], secret_name: str) -> dict[str, Any]:
    spec = {"type": provider_type(settings), "address": address(settings), "secretRef": {"name": secret_name}}
    return {"apiVersion": NOTIFICATION_API, "kind": "Provider", "metadata": metadata, "spec": spec}


def alert_manifest(metadata: dict[str, Any], kustomization: str) -> dict[str, Any]:
    """Info events of the Kustomization: each carries the applied revision, which becomes the status."""
    spec = {
        "providerRef": {"name": NAME},
        "eventSeverity": "info",
        "eventSources": [{"kind": "Kustomization", "name": kustomization}],
    }
    return {"apiVersion": NOTIFICATION_API, "kind": "Alert", "metadata": metadata, "spec": spec}


def describe(settings: Settings) -> str:
    """One line for render."""
    if not settings.gitops.commit_status:
        return "Commit status: off (commitStatus false)."
    credential = ("as the GitHub App (its keys in the GitRepository's Secret)" if uses_app(settings)
                  else f"with commitStatusToken (Secret {NAME}), never the bootstrap token")
    return (f"Commit status: Provider {provider_type(settings)} for {address(settings)} and an Alert on the "
            f"Kustomization flux-system, {credential}.")
