"""Per-mode credential wiring: the GitHub provider, the SSH key and deploy key, and the Secret Flux reads.

Every value comes from flux_bootstrap.credentials (the same builders `render` uses); here only the
Pulumi resources are made. Resource names are those of the deploy-key mode before auth modes
existed (`<name>-github`, `<name>-deploy-key`, `<name>-secret`), so existing stacks keep their URNs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_github as github
import pulumi_kubernetes as k8s
import pulumi_tls as tls

from flux_bootstrap import credentials, manifests
from flux_bootstrap.settings import Settings


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
    if uses_token(settings):
        assert settings.token is not None, "the token is required in this mode: settings were not resolved for a deploy"
        args["token"] = pulumi.Output.secret(settings.token.get_secret_value())
    else:
        assert auth.app_private_key is not None, "the App's private key is missing: settings were not resolved for a deploy"
        args["app_auth"] = github.ProviderAppAuthArgs(
            id=auth.app_id,
            installation_id=auth.installation_id,
            pem_file=pulumi.Output.secret(auth.app_private_key.get_secret_value()),
        )
    return github.Provider(f"{name}-github", **args, opts=pulumi.ResourceOptions(parent=parent))


@dataclass
class GitAccess:
    """What the Secret is made from, and what Flux's first fetch must wait for."""

    string_data: pulumi.Output  # always secret
    key: tls.PrivateKey | None = None  # deploy-key mode only
    waits: list[pulumi.Resource] = field(default_factory=list)  # the deploy key, when registered


def git_access(name: str, settings: Settings, gh: github.Provider | None, parent: pulumi.Resource) -> GitAccess:
    """The credential Flux reads with, per auth mode. Raises RunError (nothing more registered)
    when a GitHub Enterprise Server publishes no SSH host keys."""
    auth = settings.auth
    if auth.mode == "https":
        assert settings.token is not None, "https needs the token: settings were not resolved for a deploy"
        password = pulumi.Output.secret(settings.token.get_secret_value())
        return GitAccess(pulumi.Output.secret(credentials.https_data(settings, password)))
    if auth.mode == "github-app":
        assert auth.app_private_key is not None, "github-app needs the private key: settings were not resolved for a deploy"
        private_key = pulumi.Output.secret(auth.app_private_key.get_secret_value())
        return GitAccess(pulumi.Output.secret(credentials.app_data(settings, private_key)))

    known_hosts = _known_hosts(settings, gh, parent)  # before the key: a failure leaves nothing behind
    key = tls.PrivateKey(f"{name}-deploy-key", **manifests.private_key_args(settings), opts=pulumi.ResourceOptions(parent=parent))
    waits: list[pulumi.Resource] = []
    if credentials.registers_deploy_key(settings):
        waits.append(
            github.RepositoryDeployKey(
                f"{name}-deploy-key",
                title=manifests.deploy_key_title(settings),
                repository=settings.repo.name,
                key=key.public_key_openssh,
                read_only=not settings.read_write_key,
                # A change of title or access replaces the deploy key with the same key, which GitHub
                # refuses while the old one exists ("key is already in use"): delete first.
                opts=pulumi.ResourceOptions(parent=parent, provider=gh, protect=settings.protect, delete_before_replace=True),
            )
        )
    data = credentials.ssh_data(key.private_key_openssh, key.public_key_openssh, known_hosts)
    return GitAccess(pulumi.Output.secret(data), key=key, waits=waits)


def _known_hosts(settings: Settings, gh: github.Provider | None, parent: pulumi.Resource) -> pulumi.Input[str]:
    """known_hosts: the knownHosts setting, else the GitHub server's published host keys."""
    auth = settings.auth
    if auth.known_hosts is not None:
        return auth.known_hosts
    assert gh is not None, "settings require knownHosts off GitHub"
    host = settings.repo.host
    if not auth.enterprise:
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


def git_secret(name: str, access: GitAccess, opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
    """The Secret `flux-system` the GitRepository reads, its data secret on the wire and in state."""
    manifest = manifests.git_secret_manifest(None)
    return k8s.core.v1.Secret(
        f"{name}-secret",
        metadata=manifest["metadata"],
        type=manifest["type"],
        string_data=access.string_data,
        opts=opts,
    )
