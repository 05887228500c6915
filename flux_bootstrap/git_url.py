"""Git repository URLs of any host: the forms we accept and the URLs Flux gets.

Flux's GitRepository takes only ssh:// and https:// URLs (never the scp form git@host:o/r), so every
accepted form is normalised to one of those. A URL may carry a token, so no error message ever
contains the URL or any part of it: messages are built from our own words only.

Order of checks matters: length first (before any regex), then ASCII (before any case folding:
re.IGNORECASE would match the Kelvin sign U+212A as 'k'), then everything else. All regexes use
re.ASCII and no IGNORECASE; case is handled by lower-casing ASCII text ourselves.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import NoReturn

from .names import is_showable
from .errors import known

MAX_URL_LENGTH = 2048
_MAX_SEGMENTS = 32
_MAX_SEGMENT_LENGTH = 255

KIND_GITHUB = "github"
KIND_GITLAB = "gitlab"
KIND_BITBUCKET = "bitbucket"
KIND_AZURE = "azure-devops"
KIND_GENERIC = "generic"

GITLAB_HOST = "gitlab.com"
BITBUCKET_HOST = "bitbucket.org"
AZURE_HTTPS_HOST = "dev.azure.com"
AZURE_SSH_HOST = "ssh.dev.azure.com"
_VISUALSTUDIO_SUFFIX = ".visualstudio.com"
_AZURE_LEGACY_SSH_HOST = "vs-ssh.visualstudio.com"

# Short lists of accepted forms per host kind; shown in error messages and usable in docs.
ACCEPTED_FORMS: dict[str, tuple[str, ...]] = {
    KIND_GITHUB: (
        "https://github.com/OWNER/NAME",
        "ssh://git@github.com/OWNER/NAME",
        "git@github.com:OWNER/NAME",
    ),
    KIND_GITLAB: (
        "https://gitlab.com/GROUP[/SUBGROUP...]/NAME",
        "ssh://git@gitlab.com/GROUP[/SUBGROUP...]/NAME",
        "git@gitlab.com:GROUP[/SUBGROUP...]/NAME",
    ),
    KIND_BITBUCKET: (
        "https://bitbucket.org/WORKSPACE/NAME",
        "ssh://git@bitbucket.org/WORKSPACE/NAME",
        "git@bitbucket.org:WORKSPACE/NAME",
    ),
    KIND_AZURE: (
        "https://dev.azure.com/ORG/PROJECT/_git/NAME",
        "https://ORG@dev.azure.com/ORG/PROJECT/_git/NAME",
        "https://ORG.visualstudio.com/PROJECT/_git/NAME",
        "ssh://git@ssh.dev.azure.com/v3/ORG/PROJECT/NAME",
        "git@ssh.dev.azure.com:v3/ORG/PROJECT/NAME",
    ),
    KIND_GENERIC: (
        "https://HOST[:PORT]/PATH/NAME",
        "ssh://USER@HOST[:PORT]/PATH/NAME",
        "USER@HOST:PATH/NAME",
    ),
}
_FORM_NOTES = {
    KIND_GITHUB: " (each with or without .git; a GitHub Enterprise host set with githubUrl works as github.com)",
    KIND_GITLAB: " (each with or without .git)",
    KIND_BITBUCKET: " (each with or without .git)",
    KIND_AZURE: "",
    KIND_GENERIC: " (GitLab, Gitea, Forgejo, Bitbucket Server and plain SSH servers)",
}
_SUMMARY = ((KIND_GITHUB, (0, 1, 2)), (KIND_AZURE, (0, 4)), (KIND_GENERIC, (0, 1, 2)))
_KIND_TITLES = {
    KIND_GITHUB: "GitHub",
    KIND_GITLAB: "GitLab.com",
    KIND_BITBUCKET: "Bitbucket Cloud",
    KIND_AZURE: "Azure DevOps",
    KIND_GENERIC: "GitLab, Bitbucket, Gitea, Forgejo and other hosts",
}

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://", re.ASCII)
_DNS_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DNS_NAME = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*", re.ASCII)
_NUMERIC_HOST = re.compile(r"[0-9.]+", re.ASCII)
_PORT = re.compile(r"[0-9]{1,5}", re.ASCII)
# SSH users: POSIX-style names of at most 32 characters (a pasted 40-character token is not one).
_SSH_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,31}", re.ASCII)
# GitHub account names: letters, digits and single inner hyphens, at most 39 characters.
GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}", re.ASCII)
# GitHub repository names: letters, digits, '.', '_' and '-', at most 100 characters.
_GITHUB_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}", re.ASCII)
# Path segments of other hosts; '~' for home folders on plain SSH servers (ssh://h/~user/r.git).
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+", re.ASCII)
_HOSTED_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*", re.ASCII)
# Azure DevOps organisations: letters, digits and inner hyphens.
_AZURE_ORG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?", re.ASCII)
# Azure project and repository names may contain spaces, which Azure's clone URLs write as %20.
_AZURE_NAME = re.compile(r"(?:[A-Za-z0-9._-]|%20)+", re.ASCII)

_DEFAULT_PORTS = {"https": 443, "ssh": 22}
_CREDENTIALS_FIX = (
    "Remove it: credentials never belong in the repository URL; give the token in "
    "config/secrets-flux.yaml or as a secret stack setting."
)


@dataclass(frozen=True)
class RepoUrl:
    """A repository URL, checked and taken apart.

    `segments` is the repository path: for GitHub, GitLab.com and Bitbucket Cloud without `.git`;
    for Azure DevOps (ORG, PROJECT, NAME); for other hosts exactly as given (with `.git` if it was
    there), because a plain server's path is a real folder name.
    """

    kind: str
    scheme: str  # the form given: "https" or "ssh" (scp form counts as ssh)
    host: str  # lower-case ASCII; an IPv6 address without brackets
    port: int | None  # None when absent or the scheme's default
    user: str | None  # the SSH user; None for https
    segments: tuple[str, ...]

    @property
    def is_github(self) -> bool:
        return self.kind == KIND_GITHUB

    @property
    def name(self) -> str:
        return _strip_git(self.segments[-1]) if self.kind == KIND_GENERIC else self.segments[-1]

    @property
    def owner(self) -> str:
        """GitHub: the account. Others: the path before the name ("" on a one-folder path)."""
        return "/".join(self.segments[:-1])

    @property
    def full_name(self) -> str:
        """OWNER/NAME on GitHub (what the GitHub API takes); the path without .git elsewhere."""
        return f"{self.owner}/{self.name}" if self.owner else self.name

    @property
    def ssh_url(self) -> str | None:
        """The ssh:// URL, or None for another host given as https (its SSH port and path are unknown)."""
        if self.kind == KIND_GITHUB:  # what `flux bootstrap` writes: no .git
            return f"ssh://git@{self.host}/{self.full_name}"
        if self.kind in (KIND_GITLAB, KIND_BITBUCKET):
            return f"ssh://git@{self.host}/{self.full_name}.git"
        if self.kind == KIND_AZURE:
            return f"ssh://git@{AZURE_SSH_HOST}/v3/" + "/".join(self.segments)
        if self.scheme != "ssh":
            return None
        return f"ssh://{self.user}@{_netloc(self.host, self.port)}/" + "/".join(self.segments)

    @property
    def https_url(self) -> str | None:
        """The https:// URL, or None for another host given as ssh (its web address is unknown)."""
        if self.kind in (KIND_GITHUB, KIND_GITLAB, KIND_BITBUCKET):  # as the hosts' clone buttons
            return f"https://{self.host}/{self.full_name}.git"
        if self.kind == KIND_AZURE:
            org, project, name = self.segments
            return f"https://{AZURE_HTTPS_HOST}/{org}/{project}/_git/{name}"
        if self.scheme != "https":
            return None
        return f"https://{_netloc(self.host, self.port)}/" + "/".join(self.segments)

    @property
    def url(self) -> str:
        """The URL for Flux's GitRepository in the scheme that was given (ssh:// or https://)."""
        return known(self.ssh_url if self.scheme == "ssh" else self.https_url, "the given scheme is always known")


