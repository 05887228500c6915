"""Closing the GitOps loop (#18): key rotation without a gap, sync on push.

`keyRotation` names a generation of the Git credential. Unset, the stack keeps the names it has
always had; any value gives the key pair, the deploy key and the Secret names of their own, so
changing it makes Pulumi create the new generation, switch the GitRepository to it, and only then
delete the old one (flux_bootstrap/rotation.py).

`webhookHost` turns sync on push on: a Receiver reached at https://<webhookHost>/hook/..., exposed
through the chart's Ingress unless `webhookIngress` is false (flux_bootstrap/webhook.py).

`commitStatus` makes notification-controller post a status on every commit the Kustomization
applies, as the GitHub App (`auth: github-app`) or with the secret setting `commitStatusToken`,
never with the bootstrap token (flux_bootstrap/commit_status.py).
"""

from __future__ import annotations

import re
from typing import Annotated, Callable

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, StrictStr

from ..errors import Problem
from ..git_url import KIND_AZURE, KIND_BITBUCKET, KIND_GITHUB, KIND_GITLAB, RepoUrl
from ..kube_values import DnsName, is_dns_subdomain
from .base import Group
from .fields import MAX_TOKEN_LENGTH, SecretValue, StackBool

COMMIT_STATUS_TOKEN_SETTING = "commitStatusToken"
COMMIT_STATUS_HOSTS = (KIND_GITHUB, KIND_GITLAB, KIND_BITBUCKET, KIND_AZURE)

MAX_GENERATION = 40  # "flux-system-" + this stays far below Kubernetes' 253 characters
_GENERATION = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?", re.ASCII)


def _generation(value: str) -> str:
    if len(value) > MAX_GENERATION or not _GENERATION.fullmatch(value):
        raise ValueError(
            f"must be at most {MAX_GENERATION} lower-case letters, digits and '-' (not first or last), such as 2 "
            "or 2026-11-30: it becomes part of the Secret's name. Change it to rotate the deploy key."
        )
    return value


def _host(value: str) -> str:
    if "/" in value or ":" in value:
        raise ValueError("must be a host name alone, such as flux-webhook.example.com: no scheme, port or path.")
    if value.startswith("*") or not is_dns_subdomain(value) or "." not in value:
        raise ValueError("must be the public DNS name the Git host reaches the receiver at, in lower case, such as "
                         "flux-webhook.example.com.")
    return value


Generation = Annotated[StrictStr, AfterValidator(_generation)]
Host = Annotated[StrictStr, AfterValidator(_host)]


class GitOpsStack(Group):
    """Key rotation, sync on push and commit status (the loop between the cluster and the Git host)."""

    key_rotation: Generation | None = Field(None, alias="keyRotation", description=(
        "A generation of the Git credential, such as 2 or 2026-11-30 (lower-case letters, digits, "
        "'-'). Changing it rotates the deploy key (and the Secret, in every auth mode) without a gap "
        "- the new key, deploy key and Secret exist before the GitRepository switches to them, the "
        "old ones are deleted after. Empty means no rotation (the original names)."
    ))
    webhook_host: Host | None = Field(None, alias="webhookHost", description=(
        "Sync on push: the public host name the Git host reaches Flux's webhook receiver at, such as "
        "flux-webhook.example.com. Setting it creates a random token, a Receiver for the "
        "GitRepository and, on GitHub, the repository webhook. Empty means off (Flux polls every "
        "interval)."
    ))
    webhook_ingress: StackBool = Field(True, alias="webhookIngress", description=(
        "With webhookHost, expose the receiver through the chart's Ingress (path /hook/ on "
        "webhookHost). Set false when you expose the Service webhook-receiver (port 80) in flux-"
        "system another way."
    ))
    webhook_ingress_class: DnsName | None = Field(None, alias="webhookIngressClass", description=(
        "With webhookHost and webhookIngress, the IngressClass of the receiver's Ingress. Empty means"
        " the cluster's default class."
    ))
    webhook_tls_secret: DnsName | None = Field(None, alias="webhookTlsSecret", description=(
        "With webhookHost and webhookIngress, a TLS Secret in flux-system for webhookHost "
        "(kubernetes.io/tls; for example made by cert-manager). Empty means the Ingress has no tls "
        "section (TLS terminated before it)."
    ))
    commit_status: StackBool = Field(False, alias="commitStatus", description=(
        "Post a commit status for every commit Flux applies (a notification Provider of the host's "
        "type and an Alert on the Kustomization flux-system); GitHub, GitLab, Bitbucket Cloud, Azure "
        "DevOps. Credential - the GitHub App with auth github-app, otherwise commitStatusToken."
    ))


class WebhookSettings(BaseModel):
    model_config = ConfigDict(frozen=True)
    host: str
    ingress: bool = True  # the chart's Ingress; false: the user exposes Service webhook-receiver
    ingress_class: str | None = None
    tls_secret: str | None = None


class GitOpsSettings(BaseModel):
    """The resolved loop settings: what the plan builds from."""

    model_config = ConfigDict(frozen=True)
    key_rotation: str | None = None  # None: the names of before rotation existed
    webhook: WebhookSettings | None = None  # None: no sync on push
    commit_status: bool = False
    # With commitStatus, off auth github-app; None offline when the stack's secret was not decrypted.
    commit_status_token: SecretStr | None = None


