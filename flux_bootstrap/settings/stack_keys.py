"""The keys of a stack file around this project's settings, and our words for the wrong ones.

`check` (reading Pulumi.<stack>.yaml) and the program (reading the config Pulumi hands over) apply
the same rules; each message names a setting or a key, never a value:
- a setting name that is not ours is answered with the nearest known name, also when it was set
  with `--secret` (never with advice to drop `--secret`: the value may be a token);
- a namespace close to the project name (`flux-boostrap:`, `fluxbootstrap:`) is a typo, not another
  package: Pulumi would hand those settings to no one;
- outside `config:`, a stack file holds only the keys Pulumi reads there;
- a provider setting that carries a credential must be stored with `--secret` (CREDENTIALS).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable

from ..names import is_showable, nearest
from .stack import SECRET_SETTINGS, SETTING_NAMES

# The top-level keys of a stack file the Pulumi CLI reads (workspace.ProjectStack).
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
# Provider settings people set under this project's namespace by mistake (README: Stacks).
PROVIDER_SETTINGS = {name: f"kubernetes:{name}" for name in ("kubeconfig", "context", "cluster")}
# How close to the project name a namespace must be to count as a misspelling of it.
NAMESPACE_CUTOFF = 0.8
# Fields of a kubeconfig that hold a credential (users[].user, auth-provider config).
_KUBECONFIG_CREDENTIAL = re.compile(
    r"""(?:^|[\s{,"'])(?:token|client-key-data|password|id-token|refresh-token|access-token|client-secret)["']?\s*:""",
    re.MULTILINE,
)


def unknown_setting(name: str, *, secret: bool) -> str:
    """Why a `<project>:name` that is no setting of ours is refused, with the nearest known name."""
    guess = _guess(name, secret=secret)
    if guess is None:
        known = f" (the secret settings are {', '.join(SECRET_SETTINGS)})" if secret else ""
        return f"is not a known setting{known}. Check the spelling, or remove it."
    message = f"is not a known setting; did you mean `{guess}`?"
    # A value meant for a secret setting moves there encrypted, also when it was given in plain text.
    if guess in SECRET_SETTINGS or (secret and guess in PROVIDER_SETTINGS.values()):
        remove = f"pulumi config rm {name}" if is_showable(name) else "remove this one"
        message += f" Store the value there, encrypted: pulumi config set --secret {guess}; then {remove}."
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


def _has_text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _app_auth_key(value: object) -> bool:
    """github:appAuth's pemFile is the App's private key itself (pulumi-github: "PEM file content")."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return _has_text(value)  # not an object: whatever it is, it is not known to be harmless
    return isinstance(value, dict) and _has_text(value.get("pemFile"))


def _kubeconfig_credential(value: object) -> bool:
    """A kubeconfig's contents with a token, key or password; a file path or exec plugin holds none."""
    text = value if isinstance(value, str) else json.dumps(value)
    return bool(_KUBECONFIG_CREDENTIAL.search(text))


@dataclass(frozen=True)
class Credential:
    holds: str
    fix: str  # the command that stores it encrypted; {stack} is the stack name
    in_plain_text: Callable[[object], bool]  # given the value that is not stored as a secret


# Provider settings that carry a credential (pulumi-github 6.15, pulumi-kubernetes 4.34).
CREDENTIALS: dict[str, Credential] = {
    "github:token": Credential("a GitHub token", "pulumi config set -s {stack} --secret github:token", _has_text),
    "github:appAuth": Credential(
        "a GitHub App's private key (pemFile)",
        "pulumi config set -s {stack} --path --secret github:appAuth.pemFile < app.pem",
        _app_auth_key,
    ),
    "kubernetes:kubeconfig": Credential(
        "cluster credentials (a kubeconfig with a token, key or password)",
        "pulumi config set -s {stack} --secret kubernetes:kubeconfig < kubeconfig.yaml",
        _kubeconfig_credential,
    ),
}


def plain_credential(key: str, value: object, stack: str) -> str | None:
    """Why `key`, not stored as a secret, is refused; None when it holds no credential in plain text."""
    credential = CREDENTIALS.get(key)
    if credential is None or not credential.in_plain_text(value):
        return None
    return (f"holds {credential.holds} in plain text, readable by anyone who can read the stack file. Store it "
            f"encrypted: {credential.fix.format(stack=stack)} (and revoke or rotate it if the stack file was ever committed).")