def parse_repo_url(text: str, *, github_hosts: frozenset[str] = frozenset({"github.com"})) -> RepoUrl:
    """Check a repository URL and return it taken apart, or raise ValueError saying why not.

    `github_hosts` are the hosts that follow GitHub's rules (github.com and GitHub Enterprise
    Server hosts), compared after lower-casing. The message never contains the URL or any part of it.
    """
    if not isinstance(text, str):
        _fail("is not text", None)
    if len(text) > MAX_URL_LENGTH:
        _fail(f"is longer than {MAX_URL_LENGTH} characters", None)
    if not text.isascii():
        _fail("contains non-ASCII characters (some look like ASCII letters, such as the Kelvin sign)", None)
    text = text.strip()
    if not text:
        _fail("is empty", None)
    if any(char <= " " or char == "\x7f" for char in text):
        _fail("contains a space or a control character", None)
    if "?" in text or "#" in text:
        _fail("has a query (?...) or a fragment (#...); give only the repository address", None)
    if "%" in text and not _is_azure_percent_use(text):
        _fail("contains percent-encoded characters; only %20 in Azure DevOps project and repository names is accepted", None)

    _refuse_near_miss(text)
    match = _SCHEME.match(text)
    if match:
        scheme, user, hostport, path = _split_url(match[1].lower(), text[match.end():])
        _refuse_password(user)
        host, port = _host_port(hostport, scheme)
    else:
        scheme = "ssh"
        user, host, path = _split_scp(text)
        port = None

    hosts = {h.lower() for h in github_hosts if isinstance(h, str) and h.isascii()}
    kind = _kind(host, hosts)
    segments = _segments(path, kind)
    if kind == KIND_AZURE:
        return _azure(scheme, host, port, user, segments)
    _check_user_and_port(scheme, user, port, kind)
    segments = _HOSTED_SEGMENTS.get(kind, lambda found: found)(segments)
    return RepoUrl(kind=kind, scheme=scheme, host=host, port=port, user=user if scheme == "ssh" else None,
                   segments=segments)


