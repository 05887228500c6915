"""One plan: everything a stack creates, built from Settings alone (pure, no Pulumi).

`pulumi up` (components/flux.py), `check` and `render` all read this one plan, so what `render`
shows is what `up` creates. Values known only at deploy time (the generated keys, the token, the
host keys GitHub publishes, the default branch GitHub answers) stand in the manifests as `Deferred`
markers; each edge fills them: the component with Pulumi Outputs, `render` with `<redacted>` or a
description. Nothing here reads a file or the network but the carried chart archive (verified).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Callable

from . import commit_status, credentials, manifests, rotation, webhook
from .chart.values import HelmReleaseSpec, deep_merge
from .settings import Settings


class Deferred(Enum):
    """A value the plan cannot hold: what it is, and whether it is a secret."""

    IDENTITY = ("the SSH private key (made by pulumi up, kept in the stack's state)", True)
    IDENTITY_PUB = ("the SSH public key", True)
    KNOWN_HOSTS = ("the SSH host keys the GitHub server publishes", True)
    TOKEN = ("the token", True)
    APP_PRIVATE_KEY = ("the GitHub App's private key", True)
    SOPS_IDENTITY = ("the SOPS age key", True)
    WEBHOOK_TOKEN = ("the webhook token (random, made by pulumi up, kept in the stack's state)", True)
    COMMIT_STATUS_TOKEN = ("the commit status token", True)
    BRANCH = ("the repository's default branch, looked up on GitHub", False)

    @property
    def secret(self) -> bool:
        return self.value[1]

    @property
    def description(self) -> str:
        return self.value[0]


@dataclass(frozen=True)
class PlannedObject:
    """One Kubernetes object of the stack and how Pulumi registers it.

    `resource` is the suffix of its Pulumi resource name (`<name>-<resource>`, pinned by tests);
    `depends_on` names other planned resources: objects, `release`, or `deploy-key`."""

    resource: str
    manifest: dict[str, Any]
    depends_on: tuple[str, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False
    timeouts: dict[str, str] | None = None

    @property
    def kind(self) -> str:
        return self.manifest["kind"]


@dataclass(frozen=True)
class DeployKey:
    """The SSH key pulumi-tls makes, and (on GitHub) the deploy key registered with it."""

    key_args: dict[str, Any]  # tls.PrivateKey arguments
    title: str
    read_only: bool
    registered: bool  # on GitHub the program adds it; elsewhere the user adds the public key
    # The Pulumi name suffix of the key pair and the deploy key: per generation (rotation.py).
    resource: str = rotation.DEPLOY_KEY_RESOURCE


@dataclass(frozen=True)
class Webhook:
    """Sync on push: where the receiver is reached, and (on GitHub) the repository webhook to add."""

    host: str
    registered: bool  # on GitHub the program adds the webhook; elsewhere the user does (outputs)
    events: tuple[str, ...] = webhook.GITHUB_EVENTS
    secret_ref: str = f"{manifests.NAMESPACE}/{webhook.TOKEN_SECRET}"

    def url(self, token: str) -> str:
        return webhook.url(self.host, token)


@dataclass(frozen=True)
class Plan:
    settings: Settings
    objects: tuple[PlannedObject, ...]
    release: HelmReleaseSpec
    deploy_key: DeployKey | None
    # Where known_hosts comes from when Deferred.KNOWN_HOSTS is used: the GitHub server's /meta.
    host_keys_published: bool
    warnings: tuple[str, ...] = field(default=())
    webhook: Webhook | None = None

    def object(self, resource: str) -> PlannedObject:
        return next(planned for planned in self.objects if planned.resource == resource)

    def manifests(self, fill: Callable[[Deferred], Any]) -> list[dict[str, Any]]:
        """Every object's manifest with each Deferred value replaced by `fill(marker)`."""
        return [fill_deferred(planned.manifest, fill) for planned in self.objects]


def fill_deferred(value: Any, fill: Callable[[Deferred], Any]) -> Any:
    """`value` (dicts and lists of a manifest) with every Deferred marker replaced by fill(marker)."""
    if isinstance(value, Deferred):
        return fill(value)
    if isinstance(value, dict):
        return {key: fill_deferred(item, fill) for key, item in value.items()}
    if isinstance(value, list):
        return [fill_deferred(item, fill) for item in value]
    return value


