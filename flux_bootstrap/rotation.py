"""Key rotation without a gap (#18): names per credential generation.

With `keyRotation` unset the stack keeps the names it always had (same URNs: nothing changes).
With a generation G, the key pair and the deploy key are the Pulumi resources `<name>-deploy-key-G`
and the Secret is `<name>-secret-G`, named `flux-system-G` in the cluster. Changing G therefore
adds resources and drops others; Pulumi then, in one `pulumi up`:
  1. creates the new key pair, registers the new deploy key, creates the new Secret;
  2. updates the GitRepository in place (`secretRef.name`), which depends on all three, and waits
     for it to become Ready with the new key (waitForSync);
  3. deletes the resources the program no longer declares — the old Secret, deploy key and key
     pair — at the end of the update, after every create and update.
A Secret keeping its name could not do this: the Kubernetes provider replaces a named object
delete-first. Pure: no Pulumi here.
"""

from __future__ import annotations

from .settings import Settings

SECRET_RESOURCE = "secret"
DEPLOY_KEY_RESOURCE = "deploy-key"


def suffix(settings: Settings) -> str:
    """`-G` for generation G, or "" when keyRotation is unset."""
    generation = settings.gitops.key_rotation
    return f"-{generation}" if generation else ""


def secret_resource(settings: Settings) -> str:
    """The planned resource (Pulumi name suffix) of the Secret the GitRepository reads."""
    return SECRET_RESOURCE + suffix(settings)


def deploy_key_resource(settings: Settings) -> str:
    """The Pulumi name suffix of the key pair and of the deploy key registered with it."""
    return DEPLOY_KEY_RESOURCE + suffix(settings)


def secret_name(settings: Settings, base: str) -> str:
    """The Secret's name in the cluster: `base` (flux-system), per generation when one is set."""
    return base + suffix(settings)


def title(settings: Settings, base: str) -> str:
    """The deploy key's title on the Git host: both generations are listed during a rotation."""
    generation = settings.gitops.key_rotation
    return f"{base} (key {generation})" if generation else base


def describe(settings: Settings, base: str) -> str:
    """One line for render: the generation and the order of a rotation."""
    generation = settings.gitops.key_rotation
    if generation is None:
        return ("Key rotation: off (keyRotation unset); the Secret is flux-system. Setting keyRotation rotates the "
                "credential without a gap.")
    made = "the key pair, the deploy key and " if settings.auth.mode == "deploy-key" else ""
    return (f"Key rotation: generation {generation!r}: Secret {secret_name(settings, base)}. When keyRotation "
            f"changes, pulumi up creates {made}the new Secret first, then points the GitRepository at it, and "
            "deletes the previous generation's only at the end (docs/key-rotation.md).")