def _check_user_and_port(scheme: str, user: str | None, port: int | None, kind: str) -> None:
    if scheme == "https" and user is not None:
        _fail("names a user or a token before '@' in an https URL", kind, _CREDENTIALS_FIX)
    if scheme == "ssh":
        if user is None:
            _fail(
                "is an SSH URL without a user; name it (git@ for hosting services) so that Flux and "
                "your own git use the same account",
                kind,
            )
        if not _SSH_USER.fullmatch(user):
            _fail("has an SSH user name that is not valid", kind, _CREDENTIALS_FIX)
        if not is_showable(user):  # a token pasted as the user would end up in spec.url and the outputs
            _fail("has an SSH user name that looks like a token", kind, _CREDENTIALS_FIX)
    if kind != KIND_GENERIC:
        if port is not None:
            _fail("names a port, which this host does not use", kind)
        if scheme == "ssh" and user != "git":
            _fail("names an SSH user other than git; this host's SSH user is git", kind)


def parse_github_host(text: str) -> str:
    """The host of a GitHub Enterprise Server address such as https://github.example.com (lower case).

    Raises ValueError (without the value) unless it is https://HOST with an optional trailing '/'.
    """
    if not isinstance(text, str) or len(text) > 300 or not text.isascii():
        raise ValueError("must be the https:// address of a GitHub Enterprise Server, such as https://github.example.com.")
    text = text.strip()
    match = _SCHEME.match(text)
    rest = text[match.end():] if match and match[1].lower() == "https" else None
    if rest is not None and rest.endswith("/"):
        rest = rest[:-1]
    host = rest.lower() if rest is not None else ""
    if not host or not _DNS_NAME.fullmatch(host) or len(host) > 253 or _NUMERIC_HOST.fullmatch(host):
        raise ValueError(
            "must be the https:// address of a GitHub Enterprise Server with a host name and nothing "
            "else (no user, port or path), such as https://github.example.com."
        )
    return host


# --- helpers ------------------------------------------------------------------------------------

