"""How Flux (and the program) authenticate to the Git host: the `auth` mode and its settings.

- `deploy-key` (default): an SSH key made by the program. On GitHub (github.com, or a GitHub
  Enterprise Server named by `githubUrl`) it becomes a deploy key; on any other host the user
  registers the public key by hand, and `knownHosts` is required (never learned by scanning).
- `github-app`: Flux fetches over HTTPS as a GitHub App (`spec.provider: github`); the program's
  own GitHub lookups authenticate as the App too.
- `https`: Flux fetches over HTTPS with the token as password, on any host.

A setting of another mode is refused, never ignored. Secrets (the App's private key) come only
from a `--secret` setting or a file beside the config files; messages never hold a value.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Callable, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, StrictStr

from .. import chart, pem
from ..bounded_read import present
from ..errors import Problem
from ..known_hosts import MAX_KNOWN_HOSTS, known_hosts_problem, normalise_known_hosts
from ..names import is_showable
from ..git_url import (
    AZURE_SSH_HOST,
    BITBUCKET_HOST,
    GITHUB_OWNER,
    GITLAB_HOST,
    KIND_AZURE,
    KIND_BITBUCKET,
    KIND_GENERIC,
    RepoUrl,
    parse_github_host,
    parse_repo_url,
)
from .base import Group
from .fields import SecretValue
from .files import display_path, read_secret_text

AuthMode = Literal["deploy-key", "github-app", "https"]
APP_KEY_SETTING = "githubAppPrivateKey"
APP_KEY_FILE = "github-app.pem"  # beside the config files; gitignored
CA_FILE = "ca.crt"  # beside the config files; a CA certificate is public, it may be committed
GITHUB_COM = "github.com"
GITHUB_COM_API = "https://api.github.com/"  # the pulumi-github SDK's own default, passed explicitly
GHE_COM = "ghe.com"  # GitHub Enterprise Cloud with data residency: API at api.<host>, not /api/v3
DEFAULT_USERNAME = "git"  # GitHub, GitLab, Azure DevOps and Gitea accept any username with a token
BITBUCKET_USERNAME = "x-token-auth"  # Bitbucket Cloud's username for repository/workspace access tokens
# Flux versions that read githubAppInstallationOwner (source-controller v1.8, Flux 2.8).
INSTALLATION_OWNER_SINCE = (2, 8)
_DIGITS = re.compile(r"[1-9][0-9]{0,19}", re.ASCII)
_USERNAME = re.compile(r"[A-Za-z0-9._@+-]{1,128}", re.ASCII)
# Hosts that are known not to be a GitHub: githubUrl naming one of them is a mistake.
_NOT_GITHUB = (GITLAB_HOST, BITBUCKET_HOST, "dev.azure.com", AZURE_SSH_HOST)

# Stack setting names, for messages.
MODE_SETTINGS = {
    "githubAppId": "github-app",
    "githubAppInstallationId": "github-app",
    "githubAppInstallationOwner": "github-app",
    APP_KEY_SETTING: "github-app",
    "httpsUsername": "https",
}


def _app_id(value: object) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not _DIGITS.fullmatch(text):
        raise ValueError("must be a number (the App ID on the App's settings page, or the installation ID in "
                         "the URL of its installation page).")
    return text


def _owner(value: str) -> str:
    if not GITHUB_OWNER.fullmatch(value):
        raise ValueError("must be a GitHub organisation or user name (letters, digits, inner hyphens, at most 39).")
    return value


def _github_url(value: str) -> str:
    host = parse_github_host(value)
    if host == GITHUB_COM or host.endswith("." + GITHUB_COM):
        raise ValueError("points at github.com, which needs no githubUrl. Remove it: pulumi config rm githubUrl")
    if host == GHE_COM or host.endswith("." + GHE_COM):
        raise ValueError("is a GitHub Enterprise Cloud host (ghe.com), whose API is not at /api/v3 like a GitHub "
                         "Enterprise Server's; it is not supported. Use auth https with its URL, or remove githubUrl.")
    if host in _NOT_GITHUB:
        raise ValueError("names a host that is not a GitHub Enterprise Server. Remove it, and choose `auth` "
                         "for that host (https, or deploy-key with knownHosts).")
    return host


def _username(value: str) -> str:
    if not _USERNAME.fullmatch(value):
        raise ValueError("must be a user name of letters, digits and . _ @ + - (at most 128), without the token.")
    if not is_showable(value.replace("@", ".").replace("+", ".")):  # it is shown by render: never a pasted token
        raise ValueError("looks like a token, not a user name. The token goes in config/secrets-flux.yaml or githubToken.")
    return value


def _text(limit: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"is larger than {limit} characters, far more than it ever holds.")
        return value
    return check


AppId = Annotated[str, BeforeValidator(_app_id)]
Owner = Annotated[StrictStr, AfterValidator(_owner)]
GitHubUrl = Annotated[StrictStr, AfterValidator(_github_url)]
Username = Annotated[StrictStr, AfterValidator(_username)]
KnownHostsText = Annotated[StrictStr, AfterValidator(_text(MAX_KNOWN_HOSTS))]
CaText = Annotated[StrictStr, AfterValidator(_text(pem.MAX_PEM))]


class AuthStack(Group):
    """How Flux authenticates to the Git host; see this module's docstring."""

    auth: AuthMode = "deploy-key"
    github_url: GitHubUrl | None = Field(None, alias="githubUrl")
    github_app_id: AppId | None = Field(None, alias="githubAppId")
    github_app_installation_id: AppId | None = Field(None, alias="githubAppInstallationId")
    github_app_installation_owner: Owner | None = Field(None, alias="githubAppInstallationOwner")
    known_hosts: KnownHostsText | None = Field(None, alias="knownHosts")
    ca_cert: CaText | None = Field(None, alias="caCert")
    https_username: Username | None = Field(None, alias="httpsUsername")


