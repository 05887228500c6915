"""Closing the GitOps loop (#18): key rotation without a gap.

`keyRotation` names a generation of the Git credential. Unset, the stack keeps the names it has
always had; any value gives the key pair, the deploy key and the Secret names of their own, so
changing it makes Pulumi create the new generation, switch the GitRepository to it, and only then
delete the old one (flux_bootstrap/rotation.py).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr

from .base import Group

MAX_GENERATION = 40  # "flux-system-" + this stays far below Kubernetes' 253 characters
_GENERATION = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?", re.ASCII)


def _generation(value: str) -> str:
    if len(value) > MAX_GENERATION or not _GENERATION.fullmatch(value):
        raise ValueError(
            f"must be at most {MAX_GENERATION} lower-case letters, digits and '-' (not first or last), such as 2 "
            "or 2026-11-30: it becomes part of the Secret's name. Change it to rotate the deploy key."
        )
    return value


Generation = Annotated[StrictStr, AfterValidator(_generation)]


class GitOpsStack(Group):
    """Key rotation, sync on push and commit status (the loop between the cluster and the Git host)."""

    key_rotation: Generation | None = Field(None, alias="keyRotation")


class GitOpsSettings(BaseModel):
    """The resolved loop settings: what the plan builds from."""

    model_config = ConfigDict(frozen=True)
    key_rotation: str | None = None  # None: the names of before rotation existed


def resolve_gitops(stack: GitOpsStack) -> GitOpsSettings:
    return GitOpsSettings(key_rotation=stack.key_rotation)
