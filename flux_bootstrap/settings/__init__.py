"""Settings: config files and stack settings -> one validated `Settings` object.

One module per concern: `base` (a group's base and the outside facts its rules read), `fields`
(shared field types), `files` (the config files), `messages` (our wording of validation errors and
the Problems made of them), the groups (`stack`: source and lifecycle, and the catalogue of names;
`auth`, `sops_settings`: one model per mode; `tuning_settings`), `stack_keys` (the words for
misplaced keys), `resolve` (the groups validated in one pass into one `Settings`).
"""

from .auth import KeyAlgorithm
from .fields import SecretValue, StackValue, normalise_path
from .files import EXAMPLE_REPO, FLUX_FILE, SECRETS_FILE, FluxFile, SecretsFile, display_path
from .resolve import PROJECT, Settings, resolve_settings
from .stack import (
    DEFAULT_CHART_VERSION,
    DEFAULT_CONFIG_DIR,
    DEFAULT_INTERVAL,
    SECRET_SETTINGS,
    SETTING_NAMES,
    STRUCTURED_SETTINGS,
    SETTING_FIELDS,
    TOKEN_SETTING,
)

__all__ = [
    "DEFAULT_CHART_VERSION", "DEFAULT_CONFIG_DIR", "DEFAULT_INTERVAL", "EXAMPLE_REPO", "FLUX_FILE", "PROJECT",
    "SECRETS_FILE", "SECRET_SETTINGS", "SETTING_NAMES", "STRUCTURED_SETTINGS", "TOKEN_SETTING", "FluxFile",
    "KeyAlgorithm", "SETTING_FIELDS", "SecretValue", "SecretsFile", "Settings", "StackValue", "display_path",
    "normalise_path", "resolve_settings",
]