class AuthSettings(BaseModel):
    """The resolved authentication: what the component wires and the builders emit."""

    model_config = ConfigDict(frozen=True)
    mode: AuthMode = "deploy-key"
    github_host: str = GITHUB_COM  # the host that follows GitHub's rules (githubUrl, else github.com)
    app_id: str | None = None
    installation_id: str | None = None
    installation_owner: str | None = None
    app_private_key: SecretStr | None = None  # None offline, when the encrypted setting was not decrypted
    app_key_source: str = ""
    known_hosts: str | None = None  # normalised lines, for deploy-key off github.com
    ca_cert: str | None = None  # PEM, for https and github-app
    https_username: str = DEFAULT_USERNAME

    @property
    def enterprise(self) -> bool:
        return self.github_host != GITHUB_COM

    @property
    def lookups_as_app(self) -> bool:
        """The program's own GitHub calls authenticate as the App: the provider needs the numeric
        installation id for that; with only the owner, they use the token."""
        return self.mode == "github-app" and self.installation_id is not None

    @property
    def api_base_url(self) -> str:
        """The GitHub API the provider talks to, always passed: left out, the SDK takes GITHUB_BASE_URL."""
        return f"https://{self.github_host}/api/v3/" if self.enterprise else GITHUB_COM_API

    @property
    def app_base_url(self) -> str | None:
        """Flux's githubAppBaseURL: only for a GitHub Enterprise Server."""
        return f"https://{self.github_host}/api/v3" if self.enterprise else None


# --- resolution ------------------------------------------------------------------------------

TokenUse = Literal["required", "unused"]


def token_use(stack: AuthStack, repo: RepoUrl | None) -> TokenUse:
    """Whether the mode needs the token: the program's GitHub calls, or Flux's HTTPS password."""
    if stack.auth == "https":
        return "required"
    if stack.auth == "github-app":
        # The provider's App authentication needs the numeric installation id; with only the
        # owner, the program's own lookups use the token.
        return "unused" if stack.github_app_installation_id else "required"
    on_github = repo is None or repo.is_github or (stack.github_url is not None and repo.host == stack.github_url)
    return "required" if on_github else "unused"


def github_repo(repo: RepoUrl, github_url: str | None) -> RepoUrl:
    """The repository with GitHub's rules applied when it is on the GitHub Enterprise Server."""
    if github_url is None or repo.host != github_url or repo.is_github:
        return repo
    return parse_repo_url(repo.url, github_hosts=frozenset({github_url}))


