"""The keys of a stack file around this project's settings, and our words for the wrong ones.

`check` (reading Pulumi.<stack>.yaml) and the program (reading the config Pulumi hands over) apply
the same rules; each message names a setting or a key, never a value:
- a setting name that is not ours is answered with the nearest known name, also when it was set
  with `--secret` (never with advice to drop `--secret`: the value may be a token).
"""

from __future__ import annotations

from ..names import is_showable, nearest
from .stack import SECRET_SETTINGS, SETTING_NAMES

# Provider settings people set under this project's namespace by mistake (README: Stacks).
PROVIDER_SETTINGS = {name: f"kubernetes:{name}" for name in ("kubeconfig", "context", "cluster")}


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
