"""The `flux-bootstrap:*` stack settings: the source and lifecycle groups, and the catalogue of
every setting name (each group's fields, by stack name).

An unknown setting name is refused (a typo such as `protcet` is never silently ignored). The
secret settings are accepted only as `--secret` values.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, field_validator
from pydantic.fields import FieldInfo

from ..errors import Problem
from ..git_url import RepoUrl as ParsedRepoUrl
from .auth import APP_KEY_SETTING, AUTH_NAMES, AuthMode, DeployKeyAuth, GitHubAppAuth, HttpsAuth, github_repo
from .base import Group, facts
from .fields import BranchName, ChartVersion, Folder, Interval, RepoPath, RepoUrl, StackBool, normalise_path
from .files import TOKEN_SETTING
from .messages import Refusal
from .sops_settings import SOPS_KEY_SETTING, SOPS_NAMES, SopsMode
from .tuning_settings import TUNING_NAMES, TUNING_STRUCTURED, TuningSettings

DEFAULT_CHART_VERSION = "2.18.3"  # fluxcd-community flux2 chart = Flux 2.8.5
DEFAULT_INTERVAL = "1m"
DEFAULT_CONFIG_DIR = "config"


class SourceSettings(Group):
    """Where Flux reads from, how often, and which Flux it runs. The repository and branch fall
    back to config/flux.yaml (a fact), the path to clusters/<stack>."""

    repo: RepoUrl | None = Field(None, validate_default=True)  # GitHub's rules on the githubUrl server
    branch: BranchName | None = Field(None, validate_default=True)  # None: the default branch, asked of GitHub
    path: RepoPath | None = Field(None, validate_default=True)  # normalised; "" is the repository root
    interval: Interval = DEFAULT_INTERVAL
    chart_version: ChartVersion = Field(DEFAULT_CHART_VERSION, alias="chartVersion")
    config_dir: Folder = Field(DEFAULT_CONFIG_DIR, alias="configDir")

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: ParsedRepoUrl | None, info: ValidationInfo) -> ParsedRepoUrl | None:
        known = facts(info)
        if known is None:
            return value
        from_file = value is None
        if from_file:
            if known.flux_file is None:
                return None  # config/flux.yaml has its own problem
            value = known.flux_file.repo
        try:
            return github_repo(value, known.github_url)
        except ValueError as err:  # our words: git_url never puts the URL in a message
            if from_file:
                raise Refusal.of(Problem(known.flux_file_source, str(err), field="repo", hides_others=True)) from None
            raise

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str | None, info: ValidationInfo) -> str | None:
        known = facts(info)
        if known is None:
            return value
        value = value or (known.flux_file.branch if known.flux_file is not None else None)
        repo = info.data.get("repo")
        if value is None and repo is not None and not repo.is_github:
            raise ValueError("is required for a repository that is not on GitHub: the default branch can only be "
                             "looked up on GitHub. Set `branch` in config/flux.yaml, or: pulumi config set branch main")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None, info: ValidationInfo) -> str | None:
        known = facts(info)
        return normalise_path(f"clusters/{known.stack}") if value is None and known is not None else value


class LifecycleSettings(Group):
    """What `pulumi up` checks first, waits for and adopts, and what `pulumi destroy` may remove."""

    protect: StackBool = False
    destroy_workloads: StackBool = Field(False, alias="destroyWorkloads")
    wait_for_sync: StackBool = Field(True, alias="waitForSync")
    adopt_existing: StackBool = Field(False, alias="adoptExisting")
    preflight: StackBool = True  # check the GitHub repository before anything is created


def _names(model: type[Group]) -> tuple[str, ...]:
    return tuple(f.alias or name for name, f in model.model_fields.items())


# Settings accepted only as `pulumi config set --secret`; what each holds, for messages.
SECRET_SETTINGS: dict[str, str] = {TOKEN_SETTING: "the GitHub token", SOPS_KEY_SETTING: "the SOPS age key",
                                   APP_KEY_SETTING: "the GitHub App's private key"}
# Settings whose value is an object or a list (read with Config.get_object in the program).
STRUCTURED_SETTINGS: frozenset[str] = frozenset() | TUNING_STRUCTURED
SOURCE_NAMES, LIFECYCLE_NAMES = _names(SourceSettings), _names(LifecycleSettings)
PLAIN_NAMES = tuple(name for name in (*SOURCE_NAMES, *AUTH_NAMES, *LIFECYCLE_NAMES, *SOPS_NAMES, *TUNING_NAMES)
                    if name not in SECRET_SETTINGS)
SETTING_NAMES = PLAIN_NAMES + tuple(SECRET_SETTINGS)


def _field(model: type[Group], name: str) -> FieldInfo:
    return next(f for n, f in model.model_fields.items() if (f.alias or n) == name)


def _setting_fields() -> dict[str, FieldInfo]:
    """Every plain setting's field, by stack name, as the user sets it: a mode's setting from its
    own mode's model, the mode itself with every mode allowed (the reference, the Pulumi.yaml test)."""
    owner: dict[str, type[Group]] = {"keyAlgorithm": DeployKeyAuth, "readWriteKey": DeployKeyAuth,
                                     "knownHosts": DeployKeyAuth, "caCert": HttpsAuth, "httpsUsername": HttpsAuth}
    fields: dict[str, FieldInfo] = {}
    for name in PLAIN_NAMES:
        if name == "auth":
            fields[name] = FieldInfo.from_annotated_attribute(AuthMode, "deploy-key")
        elif name == "sops":
            fields[name] = FieldInfo.from_annotated_attribute(SopsMode, "off")
        elif name in AUTH_NAMES:
            fields[name] = _field(owner.get(name, GitHubAppAuth), name)
        else:
            model: Any = next(m for m in (SourceSettings, LifecycleSettings, TuningSettings) if name in _names(m))
            fields[name] = _field(model, name)
    return fields


SETTING_FIELDS = _setting_fields()