def resolve_gitops(
    stack: GitOpsStack, stack_problem: Callable[[str, str], Problem], problems: list[Problem],
    auth_mode: str = "deploy-key", repo: RepoUrl | None = None, commit_token: object = None,
    bootstrap_token: SecretStr | None = None,
) -> GitOpsSettings | None:
    """The loop settings, or None with the cross-setting problems appended. `commit_token` is the
    stack's commitStatusToken as given: a SecretValue, or plain text (already refused as such:
    counted as present), or "" / None (unset)."""
    if not isinstance(commit_token, SecretValue):
        commit_token = SecretValue(None) if commit_token else None
    found = _webhook_problems(stack, stack_problem)
    if stack.key_rotation is not None and auth_mode == "deploy-key" and repo is not None and not repo.is_github:
        # The new public key would reach the host only by hand, after the GitRepository switched to it.
        found.append(stack_problem("keyRotation", "rotates without a gap only where the program registers the deploy "
                                                  "key (GitHub): on this host the new key would be in use before you "
                                                  "could add it. Remove it, and rotate as docs/operations.md describes."))
    token = _commit_status_token(stack, auth_mode, repo, commit_token, bootstrap_token, stack_problem, found)
    problems.extend(found)
    if found:
        return None
    webhook = None
    if stack.webhook_host is not None:
        webhook = WebhookSettings(host=stack.webhook_host, ingress=stack.webhook_ingress,
                                  ingress_class=stack.webhook_ingress_class, tls_secret=stack.webhook_tls_secret)
    return GitOpsSettings(key_rotation=stack.key_rotation, webhook=webhook, commit_status=stack.commit_status,
                          commit_status_token=token)


def _webhook_problems(stack: GitOpsStack, stack_problem: Callable[[str, str], Problem]) -> list[Problem]:
    found: list[Problem] = []
    ingress_only = {"webhookIngressClass": stack.webhook_ingress_class, "webhookTlsSecret": stack.webhook_tls_secret}
    if stack.webhook_host is None:
        given = [name for name, value in ingress_only.items() if value is not None]
        # Pulumi.yaml's default (true) always arrives: only a false one is a choice made in vain.
        given += [] if stack.webhook_ingress else ["webhookIngress"]
        found += [stack_problem(name, f"is only used with webhookHost (sync on push). Set webhookHost, or remove "
                                      f"it: pulumi config rm {name}") for name in given]
    elif not stack.webhook_ingress:
        found += [stack_problem(name, "is only used with webhookIngress true (the chart's Ingress). Remove it: "
                                      f"pulumi config rm {name}") for name, value in ingress_only.items() if value]
    return found


def _commit_status_token(
    stack: GitOpsStack, auth_mode: str, repo: RepoUrl | None, value: SecretValue | None,
    bootstrap_token: SecretStr | None, stack_problem: Callable[[str, str], Problem], found: list[Problem],
) -> SecretStr | None:
    """The token the Provider posts statuses with; None as the App, or offline (not decrypted)."""
    name = COMMIT_STATUS_TOKEN_SETTING
    if not stack.commit_status:
        if value is not None:
            found.append(stack_problem(name, f"is only used with commitStatus true. Remove it: pulumi config rm {name}"))
        return None
    if repo is not None and repo.kind not in COMMIT_STATUS_HOSTS:
        found.append(stack_problem("commitStatus", "works with GitHub, GitLab, Bitbucket Cloud and Azure DevOps "
                                                   "repositories only: Flux posts no commit status to this host."))
        return None
    if auth_mode == "github-app":
        if value is not None:
            found.append(stack_problem(name, "is not used with auth github-app: the App posts the statuses (it needs "
                                             f"Commit statuses: Read and write). Remove it: pulumi config rm {name}"))
        return None
    if value is None:
        found.append(stack_problem("commitStatus", "needs a token that may only post commit statuses (never the "
                                                   f"bootstrap token): pulumi config set --secret {name}"))
        return None
    bitbucket = repo is not None and repo.kind == KIND_BITBUCKET
    return _checked_token(value, bootstrap_token, lambda message: found.append(stack_problem(name, message)), bitbucket)


def _checked_token(value: SecretValue, bootstrap_token: SecretStr | None, refuse: Callable[[str], None],
                   bitbucket: bool = False) -> SecretStr | None:
    if value.plaintext is None:  # offline: present, not decrypted
        return None
    text = value.plaintext.strip()
    if not text or len(text) > MAX_TOKEN_LENGTH or not text.isascii() or not text.isprintable() or " " in text:
        refuse(f"is not a token: it must be 1 to {MAX_TOKEN_LENGTH} printable characters without spaces. Paste the "
               "token again, on one line.")
        return None
    if bitbucket and text.count(":") != 1:  # notification-controller's bitbucket provider splits it at ':'
        refuse("must be USER:SECRET for Bitbucket (your Bitbucket user name, a colon, then an API token or app "
               "password that may write commit statuses): Flux's bitbucket provider reads it that way.")
        return None
    if bootstrap_token is not None and text == bootstrap_token.get_secret_value():
        refuse("is the bootstrap token, which may manage the repository: create a token that may only post commit "
               "statuses (fine-grained: Commit statuses: Read and write) and store that one.")
        return None
    return SecretStr(text)