# `OWNER/NAME`, `github.com/OWNER/NAME` or a `www.github.com` address: what was meant is clear.
_GITHUB_SHORTHAND = re.compile(r"(?:(?:www\.)?github\.com/)?([^/:@]+)/([^/:@]+?)(?:\.git)?/?", re.ASCII | re.IGNORECASE)
_WWW_GITHUB = re.compile(r"(?:https://|ssh://git@|git@)www\.github\.com[:/]([^/:@]+)/([^/:@]+?)(?:\.git)?/?", re.ASCII | re.IGNORECASE)


def _refuse_near_miss(text: str) -> None:
    """A GitHub shorthand or www.github.com: ValueError with the exact line to write instead.
    OWNER/NAME are shown only when they are valid GitHub names that do not look like a secret."""
    www = _WWW_GITHUB.fullmatch(text)
    short = None if www or _SCHEME.match(text) else _GITHUB_SHORTHAND.fullmatch(text)
    found = www or short
    if found is None:
        return
    owner, name = found.groups()
    what = "uses www.github.com, which is not GitHub's Git host" if www else "is not a full URL"
    if GITHUB_OWNER.fullmatch(owner) and _GITHUB_NAME.fullmatch(name) and is_showable(owner) and is_showable(name):
        url = f"https://github.com/{owner}/{name}"
        raise ValueError(f"the repository URL {what}: did you mean {url}? Write `repo: {url}`.")
    raise ValueError(f"the repository URL {what}: write it as https://github.com/OWNER/NAME.")




def _fail(reason: str, kind: str | None, fix: str = "") -> NoReturn:
    """Raise ValueError: the reason, an optional fix, and the forms accepted for this host kind."""
    if kind is None:  # host unknown: the general forms plus the two hosts with their own shapes
        forms = "; ".join(f"{_KIND_TITLES[k]}: {', '.join(ACCEPTED_FORMS[k][i] for i in picks)}"
                          for k, picks in _SUMMARY)
    else:
        forms = ", ".join(ACCEPTED_FORMS[kind]) + _FORM_NOTES[kind]
    fix_text = f" {fix}" if fix else ""
    raise ValueError(f"the repository URL {reason}.{fix_text} Accepted forms: {forms}.")


def _refuse_password(user: str | None) -> None:
    if user is not None and ":" in user:
        _fail("contains a password or token (user:password@)", None, _CREDENTIALS_FIX)


def _is_azure_percent_use(text: str) -> bool:
    lowered = text.lower()
    azure = AZURE_HTTPS_HOST in lowered or _VISUALSTUDIO_SUFFIX in lowered
    return azure and "%" not in text.replace("%20", "")


def _split_url(scheme: str, rest: str) -> tuple[str, str | None, str, str]:
    if scheme == "http":
        _fail(
            "uses http://, which would send the token unencrypted; use https:// (or ssh://)", None
        )
    if scheme in ("git", "file"):
        _fail(f"uses {scheme}://, which Flux cannot read; use https:// or ssh://", None)
    if scheme not in ("https", "ssh"):
        _fail("uses a scheme Flux cannot read; use https:// or ssh://", None)
    # '@' never occurs in an accepted path, so the last one ends the user part (a password may contain '/').
    user, at, after = rest.rpartition("@")
    hostport, slash, path = after.partition("/")
    return scheme, (user if at else None), hostport, path


def _split_scp(text: str) -> tuple[str | None, str, str]:
    """user@host:path (git's scp-like syntax) -> (user, host, path)."""
    user, at, after = text.rpartition("@")
    if after.startswith("["):
        end = after.find("]")
        if end < 0 or after[end + 1:end + 2] != ":":
            _fail("is neither a URL with https:// or ssh:// nor the form USER@HOST:PATH", None)
        hostpart, path = after[:end + 1], after[end + 2:]
    else:
        hostpart, colon, path = after.partition(":")
        if not colon or "/" in hostpart:
            _fail("is neither a URL with https:// or ssh:// nor the form USER@HOST:PATH", None)
    if not at:
        user = None
    _refuse_password(user)
    host, _port = _host_port(hostpart, "ssh", scp=True)
    first = path.partition("/")[0]
    if first.isdigit() and first != path:  # git@host:2222/o/r reaches port 22, path /2222/o/r
        _fail("looks like USER@HOST:PORT/PATH, but this form has no port; use ssh://USER@HOST:PORT/PATH", None)
    return user, host, path.removeprefix("/")


