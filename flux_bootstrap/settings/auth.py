"""How Flux (and the program) authenticate to the Git host: the `auth` mode and its settings.

- `deploy-key` (default): an SSH key made by the program. On GitHub (github.com, or a GitHub
  Enterprise Server named by `githubUrl`) it becomes a deploy key; on any other host the user
  registers the public key by hand, and `knownHosts` is required (never learned by scanning).
- `github-app`: Flux fetches over HTTPS as a GitHub App (`spec.provider: github`); the program's
  own GitHub lookups authenticate as the App too.
- `https`: Flux fetches over HTTPS with the token as password, on any host.

One model per mode, tagged by `auth` (`Auth`): a setting of another mode is a field of the
mode's model that refuses any value, so it is refused by the schema, never ignored, and the
resolved Settings hold the mode's own model. Rules that need the repository or the chart version
read them from the validation context (`base.Facts`). Secrets (the App's private key) come only
from a `--secret` setting or a file beside the config files; messages never hold a value.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Callable, Literal, Union

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Discriminator,
    Field,
    SecretStr,
    StrictStr,
    Tag,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .. import chart, pem
from ..bounded_read import UnreadableFile, present
from ..errors import Problem
from ..known_hosts import MAX_KNOWN_HOSTS, check_known_hosts
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
from .base import Facts, Group, derived, facts, facts_validator, file_facts, known_kind, other_mode, with_key_source
from .fields import SecretValue, StackBool, refusing, unmatched
from .files import display_path, read_secret_text
from .messages import Refusal, raise_all

KeyAlgorithm = Literal["ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-4096"]
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


_digits = refusing((unmatched(_DIGITS), "must be a number (the App ID on the App's settings page, or the "
                                        "installation ID in the URL of its installation page)."))


def _app_id(value: object) -> str:
    return _digits(str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else "")


_owner = refusing((unmatched(GITHUB_OWNER),
                   "must be a GitHub organisation or user name (letters, digits, inner hyphens, at most 39)."))


def _in_domain(domain: str) -> Callable[[str], bool]:
    return lambda host: host == domain or host.endswith("." + domain)


_github_host = refusing(
    (_in_domain(GITHUB_COM), "points at github.com, which needs no githubUrl. Remove it: pulumi config rm githubUrl"),
    (_in_domain(GHE_COM), "is a GitHub Enterprise Cloud host (ghe.com), whose API is not at /api/v3 like a GitHub "
                          "Enterprise Server's; it is not supported. Use auth https with its URL, or remove githubUrl."),
    (lambda host: host in _NOT_GITHUB, "names a host that is not a GitHub Enterprise Server. Remove it, and choose "
                                       "`auth` for that host (https, or deploy-key with knownHosts)."),
)


def _github_url(value: str) -> str:
    return _github_host(parse_github_host(value))


_username = refusing(
    (unmatched(_USERNAME), "must be a user name of letters, digits and . _ @ + - (at most 128), without the token."),
    # It is shown by render: never a pasted token.
    (lambda value: not is_showable(value.replace("@", ".").replace("+", ".")),
     "looks like a token, not a user name. The token goes in config/secrets-flux.yaml or githubToken."),
)


def _text(limit: int) -> Callable[[str], str]:
    return refusing((lambda value: len(value) > limit, f"is larger than {limit} characters, far more than it ever holds."))


AppId = Annotated[str, BeforeValidator(_app_id)]
Owner = Annotated[StrictStr, AfterValidator(_owner)]
GitHubUrl = Annotated[StrictStr, AfterValidator(_github_url)]
Username = Annotated[StrictStr, AfterValidator(_username)]
KnownHostsText = Annotated[StrictStr, AfterValidator(_text(MAX_KNOWN_HOSTS))]
CaText = Annotated[StrictStr, AfterValidator(_text(pem.MAX_PEM))]
_CA_WITH_SSH = ("is only used over HTTPS (auth https or github-app); with deploy-key Flux uses SSH. For the program's "
                "own calls to a GitHub Enterprise Server, add the CA to the trust store of the machine running pulumi "
                "(docs/authentication.md). Remove it: pulumi config rm caCert")


def _only_with(owner: str, this: str, name: str) -> str:
    return (f"is only used with `auth: {owner}`, and this stack's auth is {this}. "
            f"Remove it (pulumi config rm {name}), or set auth to {owner}.")


def _foreign(this: str, name: str):
    """A setting of another mode, refused by the schema (see MODE_SETTINGS)."""
    return other_mode(_only_with(MODE_SETTINGS[name], this, name))


def _not_ssh(this: str) -> dict[str, Any]:
    """The deploy-key settings, refused with an HTTPS mode (`this`) unless left at their default."""
    access = "App" if this == "github-app" else "token"
    return {
        "keyAlgorithm": other_mode(
            f"is only used with `auth: deploy-key`; with {this} no SSH key is made. Remove it: pulumi config rm "
            "keyAlgorithm", given=lambda v: v not in (None, "ed25519")),
        "readWriteKey": other_mode(
            f"is only used with `auth: deploy-key`; with {this} Flux's access is the {access}'s. Remove it: "
            "pulumi config rm readWriteKey", given=bool),
        "knownHosts": other_mode(
            f"is only used with `auth: deploy-key` (SSH); with {this} Flux fetches over HTTPS. Remove it: "
            "pulumi config rm knownHosts"),
    }


class _Auth(Group):
    """What every mode has: the GitHub Enterprise Server, if any, and where the program's GitHub calls go."""

    github_url: GitHubUrl | None = Field(None, alias="githubUrl", description=(
        "Address of a GitHub Enterprise Server (https://github.example.com); the repository's host "
        "then follows GitHub's rules, and the API is https://HOST/api/v3/."
    ))

    @facts_validator("github_url", needs_repo=True)
    def _same_host(value: str | None, known: Facts, info: ValidationInfo) -> str | None:
        if value is not None and known.repo.host != value:
            raise ValueError("names another host than the repository's. Point githubUrl at the server that holds "
                             "the repository, or remove it.")
        return value

    @property
    def github_host(self) -> str:
        """The host that follows GitHub's rules (githubUrl, else github.com)."""
        return self.github_url or GITHUB_COM

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


