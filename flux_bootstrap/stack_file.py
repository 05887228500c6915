"""Reading Pulumi.yaml and Pulumi.<stack>.yaml offline, the way the Pulumi CLI reads them.

Values are read as strings, as the Pulumi CLI reads them (YAML 1.2: `yes` stays the string
"yes", `1.10` stays "1.10"); a `secure:` value is only noted as present, never decrypted.
Other namespaces (pulumi:, aws:, ...) are not ours and are left alone, except that a provider
setting holding a credential must be encrypted (settings.stack_keys.CREDENTIALS), and the three
standard `kubernetes:` settings the program passes to its Kubernetes provider are kept apart
(`check` shows the cluster they name).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .bounded_read import present
from .errors import Problem
from .secret_detector import detect
from .settings import PROJECT, STRUCTURED_SETTINGS, SecretValue, StackValue, display_path
from .settings.stack_keys import STACK_FILE_KEYS, misspelt_namespace, namespace_message, plain_credential, top_level_message
from .yaml_source import YamlDocument, read_mapping


# Pulumi's stack names; `org/dev` and `org/project/dev` name stack `dev` (file Pulumi.dev.yaml).
_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}", re.ASCII)


def stack_name(reference: str) -> str:
    """The stack name of a stack reference as the Pulumi CLI reads it, or ValueError."""
    parts = reference.split("/")
    if len(parts) > 3 or not all(_STACK_NAME.fullmatch(part) and part.strip(".") for part in parts):
        raise ValueError(
            "is not a stack name: use NAME, ORG/NAME or ORG/PROJECT/NAME, with letters, digits, '-', '_' and '.'."
        )
    return parts[-1]


# The `kubernetes:*` settings the program hands to its provider (components/stack_config.py).
KUBERNETES_SETTINGS = ("context", "kubeconfig", "cluster")


@dataclass
class StackFile:
    project: str
    path: Path
    exists: bool
    values: dict[str, StackValue] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    kubernetes: dict[str, StackValue] = field(default_factory=dict)  # of KUBERNETES_SETTINGS, by name


def project_name(project_dir: Path) -> tuple[str, str, list[Problem]]:
    """Project name and stack config folder from Pulumi.yaml."""
    document, problems = read_mapping(project_dir / "Pulumi.yaml", "Pulumi.yaml", "Run the command in the project folder.")
    if document is None:
        return PROJECT, "", problems
    name = document.data.get("name")
    stack_dir = document.data.get("stackConfigDir") or ""
    return (name if isinstance(name, str) and name else PROJECT), str(stack_dir), []


def _json_or_text(value: str) -> StackValue:
    """An object or list given as JSON text (`pulumi config set tolerations '[...]'`): the program
    reads it with Config.get_object, which parses it, so `check` does the same; other text stays
    text and is refused by the settings in our words."""
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return value


def read_stack_file(project_dir: Path, stack: str) -> tuple[StackFile, list[Problem]]:
    """The `<project>:*` settings of Pulumi.<stack>.yaml; a missing file is a problem, as the
    Pulumi CLI would run such a stack with defaults only (usually a typo in the stack name).
    Keys Pulumi would silently ignore (a misspelt `config:`, a setting outside it, a misspelt
    namespace) and provider credentials in plain text are problems too (settings.stack_keys)."""
    project, stack_dir, problems = project_name(project_dir)
    path = project_dir / stack_dir / f"Pulumi.{stack}.yaml"
    source = display_path(path, project_dir)
    stack_file = StackFile(project=project, path=path, exists=present(path))
    if problems:
        return stack_file, problems
    if not stack_file.exists:
        return stack_file, [
            Problem(
                source,
                f"does not exist, so stack {stack} is not set up here (check the stack name). To create it on "
                f"purpose: pulumi stack init {stack} (or create {source} with a line `config: {{}}`).",
            )
        ]
    document, problems = read_mapping(path, source, "", strings=True)
    if document is None:
        return stack_file, problems
    problems = [
        Problem(source, top_level_message(key), field=key, line=document.line(key), label="key")
        for key in document.data
        if key not in STACK_FILE_KEYS
    ]
    config = document.data.get("config") or {}
    if not isinstance(config, dict):
        return stack_file, [*problems, Problem(source, "must be a mapping of setting: value.", field="config", line=document.line("config"))]
    _read_config(stack_file, document, config, stack, source, problems)
    return stack_file, problems


def _read_config(
    stack_file: StackFile, document: YamlDocument, config: dict, stack: str, source: str, problems: list[Problem]
) -> None:
    """Fill `stack_file` with this project's settings; refuse misspelt namespaces and credentials in plain text."""
    typed_config: dict | None = None
    for key, value in config.items():
        namespace, _, name = key.rpartition(":")
        line = document.line("config", key)
        secure = isinstance(value, dict) and set(value) == {"secure"}
        if misspelt_namespace(namespace, stack_file.project):
            problems.append(Problem(source, namespace_message(stack_file.project, name), field=key, line=line, label="setting"))
            continue
        if namespace not in ("", stack_file.project) and detect(namespace) is not None:
            # A token pasted where a setting's name goes: named by its line only (Problem.describe).
            problems.append(Problem(source, "looks like a secret typed where a setting's name goes, which Pulumi "
                                            "would keep in plain text. Remove the line; a token belongs in "
                                            "`pulumi config set --secret githubToken`.", field=key, line=line, label="setting"))
            continue
        if namespace not in ("", stack_file.project):
            # Another package's settings, such as kubernetes:context; a credential must be secret.
            message = None if secure else plain_credential(key, value, stack)
            if message:
                problems.append(Problem(source, message, field=key, line=line, label="setting"))
            if namespace == "kubernetes" and name in KUBERNETES_SETTINGS:
                stack_file.kubernetes[name] = SecretValue(None) if secure else value
            continue
        if secure:
            stack_file.values[name] = SecretValue(None)
        elif isinstance(value, (dict, list)):
            # Pulumi keeps an object's or list's scalars typed (numbers, booleans), unlike top-level values.
            if typed_config is None:
                typed, _ = read_mapping(stack_file.path, source, "")
                typed_config = (typed.data.get("config") or {}) if typed else {}
            stack_file.values[name] = typed_config.get(key, value)
        elif name in STRUCTURED_SETTINGS:
            stack_file.values[name] = _json_or_text(value)
        else:
            stack_file.values[name] = value
        stack_file.lines[name] = line