def resolve_auth(
    project: str,
    stack: AuthStack,
    explicit: dict[str, object],
    repo: RepoUrl,
    branch: str | None,
    chart_version: str,
    key_value: SecretValue | None,
    config_dir: Path,
    project_dir: Path,
    stack_problem: Callable[[str, str], Problem],
    problems: list[Problem],
) -> AuthSettings | None:
    """The AuthSettings, or None with every problem appended. `explicit` holds the plain stack
    settings as given (keyAlgorithm, readWriteKey are refused off deploy-key when not default)."""
    start = len(problems)
    mode = stack.auth

    def refuse(name: str, message: str) -> None:
        problems.append(stack_problem(name, message))

    for name, owner_mode in MODE_SETTINGS.items():
        given = key_value is not None if name == APP_KEY_SETTING else explicit.get(name) not in (None, "")
        if given and mode != owner_mode:
            refuse(name, f"is only used with `auth: {owner_mode}`, and this stack's auth is {mode}. "
                         f"Remove it (pulumi config rm {name}), or set auth to {owner_mode}.")

    github_host = stack.github_url or GITHUB_COM
    if stack.github_url is not None and repo.host != stack.github_url:
        refuse("githubUrl", "names another host than the repository's. Point githubUrl at the server that "
                            "holds the repository, or remove it.")
    on_github = repo.is_github
    if mode != "deploy-key":
        if explicit.get("keyAlgorithm") not in (None, "", "ed25519"):
            refuse("keyAlgorithm", f"is only used with `auth: deploy-key`; with {mode} no SSH key is made. "
                                   "Remove it: pulumi config rm keyAlgorithm")
        if str(explicit.get("readWriteKey", "false")).strip().lower() not in ("false", ""):
            refuse("readWriteKey", f"is only used with `auth: deploy-key`; with {mode} Flux's access is the "
                                   f"{'App' if mode == 'github-app' else 'token'}'s. Remove it: pulumi config rm readWriteKey")

    if branch is None and not on_github:
        refuse("branch", "is required for a repository that is not on GitHub: the default branch can only be "
                         "looked up on GitHub. Set `branch` in config/flux.yaml, or: pulumi config set branch main")

    known_hosts = _known_hosts(stack, mode, repo, on_github, refuse)
    ca_cert = _ca_cert(project, stack, mode, repo, config_dir, project_dir, refuse, problems)

    if mode == "deploy-key":
        if repo.ssh_url is None:
            refuse("auth", "is deploy-key, which fetches over SSH, but the repository URL is https:// and this "
                           "host's SSH address cannot be derived from it. Give the ssh:// URL as `repo`, or set auth to https.")
        if not on_github and str(explicit.get("readWriteKey", "false")).strip().lower() == "true":
            refuse("readWriteKey", "has no effect on a host that is not GitHub: the program does not register the "
                                   "key there; you choose its access when you add it. Remove it.")
        if repo.kind == KIND_AZURE and explicit.get("keyAlgorithm") not in (None, "", "rsa-4096"):
            refuse("keyAlgorithm", "must be rsa-4096 for Azure DevOps, which accepts only RSA SSH keys: "
                                   "pulumi config set keyAlgorithm rsa-4096")
    if mode in ("https", "github-app") and repo.https_url is None:
        refuse("auth", f"is {mode}, which fetches over HTTPS, but the repository URL is an SSH address and this "
                       "host's HTTPS address cannot be derived from it. Give the https:// URL as `repo`.")

    app: dict[str, object] = {}
    if mode == "github-app":
        app = _app(project, stack, repo, chart_version, key_value, config_dir, project_dir, refuse, problems)

    username = stack.https_username or (BITBUCKET_USERNAME if repo.kind == KIND_BITBUCKET else DEFAULT_USERNAME)
    if len(problems) > start:
        return None
    return AuthSettings(
        mode=mode, github_host=github_host, known_hosts=known_hosts, ca_cert=ca_cert, https_username=username, **app
    )


def _known_hosts(stack: AuthStack, mode: str, repo: RepoUrl, on_github: bool, refuse) -> str | None:
    given = stack.known_hosts
    if mode != "deploy-key":
        if given is not None:
            refuse("knownHosts", f"is only used with `auth: deploy-key` (SSH); with {mode} Flux fetches over HTTPS. "
                                 "Remove it: pulumi config rm knownHosts")
        return None
    if on_github and repo.host == GITHUB_COM:
        if given is not None:
            refuse("knownHosts", "is not used for github.com: its host keys come from GitHub's published list. "
                                 "Remove it: pulumi config rm knownHosts")
        return None
    if given is None:
        if on_github:
            return None  # the Enterprise Server's published keys (GET /api/v3/meta)
        refuse("knownHosts", "is required for deploy-key on a host that is not GitHub: Flux must know the server's "
                             "SSH host keys, and they are never learned by scanning at deploy time. Set the lines "
                             "from the host's documented fingerprints: pulumi config set knownHosts < known_hosts")
        return None
    problem = known_hosts_problem(given, ssh_host(repo), repo.port if repo.kind == KIND_GENERIC else None)
    if problem:
        refuse("knownHosts", problem)
        return None
    return normalise_known_hosts(given)


