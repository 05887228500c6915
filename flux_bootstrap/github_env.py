"""Environment variables that would redirect the program's GitHub provider, refused before a run.

pulumi-github 6.15 (terraform-provider-github 6.13) reads its environment before, or instead of,
what the program passes:
- `GITHUB_OWNER` / `GITHUB_ORGANIZATION` override the `owner` argument (the provider's provider.go;
  only an explicit `organization` argument wins over both, and that argument is deprecated: the SDK
  logs a warning on every run, so the program passes `owner` and refuses the variables instead);
- `GITHUB_BASE_URL` is the SDK's default for `base_url` (pulumi_github/provider.py): the program
  always passes the API address, and refuses a different one so no run depends on which wins;
- `GITHUB_APP_ID`, `GITHUB_APP_INSTALLATION_ID`, `GITHUB_APP_PEM_FILE` switch the provider to App
  authentication even when a token is passed.
Any of them could send the preflight lookups, the host-key lookup and the deploy key to another
account's repository, another server, or act as another App. The program's loader and `check` both
call `environment_problems`, so `check` says before `pulumi up` exactly what the run would refuse.

Accepted: an empty variable (the SDK and the provider both treat it as unset); `GITHUB_OWNER` or
`GITHUB_ORGANIZATION` equal to the repository's owner (GitHub account names ignore case);
`GITHUB_BASE_URL` equal to the API address the program passes (the final slash optional). The App
variables are refused whenever set: the program takes the App only from its settings, and a private
key is never compared. Off GitHub no GitHub provider is made, so nothing is refused. Messages name a
variable, never its value.
"""

from __future__ import annotations

from collections.abc import Mapping

from .credentials import needs_github
from .errors import Problem
from .settings import Settings

OWNER_VARIABLES = ("GITHUB_OWNER", "GITHUB_ORGANIZATION")
BASE_URL_VARIABLE = "GITHUB_BASE_URL"
APP_VARIABLES = ("GITHUB_APP_ID", "GITHUB_APP_INSTALLATION_ID", "GITHUB_APP_PEM_FILE")
VARIABLES = (*OWNER_VARIABLES, BASE_URL_VARIABLE, *APP_VARIABLES)
SOURCE = "environment"
LABEL = "variable"


def _same_url(value: str, expected: str) -> bool:
    return value.rstrip("/").lower() == expected.rstrip("/").lower()


def _accepted(name: str, value: str, settings: Settings) -> bool:
    """Whether the variable changes nothing the program passes."""
    if name in OWNER_VARIABLES:
        return value.lower() == settings.repo.owner.lower()
    if name == BASE_URL_VARIABLE:
        return _same_url(value, settings.auth.api_base_url)
    return False  # the App variables


def _problem(name: str, settings: Settings) -> Problem:
    """What the variable would do, and the fix: unset it (and where this stack's value goes)."""
    fix = f"Unset it for the run (unset {name}) or in the shell's profile."
    if name in OWNER_VARIABLES:
        message = (
            f"is set to another account than the repository's owner {settings.repo.owner}. The GitHub provider "
            "takes it before the owner the program passes, so the preflight lookups and the deploy key would "
            "reach that account's repository."
        )
    elif name == BASE_URL_VARIABLE:
        message = (
            f"is set to another API address than this stack's ({settings.auth.api_base_url}). The GitHub provider "
            "takes its server from it, so a run could talk to another server."
        )
        fix += " A GitHub Enterprise Server is chosen with the githubUrl setting."
    else:
        message = (
            f"is set. With {', '.join(APP_VARIABLES)} the GitHub provider authenticates as that GitHub App even "
            "when the program passes a token, so the lookups and the deploy key could act on another repository."
        )
        fix += " This stack's App, if any, is set with githubAppId, githubAppInstallationId and githubAppPrivateKey."
    return Problem(SOURCE, message, field=name, label=LABEL, fix=fix)


def environment_problems(environ: Mapping[str, str], settings: Settings) -> list[Problem]:
    """One problem per variable that would redirect the program's GitHub provider; [] when none."""
    if not needs_github(settings):
        return []
    return [
        _problem(name, settings)
        for name in VARIABLES
        if environ.get(name) and not _accepted(name, environ[name], settings)
    ]
