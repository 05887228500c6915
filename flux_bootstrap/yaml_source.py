"""Reading small YAML config files with line numbers, without ever echoing their content.

PyYAML's own error text quotes the offending line, which for `secrets-flux.yaml` is the token;
so errors are rebuilt from positions, the parser's short problem description and our own words.
Duplicate keys, which PyYAML silently resolves to the last one, are reported.

Hostile input is refused before anything is built from it: the file size is capped before
reading, and one streaming pass over the parser events refuses anchors, aliases and merge keys
(so a "billion laughs" document is never expanded), absurd nesting and absurd node counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .bounded_read import UnreadableFile, read_bytes_bounded, too_large_message
from .errors import Problem

# libyaml is much faster; the pure-Python loaders give the same results for valid files.
_SAFE: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Every scalar as a string, as the Pulumi CLI reads stack files (YAML 1.2: `yes` is no boolean).
_STRINGS: type = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

# A stack file with structured settings (tolerations, Helm values) stays far below this: the whole
# values.yaml of the Flux chart is about 8 KiB, 530 keys and values, 8 levels deep.
MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_NODES = 10_000
_EXPECTED = "a YAML config file"

_EMPTY_MESSAGE = "the file is empty; it must be a YAML mapping of field: value."
# YAML 1.1 line breaks, as PyYAML and libyaml count lines (str.splitlines knows more).
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
# `name:value` at the start of a line (optionally a list item): a colon with no space after it, and
# no `: ` later on the line (`flux-bootstrap:repo: x` is a namespaced key, not a missing space).
_NO_SPACE_AFTER_COLON = re.compile(r"^[ ]*(?:-[ ]+)*[A-Za-z0-9_.\-/]+:[^\s:](?!.*:(?:[ \t]|$))")
_COLLECTION_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_COLLECTION_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


@dataclass(frozen=True)
class EmptyFile(Problem):
    """The file holds no YAML document (nothing, or only comments): callers may add which
    fields are required. Recognise it with `isinstance(problem, EmptyFile)`."""


@dataclass
class YamlDocument:
    """A parsed YAML mapping and the 1-based line of every mapping key, by key path."""

    data: dict[str, Any]
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)

    def line(self, *path: str) -> int | None:
        return self.lines.get(tuple(path))


def parse_mapping(
    text: str, source: str, *, strings: bool = False, max_bytes: int = MAX_FILE_BYTES
) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse `text` as one YAML mapping with string keys. `source` names the file in problems.

    With `strings`, every scalar value stays a string. Text larger than `max_bytes` (UTF-8) is
    refused unparsed. An empty document gives one `EmptyFile` problem.
    """
    if _too_large(text, max_bytes):
        return None, [_too_large_problem(source, max_bytes)]
    loader = _STRINGS if strings else _SAFE
    refused = _screen(text, source, loader)
    if refused:
        return None, [refused]
    # Screened: one document at most, no aliases, bounded depth and size; composing is safe.
    root = yaml.compose(text, Loader=loader)
    if root is None or (_plain(root) and root.value == ""):  # nothing, comments, or a bare `---`
        return None, [EmptyFile(source, _EMPTY_MESSAGE)]
    if not isinstance(root, yaml.MappingNode):
        line = _no_space_line(text, 0, _line_count(text)) if _plain(root) else None
        if line:
            return None, [_no_space_problem(source, line)]
        return None, [Problem(source, "must be a YAML mapping of field: value, not a list or a single value.")]

    problems: list[Problem] = []
    lines: dict[tuple[str, ...], int] = {}
    _index_keys(root, (), lines, problems, source, text)
    if problems:
        return None, problems
    try:
        data = loader("").construct_document(root)
    except Exception as err:  # a tag such as !!int on a value: its error text would quote the value
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        return None, [Problem(source, f"has a value that cannot be read{where}: remove YAML tags such as !!int.")]
    return YamlDocument(data=data, lines=lines), []


