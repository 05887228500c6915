"""Reading Pulumi.yaml and Pulumi.<stack>.yaml offline, the way the Pulumi CLI reads them.

Values are read as strings, as the Pulumi CLI reads them (YAML 1.2: `yes` stays the string
"yes", `1.10` stays "1.10"); a `secure:` value is only noted as present, never decrypted.
Other namespaces (kubernetes:, pulumi:) are not ours and are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem
from .settings import PROJECT, SecretValue, StackValue, display_path
from .yaml_source import read_mapping


@dataclass
class StackFile:
    project: str
    path: Path
    exists: bool
    values: dict[str, StackValue] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


def project_name(project_dir: Path) -> tuple[str, str, list[Problem]]:
    """Project name and stack config folder from Pulumi.yaml."""
    document, problems = read_mapping(project_dir / "Pulumi.yaml", "Pulumi.yaml", "Run the command in the project folder.")
    if document is None:
        return PROJECT, "", problems
    name = document.data.get("name")
    stack_dir = document.data.get("stackConfigDir") or ""
    return (name if isinstance(name, str) and name else PROJECT), str(stack_dir), []


def read_stack_file(project_dir: Path, stack: str) -> tuple[StackFile, list[Problem]]:
    project, stack_dir, problems = project_name(project_dir)
    path = project_dir / stack_dir / f"Pulumi.{stack}.yaml"
    source = display_path(path, project_dir)
    stack_file = StackFile(project=project, path=path, exists=path.exists())
    if problems or not stack_file.exists:
        return stack_file, problems
    document, problems = read_mapping(path, source, "", strings=True)
    if document is None:
        return stack_file, problems
    config = document.data.get("config") or {}
    if not isinstance(config, dict):
        return stack_file, [Problem(source, "must be a mapping of setting: value.", field="config", line=document.line("config"))]
    for key, value in config.items():
        namespace, _, name = key.rpartition(":")
        if namespace not in ("", project):
            continue  # another package's settings, such as kubernetes:context
        line = document.line("config", key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            stack_file.values[name] = SecretValue(None)
        elif not isinstance(value, str):
            problems.append(
                Problem(source, "must be a single value.", field=f"{project}:{name}", line=line, label="setting")
            )
        else:
            stack_file.values[name] = value
        stack_file.lines[name] = line
    return stack_file, problems
