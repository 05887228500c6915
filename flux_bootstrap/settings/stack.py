"""The `flux-bootstrap:*` stack settings: the source and lifecycle groups, and the catalogue of
every setting name (each group's fields, by stack name).

An unknown setting name is refused (a typo such as `protcet` is never silently ignored). The
secret settings are accepted only as `--secret` values.
"""

from __future__ import annotations

from pydantic import Field, ValidationInfo
from pydantic.fields import FieldInfo

from ..errors import Problem
from ..git_url import RepoUrl
from .auth import APP_KEY_SETTING, AUTH, AUTH_MODELS, github_repo
from .base import Facts, Group, GroupSchema, facts_validator
from .fields import BranchName, ChartVersion, Folder, Interval, RepoPath, RepoUrlSetting, StackBool, normalise_path
from .files import TOKEN_SETTING
from .gitops import COMMIT_STATUS_TOKEN_SETTING, GitOpsStack
from .messages import Refusal
from .sops_settings import SOPS, SOPS_KEY_SETTING, SOPS_MODELS
from .tuning_settings import TUNING_STRUCTURED, TuningSettings

DEFAULT_CHART_VERSION = "2.18.3"  # fluxcd-community flux2 chart = Flux 2.8.5
DEFAULT_INTERVAL = "1m"
DEFAULT_CONFIG_DIR = "config"


class SourceSettings(Group):
    """Where Flux reads from, how often, and which Flux it runs. The repository and branch fall
    back to config/flux.yaml (a fact), the path to clusters/<stack>."""

    repo: RepoUrlSetting | None = Field(None, validate_default=True, description=(
        "Repository URL (GitHub, GitHub Enterprise Server, GitLab, Bitbucket, Azure DevOps, Gitea, "
        "any SSH or HTTPS Git server); overrides `repo` in config/flux.yaml."
    ))  # GitHub's rules on the githubUrl server
    branch: BranchName | None = Field(None, validate_default=True, description=(
        "Branch Flux syncs; overrides `branch` in config/flux.yaml. Unset everywhere, the "
        "repository's default branch."
    ))  # None: the default branch, asked of GitHub
    path: RepoPath | None = Field(None, validate_default=True, description=(
        "Folder of the repository the Kustomization applies, relative, no '..'. Empty means "
        "clusters/<stack>."
    ))  # normalised; "" is the repository root
    interval: Interval = Field(DEFAULT_INTERVAL, description="How often Flux fetches the repository, a Flux duration such as 1m, 90s or 1h30m.")
    chart_version: ChartVersion = Field(DEFAULT_CHART_VERSION, alias="chartVersion", description="Exact version of the fluxcd-community flux2 Helm chart (2.18.3 is Flux 2.8.5).")
    config_dir: Folder = Field(DEFAULT_CONFIG_DIR, alias="configDir", description="Folder holding flux.yaml and secrets-flux.yaml, absolute or relative to the project.")

    @facts_validator("repo")
    def _repo(value: RepoUrl | None, known: Facts, info: ValidationInfo) -> RepoUrl | None:
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

    @facts_validator("branch")
    def _branch(value: str | None, known: Facts, info: ValidationInfo) -> str | None:
        value = value or (known.flux_file.branch if known.flux_file is not None else None)
        repo = info.data.get("repo")
        if value is None and repo is not None and not repo.is_github:
            raise ValueError("is required for a repository that is not on GitHub: the default branch can only be "
                             "looked up on GitHub. Set `branch` in config/flux.yaml, or: pulumi config set branch main")
        return value

    @facts_validator("path")
    def _path(value: str | None, known: Facts, info: ValidationInfo) -> str | None:
        return normalise_path(f"clusters/{known.stack}") if value is None else value


class LifecycleSettings(Group):
    """What `pulumi up` checks first, waits for and adopts, and what `pulumi destroy` may remove."""

    protect: StackBool = Field(False, description=(
        "Protect the Helm release, the namespace, the deploy key and a generated SOPS key from "
        "deletion."
    ))
    destroy_workloads: StackBool = Field(False, alias="destroyWorkloads", description=(
        "On destroy, also delete everything Flux deployed and wait for it to be gone (Kustomization "
        "deletionPolicy WaitForTermination instead of Orphan)."
    ))
    wait_for_sync: StackBool = Field(True, alias="waitForSync", description=(
        "Make `pulumi up` wait until the GitRepository and Kustomization are Ready (5 minutes at "
        "most)."
    ))
    adopt_existing: StackBool = Field(False, alias="adoptExisting", description=(
        "Adopt flux-system objects that already exist in the cluster (a retained namespace, a stack "
        "whose state was lost, or after `flux uninstall --keep-namespace` when moving from flux "
        "bootstrap), taking over their fields; off, an existing object fails with \"already exists\"."
    ))
    preflight: StackBool = Field(True, description=(
        "Before creating anything, check on GitHub that the repository, branch and path exist and the"
        " token can manage deploy keys. Set false to skip (a warning says so)."
    ))  # check the GitHub repository before anything is created


# Every group, in the order resolve validates them (a later one may read what an earlier one
# resolved: the repository, the chart version, the auth mode). A new group is one entry here, one
# field of Settings, and its module.
SOURCE = GroupSchema("source", (SourceSettings,))
AUTH_GROUP = GroupSchema("auth", AUTH_MODELS, tag="auth", adapter=AUTH)
LIFECYCLE = GroupSchema("lifecycle", (LifecycleSettings,))
SOPS_GROUP = GroupSchema("sops", SOPS_MODELS, tag="sops", adapter=SOPS)
TUNING = GroupSchema("tuning", (TuningSettings,))
# Validated as the others; resolve then applies its rules across groups (settings/gitops.py).
GITOPS = GroupSchema("gitops", (GitOpsStack,))
GROUPS = (SOURCE, AUTH_GROUP, LIFECYCLE, SOPS_GROUP, TUNING, GITOPS)

# Settings accepted only as `pulumi config set --secret`, with their descriptions (the reference).
SECRET_SETTINGS: dict[str, str] = {
    TOKEN_SETTING: "GitHub token, set with `pulumi config set --secret githubToken`; replaces config/secrets-flux.yaml.",
    SOPS_KEY_SETTING: "The age identity (AGE-SECRET-KEY-1...) for sops provided, set with `pulumi config set --secret "
                      "sopsAgeKey`; replaces config/age.agekey.",
    APP_KEY_SETTING: "The App's private key (PEM), set with `pulumi config set --secret githubAppPrivateKey < app.pem`; "
                     "replaces config/github-app.pem.",
    COMMIT_STATUS_TOKEN_SETTING: "With commitStatus (not auth github-app), a token that may only post commit statuses "
                                 "(GitHub fine-grained - Commit statuses Read and write; Bitbucket - "
                                 "username:app-password), set with `pulumi config set --secret commitStatusToken`. "
                                 "Never the bootstrap token.",
}
# Settings whose value is an object or a list (read with Config.get_object in the program).
STRUCTURED_SETTINGS: frozenset[str] = frozenset() | TUNING_STRUCTURED
# Every plain setting's field by stack name, as the user sets it (the reference, the Pulumi.yaml test).
SETTING_FIELDS: dict[str, FieldInfo] = {name: field for group in GROUPS for name, field in group.fields().items()
                                        if name not in SECRET_SETTINGS}
SETTING_NAMES = tuple(SETTING_FIELDS) + tuple(SECRET_SETTINGS)
