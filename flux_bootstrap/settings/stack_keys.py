"""The keys of a stack file around this project's settings, and our words for the wrong ones.

`check` (reading Pulumi.<stack>.yaml) and the program (reading the config Pulumi hands over) apply
the same rules; each message names a setting or a key, never a value:
- a setting name that is not ours is answered with the nearest known name, also when it was set
  with `--secret` (never with advice to drop `--secret`: the value may be a token);
- a namespace close to the project name (`flux-boostrap:`, `fluxbootstrap:`) is a typo, not another
  package: Pulumi would hand those settings to no one;
- outside `config:`, a stack file holds only the keys Pulumi reads there.
"""

from __future__ import annotations

from ..names import is_showable, nearest
from .stack import SECRET_SETTINGS, SETTING_NAMES

# The top-level keys of a stack file the Pulumi CLI reads (workspace.ProjectStack).
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
# Provider settings people set under this project's namespace by mistake (README: Stacks).
PROVIDER_SETTINGS = {name: f"kubernetes:{name}" for name in ("kubeconfig", "context", "cluster")}
# How close to the project name a namespace must be to count as a misspelling of it.
NAMESPACE_CUTOFF = 0.8


def unknown_setting(name: str, *, secret: bool) -> str:
    """Why a `<project>:name` that is no setting of ours is refused, with the nearest known name."""
    guess = _guess(name, secret=secret)
    if guess is None:
        known = f" (the secret settings are {', '.join(SECRET_SETTINGS)})" if secret else ""
        return f"is not a known setting{known}. Check the spelling, or remove it."
    message = f"is not a known setting; did you mean `{guess}`?"
    if secret:
        remove = f"pulumi config rm {name}" if is_showable(name) else "remove this one"
        message += f" Set the value there: pulumi config set --secret {guess}; then {remove}."
    return message


def _guess(name: str, *, secret: bool) -> str | None:
    provider = nearest(name, PROVIDER_SETTINGS, cutoff=1.0)
    if provider is not None:
        return PROVIDER_SETTINGS[provider]
    return (nearest(name, SECRET_SETTINGS) if secret else None) or nearest(name, SETTING_NAMES)


def misspelt_namespace(namespace: str, project: str) -> bool:
    """A namespace that is not the project's but close to it (`flux-boostrap`, `Flux_Bootstrap`).
    Any other namespace (`kubernetes`, `github`, `pulumi`, ...) belongs to another package."""
    return namespace not in ("", project) and nearest(namespace, [project], cutoff=NAMESPACE_CUTOFF) is not None


def namespace_message(project: str, name: str) -> str:
    guess = name if name in SETTING_NAMES else nearest(name, SETTING_NAMES)
    if guess is None:
        return f"has a misspelt namespace, so no one reads it: this project's settings are named `{project}:NAME`."
    return f"has a misspelt namespace, so no one reads it; did you mean `{project}:{guess}`?"


def top_level_message(key: str) -> str:
    """Why a top-level key of a stack file is refused: a setting outside `config:`, or a typo."""
    if ":" in key or key in SETTING_NAMES:
        return "is a setting outside `config:`, where Pulumi does not read it: settings go under `config:`."
    guess = nearest(key, STACK_FILE_KEYS)
    if guess is not None:
        return f"is not a key of a stack file; did you mean `{guess}`?"
    return (f"is not a key of a stack file ({', '.join(STACK_FILE_KEYS)}): settings go under `config:`; "
            "remove anything else.")
