"""Sync on push: the random token, and on GitHub the repository webhook (objects come from the plan)."""

from __future__ import annotations

import pulumi
import pulumi_github as github
import pulumi_random as random

from flux_bootstrap.plan import Deferred, Plan
from flux_bootstrap.errors import known

TOKEN_BYTES = 32  # 64 hexadecimal characters


def token(name: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """Random bytes kept in the stack's state, as hexadecimal text; a secret."""
    material = random.RandomBytes(f"{name}-webhook-token", length=TOKEN_BYTES, opts=pulumi.ResourceOptions(parent=parent))
    return pulumi.Output.secret(material.hex)


def hook_url(plan: Plan, secret_token: pulumi.Output[str]) -> pulumi.Output[str]:
    """The receiver's URL. Its path is a digest of the token, not the token: shown, not secret."""
    hook = known(plan.webhook, "a receiver URL only with webhookHost")
    return pulumi.Output.unsecret(secret_token.apply(hook.url))


def repository_webhook(
    name: str, plan: Plan, url: pulumi.Output[str] | None, values: dict, gh: github.Provider | None,
    registered: dict[str, pulumi.Resource], parent: pulumi.Resource,
) -> github.RepositoryWebhook | None:
    """The GitHub repository webhook, once the Receiver exists (GitHub pings it on creation)."""
    hook = plan.webhook
    if hook is None or not hook.registered:
        return None
    gh = known(gh, "the webhook is registered only on GitHub")
    url = known(url, "a registered webhook has the receiver's URL")
    secret_token, receiver = values[Deferred.WEBHOOK_TOKEN], registered["receiver"]
    return github.RepositoryWebhook(
        f"{name}-webhook",
        repository=plan.settings.repo.name,
        events=list(hook.events),
        active=True,
        configuration=github.RepositoryWebhookConfigurationArgs(
            url=url, content_type="json", secret=secret_token, insecure_ssl=False,
        ),
        opts=pulumi.ResourceOptions(parent=parent, provider=gh, depends_on=[receiver]),
    )