class _Https(_Auth):
    """What both HTTPS modes have: a CA for the server, from the stack or the file beside the config."""

    ca_cert: CaText | None = Field(None, alias="caCert", validate_default=True, description=(
        "PEM certificate(s) of the private CA that signs the Git server (auth https or github-app); "
        "replaces config/ca.crt."
    ))

    @facts_validator("ca_cert", needs_repo=True)
    def _ca(value: str | None, known: Facts, info: ValidationInfo) -> str | None:
        source = known.setting_source("caCert")
        if value is None and known.config_dir is not None and present(known.config_dir / CA_FILE):
            source = display_path(known.config_dir / CA_FILE, known.project_dir)
            try:
                value = read_secret_text(known.config_dir / CA_FILE, source, pem.MAX_PEM, "a PEM file of CA certificates")
            except UnreadableFile as err:
                raise Refusal.of(err.problem) from None
        if value is None:
            return None
        try:
            if known.repo.host == GITHUB_COM:
                raise ValueError("github.com is signed by a public CA; no caCert is needed. Remove it.")
            return pem.check_certificates(value)
        except ValueError as err:
            if source.startswith("stack setting"):
                raise
            raise Refusal.of(Problem(source, str(err))) from None


class DeployKeyAuth(_Auth):
    """`deploy-key` (default): an SSH key made by the program; see this module's docstring."""

    mode: Literal["deploy-key"] = Field("deploy-key", alias="auth", validate_default=True, description=(
        "How Flux authenticates: deploy-key (an SSH key; on GitHub registered as a deploy key), "
        "github-app (a GitHub App, over HTTPS) or https (the token as password)."
    ))
    key_algorithm: KeyAlgorithm | None = Field(None, alias="keyAlgorithm", validate_default=True, description=(
        "Deploy key type: ed25519, ecdsa-p256, ecdsa-p384, ecdsa-p521 or rsa-4096. Unset, ed25519; on"
        " Azure DevOps, which accepts only RSA keys, rsa-4096."
    ))  # unset: by host
    read_write_key: StackBool = Field(False, alias="readWriteKey", description="Give the deploy key write access (only image-update automation needs it).")
    known_hosts: KnownHostsText | None = Field(None, alias="knownHosts", validate_default=True, description=(
        "SSH known_hosts lines of the Git host (auth deploy-key on a host that is not GitHub; "
        "optional on a GitHub Enterprise Server)."
    ))  # normalised lines
    ca_cert: Annotated[CaText | None, other_mode(_CA_WITH_SSH)] = Field(None, alias="caCert")
    app_id: Annotated[Any, _foreign("deploy-key", "githubAppId")] = Field(None, alias="githubAppId")
    installation_id: Annotated[Any, _foreign("deploy-key", "githubAppInstallationId")] = Field(None, alias="githubAppInstallationId")
    installation_owner: Annotated[Any, _foreign("deploy-key", "githubAppInstallationOwner")] = Field(None, alias="githubAppInstallationOwner")
    app_private_key: Annotated[Any, _foreign("deploy-key", APP_KEY_SETTING)] = Field(None, alias=APP_KEY_SETTING)
    https_username: Annotated[Any, _foreign("deploy-key", "httpsUsername")] = Field(None, alias="httpsUsername")

    @facts_validator("mode", needs_repo=True)
    def _ssh(value: str, known: Facts, info: ValidationInfo) -> str:
        if known.repo.ssh_url is None:
            raise ValueError("is deploy-key, which fetches over SSH, but the repository URL is https:// and this host's "
                             "SSH address cannot be derived from it. Give the ssh:// URL as `repo`, or set auth to https.")
        return value

    @field_validator("key_algorithm")
    @classmethod
    def _key_for_host(cls, value: KeyAlgorithm | None, info: ValidationInfo) -> KeyAlgorithm:
        azure = known_kind(info) == KIND_AZURE
        if azure and value not in (None, "rsa-4096"):
            raise ValueError("must be rsa-4096 for Azure DevOps, which accepts only RSA SSH keys. Set it: "
                             "pulumi config set keyAlgorithm rsa-4096")
        return value or ("rsa-4096" if azure else "ed25519")  # ed25519, as `ssh-keygen` makes today

    @facts_validator("read_write_key", needs_repo=True)
    def _registered_here(value: bool, known: Facts, info: ValidationInfo) -> bool:
        if value and not known.repo.is_github:
            raise ValueError("has no effect on a host that is not GitHub: the program does not register the "
                             "key there; you choose its access when you add it. Remove it.")
        return value

    @facts_validator("known_hosts", needs_repo=True)
    def _known_hosts(value: str | None, known: Facts, info: ValidationInfo) -> str | None:
        return known_hosts_for(value, known.repo)