def read_mapping(
    path: Path, source: str, missing_hint: str, *, strings: bool = False, max_bytes: int = MAX_FILE_BYTES
) -> tuple[YamlDocument | None, list[Problem]]:
    """Read and parse a YAML mapping file; a missing file is a problem carrying `missing_hint`.

    The file is read bounded (bounded_read): a FIFO, a device, a folder, a symbolic link loop or a
    file larger than `max_bytes` is a problem, found without waiting or filling memory.
    """
    try:
        raw = read_bytes_bounded(path, source, max_bytes, expected=_EXPECTED, missing=f"file not found. {missing_hint}")
    except UnreadableFile as err:
        return None, [err.problem]
    try:
        text = raw.decode("utf-8-sig")  # a BOM from a Windows editor is no content
    except UnicodeDecodeError:
        return None, [Problem(source, "is not UTF-8 text.")]
    return parse_mapping(text, source, strings=strings, max_bytes=max_bytes)


def _too_large(text: str, max_bytes: int) -> bool:
    if len(text) > max_bytes:
        return True  # every character is at least one byte
    return len(text) * 4 > max_bytes and len(text.encode("utf-8", "surrogatepass")) > max_bytes


def _too_large_problem(source: str, max_bytes: int) -> Problem:
    return Problem(source, too_large_message(max_bytes, _EXPECTED))


def _screen(text: str, source: str, loader: type) -> Problem | None:
    """One streaming pass over the parser events: refuse what must never be built, and turn a
    syntax error into our own words. Nothing is composed or expanded here."""
    screen = _Screen(source)
    events = yaml.parse(text, Loader=loader)
    try:
        for event in events:
            refused = screen.see(event)
            if refused:
                return refused
    except yaml.YAMLError as err:
        return _error_problem(err, text, source, screen.last_scalar)
    finally:
        events.close()
    return None


class _Screen:
    """The state of one pass over the parser events (depth, counts, which node is a key)."""

    def __init__(self, source: str):
        self.source = source
        self.depth = self.nodes = self.documents = 0
        # One entry per open collection: for a mapping, whether its next node is a key; None for a list.
        self.next_is_key: list[bool | None] = []
        self.last_scalar: yaml.ScalarEvent | None = None

    def see(self, event: yaml.Event) -> Problem | None:
        line = event.start_mark.line + 1
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            return Problem(self.source, "holds several YAML documents (---); keep exactly one.") if self.documents > 1 else None
        if isinstance(event, _COLLECTION_END):
            self.depth -= 1
            self.next_is_key.pop()
            return None
        if not isinstance(event, yaml.NodeEvent):
            return None
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            return Problem(self.source, f"uses a YAML anchor or alias (& or *) at line {line}; anchors and aliases "
                                        "are not supported in config files. Write the value out in full.")
        return self._node(event, line)

    def _node(self, event: yaml.NodeEvent, line: int) -> Problem | None:
        if _explicit_tag(event):  # the Pulumi CLI would read !!binary and the like; never echo the tag
            return Problem(self.source, f"uses a YAML tag (such as !!int or !<...>) at line {line}; remove YAML "
                                        "tags: write the value alone.")
        is_key = bool(self.next_is_key and self.next_is_key[-1])
        if self.next_is_key and self.next_is_key[-1] is not None:
            self.next_is_key[-1] = not self.next_is_key[-1]
        self.nodes += 1
        if self.nodes > MAX_NODES:
            return Problem(self.source, f"holds more than {MAX_NODES} keys and values (line {line}); far more than "
                                        "a config file needs. Check that this is the right file.")
        if isinstance(event, yaml.ScalarEvent):
            if is_key and event.value == "<<" and not event.style:
                return Problem(self.source, f"uses a YAML merge key (<<) at line {line}; merge keys are not supported "
                                            "in config files. Write the keys out in full.")
            self.last_scalar = event
        elif isinstance(event, _COLLECTION_START):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                return _too_deep(self.source, line)
            self.next_is_key.append(True if isinstance(event, yaml.MappingStartEvent) else None)
        return None


def _explicit_tag(event: yaml.NodeEvent) -> bool:
    if isinstance(event, yaml.ScalarEvent):
        return event.tag is not None and not any(event.implicit)
    return isinstance(event, _COLLECTION_START) and event.tag is not None and not event.implicit