def _host_port(hostport: str, scheme: str, *, scp: bool = False) -> tuple[str, int | None]:
    port_text = None
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            _fail("has a host that is not a valid name or address", None)
        inner, tail = hostport[1:end], hostport[end + 1:]
        if tail:
            if not tail.startswith(":") or scp:
                _fail("has a host that is not a valid name or address", None)
            port_text = tail[1:]
        try:
            host = str(ipaddress.IPv6Address(inner))  # ASCII only: checked before
        except ValueError:
            _fail("has a host that is not a valid name or address", None)
    else:
        host, colon, rest = hostport.partition(":")
        if colon:
            port_text = rest
        host = host.lower()
        if not host:
            _fail("has no host", None)
        if _NUMERIC_HOST.fullmatch(host):
            try:
                host = str(ipaddress.IPv4Address(host))
            except ValueError:
                _fail("has a host that is not a valid name or address", None)
        elif len(host) > 253 or not _DNS_NAME.fullmatch(host):
            _fail("has a host that is not a valid DNS name or IP address", None)
    port = None
    if port_text is not None:
        if not _PORT.fullmatch(port_text) or not 1 <= int(port_text) <= 65535:
            _fail("has a port that is not a number from 1 to 65535", None)
        port = int(port_text)
        if port == _DEFAULT_PORTS[scheme]:
            port = None
    return host, port


