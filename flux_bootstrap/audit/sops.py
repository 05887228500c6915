"""The SOPS file format and `.sops.yaml` creation rules, as SOPS 3 reads them (getsops/sops:
stores/stores.go, sops.go, config/config.go).

- An encrypted YAML/JSON document carries a top-level `sops` mapping (`mac`, `lastmodified`,
  `version`, and key sources such as `age: [{recipient, enc}]`); SOPS writes it into every
  document of a multi-document file. With several `key_groups`, the data key is split with
  Shamir and `shamir_threshold` groups (all of them when unset) must be decrypted.
- An encrypted value is `ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]` (base64; a 32-byte IV
  and a 16-byte GCM tag); SOPS leaves empty strings as they are.
- Creation rules: the first rule whose `path_regex` (Go regexp, unanchored search; an empty one
  matches everything) matches the file's path relative to the folder of `.sops.yaml`; `age` is a
  comma-separated string or a list; with `key_groups`, the groups' keys are used instead.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import re2
import yaml

from . import yaml_nodes as Y

# A .sops.yaml has a handful of rules; each is compiled, and tried against every Secret's path.
MAX_RULES = 1000

# RE2 (linear time) for every pattern run over a whole file: a backtracking engine goes quadratic
# on a long run of `ENC[AES256_GCM,data:` that never closes.
_B64 = "[A-Za-z0-9+/=]"
ENC_VALUE = re2.compile(
    rf"ENC\[AES256_GCM,data:({_B64}*),iv:({_B64}+),tag:({_B64}+),type:(?:str|int|float|bool|bytes|comment)\]"
)
_ARMOR = re2.compile(
    r"-----BEGIN (AGE ENCRYPTED FILE|PGP MESSAGE)-----((?:\s|\\[rn])+(?:[A-Za-z0-9+/=]+(?:\s|\\[rn])+)*)-----END "
    r"(AGE ENCRYPTED FILE|PGP MESSAGE)-----"
)
# A KMS / GCP KMS / Azure Key Vault / Vault-wrapped data key: `enc: <base64>` (or JSON `"enc": "..."`).
# At least 48 bytes (a wrapped 32-byte data key): an access key id or a password under `enc` is scanned.
_KEY_ENC = re2.compile(r"(?m)\benc\"?[ \t]*:[ \t]*\"?((?:vault:v[0-9]+:)?([A-Za-z0-9+/]{64,}={0,2}))(?:\"|[ \t\r]*$|[ \t]*[,}])")
_BREAKS = re2.compile(r"\s|\\[rn]")
_AGE_PUBLIC_KEY = re2.compile(r"\bage1[02-9ac-hj-np-z]{58}\b")


@dataclass(frozen=True)
class KeyGroups:
    """Age recipients of each key group, and how many groups must be decrypted."""

    groups: tuple[tuple[str, ...], ...]
    threshold: int

    @property
    def recipients(self) -> list[str]:
        return sorted({r for group in self.groups for r in group})

    def decryptable_by(self, recipients: set[str]) -> bool:
        if not self.groups:
            return False
        usable = sum(1 for group in self.groups if recipients.intersection(group))
        if len(self.groups) == 1:
            return usable == 1
        return usable >= self.threshold


def _threshold(node: yaml.Node | None, groups: int) -> int:
    raw = Y.text(node)
    try:
        value = int(raw) if raw is not None else 0
    except ValueError:
        value = 0
    return value if value > 0 else groups


def _age_of_metadata(node: yaml.Node | None) -> tuple[str, ...]:
    recipients = []
    for entry in Y.items(node):
        recipient = Y.text(Y.value(entry, "recipient"))
        if recipient:
            recipients.append(recipient.strip())
    return tuple(recipients)


@dataclass(frozen=True)
class SopsMetadata:
    key_groups: KeyGroups
    line: int  # line of the `sops:` key


def metadata(document: yaml.Node) -> SopsMetadata | None:
    """The SOPS metadata of a document, or None if it carries none (a `sops` mapping with `mac`
    and `lastmodified`, which SOPS requires to decrypt)."""
    pair = Y.get(document, "sops")
    if pair is None or not isinstance(pair[1], yaml.MappingNode):
        return None
    key_node, meta = pair
    if Y.value(meta, "mac") is None or Y.value(meta, "lastmodified") is None:
        return None
    group_nodes = Y.items(Y.value(meta, "key_groups"))
    if group_nodes:
        groups = tuple(_age_of_metadata(Y.value(group, "age")) for group in group_nodes)
    else:
        groups = (_age_of_metadata(Y.value(meta, "age")),)
    threshold = _threshold(Y.value(meta, "shamir_threshold"), len(groups))
    return SopsMetadata(KeyGroups(groups, threshold), Y.line(key_node))


def _decoded(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def well_formed_value(text: str) -> bool:
    """Whether `text` is exactly one value as SOPS writes it: base64 fields, a 32-byte IV and a
    16-byte tag. A look-alike (`ENC[AES256_GCM,data:<a token>...]`) is not: it is plain text."""
    match = ENC_VALUE.fullmatch(text)
    return match is not None and _well_formed(match)


def _well_formed(match) -> bool:
    data, iv, tag = (_decoded(match.group(i)) for i in (1, 2, 3))
    return data is not None and iv is not None and len(iv) == 32 and tag is not None and len(tag) == 16


def is_encrypted_value(node: yaml.Node) -> bool:
    """Whether a value is as SOPS leaves it: encrypted, or an empty string / null."""
    if not isinstance(node, yaml.ScalarNode):
        return False
    if node.tag == "tag:yaml.org,2002:null" or node.value == "":
        return True
    return well_formed_value(node.value)


def _armor_span(match) -> tuple[int, int] | None:
    if match.group(1) != match.group(3):
        return None
    body = _BREAKS.sub("", match.group(2))
    if match.group(1) == "PGP MESSAGE":
        # The base64 body, then `=` and a CRC-24 line; the body is OpenPGP packets (tag bit set).
        packets = _decoded(_pad(body.split("=", 1)[0]))
        return match.span() if packets and packets[0] & 0x80 else None
    decoded = _decoded(body)
    return match.span() if decoded and decoded.startswith(b"age-encryption.org/v1\n") else None


def _pad(text: str) -> str:
    return text + "=" * (-len(text) % 4)


def _masked_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in ENC_VALUE.finditer(text) if _well_formed(m)]
    spans += [span for span in map(_armor_span, _ARMOR.finditer(text)) if span]
    spans += [m.span(1) for m in _KEY_ENC.finditer(text) if _decoded(m.group(2))]
    spans += [m.span() for m in _AGE_PUBLIC_KEY.finditer(text)]
    return spans


def unwrap_look_alikes(text: str) -> str:
    """`text` with the bracket of every `ENC[` that does not start a well-formed value made a space:
    detect-secrets skips any `key: word[...]` line as an "indirect reference" (`x = headers['y']`),
    so a token in a look-alike `ENC[...]` would otherwise go unseen. Only the scanned copy changes."""
    if "ENC[" not in text:
        return text
    well_formed = {m.start() for m in ENC_VALUE.finditer(text) if _well_formed(m)}
    out, position = [], 0
    start = text.find("ENC[")
    while start != -1:
        if start not in well_formed:
            out.append(text[position : start + 3] + " ")
            position = start + 4
        start = text.find("ENC[", start + 4)
    out.append(text[position:])
    return "".join(out)


def mask_ciphertext(text: str) -> str:
    """`text` with what SOPS writes blanked, line breaks kept (so line numbers hold): well-formed
    encrypted values, age/PGP-encrypted data keys, KMS-style `enc` values and age public keys.
    They are random by design, and only their exact forms are blanked: a token in a look-alike
    `ENC[...]` or anywhere in a `sops:` block is still scanned."""
    spans = sorted(_masked_spans(text))
    if not spans:
        return text
    out, position = [], 0
    for start, end in spans:
        start = max(start, position)
        if start >= end:
            continue
        out.append(text[position:start])
        out.append("".join(c for c in text[start:end] if c in "\r\n"))
        position = end
    out.append(text[position:])
    return "".join(out)


# --- .sops.yaml ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CreationRule:
    index: int  # 1-based position in creation_rules
    line: int
    path_regex: str
    pattern: Any | None  # an RE2 pattern; None: not a valid regular expression
    key_groups: KeyGroups


@dataclass(frozen=True)
class SopsConfig:
    rules: tuple[CreationRule, ...] | None  # None: no creation_rules, SOPS ignores the file
    problem: str | None = None  # why the file cannot be used, in our words
    problem_line: int = 1

    def rule_for(self, relative_path: str) -> CreationRule | None:
        for rule in self.rules or ():
            # SOPS stops on a regex it cannot compile (pattern None): the caller reports it.
            if not rule.path_regex or rule.pattern is None or rule.pattern.search(relative_path):
                return rule
        return None


def _age_of_rule(node: yaml.Node | None) -> tuple[str, ...]:
    if isinstance(node, yaml.ScalarNode):
        return tuple(part.strip() for part in node.value.split(",") if part.strip())
    return tuple(item.strip() for item in Y.strings(node) if item.strip())


def parse_config(text: str) -> SopsConfig:
    try:
        docs = Y.documents(text)
    except Y.YamlRefused as err:
        return SopsConfig(rules=(), problem=f"{err}; SOPS cannot use it", problem_line=err.line)
    root = docs[0] if docs else None
    if root is not None and not isinstance(root, yaml.MappingNode):
        return SopsConfig(rules=(), problem="is not a YAML mapping; SOPS cannot use it")
    rules_node = Y.value(root, "creation_rules")
    if rules_node is None or (isinstance(rules_node, yaml.ScalarNode) and rules_node.tag.endswith("null")):
        return SopsConfig(rules=None)
    if not isinstance(rules_node, yaml.SequenceNode):
        return SopsConfig(rules=(), problem="creation_rules is not a list; SOPS cannot use it", problem_line=Y.line(rules_node))
    if len(rules_node.value) > MAX_RULES:
        return SopsConfig(rules=(), problem=f"more than {MAX_RULES} creation rules: not read, so its rules could not be checked",
                          problem_line=Y.line(rules_node))
    rules = []
    for index, node in enumerate(rules_node.value, start=1):
        path_regex = Y.text(Y.value(node, "path_regex")) or ""
        try:
            # RE2, the engine (and syntax) SOPS uses: linear time, so a hostile rule cannot stall the audit.
            pattern = re2.compile(path_regex)
        except re2.error:
            pattern = None
        group_nodes = Y.items(Y.value(node, "key_groups"))
        if group_nodes:
            groups = tuple(
                tuple(r.strip() for g in Y.strings(Y.value(group, "age")) for r in g.split(",") if r.strip())
                for group in group_nodes
            )
        else:
            groups = (_age_of_rule(Y.value(node, "age")),)
        threshold = _threshold(Y.value(node, "shamir_threshold"), len(groups))
        rules.append(CreationRule(index, Y.line(node), path_regex, pattern, KeyGroups(groups, threshold)))
    return SopsConfig(rules=tuple(rules))