def _error_problem(err: yaml.YAMLError, text: str, source: str, last_scalar: yaml.ScalarEvent | None) -> Problem:
    """A parser error in our words, never quoting the input."""
    if isinstance(err, yaml.MarkedYAMLError):
        if err.problem == _LIBYAML_TOO_DEEP and err.problem_mark:
            # libyaml (PyYAML >= 6.0.3 wheels) scans ahead and stops deep flow nesting itself,
            # before the parser hands us the event past our own limit: the same refusal.
            return _too_deep(source, err.problem_mark.line + 1)
        return _syntax_problem(err, text, source, last_scalar)
    if isinstance(err, yaml.reader.ReaderError):
        # libyaml counts bytes and the pure-Python reader characters: find the character itself.
        index = text.find(chr(err.character)) if isinstance(err.character, int) else -1
        where = f" at line {_line_count(text[:index])}" if index >= 0 else ""
        return Problem(
            source, f"contains a control character, which YAML does not allow{where}. Remove it; the file must be plain text."
        )
    return Problem(source, "not valid YAML. Fix the syntax.")


_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"
_QUOTED_CONTEXTS = ("while scanning a quoted", "while parsing a quoted", "while scanning a double", "while scanning a single")
# Where the problem starts: libyaml reports the end of the file for an unclosed quote or bracket,
# and the line after a broken key; the context mark points at its start.
_STARTS_EARLIER = ("while scanning a quoted scalar", "while parsing a quoted scalar", "while scanning a double-quoted",
                   "while scanning a single-quoted", "while parsing a flow", "while scanning a simple key")


def _too_deep(source: str, line: int) -> Problem:
    return Problem(
        source,
        f"nests deeper than {MAX_DEPTH} levels at line {line}; a config file is never that deep. "
        "Check the indentation and brackets.",
    )