def _netloc(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port is not None else shown


def _kind(host: str, github_hosts: set[str]) -> str:
    if host in github_hosts:
        return KIND_GITHUB
    if host == GITLAB_HOST:
        return KIND_GITLAB
    if host == BITBUCKET_HOST:
        return KIND_BITBUCKET
    if host in (AZURE_HTTPS_HOST, AZURE_SSH_HOST) or host.endswith(_VISUALSTUDIO_SUFFIX):
        return KIND_AZURE
    return KIND_GENERIC


def _segments(path: str, kind: str) -> tuple[str, ...]:
    if path.endswith("/"):
        path = path[:-1]
    if not path:
        _fail("has no repository path (OWNER/NAME)", kind)
    parts = path.split("/")
    if len(parts) > _MAX_SEGMENTS:
        _fail(f"has more than {_MAX_SEGMENTS} path parts", kind)
    pattern = _AZURE_NAME if kind == KIND_AZURE else _SEGMENT
    for part in parts:
        if not part:
            _fail("has an empty path part (// or a trailing //)", kind)
        if part in (".", ".."):
            _fail("has a path part '.' or '..'", kind)
        if len(part) > _MAX_SEGMENT_LENGTH or not pattern.fullmatch(part):
            _fail("has a path part with characters other than letters, digits, '.', '_', '-' and '~'", kind)
    return tuple(parts)


def _strip_git(segment: str) -> str:
    return segment[:-4] if segment.endswith(".git") else segment


def _github_segments(segments: tuple[str, ...]) -> tuple[str, ...]:
    if len(segments) < 2:
        _fail("lacks the owner or the repository name", KIND_GITHUB)
    if len(segments) > 2:
        _fail("points below the repository (such as /tree/BRANCH); give only OWNER/NAME", KIND_GITHUB)
    owner, name = segments[0], _strip_git(segments[1])
    if not GITHUB_OWNER.fullmatch(owner):
        _fail(
            "has an owner GitHub would not accept (letters, digits and single inner hyphens, at most 39)",
            KIND_GITHUB,
        )
    if not _GITHUB_NAME.fullmatch(name) or name in (".", ".."):
        _fail(
            "has a repository name GitHub would not accept (letters, digits, '.', '_' and '-', at most 100)",
            KIND_GITHUB,
        )
    return owner, name


def _gitlab_segments(segments: tuple[str, ...]) -> tuple[str, ...]:
    if len(segments) < 2:
        _fail("lacks the group or the project name", KIND_GITLAB)
    if "-" in segments:  # GitLab's own pages: /GROUP/NAME/-/tree/BRANCH
        _fail("points below the project (such as /-/tree/BRANCH); give only GROUP/NAME", KIND_GITLAB)
    segments = segments[:-1] + (_strip_git(segments[-1]),)
    for part in segments:
        if not _HOSTED_SEGMENT.fullmatch(part) or part.endswith("."):
            _fail("has a group or project name GitLab would not accept", KIND_GITLAB)
    return segments


def _bitbucket_segments(segments: tuple[str, ...]) -> tuple[str, ...]:
    if len(segments) < 2:
        _fail("lacks the workspace or the repository name", KIND_BITBUCKET)
    if len(segments) > 2:
        _fail("points below the repository (such as /src/BRANCH); give only WORKSPACE/NAME", KIND_BITBUCKET)
    segments = (segments[0], _strip_git(segments[1]))
    for part in segments:
        if not _HOSTED_SEGMENT.fullmatch(part):
            _fail("has a workspace or repository name Bitbucket would not accept", KIND_BITBUCKET)
    return segments


def _azure(scheme: str, host: str, port: int | None, user: str | None, segments: tuple[str, ...]) -> RepoUrl:
    if port is not None:
        _fail("names a port, which Azure DevOps does not use", KIND_AZURE)
    if scheme == "https":
        if host == AZURE_HTTPS_HOST:
            org, rest = segments[0], segments[1:]
        elif host.endswith(_VISUALSTUDIO_SUFFIX) and host != _AZURE_LEGACY_SSH_HOST:
            org, rest = host[: -len(_VISUALSTUDIO_SUFFIX)], segments
        else:
            _fail("uses Azure DevOps's SSH host with https://", KIND_AZURE)
        if len(rest) < 3 or rest[1] != "_git":
            _fail("is not an Azure DevOps repository address (ORG/PROJECT/_git/NAME)", KIND_AZURE)
        if len(rest) > 3:
            _fail("points below the repository; give only ORG/PROJECT/_git/NAME", KIND_AZURE)
        project, name = rest[0], rest[2]
        # Azure's clone button writes https://ORG@dev.azure.com/...: the organisation, not a secret.
        if user is not None and user.lower() != org.lower():
            _fail("names a user or a token before '@' in an https URL", KIND_AZURE, _CREDENTIALS_FIX)
    else:
        if host not in (AZURE_SSH_HOST, _AZURE_LEGACY_SSH_HOST):
            _fail("uses an Azure DevOps host that has no SSH; the SSH host is ssh.dev.azure.com", KIND_AZURE)
        if len(segments) != 4 or segments[0] != "v3":
            _fail("is not an Azure DevOps SSH address (v3/ORG/PROJECT/NAME)", KIND_AZURE)
        org, project, name = segments[1:]
        # The old vs-ssh.visualstudio.com host takes the organisation as the SSH user.
        allowed = ("git",) if host == AZURE_SSH_HOST else ("git", org.lower())
        if user is None or user.lower() not in allowed:
            _fail("names an SSH user Azure DevOps does not use; use git@", KIND_AZURE)
    if not _AZURE_ORG.fullmatch(org):
        _fail("has an organisation name Azure DevOps would not accept", KIND_AZURE)
    for part in (project, name):
        if part == "_git" or part.startswith("%20") or part.endswith("%20"):
            _fail("has a project or repository name Azure DevOps would not accept", KIND_AZURE)
    return RepoUrl(kind=KIND_AZURE, scheme=scheme, host=host, port=None, user="git" if scheme == "ssh" else None,
                   segments=(org, project, name))


# The path rules of the hosting services (other hosts: the generic segment rules only).
_HOSTED_SEGMENTS = {KIND_GITHUB: _github_segments, KIND_GITLAB: _gitlab_segments, KIND_BITBUCKET: _bitbucket_segments}
