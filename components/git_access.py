"""Per-mode credential wiring: the GitHub provider, the SSH key and deploy key, and the Secret Flux reads.

Every value comes from flux_bootstrap.credentials (the same builders `render` uses); here only the
Pulumi resources are made. Resource names are those of the deploy-key mode before auth modes
existed (`<name>-github`, `<name>-deploy-key`, `<name>-secret`), so existing stacks keep their URNs.
"""

from __future__ import annotations

import pulumi
import pulumi_github as github
import pulumi_tls as tls

from flux_bootstrap import credentials, manifests
from flux_bootstrap.plan import Deferred, Plan
from flux_bootstrap.settings import Settings
from flux_bootstrap.settings.auth import GitHubAppAuth


def uses_token(settings: Settings) -> bool:
    """The GitHub provider authenticates with the token (else as the App, or there is no provider)."""
    return settings.repo.is_github and not settings.auth.lookups_as_app


def github_provider(name: str, settings: Settings, parent: pulumi.Resource) -> github.Provider | None:
    """The provider for the program's own GitHub calls; None on a host that is not GitHub."""
    if not credentials.needs_github(settings):
        return None
    auth = settings.auth
    # Both always explicit: left out, the SDK fills base_url from GITHUB_BASE_URL and the provider
    # takes the owner from GITHUB_OWNER or guesses it from the token. The variables that would
    # still override them are refused before this (flux_bootstrap/github_env.py).
    args: dict = {"owner": settings.repo.owner, "base_url": auth.api_base_url}
    # Settings for a deploy hold the credential their mode uses (only offline ones hold it encrypted);
    # anything else stops the run, never a provider that would fall back to GITHUB_TOKEN.
    if not uses_token(settings) and isinstance(auth, GitHubAppAuth) and auth.app_private_key is not None:
        args["app_auth"] = github.ProviderAppAuthArgs(
            id=auth.app_id,
            installation_id=auth.installation_id,
            pem_file=pulumi.Output.secret(auth.app_private_key.get_secret_value()),
        )
    elif uses_token(settings) and settings.token is not None:
        args["token"] = pulumi.Output.secret(settings.token.get_secret_value())
    else:
        raise pulumi.RunError("internal: the GitHub credential was not decrypted: settings were not resolved for a deploy")
    return github.Provider(f"{name}-github", **args, opts=pulumi.ResourceOptions(parent=parent))


class DeferredValues(dict):
    """The plan's Deferred markers as Outputs (secret ones secret), and what was made for them."""

    key: tls.PrivateKey | None = None  # deploy-key mode only
    resources: dict[str, pulumi.Resource]  # by planned name: the registered deploy key

    def __init__(self) -> None:
        super().__init__()
        self.resources = {}


def deferred_values(name: str, plan: Plan, gh: github.Provider | None, parent: pulumi.Resource) -> DeferredValues:
    """The credential Flux reads with, per auth mode. Raises RunError (nothing more registered)
    when a GitHub Enterprise Server publishes no SSH host keys."""
    settings, values = plan.settings, DeferredValues()
    if settings.token is not None:
        values[Deferred.TOKEN] = pulumi.Output.secret(settings.token.get_secret_value())
    if isinstance(settings.auth, GitHubAppAuth) and settings.auth.app_private_key is not None:
        values[Deferred.APP_PRIVATE_KEY] = pulumi.Output.secret(settings.auth.app_private_key.get_secret_value())
    if settings.gitops.commit_status_token is not None:
        values[Deferred.COMMIT_STATUS_TOKEN] = pulumi.Output.secret(settings.gitops.commit_status_token.get_secret_value())
    deploy_key = plan.deploy_key
    if deploy_key is None:
        return values
    if plan.host_keys_published:  # before the key: a failure leaves nothing behind
        values[Deferred.KNOWN_HOSTS] = _published_known_hosts(settings, gh, parent)
    # Per credential generation (keyRotation): a new generation is new resources, the old ones
    # are deleted at the end of the update, after the GitRepository switched (rotation.py).
    key = tls.PrivateKey(f"{name}-{deploy_key.resource}", **deploy_key.key_args, opts=pulumi.ResourceOptions(parent=parent))
    values.key = key
    values[Deferred.IDENTITY] = key.private_key_openssh
    values[Deferred.IDENTITY_PUB] = key.public_key_openssh
    if deploy_key.registered:
        values.resources[deploy_key.resource] = github.RepositoryDeployKey(
            f"{name}-{deploy_key.resource}",
            title=deploy_key.title,
            repository=settings.repo.name,
            key=key.public_key_openssh,
            read_only=deploy_key.read_only,
            # A change of title or access replaces the deploy key with the same key, which GitHub
            # refuses while the old one exists ("key is already in use"): delete first.
            opts=pulumi.ResourceOptions(parent=parent, provider=gh, protect=settings.lifecycle.protect, delete_before_replace=True),
        )
    return values


def _published_known_hosts(settings: Settings, gh: github.Provider | None, parent: pulumi.Resource) -> pulumi.Input[str]:
    """known_hosts from the GitHub server's published host keys (no knownHosts setting given)."""
    if gh is None:
        raise pulumi.RunError("internal: host keys are published only by GitHub servers, and there is no GitHub provider")
    host = settings.repo.host
    if not settings.auth.enterprise:
        # github.com: keys from GET /meta, resolved with the rest of the deployment (no wait).
        keys = github.get_ssh_keys_output(opts=pulumi.InvokeOutputOptions(parent=parent, provider=gh)).keys
        return keys.apply(lambda found: manifests.known_hosts(found, host))
    # GitHub Enterprise Server: asked now, so a server that publishes none stops the run before anything exists.
    found = github.get_ssh_keys(opts=pulumi.InvokeOptions(parent=parent, provider=gh)).keys or []
    text = manifests.known_hosts(found, host)
    if not text:
        raise pulumi.RunError(
            f"The GitHub Enterprise Server {host} published no SSH host keys (GET /api/v3/meta), so Flux could not "
            f"trust it; nothing was created. Set them yourself from the server's documented fingerprints: "
            f"pulumi config set {settings.project}:knownHosts < known_hosts"
        )
    return text