def ssh_host(repo: RepoUrl) -> str:
    """The host Flux connects to over SSH (Azure DevOps serves SSH on its own host)."""
    return AZURE_SSH_HOST if repo.kind == KIND_AZURE else repo.host


def _ca_cert(project, stack: AuthStack, mode, repo: RepoUrl, config_dir: Path, project_dir: Path, refuse, problems) -> str | None:
    source, text = f"stack setting {project}:caCert", stack.ca_cert
    ca_file = config_dir / CA_FILE
    if text is None and mode != "deploy-key" and present(ca_file):
        source = display_path(ca_file, project_dir)
        text = read_secret_text(ca_file, source, pem.MAX_PEM, "a PEM file of CA certificates", problems)
        if text is None:
            return None
    elif text is not None and mode == "deploy-key":
        refuse("caCert", "is only used over HTTPS (auth https or github-app); with deploy-key Flux uses SSH. For "
                         "the program's own calls to a GitHub Enterprise Server, add the CA to the trust store of "
                         "the machine running pulumi (docs/authentication.md). Remove it: pulumi config rm caCert")
        return None
    if text is None:
        return None
    if repo.host == GITHUB_COM:
        problem = "github.com is signed by a public CA; no caCert is needed. Remove it."
    else:
        problem = pem.certificates_problem(text)
    if problem:
        if source.startswith("stack setting"):
            refuse("caCert", problem)
        else:
            problems.append(Problem(source, problem))
        return None
    return pem.normalise(text)


def _app(project, stack: AuthStack, repo: RepoUrl, chart_version: str, key_value: SecretValue | None,
         config_dir: Path, project_dir: Path, refuse, problems: list[Problem]) -> dict[str, object]:
    if not repo.is_github:
        refuse("auth", "is github-app, which works only with GitHub: github.com, or a GitHub Enterprise Server "
                       "named with githubUrl. For another host use auth https or deploy-key.")
    if stack.github_app_id is None:
        refuse("githubAppId", "is required with `auth: github-app`: the App ID from the App's settings page. "
                              "pulumi config set githubAppId 123456")
    installation_id, owner = stack.github_app_installation_id, stack.github_app_installation_owner
    if (installation_id is None) == (owner is None):
        refuse("githubAppInstallationId", "or githubAppInstallationOwner (exactly one of them) is required with "
                                          "`auth: github-app`. Prefer the installation ID: the number at the end of "
                                          "the installation's settings page URL.")
    if owner is not None:
        known = chart.KNOWN_VERSIONS.get(chart_version)
        if known is not None and tuple(int(p) for p in known.flux.split(".")[:2]) < INSTALLATION_OWNER_SINCE:
            refuse("githubAppInstallationOwner", f"needs Flux 2.8 or newer, and chart {chart_version} installs "
                                                 f"Flux {known.flux}. Set githubAppInstallationId instead.")
    key, key_source = _app_key(project, key_value, config_dir, project_dir, refuse, problems)
    return {"app_id": stack.github_app_id, "installation_id": installation_id, "installation_owner": owner,
            "app_private_key": key, "app_key_source": key_source}


def _app_key(project, key_value: SecretValue | None, config_dir: Path, project_dir: Path, refuse,
             problems: list[Problem]) -> tuple[SecretStr | None, str]:
    if key_value is not None:
        source = f"stack setting {project}:{APP_KEY_SETTING}"
        if key_value.plaintext is None:  # offline: present, not decrypted
            return None, source
        problem = pem.rsa_private_key_problem(key_value.plaintext)
        if problem:
            refuse(APP_KEY_SETTING, problem)
            return None, source
        return SecretStr(pem.normalise(key_value.plaintext)), source
    key_file = config_dir / APP_KEY_FILE
    source = display_path(key_file, project_dir)
    if not present(key_file):
        refuse("auth", f"is github-app, but the App's private key is missing: store it in the stack with "
                       f"`pulumi config set --secret {APP_KEY_SETTING} < app.private-key.pem`, or put the file at {source}.")
        return None, source
    text = read_secret_text(key_file, source, pem.MAX_PEM, "a PEM private key file", problems)
    if text is None:
        return None, source
    problem = pem.rsa_private_key_problem(text)
    if problem:
        problems.append(Problem(source, problem))
        return None, source
    return SecretStr(pem.normalise(text)), source
