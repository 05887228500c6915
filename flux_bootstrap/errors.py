"""Configuration problems and how they are reported.

Messages are built only from field names, line numbers and our own explanations: an input value
is never copied into a message, so a token can never leak through an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Problem:
    source: str  # a file ("config/flux.yaml") or a setting group ("stack setting")
    message: str
    field: str | None = None
    line: int | None = None
    label: str = "field"  # "setting" for stack settings

    def describe(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"{self.label} '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ConfigError(Exception):
    """One or more configuration problems; str() lists all of them, grouped by source."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(format_problems(self.problems))


def format_problems(problems: list[Problem]) -> str:
    count = len(problems)
    lines = [f"{count} configuration problem{'s' if count != 1 else ''}; nothing was changed."]
    sources: dict[str, list[Problem]] = {}
    for problem in problems:
        sources.setdefault(problem.source, []).append(problem)
    for source, group in sources.items():
        lines.append(f"{source}:")
        lines.extend(f"  - {p.describe()}" for p in group)
    return "\n".join(lines)