def plan(settings: Settings) -> Plan:
    """Everything `pulumi up` creates for `settings`. Raises ConfigError (chart.ChartError) when the
    carried chart archive is missing or altered: nothing may be planned from an unverified chart."""
    release = manifests.helm_release(settings)
    namespace = PlannedObject(
        "namespace", manifests.namespace_manifest(),
        # Retained: objects Flux created from Git may live in it and hold finalizers.
        protect=settings.lifecycle.protect, retain_on_delete=True,
    )
    # Per credential generation (keyRotation): a new one is created before the GitRepository
    # switches to it, the old one deleted after (rotation.py).
    secret_resource, secret_name = rotation.secret_resource(settings), rotation.secret_name(settings, manifests.NAME)
    secret = PlannedObject(
        secret_resource, manifests.git_secret_manifest(_git_secret_data(settings), secret_name), ("namespace",)
    )
    objects = [namespace, secret]
    decryption: tuple[str, ...] = ()
    if settings.sops.enabled:
        # Before the Kustomization: encrypted files in Git fail to apply without it.
        objects.append(PlannedObject("sops-secret", manifests.sops_secret_manifest(Deferred.SOPS_IDENTITY), ("namespace",)))
        decryption = ("sops-secret",)
    deploy_key = _deploy_key(settings)
    # Flux objects depend on the Release: their CRDs come from it, and on destroy they are deleted
    # while the controllers still run to clear their finalizers. The deploy key (when registered)
    # must be on GitHub before Flux's first fetch.
    branch = settings.source.branch or Deferred.BRANCH
    key_wait = (deploy_key.resource,) if deploy_key and deploy_key.registered else ()
    objects.append(PlannedObject(
        "git-repository", manifests.git_repository_manifest(settings, branch, secret_name),
        ("release", secret_resource, *key_wait),
        timeouts=manifests.custom_timeouts(settings, "GitRepository"),
    ))
    objects.append(PlannedObject(
        "kustomization", manifests.kustomization_manifest(settings), ("release", "git-repository", *decryption),
        timeouts=manifests.custom_timeouts(settings, "Kustomization"),
    ))
    planned_webhook = _webhook(settings, objects)
    _commit_status(settings, objects, secret_resource, secret_name)
    if planned_webhook is not None:
        # Ours first, so the stack's helmValues (already in the release's values) still win.
        release = replace(release, values=deep_merge(webhook.ingress_values(settings), release.values))
    return Plan(
        settings=settings,
        objects=tuple(objects),
        release=release,
        deploy_key=deploy_key,
        host_keys_published=credentials.host_keys_published(settings),
        webhook=planned_webhook,
    )


def _commit_status(settings: Settings, objects: list[PlannedObject], git_secret: str, git_secret_name: str) -> None:
    """Commit status: the Provider (as the App from the Git Secret, or with its own token Secret) and
    the Alert, appended to `objects`."""
    if not settings.gitops.commit_status:
        return
    secret, secret_name = git_secret, git_secret_name
    if not commit_status.uses_app(settings):
        secret, secret_name = "commit-status-secret", commit_status.NAME
        token = commit_status.token_secret_manifest(Deferred.COMMIT_STATUS_TOKEN, manifests.metadata(secret_name))
        objects.append(PlannedObject(secret, token, ("namespace",)))
    provider = commit_status.provider_manifest(settings, manifests.metadata(commit_status.NAME), secret_name)
    objects.append(PlannedObject("commit-status-provider", provider, ("release", secret)))
    alert = commit_status.alert_manifest(manifests.metadata(commit_status.NAME), manifests.NAME)
    objects.append(PlannedObject("commit-status-alert", alert, ("release", "commit-status-provider", "kustomization")))


def _webhook(settings: Settings, objects: list[PlannedObject]) -> Webhook | None:
    """Sync on push: the token Secret and the Receiver appended to `objects` (after every object a
    stack without it has, so their order is unchanged)."""
    hook = settings.gitops.webhook
    if hook is None:
        return None
    token_secret = webhook.token_secret_manifest(Deferred.WEBHOOK_TOKEN, manifests.metadata(webhook.TOKEN_SECRET))
    objects.append(PlannedObject("webhook-secret", token_secret, ("namespace",)))
    # Ready (its path served) before the GitHub webhook is added: GitHub pings it at once.
    receiver = webhook.receiver_manifest(settings, manifests.metadata(webhook.RECEIVER_NAME, settings), manifests.NAME)
    objects.append(PlannedObject("receiver", receiver, ("release", "webhook-secret", "git-repository"),
                                 timeouts=manifests.custom_timeouts(settings, "Receiver")))
    return Webhook(host=hook.host, registered=webhook.registers_webhook(settings))


def _git_secret_data(settings: Settings) -> dict[str, Any]:
    """The keys of the Secret `flux-system` per auth mode, secrets deferred."""
    mode = settings.auth.mode
    if mode == "https":
        return credentials.https_data(settings, Deferred.TOKEN)
    if mode == "github-app":
        return credentials.app_data(settings, Deferred.APP_PRIVATE_KEY)
    known_hosts = Deferred.KNOWN_HOSTS if settings.auth.known_hosts is None else settings.auth.known_hosts
    return credentials.ssh_data(Deferred.IDENTITY, Deferred.IDENTITY_PUB, known_hosts)


def _deploy_key(settings: Settings) -> DeployKey | None:
    if settings.auth.mode != "deploy-key":
        return None
    return DeployKey(
        key_args=manifests.private_key_args(settings),
        title=rotation.title(settings, manifests.deploy_key_title(settings)),
        read_only=not settings.auth.read_write_key,
        registered=credentials.registers_deploy_key(settings),
        resource=rotation.deploy_key_resource(settings),
    )