class HttpsAuth(_Https):
    """`https`: Flux fetches over HTTPS with the token as password, on any host."""

    mode: Literal["https"] = Field(alias="auth")
    https_username: Username | None = Field(None, alias="httpsUsername", validate_default=True, description="Username sent with the token (auth https); unset, git (x-token-auth on Bitbucket Cloud).")
    key_algorithm: Annotated[KeyAlgorithm | None, _not_ssh("https")["keyAlgorithm"]] = Field(None, alias="keyAlgorithm")
    read_write_key: Annotated[StackBool, _not_ssh("https")["readWriteKey"]] = Field(False, alias="readWriteKey")
    known_hosts: Annotated[KnownHostsText | None, _not_ssh("https")["knownHosts"]] = Field(None, alias="knownHosts")
    app_id: Annotated[Any, _foreign("https", "githubAppId")] = Field(None, alias="githubAppId")
    installation_id: Annotated[Any, _foreign("https", "githubAppInstallationId")] = Field(None, alias="githubAppInstallationId")
    installation_owner: Annotated[Any, _foreign("https", "githubAppInstallationOwner")] = Field(None, alias="githubAppInstallationOwner")
    app_private_key: Annotated[Any, _foreign("https", APP_KEY_SETTING)] = Field(None, alias=APP_KEY_SETTING)

    @facts_validator("mode", needs_repo=True)
    def _https(value: str, known: Facts, info: ValidationInfo) -> str:
        raise_all(_needs_https_url(value, known.repo))
        return value

    @field_validator("https_username")
    @classmethod
    def _username_for_host(cls, value: str | None, info: ValidationInfo) -> str:
        return value or (BITBUCKET_USERNAME if known_kind(info) == KIND_BITBUCKET else DEFAULT_USERNAME)


