"""SOPS decryption settings: the `sops` mode and where the age key comes from.

`sops: generate` keeps a key made once in the stack's state (the program makes it); `provided`
takes the secret stack setting `sopsAgeKey`, or else the file `age.agekey` beside the config
files. The key is checked here, with the same clean errors as every other setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, SecretStr

from .. import sops as age
from ..bounded_read import present
from ..errors import Problem
from .fields import SecretValue
from .files import display_path, read_secret_text
from .base import Group

SOPS_KEY_SETTING = "sopsAgeKey"
SopsMode = Literal["off", "generate", "provided"]


class SopsStack(Group):
    sops: SopsMode = "off"


class SopsSettings(BaseModel):
    model_config = ConfigDict(frozen=True)
    mode: SopsMode = "off"
    # `provided` only: the identity, or None offline when the stack's encrypted setting was not decrypted.
    identity: SecretStr | None = None
    identity_source: str = ""

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    @property
    def recipient(self) -> str | None:
        """The public recipient, when it can be known without deploying (a provided key at hand)."""
        return age.recipient_of(self.identity.get_secret_value()) if self.identity is not None else None


def resolve_sops(
    project: str,
    mode: SopsMode,
    key_value: SecretValue | None,
    config_dir: Path,
    project_dir: Path,
    stack_problem: Callable[[str, str], Problem],
    problems: list[Problem],
) -> SopsSettings | None:
    key_file = config_dir / age.KEY_FILE
    if mode != "provided":
        if key_value is not None:
            problems.append(
                stack_problem(SOPS_KEY_SETTING, "is only used with `sops: provided`. Set sops to provided, "
                                                f"or remove it: pulumi config rm {SOPS_KEY_SETTING}")
            )
            return None
        return SopsSettings(mode=mode)

    if key_value is not None:
        source = f"stack setting {project}:{SOPS_KEY_SETTING}"
        if key_value.plaintext is None:  # offline: present, not decrypted
            return SopsSettings(mode=mode, identity_source=source)
        identity = _checked(key_value.plaintext, lambda message: stack_problem(SOPS_KEY_SETTING, message), problems)
        return SopsSettings(mode=mode, identity=identity, identity_source=source) if identity else None

    source = display_path(key_file, project_dir)
    if not present(key_file):
        problems.append(
            stack_problem("sops", f"is provided, but there is no age key: store it in the stack with "
                                  f"`pulumi config set --secret {SOPS_KEY_SETTING} < key.txt`, or put the key file at {source}.")
        )
        return None
    text = read_secret_text(key_file, source, age.MAX_KEY_TEXT, "an age key file", problems)
    if text is None:
        return None
    identity = _checked(text, lambda message: Problem(source, message), problems)
    return SopsSettings(mode=mode, identity=identity, identity_source=source) if identity else None


def _checked(text: str, problem: Callable[[str], Problem], problems: list[Problem]) -> SecretStr | None:
    try:
        return SecretStr(age.parse_identity(text))
    except age.AgeKeyError as err:  # our own words, never the key
        problems.append(problem(str(err)))
        return None
