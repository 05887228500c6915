"""Settings: config files and stack settings -> one validated `Settings` object.

One module per concern: `fields` (shared field types), `stack` (the stack settings, grouped),
`files` (the two config files), `messages` (our wording of validation errors), `resolve`
(combining the sources).
"""

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
    TOKEN_SETTING,
    KeyAlgorithm,
    StackSettings,
)

__all__ = [
    "DEFAULT_CHART_VERSION", "DEFAULT_CONFIG_DIR", "DEFAULT_INTERVAL", "EXAMPLE_REPO", "FLUX_FILE", "PROJECT",
    "SECRETS_FILE", "SECRET_SETTINGS", "SETTING_NAMES", "STRUCTURED_SETTINGS", "TOKEN_SETTING", "FluxFile",
    "KeyAlgorithm", "SecretValue", "SecretsFile", "Settings", "StackSettings", "StackValue", "display_path",
    "normalise_path", "resolve_settings",
]