class GitHubAppAuth(_Https):
    """`github-app`: Flux fetches over HTTPS as a GitHub App (`spec.provider: github`)."""

    mode: Literal["github-app"] = Field(alias="auth")
    app_id: AppId | None = Field(None, alias="githubAppId", validate_default=True, description="The GitHub App's ID (auth github-app).")
    installation_id: AppId | None = Field(None, alias="githubAppInstallationId", description=(
        "The App installation's ID (auth github-app); exactly one of this and "
        "githubAppInstallationOwner."
    ))
    installation_owner: Owner | None = Field(None, alias="githubAppInstallationOwner", validate_default=True, description=(
        "The organisation or user the App is installed on (auth github-app, Flux 2.8+); the program's"
        " own lookups then need the token."
    ))
    # None offline, when the encrypted setting was not decrypted.
    app_private_key: SecretStr | None = Field(None, alias=APP_KEY_SETTING, validate_default=True)
    app_key_source: str = derived("")  # the stack setting or the key file
    key_algorithm: Annotated[KeyAlgorithm | None, _not_ssh("github-app")["keyAlgorithm"]] = Field(None, alias="keyAlgorithm")
    read_write_key: Annotated[StackBool, _not_ssh("github-app")["readWriteKey"]] = Field(False, alias="readWriteKey")
    known_hosts: Annotated[KnownHostsText | None, _not_ssh("github-app")["knownHosts"]] = Field(None, alias="knownHosts")
    https_username: Annotated[Any, _foreign("github-app", "httpsUsername")] = Field(None, alias="httpsUsername")

    @model_validator(mode="before")
    @classmethod
    def _key_source(cls, data: Any, info: ValidationInfo) -> Any:
        return with_key_source(data, info, setting=APP_KEY_SETTING, field="app_private_key",
                               source_field="app_key_source", key_file=APP_KEY_FILE)

    @facts_validator("mode", needs_repo=True)
    def _on_github(value: str, known: Facts, info: ValidationInfo) -> str:
        found = _needs_https_url(value, known.repo)
        if not known.repo.is_github:
            found.insert(0, ValueError("is github-app, which works only with GitHub: github.com, or a GitHub "
                                       "Enterprise Server named with githubUrl. For another host use auth https or deploy-key."))
        raise_all(found)
        return value

    @field_validator("app_id")
    @classmethod
    def _app_id_given(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("is required with `auth: github-app`: the App ID from the App's settings page. "
                             "Set it: pulumi config set githubAppId 123456")
        return value

    @field_validator("installation_owner")
    @classmethod
    def _one_installation(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "installation_id" not in info.data:
            return value  # the id is refused: that problem first
        if (info.data["installation_id"] is None) == (value is None):
            raise Refusal("or githubAppInstallationOwner (exactly one of them) is required with `auth: github-app`. "
                          "Prefer the installation ID: the number at the end of the installation's settings page URL.",
                          at="githubAppInstallationId")
        known = facts(info)
        flux = chart.KNOWN_VERSIONS.get(known.chart_version) if known is not None and known.chart_version else None
        if value is not None and flux is not None and tuple(int(p) for p in flux.flux.split(".")[:2]) < INSTALLATION_OWNER_SINCE:
            raise ValueError(f"needs Flux 2.8 or newer, and chart {known.chart_version} installs Flux {flux.flux}. "
                             "Set githubAppInstallationId instead.")
        return value

    @field_validator("app_private_key", mode="plain")
    @classmethod
    def _private_key(cls, value: Any, info: ValidationInfo) -> SecretStr | None:
        if isinstance(value, SecretStr):
            return value  # checked when it was first read
        if isinstance(value, SecretValue) and value.plaintext is None:  # offline: present, not decrypted
            return None
        text = value.plaintext if isinstance(value, SecretValue) else value
        if isinstance(text, str):
            return SecretStr(pem.check_rsa_private_key(text))
        known = file_facts(info)
        return _key_file(known) if known is not None else None


def _needs_https_url(mode: str, repo: RepoUrl) -> list[ValueError]:
    """An HTTPS mode's problem with a repository given only by its SSH address."""
    if repo.https_url is not None:
        return []
    return [ValueError(f"is {mode}, which fetches over HTTPS, but the repository URL is an SSH address and this "
                       "host's HTTPS address cannot be derived from it. Give the https:// URL as `repo`.")]


def _key_file(known) -> SecretStr:
    key_file = known.config_dir / APP_KEY_FILE
    source = display_path(key_file, known.project_dir)
    if not present(key_file):
        raise Refusal(f"is github-app, but the App's private key is missing: store it in the stack with "
                      f"`pulumi config set --secret {APP_KEY_SETTING} < app.private-key.pem`, or put the file at {source}.",
                      at="auth")
    try:
        text = read_secret_text(key_file, source, pem.MAX_PEM, "a PEM private key file")
    except UnreadableFile as err:
        raise Refusal.of(err.problem) from None
    try:
        return SecretStr(pem.check_rsa_private_key(text))
    except ValueError as err:
        raise Refusal.of(Problem(source, str(err))) from None


def known_hosts_for(given: str | None, repo: RepoUrl) -> str | None:
    """The deploy key's known_hosts lines: None where GitHub publishes the host keys."""
    if repo.is_github and repo.host == GITHUB_COM:
        if given is not None:
            raise ValueError("is not used for github.com: its host keys come from GitHub's published list. "
                             "Remove it: pulumi config rm knownHosts")
        return None
    if given is None:
        if repo.is_github:
            return None  # the Enterprise Server's published keys (GET /api/v3/meta)
        raise ValueError("is required for deploy-key on a host that is not GitHub: Flux must know the server's SSH "
                         "host keys, and they are never learned by scanning at deploy time. Set the lines from the "
                         "host's documented fingerprints: pulumi config set knownHosts < known_hosts")
    return check_known_hosts(given, ssh_host(repo), repo.port if repo.kind == KIND_GENERIC else None)


def ssh_host(repo: RepoUrl) -> str:
    """The host Flux connects to over SSH (Azure DevOps serves SSH on its own host)."""
    return AZURE_SSH_HOST if repo.kind == KIND_AZURE else repo.host


def _mode(value: Any) -> str:
    return value.get("auth", "deploy-key") if isinstance(value, dict) else getattr(value, "mode", "deploy-key")


Auth = Annotated[
    Union[Annotated[DeployKeyAuth, Tag("deploy-key")], Annotated[GitHubAppAuth, Tag("github-app")],
          Annotated[HttpsAuth, Tag("https")]],
    Discriminator(_mode, custom_error_type="mode_error", custom_error_message="must be one of: {expected}.",
                  custom_error_context={"expected": "'deploy-key', 'github-app' or 'https'"}),
]
AUTH = TypeAdapter(Auth)
AUTH_MODELS = (DeployKeyAuth, GitHubAppAuth, HttpsAuth)


# --- what the settings loader needs before the auth group is validated ------------------------

TokenUse = Literal["required", "unused"]


def token_use(plain: dict[str, object], repo: RepoUrl | None, github_url: str | None) -> TokenUse:
    """Whether the mode needs the token: the program's GitHub calls, or Flux's HTTPS password."""
    mode = plain.get("auth", "deploy-key")
    if mode not in ("deploy-key", "github-app"):
        return "required"  # https, or a mode refused (with its own problem)
    if mode == "github-app":
        # The provider's App authentication needs the numeric installation id; with only the
        # owner, the program's own lookups use the token.
        return "unused" if _valid(_APP_ID, plain.get("githubAppInstallationId")) else "required"
    on_github = repo is None or repo.is_github or (github_url is not None and repo.host == github_url)
    return "required" if on_github else "unused"


def valid_github_url(plain: dict[str, object]) -> str | None:
    """githubUrl when it is valid (its own problems are the auth group's)."""
    return _valid(_GITHUB_URL, plain.get("githubUrl"))


_APP_ID, _GITHUB_URL = TypeAdapter(AppId), TypeAdapter(GitHubUrl)


def _valid(adapter: TypeAdapter, value: object) -> Any:
    if value is None:
        return None
    try:
        return adapter.validate_python(value)
    except ValueError:  # pydantic's ValidationError is one
        return None


def github_repo(repo: RepoUrl, github_url: str | None) -> RepoUrl:
    """The repository with GitHub's rules applied when it is on the GitHub Enterprise Server."""
    if github_url is None or repo.host != github_url or repo.is_github:
        return repo
    return parse_repo_url(repo.url, github_hosts=frozenset({github_url}))
