"""GitHub repository URLs: the forms we accept and the SSH URL Flux needs."""

from __future__ import annotations

import re
from dataclasses import dataclass

ACCEPTED_FORMS = (
    "https://github.com/OWNER/NAME",
    "ssh://git@github.com/OWNER/NAME",
    "git@github.com:OWNER/NAME",
)
ACCEPTED_FORMS_TEXT = ", ".join(ACCEPTED_FORMS) + " (each with or without .git)"

# GitHub account names: letters, digits and single inner hyphens, at most 39 characters.
_OWNER = r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})"
# Repository names: letters, digits, '.', '_' and '-', at most 100 characters.
_NAME = r"(?P<name>[A-Za-z0-9._-]{1,100}?)"
_TAIL = _OWNER + "/" + _NAME + r"(?:\.git)?"
# re.ASCII: with IGNORECASE alone, "K" (Kelvin sign) would match "k" and "ſ" would match "s".
_PATTERNS = (
    re.compile(r"https://github\.com/" + _TAIL + r"/?", re.IGNORECASE | re.ASCII),
    re.compile(r"ssh://git@github\.com/" + _TAIL, re.IGNORECASE | re.ASCII),
    re.compile(r"git@github\.com:" + _TAIL, re.IGNORECASE | re.ASCII),
)
MAX_URL_LENGTH = 2048
# https://user@..., https://user:token@... or any scheme with user:password@
_CREDENTIALS = re.compile(r"^(?:https?://[^/@]+@|[a-z][a-z0-9+.-]*://[^/@:]*:[^/@]*@)", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class GitHubRepo:
    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def ssh_url(self) -> str:
        """The form `flux bootstrap` writes; Flux refuses the scp form git@github.com:o/r."""
        return f"ssh://git@github.com/{self.owner}/{self.name}"


def parse_github_repo(url: str) -> GitHubRepo:
    """Return owner and name of a GitHub repository URL, or raise ValueError saying why not.

    The message never contains the URL itself: it may carry credentials.
    """
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"is longer than {MAX_URL_LENGTH} characters, which no repository URL is.")
    text = url.strip()
    if not text.isascii():
        raise ValueError(
            "contains non-ASCII characters; GitHub URLs are ASCII. Type the URL again "
            f"(look-alike letters are a common trap). Use one of: {ACCEPTED_FORMS_TEXT}."
        )
    if _CREDENTIALS.match(text):
        raise ValueError(
            "the URL contains credentials (user:password@). Remove them: the token belongs in "
            "config/secrets-flux.yaml or the githubToken stack setting."
        )
    for pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if match and match["name"] not in (".", ".."):
            return GitHubRepo(owner=match["owner"], name=match["name"])
    raise ValueError(f"not a GitHub repository URL in an accepted form. Use one of: {ACCEPTED_FORMS_TEXT}.")
