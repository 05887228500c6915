"""Sync on push (#18, webhookHost): the Receiver, its token Secret, the Ingress values and the URL.

notification-controller (v1.8.3, api/v1/receiver_types.go GetWebhookPath) serves a Receiver at
`/hook/` + hex(sha256(token + name + namespace)), the token being its Secret's `token` key; the
chart exposes it as Service `webhook-receiver` (port 80) and, on request, an Ingress
(`notificationController.webhookReceiver.ingress`). Pure: the token is given (an Output's value
at deploy time, never in the plan).
"""

from __future__ import annotations

import hashlib
from typing import Any

from .git_url import KIND_BITBUCKET, KIND_GITLAB
from .settings import Settings

RECEIVER_API = "notification.toolkit.fluxcd.io/v1"
RECEIVER_NAME = "flux-system"
TOKEN_SECRET = "webhook-token"
TOKEN_KEY = "token"  # the key notification-controller reads
HOOK_PREFIX = "/hook/"
SERVICE = "webhook-receiver"
GITHUB_EVENTS = ("push",)  # the events the GitHub webhook sends; GitHub also sends `ping` on creation

# Receiver type and the events it accepts, per Git host. GitLab's event is its X-Gitlab-Event header
# ("Push Hook"), Bitbucket's its X-Event-Key ("repo:push"); generic-hmac has no event types.
_RECEIVERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "github": ("github", ("ping", "push")),
    KIND_GITLAB: ("gitlab", ("Push Hook",)),
    KIND_BITBUCKET: ("bitbucket", ("repo:push",)),
}
GENERIC = ("generic-hmac", ())


def receiver_type(settings: Settings) -> tuple[str, tuple[str, ...]]:
    """(spec.type, spec.events) for the repository's host; GitHub Enterprise Server is `github`."""
    if settings.repo.is_github:
        return _RECEIVERS["github"]
    return _RECEIVERS.get(settings.repo.kind, GENERIC)


def hook_path(token: str, name: str = RECEIVER_NAME, namespace: str = "flux-system") -> str:
    """The Receiver's path, as notification-controller computes it."""
    return HOOK_PREFIX + hashlib.sha256((token + name + namespace).encode()).hexdigest()


def url(host: str, token: str) -> str:
    return f"https://{host}{hook_path(token)}"


def token_secret_manifest(token: Any, metadata: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque",
            "stringData": {TOKEN_KEY: token}}


def receiver_manifest(settings: Settings, metadata: dict[str, Any], git_repository: str) -> dict[str, Any]:
    """The Receiver that makes source-controller fetch the GitRepository at once on a push."""
    kind, events = receiver_type(settings)
    spec: dict[str, Any] = {"type": kind}
    if events:
        spec["events"] = list(events)
    spec["resources"] = [{"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "name": git_repository}]
    spec["secretRef"] = {"name": TOKEN_SECRET}
    return {"apiVersion": RECEIVER_API, "kind": "Receiver", "metadata": metadata, "spec": spec}


def ingress_values(settings: Settings) -> dict[str, Any]:
    """Chart values exposing the receiver at https://<host>/hook/ (nothing else of the controller)."""
    webhook = settings.gitops.webhook
    if webhook is None or not webhook.ingress:
        return {}
    ingress: dict[str, Any] = {
        "create": True,
        "hosts": [{"host": webhook.host, "paths": [{"path": HOOK_PREFIX, "pathType": "Prefix"}]}],
    }
    if webhook.ingress_class:
        ingress["ingressClassName"] = webhook.ingress_class
    if webhook.tls_secret:
        ingress["tls"] = [{"secretName": webhook.tls_secret, "hosts": [webhook.host]}]
    return {"notificationController": {"webhookReceiver": {"ingress": ingress}}}


def registers_webhook(settings: Settings) -> bool:
    """On GitHub (and GitHub Enterprise Server) the program adds the repository webhook."""
    return settings.gitops.webhook is not None and settings.repo.is_github


def describe(settings: Settings) -> str:
    """One line for render."""
    webhook = settings.gitops.webhook
    if webhook is None:
        return "Sync on push: off (webhookHost unset); Flux polls every interval."
    kind, _ = receiver_type(settings)
    exposed = "the chart's Ingress" if webhook.ingress else "your own route to Service webhook-receiver (port 80)"
    where = ("the program adds the repository webhook (JSON, the token as secret, TLS verified)"
             if registers_webhook(settings) else
             "add the webhook on the Git host by hand: stack outputs webhookUrl and webhookSecret (docs/sync-on-push.md)")
    return (f"Sync on push: Receiver {kind} at https://{webhook.host}/hook/<sha256 of the token>, through {exposed}; "
            f"{where}.")
