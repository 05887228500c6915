"""Per-mode credentials: the URL and provider Flux's GitRepository uses, and the keys of its Secret.

Pure, like manifests.py: the component passes secret values (Outputs at deploy time), `render`
passes `<redacted>`, so both show exactly the same keys. Key names are the ones source-controller
reads (docs/spec/v1/gitrepositories.md): SSH `identity`, `identity.pub`, `known_hosts`; HTTPS
`username`, `password`; GitHub App `githubAppID`, `githubAppInstallationID` or
`githubAppInstallationOwner`, `githubAppPrivateKey`, `githubAppBaseURL`; a private CA `ca.crt`.
"""

from __future__ import annotations

from typing import Any

from .settings import Settings
from .errors import known

GITHUB_PROVIDER = "github"


def flux_url(settings: Settings) -> str:
    """ssh:// for deploy-key, https:// otherwise; GitHub over HTTPS as https://HOST/OWNER/NAME."""
    repo = settings.repo
    if settings.auth.mode == "deploy-key":
        url = repo.ssh_url
    elif repo.is_github:
        url = f"https://{repo.host}/{repo.full_name}"
    else:
        url = repo.https_url
    return known(url, "settings.auth refuses a mode whose URL cannot be derived")


def git_provider(settings: Settings) -> str | None:
    """spec.provider: `github` makes source-controller authenticate as the App from the Secret."""
    return GITHUB_PROVIDER if settings.auth.mode == "github-app" else None


def registers_deploy_key(settings: Settings) -> bool:
    """The deploy key is registered by the program only on GitHub (github.com or githubUrl)."""
    return settings.auth.mode == "deploy-key" and settings.repo.is_github


def needs_github(settings: Settings) -> bool:
    """Whether the program talks to GitHub at all (lookups, deploy key, host keys)."""
    return settings.repo.is_github


def host_keys_published(settings: Settings) -> bool:
    """known_hosts comes from the GitHub server's published keys (no knownHosts setting given)."""
    return settings.auth.mode == "deploy-key" and settings.repo.is_github and settings.auth.known_hosts is None


def ssh_data(identity: Any, identity_pub: Any, known_hosts: Any) -> dict[str, Any]:
    return {"identity": identity, "identity.pub": identity_pub, "known_hosts": known_hosts}


def https_data(settings: Settings, password: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"username": settings.auth.https_username, "password": password}
    return _with_ca(settings, data)


def app_data(settings: Settings, private_key: Any) -> dict[str, Any]:
    auth = settings.auth
    data: dict[str, Any] = {"githubAppID": auth.app_id}
    if auth.installation_id is not None:
        data["githubAppInstallationID"] = auth.installation_id
    else:
        data["githubAppInstallationOwner"] = auth.installation_owner
    data["githubAppPrivateKey"] = private_key
    if auth.app_base_url is not None:
        data["githubAppBaseURL"] = auth.app_base_url
    return _with_ca(settings, data)


def _with_ca(settings: Settings, data: dict[str, Any]) -> dict[str, Any]:
    if settings.auth.ca_cert is not None:
        data["ca.crt"] = settings.auth.ca_cert
    return data


def describe(settings: Settings, deploy_key_title: str) -> str:
    """One line for render: how Flux authenticates and what the program makes for it."""
    auth, repo = settings.auth, settings.repo
    server = f"GitHub Enterprise Server {auth.github_host}" if auth.enterprise else "GitHub"
    if auth.mode == "deploy-key":
        if repo.is_github:
            return (f"{server} deploy key on {repo.full_name}: title {deploy_key_title!r}, "
                    f"{'read-write' if settings.auth.read_write_key else 'read-only'}, {settings.key_algorithm}.")
        return (f"SSH key ({settings.key_algorithm}) for {repo.host}, which is not GitHub: add the stack output "
                "deployKeyPublicKey to the repository by hand (docs/authentication.md); known_hosts from knownHosts.")
    if auth.mode == "https":
        return (f"HTTPS to {repo.host} with username {auth.https_username!r} and the token as password; "
                "no SSH key, no deploy key.")
    installation = (f"installation {auth.installation_id}" if auth.installation_id
                    else f"installation of {auth.installation_owner}")
    return (f"{server} App {auth.app_id} ({installation}) on {repo.full_name}: Flux fetches over HTTPS as the App "
            "(provider: github); no SSH key, no deploy key.")
