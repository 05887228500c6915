"""Safe reading of repository YAML as nodes (with lines), never as expanded Python data.

libyaml composes an alias as a second reference to the same node, so composing is linear in the
file size; only walking references again and again expands an alias bomb (the SOPS metadata of a
`key_groups: [*g, *g, ...]` is read once per alias). So aliases are screened from the parser's
events before composing: a document whose aliases would add more than MAX_ALIAS_NODES nodes, or
an alias inside its own anchor, is refused (go-yaml, which Flux and kustomize use, refuses
"excessive aliasing" too). Every walk then handles at most the file's nodes plus that budget.
A large file is counted the same way first, and refused over MAX_NODES: composed nodes are big.
The file size is bounded before parsing. Nesting is bounded before parsing too:
libyaml's composer recurses in C (deep nesting crashes the interpreter) and slows down
quadratically with depth.
"""

from __future__ import annotations

import re
from typing import Iterator

import yaml

_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 1000  # a CRD's schema nests a few dozen levels
MAX_ALIAS_NODES = 100_000  # nodes aliases may add to a file; a few shared blocks add hundreds
# Composed nodes cost ~400 bytes each: a 4 MiB flow list of 1.3 million `0`s took 430 MB. A 4 MiB
# CRD bundle has about 150,000. Files over SCREENED_SIZE are counted before composing.
MAX_NODES = 400_000
SCREENED_SIZE = 1024 * 1024
# Each block level takes at least one character of indentation or of a "- " / "? " indicator.
_DEEP_BLOCK = re.compile(r"^[ \t?-]{%d,}" % MAX_DEPTH, re.MULTILINE)
_BRACKETS = re.compile(r"[\[\]{}]")


def _too_deep(text: str) -> bool:
    if _DEEP_BLOCK.search(text):
        return True
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0  # brackets inside quoted strings count too: only a deeper bound, never a crash
    for match in _BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif depth:
            depth -= 1
    return False


class YamlRefused(Exception):
    """The file cannot be read as YAML; the message is ours, never the input."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


def _screen(text: str) -> None:
    """Raises YamlRefused if `text` holds more than MAX_NODES nodes or its aliases expand too much.
    Linear: each anchor's expanded size is counted once, when its node ends, and an alias adds
    that size to its parents."""
    if ("&" not in text or "*" not in text) and len(text) <= SCREENED_SIZE:
        return  # no alias to expand, and too small to hold too many nodes
    anchors: dict[str, int] = {}
    nodes = 0
    open_nodes: list[tuple[str | None, list[int]]] = []  # (anchor, [expanded size]) of each collection being parsed
    added = 0
    for event in yaml.parse(text, Loader=_LOADER):
        anchor = None
        nodes += isinstance(event, yaml.NodeEvent)
        if nodes > MAX_NODES:
            raise YamlRefused(f"more than {MAX_NODES} YAML nodes, not parsed", event.start_mark.line + 1)
        if isinstance(event, yaml.AliasEvent):
            size = anchors.get(event.anchor)
            if size is None:  # undefined, or its anchor's node is not finished: it contains itself
                raise YamlRefused("an alias refers to its own anchor or to none, not parsed", event.start_mark.line + 1)
            added += size
            if added > MAX_ALIAS_NODES:
                raise YamlRefused(f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes, not parsed", event.start_mark.line + 1)
        elif isinstance(event, yaml.ScalarEvent):
            anchor, size = event.anchor, 1
        elif isinstance(event, yaml.CollectionStartEvent):
            open_nodes.append((event.anchor, [1]))
            continue
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, (size,) = open_nodes.pop()
        else:
            continue
        if anchor is not None:
            anchors[anchor] = size
        if open_nodes:
            open_nodes[-1][1][0] += size


class _RedefiningLoader(yaml.SafeLoader):
    """PyYAML's composer, except that an anchor may be defined again (an alias then refers to the
    latest definition), as YAML 1.2 and go-yaml (Flux, kustomize) allow; PyYAML refuses it."""

    def __init__(self, stream):
        super().__init__(stream)
        self.composing: set[str] = set()  # anchors whose node is being composed

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) and event.anchor in self.composing:
            raise yaml.composer.ComposerError(None, None, "an alias inside its own anchor", event.start_mark)
        if isinstance(event, yaml.AliasEvent) or event.anchor is None:
            return super().compose_node(parent, index)
        self.anchors.pop(event.anchor, None)
        self.composing.add(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.composing.discard(event.anchor)


def _compose(text: str) -> list[yaml.Node]:
    try:
        return [node for node in yaml.compose_all(text, Loader=_LOADER) if node is not None]
    except yaml.composer.ComposerError as err:
        if not str(err.context).startswith("found duplicate anchor"):
            raise
    # Rare (a chart's values reusing `&host`): the pure-Python composer, bounded like the first.
    return [node for node in yaml.compose_all(text, Loader=_RedefiningLoader) if node is not None]


def documents(text: str) -> list[yaml.Node]:
    if _too_deep(text):
        raise YamlRefused(f"nested more than {MAX_DEPTH} levels deep, not parsed")
    try:
        _screen(text)
        return _compose(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise YamlRefused("not valid YAML", mark.line + 1 if mark else 1) from None
    except (yaml.YAMLError, RecursionError):
        raise YamlRefused("not valid YAML") from None


def get(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of `key` in a mapping node; the last one wins, as in PyYAML."""
    found = None
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                found = (key_node, value_node)
    return found


def value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    pair = get(node, key)
    return pair[1] if pair else None


def text(node: yaml.Node | None) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def leaves(node: yaml.Node) -> Iterator[yaml.ScalarNode]:
    """Every scalar value under a node (mapping keys excluded), each node once."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.ScalarNode):
            yield current
        elif isinstance(current, yaml.MappingNode):
            stack.extend(v for _, v in reversed(current.value))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))


def strings(node: yaml.Node | None) -> list[str]:
    """A scalar or a sequence of scalars, as a list of strings."""
    if isinstance(node, yaml.ScalarNode):
        return [node.value]
    if isinstance(node, yaml.SequenceNode):
        return [item.value for item in node.value if isinstance(item, yaml.ScalarNode)]
    return []


def items(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []
