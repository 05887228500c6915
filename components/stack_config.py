"""Reads the running stack's configuration and turns it into Settings (the Pulumi-side loader)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi

from flux_bootstrap.settings import SETTING_NAMES, SecretValue, Settings, StackValue, resolve_settings


def stack_values(project: str) -> dict[str, StackValue]:
    """The stack's `<project>:*` settings we know, secrets wrapped so they are never mistaken for plain text.

    Unknown keys need no check here: the Pulumi CLI refuses keys that Pulumi.yaml does not declare.
    """
    config = pulumi.Config(project)
    values: dict[str, StackValue] = {}
    for name in SETTING_NAMES:
        raw = config.get(name)
        if raw is not None:
            values[name] = SecretValue(raw) if pulumi.runtime.is_config_secret(f"{project}:{name}") else raw
    return values


def load_settings(project_dir: Path) -> Settings:
    """Settings for the current stack; raises ConfigError listing every problem."""
    project, stack = pulumi.get_project(), pulumi.get_stack()
    return resolve_settings(
        project_dir=project_dir,
        project=project,
        stack=stack,
        stack_values=stack_values(project),
        stack_source=f"stack '{stack}' settings",
    )


@dataclass(frozen=True)
class KubernetesTarget:
    """The stack's standard `kubernetes:*` settings, passed on to our explicit Kubernetes provider."""

    kubeconfig: pulumi.Output[str] | None = None
    context: str | None = None
    cluster: str | None = None


def kubernetes_target() -> KubernetesTarget:
    config = pulumi.Config("kubernetes")
    # kubeconfig may hold cluster credentials: keep it secret whether or not it was set with --secret.
    return KubernetesTarget(
        kubeconfig=config.get_secret("kubeconfig"),
        context=config.get("context"),
        cluster=config.get("cluster"),
    )
