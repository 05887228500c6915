"""SOPS decryption settings: the `sops` mode and where the age key comes from.

`sops: generate` keeps a key made once in the stack's state (the program makes it); `provided`
takes the secret stack setting `sopsAgeKey`, or else the file `age.agekey` beside the config
files. One model per mode, tagged by `sops`: `sopsAgeKey` with another mode is refused by the
schema, and the `provided` model always holds its key's source (and the key, when decrypted).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, SecretStr, Tag, TypeAdapter, ValidationInfo, field_validator, model_validator

from .. import age_key as age
from ..bounded_read import UnreadableFile, present
from ..errors import Problem
from .base import Group, derived, file_facts, other_mode, with_key_source
from .fields import SecretValue
from .files import display_path, read_secret_text
from .messages import Refusal

SOPS_KEY_SETTING = "sopsAgeKey"
_UNUSED_KEY = ("is only used with `sops: provided`. Set sops to provided, "
               f"or remove it: pulumi config rm {SOPS_KEY_SETTING}")


class _Sops(Group):
    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    @property
    def recipient(self) -> str | None:
        """The public recipient, when it can be known without deploying (a provided key at hand)."""
        identity = self.identity  # every mode has it: None where the mode takes no key
        return age.recipient_of(identity.get_secret_value()) if identity is not None else None


_NoKey = Annotated[Any, other_mode(_UNUSED_KEY)]


class SopsOff(_Sops):
    mode: Literal["off"] = Field("off", alias="sops", description=(
        "SOPS decryption of Secrets in the repository: off, generate (a new age key kept in the "
        "stack's state) or provided (sopsAgeKey, or config/age.agekey)."
    ))
    identity: _NoKey = Field(None, alias=SOPS_KEY_SETTING)


class SopsGenerate(_Sops):
    mode: Literal["generate"] = Field(alias="sops")
    identity: _NoKey = Field(None, alias=SOPS_KEY_SETTING)


class SopsProvided(_Sops):
    mode: Literal["provided"] = Field(alias="sops")
    # None offline, when the stack's encrypted setting was not decrypted.
    identity: SecretStr | None = Field(None, alias=SOPS_KEY_SETTING, validate_default=True)
    identity_source: str = derived("")  # the stack setting or the key file

    @model_validator(mode="before")
    @classmethod
    def _source(cls, data: Any, info: ValidationInfo) -> Any:
        return with_key_source(data, info, setting=SOPS_KEY_SETTING, field="identity",
                               source_field="identity_source", key_file=age.KEY_FILE)

    @field_validator("identity", mode="plain")
    @classmethod
    def _identity(cls, value: Any, info: ValidationInfo) -> SecretStr | None:
        if isinstance(value, SecretStr):
            return value  # checked when it was first read
        if isinstance(value, SecretValue):
            return None if value.plaintext is None else _identity_secret(value.plaintext)
        if isinstance(value, str):
            return _identity_secret(value)
        known = file_facts(info)
        return _key_file(known) if known is not None else None


def _identity_secret(text: str, source: str | None = None) -> SecretStr:
    try:
        return SecretStr(age.parse_identity(text))
    except age.AgeKeyError as err:  # our own words, never the key
        raise Refusal.of(Problem(source, str(err))) if source else ValueError(str(err)) from None


def _key_file(known) -> SecretStr:
    key_file = known.config_dir / age.KEY_FILE
    source = display_path(key_file, known.project_dir)
    if not present(key_file):
        raise Refusal(f"is provided, but there is no age key: store it in the stack with `pulumi config set --secret "
                      f"{SOPS_KEY_SETTING} < key.txt`, or put the key file at {source}.", at="sops")
    try:
        text = read_secret_text(key_file, source, age.MAX_KEY_TEXT, "an age key file")
    except UnreadableFile as err:
        raise Refusal.of(err.problem) from None
    return _identity_secret(text, source)


def _mode(value: Any) -> str:
    return value.get("sops", "off") if isinstance(value, dict) else getattr(value, "mode", "off")


Sops = Annotated[
    Union[Annotated[SopsOff, Tag("off")], Annotated[SopsGenerate, Tag("generate")], Annotated[SopsProvided, Tag("provided")]],
    Discriminator(_mode, custom_error_type="mode_error", custom_error_message="must be one of: {expected}.",
                  custom_error_context={"expected": "'off', 'generate' or 'provided'"}),
]
SOPS = TypeAdapter(Sops)
SOPS_MODELS = (SopsOff, SopsGenerate, SopsProvided)