def _at(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _syntax_problem(
    err: yaml.MarkedYAMLError, text: str, source: str, last_scalar: yaml.ScalarEvent | None
) -> Problem:
    """Our message for a syntax error: the line where the problem starts and its likely cause."""
    context, problem = err.context or "", err.problem or ""
    starts_earlier = context.startswith(_STARTS_EARLIER)
    mark = err.context_mark if (starts_earlier and err.context_mark) or not err.problem_mark else err.problem_mark
    if mark is None:
        return Problem(source, "not valid YAML. Fix the syntax.")
    lines = _LINE_BREAK.split(text)
    # A tab in the indentation: the parser only sees a character that cannot start a token.
    for m in (err.problem_mark, err.context_mark):
        if m is not None and m.line < len(lines) and _tab_in_indent(lines[m.line], m.column):
            return Problem(source, f"not valid YAML at {_at(m)}: a tab is used for indentation; YAML indents with "
                                   "spaces only. Replace the tab with spaces.")
    if context.startswith(_QUOTED_CONTEXTS):
        return _open_quote_problem(source, problem, lines, mark)
    # A broken key, or a plain value running into the next line: look for `name:value`.
    if "simple key" in context or "mapping values are not allowed" in problem:
        first = err.context_mark.line if "simple key" in context and err.context_mark else 0
        found = _no_space_line(text, first, (err.problem_mark or mark).line + 1, lines, last=True)
        if found:
            return _no_space_problem(source, found)
    return _after_quote_problem(source, lines, err.problem_mark, last_scalar) or _other_problem(
        source, context, problem, mark, starts_earlier
    )


def _open_quote_problem(source: str, problem: str, lines: list[str], mark: Any) -> Problem:
    if "escape" in problem:
        return Problem(source, f"not valid YAML at {_at(mark)}: a backslash in a double-quoted value starts an escape "
                               "sequence. Use single quotes, or write the backslash twice.")
    return Problem(source, f"not valid YAML at {_at(mark)}: the {_quote_kind(lines, mark)} opened here is never "
                           "closed. Add the closing quote at the end of the value.")


def _after_quote_problem(
    source: str, lines: list[str], problem_mark: Any, last_scalar: yaml.ScalarEvent | None
) -> Problem | None:
    """More text right after a quoted value: on a later line than the opening quote, that quote was
    most likely left open and closed by the next quote in the file."""
    if (last_scalar is None or last_scalar.style not in ("'", '"') or problem_mark is None
            or problem_mark.line != last_scalar.end_mark.line):
        return None
    if last_scalar.start_mark.line == last_scalar.end_mark.line:
        return Problem(source, f"not valid YAML at {_at(problem_mark)}: more text follows a quoted value. Put the "
                               "whole value inside the quotes.")
    return Problem(
        source,
        f"not valid YAML at {_at(last_scalar.start_mark)}: the {_quote_kind(lines, last_scalar.start_mark)} "
        "opened here is probably never closed (the value runs on to a later line). "
        "Add the closing quote at the end of the value.",
    )


def _other_problem(source: str, context: str, problem: str, mark: Any, starts_earlier: bool) -> Problem:
    description = _short(problem) or "syntax error"
    if context.startswith("while parsing a flow") and starts_earlier:
        bracket = "mapping '{'" if "mapping" in context else "list '['"
        return Problem(source, f"not valid YAML at {_at(mark)}: in the flow {bracket} that starts here: "
                               f"{description}. Check that it is closed and its items are separated by commas.")
    if "mapping values are not allowed" in problem:
        advice = "Check the indentation, and quote a value that contains ': '."
    elif "did not find expected" in problem and context.startswith("while parsing a block"):
        advice = "Check the indentation of this line and the lines above it."
    else:
        advice = "Fix the syntax."
    return Problem(source, f"not valid YAML at {_at(mark)}: {description}. {advice}")


def _tab_in_indent(line: str, column: int) -> bool:
    indent = line[: len(line) - len(line.lstrip(" \t-"))]
    return "\t" in indent or line[column : column + 1] == "\t"


def _quote_kind(lines: list[str], mark: Any) -> str:
    char = lines[mark.line][mark.column : mark.column + 1] if mark.line < len(lines) else ""
    return "single quote (')" if char == "'" else 'double quote (")' if char == '"' else "quote"


# The pure-Python parser quotes characters and names from the input in its problem text; keep only
# quoted punctuation and token names such as '<stream end>' (libyaml's texts are all fixed).
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_SAFE_QUOTED = re.compile(r"^['\"](?:<[a-z ]+>|[^\w\s]|\\t)['\"]$")


def _short(problem: str) -> str:
    return _QUOTED.sub(lambda m: m.group(0) if _SAFE_QUOTED.match(m.group(0)) else "(not shown)", problem)


def _plain(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and not node.style


def _line_count(text: str) -> int:
    return len(_LINE_BREAK.findall(text)) + 1


def _no_space_line(
    text: str, first: int, end: int, lines: list[str] | None = None, *, last: bool = False
) -> int | None:
    """The 1-based number of a `name:value` line among lines first..end-1 (0-based)."""
    lines = lines if lines is not None else _LINE_BREAK.split(text)
    candidates = range(first, min(end, len(lines)))
    for index in reversed(candidates) if last else candidates:
        if _NO_SPACE_AFTER_COLON.match(lines[index]):
            return index + 1
    return None


def _no_space_problem(source: str, line: int) -> Problem:
    return Problem(
        source,
        f"not valid YAML: missing space after ':' on line {line}. "
        "Write `name: value`, with a space after the colon (quote the value if the colon belongs to it).",
    )


def _index_keys(
    node: yaml.MappingNode, path: tuple[str, ...], lines: dict, problems: list, source: str, text: str
) -> None:
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
            _index_keys(value_node, key_path, lines, problems, source, text)
        elif _plain(value_node) and value_node.start_mark.line > key_node.start_mark.line:
            # `key:` then `  name:value` on the next line reads as one text value, not a mapping.
            start = value_node.start_mark.line
            found = _no_space_line(text, start, start + 1)
            if found:
                problems.append(_no_space_problem(source, found))
