"""The `flux-bootstrap:*` stack settings, one group of fields per concern.

The groups are combined into one pydantic model, so an unknown setting name is refused (a typo
such as `protcet` is never silently ignored). The secret settings are handled apart: they are
only accepted as `--secret` values and never enter this model.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .auth import APP_KEY_SETTING, AuthStack
from .base import Group
from .files import TOKEN_SETTING
from .fields import BranchName, ChartVersion, Folder, Interval, RepoPath, RepoUrl, StackBool
from .sops_settings import SOPS_KEY_SETTING, SopsStack
from .tuning_settings import TUNING_STRUCTURED, TuningStack

DEFAULT_CHART_VERSION = "2.18.3"  # fluxcd-community flux2 chart = Flux 2.8.5
DEFAULT_INTERVAL = "1m"
DEFAULT_CONFIG_DIR = "config"
KeyAlgorithm = Literal["ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-4096"]


class SourceStack(Group):
    """Where Flux reads from, how often, and which Flux it runs."""

    repo: RepoUrl | None = None
    branch: BranchName | None = None
    path: RepoPath | None = None
    interval: Interval = DEFAULT_INTERVAL
    chart_version: ChartVersion = Field(DEFAULT_CHART_VERSION, alias="chartVersion")
    config_dir: Folder = Field(DEFAULT_CONFIG_DIR, alias="configDir")


class DeployKeyStack(Group):
    key_algorithm: KeyAlgorithm | None = Field(None, alias="keyAlgorithm")  # unset: by host (resolve)
    read_write_key: StackBool = Field(False, alias="readWriteKey")


class LifecycleStack(Group):
    """What `pulumi up` waits for, adopts, and what `pulumi destroy` may remove."""

    protect: StackBool = False
    destroy_workloads: StackBool = Field(False, alias="destroyWorkloads")
    wait_for_sync: StackBool = Field(True, alias="waitForSync")
    adopt_existing: StackBool = Field(False, alias="adoptExisting")


class PreflightStack(Group):
    """Check the GitHub repository before anything is created."""

    preflight: StackBool = True


class StackSettings(SourceStack, DeployKeyStack, LifecycleStack, PreflightStack, SopsStack, AuthStack, TuningStack):
    """Every plain stack setting (the secret ones are in SECRET_SETTINGS)."""


# Settings accepted only as `pulumi config set --secret`; what each holds, for messages.
SECRET_SETTINGS: dict[str, str] = {TOKEN_SETTING: "the GitHub token", SOPS_KEY_SETTING: "the SOPS age key",
                                   APP_KEY_SETTING: "the GitHub App's private key"}
# Settings whose value is an object or a list (read with Config.get_object in the program).
STRUCTURED_SETTINGS: frozenset[str] = frozenset() | TUNING_STRUCTURED
SETTING_NAMES = tuple(f.alias or name for name, f in StackSettings.model_fields.items()) + tuple(SECRET_SETTINGS)
