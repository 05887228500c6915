"""Reads the running stack's configuration and turns it into Settings (the Pulumi-side loader)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pulumi

from flux_bootstrap.errors import ConfigError, Problem
from flux_bootstrap.github_env import environment_problems
from flux_bootstrap.plan import Plan, plan
from flux_bootstrap.settings import SETTING_NAMES, STRUCTURED_SETTINGS, SecretValue, Settings, StackValue, resolve_settings
from flux_bootstrap.settings.stack_keys import CREDENTIALS, misspelt_namespace, namespace_message, plain_credential
from flux_bootstrap.validation import helm_values_render


def config_keys() -> set[str]:
    """Every key of the stack's config (`namespace:name`)."""
    # The language host hands the whole stack config to set_all_config; PULUMI_CONFIG is its fallback.
    return set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.get_config_env())


def stack_values(project: str) -> dict[str, StackValue]:
    """Every `<project>:*` setting of the stack, secrets wrapped so they are never taken for plain text.

    Unknown names are passed on too, so that a typo such as `protcet` is refused, not ignored.
    """
    prefix = f"{project}:"
    names = sorted({key[len(prefix):] for key in config_keys() if key.startswith(prefix)} | set(SETTING_NAMES))
    config = pulumi.Config(project)
    values: dict[str, StackValue] = {}
    for name in names:
        raw = config.get(name)
        if raw is None:
            continue
        if pulumi.runtime.is_config_secret(prefix + name):
            values[name] = SecretValue(raw)
        elif name in STRUCTURED_SETTINGS:
            values[name] = structured_value(config, name, raw)
        else:
            values[name] = raw
    return values


def structured_value(config: pulumi.Config, name: str, raw: str) -> StackValue:
    """A YAML list or object of the stack file, which reaches the program as JSON text.

    Text that is not JSON (a plain string set with `pulumi config set`) is handed on as it is: the
    settings then refuse it as "must be a list" or "must be an object", in our words. Pulumi's own
    error would quote the value."""
    try:
        return config.get_object(name)
    except (pulumi.config.ConfigTypeError, RecursionError):
        return raw


def load_plan(project_dir: Path) -> Plan:
    """The plan of the current stack; raises ConfigError listing every problem. helmValues that Helm
    cannot render with the carried chart are one: the run stops before anything is created."""
    settings = load_settings(project_dir)
    planned = plan(settings)
    helm_values_render(settings, planned.release.values, source=f"stack '{settings.stack}' settings")  # raises
    return planned


def other_key_problems(project: str, stack: str, source: str) -> list[Problem]:
    """Settings under a misspelt project namespace, which no one would read, and provider settings
    that hold a credential but were not set with --secret (settings.stack_keys)."""
    problems = []
    for key in sorted(config_keys()):
        namespace, _, name = key.rpartition(":")
        message = None
        if misspelt_namespace(namespace, project):
            message = namespace_message(project, name)
        elif key in CREDENTIALS and not pulumi.runtime.is_config_secret(key):
            message = plain_credential(key, pulumi.Config(namespace).get(name), stack)
        if message:
            problems.append(Problem(source, message, field=key, label="setting"))
    return problems


def load_settings(project_dir: Path) -> Settings:
    """Settings for the current stack; raises ConfigError listing every problem: the settings, the
    keys no one would read or that hold a credential in plain text, and the environment variables
    that would redirect the GitHub provider (as `check` reports them)."""
    project, stack = pulumi.get_project(), pulumi.get_stack()
    source = f"stack '{stack}' settings"
    problems = other_key_problems(project, stack, source)
    try:
        settings = resolve_settings(
            project_dir=project_dir,
            project=project,
            stack=stack,
            stack_values=stack_values(project),
            stack_source=source,
        )
    except ConfigError as err:
        raise ConfigError(problems + err.problems) from None
    problems += environment_problems(os.environ, settings)
    if problems:
        raise ConfigError(problems)
    return settings


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
