"""Closing the GitOps loop (#18): key rotation without a gap, sync on push.

`keyRotation` names a generation of the Git credential. Unset, the stack keeps the names it has
always had; any value gives the key pair, the deploy key and the Secret names of their own, so
changing it makes Pulumi create the new generation, switch the GitRepository to it, and only then
delete the old one (flux_bootstrap/rotation.py).

`webhookHost` turns sync on push on: a Receiver reached at https://<webhookHost>/hook/..., exposed
through the chart's Ingress unless `webhookIngress` is false (flux_bootstrap/webhook.py).
"""

from __future__ import annotations

import re
from typing import Annotated, Callable

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr

from ..errors import Problem
from ..kube_values import DnsName, dns_subdomain_problem
from .base import Group
from .fields import StackBool

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
    if value.startswith("*") or dns_subdomain_problem(value) or "." not in value:
        raise ValueError("must be the public DNS name the Git host reaches the receiver at, in lower case, such as "
                         "flux-webhook.example.com.")
    return value


Generation = Annotated[StrictStr, AfterValidator(_generation)]
Host = Annotated[StrictStr, AfterValidator(_host)]


class GitOpsStack(Group):
    """Key rotation, sync on push and commit status (the loop between the cluster and the Git host)."""

    key_rotation: Generation | None = Field(None, alias="keyRotation")
    webhook_host: Host | None = Field(None, alias="webhookHost")
    webhook_ingress: StackBool = Field(True, alias="webhookIngress")
    webhook_ingress_class: DnsName | None = Field(None, alias="webhookIngressClass")
    webhook_tls_secret: DnsName | None = Field(None, alias="webhookTlsSecret")


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


def resolve_gitops(
    stack: GitOpsStack, stack_problem: Callable[[str, str], Problem], problems: list[Problem]
) -> GitOpsSettings | None:
    """The loop settings, or None with the cross-setting problems appended."""
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
    problems.extend(found)
    if found:
        return None
    webhook = None
    if stack.webhook_host is not None:
        webhook = WebhookSettings(host=stack.webhook_host, ingress=stack.webhook_ingress,
                                  ingress_class=stack.webhook_ingress_class, tls_secret=stack.webhook_tls_secret)
    return GitOpsSettings(key_rotation=stack.key_rotation, webhook=webhook)
