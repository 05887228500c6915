"""Reading small YAML config files with line numbers, without ever echoing their content.

PyYAML's own error text quotes the offending line, which for `secrets-flux.yaml` is the token;
so errors are rebuilt from the position and the parser's short problem description only.
Duplicate keys, which PyYAML silently resolves to the last one, are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem

# libyaml is much faster; the pure-Python loaders give the same results.
_SAFE: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Every scalar as a string, as the Pulumi CLI reads stack files (YAML 1.2: `yes` is no boolean).
_STRINGS: type = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


@dataclass
class YamlDocument:
    """A parsed YAML mapping and the 1-based line of every mapping key, by key path."""

    data: dict[str, Any]
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)

    def line(self, *path: str) -> int | None:
        return self.lines.get(tuple(path))


def parse_mapping(text: str, source: str, *, strings: bool = False) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse `text` as one YAML mapping with string keys. `source` names the file in problems.

    With `strings`, every scalar value stays a string.
    """
    loader = _STRINGS if strings else _SAFE
    try:
        nodes = list(yaml.compose_all(text, Loader=loader))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = err.problem or err.context or "syntax error"
        return None, [Problem(source, f"not valid YAML{where}: {problem}. Fix the syntax.")]
    except yaml.YAMLError:
        return None, [Problem(source, "not valid YAML. Fix the syntax.")]
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return None, [Problem(source, "the file is empty; it must be a YAML mapping of field: value.", empty_document=True)]
    if len(nodes) > 1:
        return None, [Problem(source, "holds several YAML documents (---); keep exactly one.")]
    root = nodes[0]
    if not isinstance(root, yaml.MappingNode):
        return None, [Problem(source, "must be a YAML mapping of field: value, not a list or a single value.")]

    problems: list[Problem] = []
    lines: dict[tuple[str, ...], int] = {}
    _index_keys(root, (), lines, problems, source)
    if problems:
        return None, problems
    try:
        data = yaml.load(text, Loader=loader)
    except Exception as err:  # a tag such as !!int on a value: its error text would quote the value
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        return None, [Problem(source, f"has a value that cannot be read{where}: remove YAML tags such as !!int.")]
    return YamlDocument(data=data, lines=lines), []


def _index_keys(node: yaml.MappingNode, path: tuple[str, ...], lines: dict, problems: list, source: str) -> None:
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:str"):
            problems.append(Problem(source, "every key must be a plain name (text).", line=line))
            continue
        key_path = path + (key_node.value,)
        if key_path in lines:
            problems.append(
                Problem(
                    source,
                    f"appears twice (also on line {lines[key_path]}); keep one.",
                    field=".".join(key_path),
                    line=line,
                )
            )
            continue
        lines[key_path] = line
        if isinstance(value_node, yaml.MappingNode):
            _index_keys(value_node, key_path, lines, problems, source)


def read_mapping(
    path: Path, source: str, missing_hint: str, *, strings: bool = False
) -> tuple[YamlDocument | None, list[Problem]]:
    """Read and parse a YAML mapping file; a missing file is a problem carrying `missing_hint`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(source, f"file not found. {missing_hint}")]
    except IsADirectoryError:
        return None, [Problem(source, "is a directory, expected a YAML file.")]
    except UnicodeDecodeError:
        return None, [Problem(source, "is not UTF-8 text.")]
    except OSError as err:
        return None, [Problem(source, f"cannot be read: {err.strerror}.")]
    return parse_mapping(text, source, strings=strings)
