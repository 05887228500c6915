"""The SOPS age key: made once and kept in the stack's state, or the one the user provided."""

from __future__ import annotations

import pulumi
import pulumi_random as random

from flux_bootstrap import age_key as age
from flux_bootstrap.settings import Settings
from flux_bootstrap.settings.sops_settings import SopsProvided


def age_identity(name: str, settings: Settings, parent: pulumi.Resource) -> pulumi.Output[str]:
    """The age identity Flux decrypts with, always a secret Output.

    `generate`: 32 random bytes kept in the state by RandomBytes, so every run (and a rebuilt
    cluster) gets the same key; nothing about it depends on the cluster.
    """
    if isinstance(settings.sops, SopsProvided) and settings.sops.identity is not None:
        return pulumi.Output.secret(settings.sops.identity.get_secret_value())
    if settings.sops.mode == "generate":
        material = random.RandomBytes(
            f"{name}-sops-age-key",
            length=age.RANDOM_BYTES,
            # Losing it means re-encrypting every file in Git: protected with the rest.
            opts=pulumi.ResourceOptions(parent=parent, protect=settings.lifecycle.protect),
        )
        return pulumi.Output.secret(material.base64.apply(age.identity_from_random_bytes))
    raise pulumi.RunError("internal: the provided SOPS key was not decrypted: settings were not resolved for a deploy")


def recipient(identity: pulumi.Output[str]) -> pulumi.Output[str]:
    """The public recipient (age1...): derived from the secret identity, but not secret itself."""
    return pulumi.Output.unsecret(identity.apply(age.recipient_of))
