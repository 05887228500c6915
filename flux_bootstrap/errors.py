"""Configuration problems and how they are reported.

A problem's text states what is wrong in its first sentence and what to do after it. `message`
is the whole text, as it always was (what the program, `check` and its JSON print); `fix` is the
part that says what to do (see split_fix), so a tool can show it apart.

Messages are built only from field names, line numbers and our own explanations: an input value
is never copied into a message, so a token can never leak through an error. A field name the user
wrote is shown only when it cannot be a pasted token (see names.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, TypeVar

from .names import is_showable

HIDDEN_NAME_HINT = (
    " If a token or key was pasted there, delete that line and revoke the token; "
    "it belongs in the value of `token:` (or of a secret stack setting), never in a name."
)

# A sentence ends at ".", "?" or "!" before one space and an upper-case letter or a backtick (a
# command). Not at "..." (an elided part, as in "AGE-SECRET-KEY-1...") nor after an abbreviation.
_SENTENCE_END = re.compile(r"(?<!\.)[.?!] (?=[A-Z`])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|cf|vs|approx|incl)\.$", re.IGNORECASE)


def split_fix(text: str) -> tuple[str, str | None]:
    """(what is wrong, what to do): `text` split after its first sentence, or (text, None) when it
    is one sentence. `message + " " + fix` is `text` again."""
    for end in _SENTENCE_END.finditer(text):
        head = text[: end.start() + 1]
        # A "." inside parentheses, brackets or a `command` ends no sentence of ours.
        nested = head.count("(") > head.count(")") or head.count("[") > head.count("]") or head.count("`") % 2
        if not nested and not _ABBREVIATION.search(head):
            return head, text[end.end():]
    return text, None


@dataclass(frozen=True)
class Problem:
    source: str  # a file ("config/flux.yaml") or a setting group ("stack setting")
    message: str  # the whole text: what is wrong, then what to do
    field: str | None = None
    line: int | None = None
    label: str = "field"  # "setting" for stack settings
    fix: str | None = None  # what to do: given, or the sentences of `message` after its first
    # It stopped the checks that depend on it (an unreadable file, an unusable folder, an
    # unknown mode): more problems may show once it is fixed.
    hides_others: bool = False

    def __post_init__(self) -> None:
        # Here, once, so that no producer has to: they write one text, or give the fix apart.
        if self.fix is None:
            object.__setattr__(self, "fix", split_fix(self.message)[1])
        elif not self.message.endswith(self.fix):
            object.__setattr__(self, "message", f"{self.message} {self.fix}")

    def describe(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        message = self.message
        if self.field is not None:
            if is_showable(self.field):
                where.append(f"{self.label} '{self.field}'")
            else:
                where.append(f"a {self.label} whose name looks like a secret (not shown)")
                message += HIDDEN_NAME_HINT
        prefix = ", ".join(where)
        return f"{prefix}: {message}" if prefix else message


MORE_MAY_FOLLOW = "More problems may follow: some checks could not run until the ones marked above are fixed."


class ConfigError(Exception):
    """One or more configuration problems; str() lists all of them, grouped by source, each
    source's in line order (those without a line last, in the order found)."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = in_order(problems)
        super().__init__(format_problems(self.problems))


def in_order(problems: Iterable[Problem]) -> list[Problem]:
    """Sources in the order first met; within one, by line, then those without a line (stable)."""
    found = list(problems)
    rank = {source: i for i, source in reversed(list(enumerate(p.source for p in found)))}
    return sorted(found, key=lambda p: (rank[p.source], p.line is None, p.line or 0))


def format_problems(problems: list[Problem]) -> str:
    count = len(problems)
    lines = [f"{count} configuration problem{'s' if count != 1 else ''}; nothing was changed."]
    sources: dict[str, list[Problem]] = {}
    for problem in problems:
        sources.setdefault(problem.source, []).append(problem)
    for source, group in sources.items():
        lines.append(f"{source}:")
        lines.extend(f"  - {p.describe()}{' (more may follow)' if p.hides_others else ''}" for p in group)
    if any(p.hides_others for p in problems):
        lines.append(MORE_MAY_FOLLOW)
    return "\n".join(lines)


T = TypeVar("T")


def known(value: T | None, why: str) -> T:
    """`value`, which an earlier check guarantees is set (`why`). An explicit check, not an assert:
    it holds under `python -O` too, and a broken guarantee stops the run instead of passing None on."""
    if value is None:
        raise RuntimeError(f"flux-bootstrap internal error: {why}")
    return value
