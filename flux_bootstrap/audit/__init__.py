"""Offline audit of a local checkout of the manifests repository (or of one stack's folder in it).

Findings, each with file (relative to the checkout) and line, and never a secret value:
- `plain-secret`: a value under a Kubernetes Secret's data/stringData that is not SOPS-encrypted
  (a Secret counts as encrypted only if every value there is `ENC[...]`);
- `secret-in-file`: a private key, token or password found by detect-secrets in any text file
  (in SOPS files, well-formed ciphertext and encrypted data keys are left out: they are random by
  design; anything else, look-alike `ENC[...]` values and the rest of a `sops:` block included,
  is scanned);
- `undecryptable`: a SOPS file none of whose age recipients is the stack's recipient;
- `sops-config`: no `.sops.yaml` for a Secret, no creation rule for it, or a rule that does not
  encrypt for the stack's recipient;
- `invalid-yaml`: a YAML/JSON file that cannot be parsed (or nests absurdly deep), so its Secrets
  could not be checked.
- `skipped` (with `strict` only): content that was not checked (see below).
Files not read at all (binary, not UTF-8, over 4 MiB, symbolic links) and lines over 10,000
characters are listed as notes and counted in the last line as NOT CHECKED; with `strict`, each
is a `skipped` finding instead, so a hostile checkout cannot pass by being unreadable.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterator

import yaml

from . import sops as S
from . import yaml_nodes as Y
from . import manifest_filters as M
from . import scanner

MAX_SCANNED_LINE = 10_000  # longer lines (minified blobs) are noted instead of scanned
MAX_FILE_BYTES = 4 * 1024 * 1024  # a generated CRD bundle fits; a hostile blob is refused unread
YAML_SUFFIXES = (".yaml", ".yml", ".json")
SOPS_CONFIG = ".sops.yaml"
_AGE_RECIPIENT = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")


class AuditError(Exception):
    """The audit cannot start (bad checkout, path or recipient); the message says how to fix it."""


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.kind}: {self.message}"


@dataclass
class AuditReport:
    scope: str  # "." or the folder audited, relative to the checkout
    recipients: tuple[str, ...]  # empty: the recipient checks were not run
    findings: list[Finding] = field(default_factory=list)
    files: int = 0  # text files scanned for secrets
    yaml_documents: int = 0
    secrets: int = 0  # Kubernetes Secret documents
    sops_files: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why it was not audited)
    strict: bool = False  # skipped content is a finding (kind `skipped`), not a note
    sources: set = field(default_factory=set, repr=False)  # secretGenerator sources read, each once

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        where = "the checkout" if self.scope == "." else self.scope
        parts = [
            f"{self.files} files under {where}",
            f"{self.yaml_documents} YAML documents",
            f"{self.secrets} Secrets (all SOPS-encrypted)",
            f"{self.sops_files} SOPS files",
        ]
        if self.recipients:
            recipient = "recipient " + ", ".join(self.recipients)
            check = f"SOPS files and .sops.yaml rules checked for {recipient}"
        else:
            check = "recipient check NOT RUN (no age recipient: pass --recipient age1...)"
        return f"ok: {', '.join(parts)}; no secret found by detect-secrets; {check}{self.not_checked()}"

    def not_checked(self) -> str:
        """What was skipped, for the last line: content that was NOT checked at all."""
        if not self.skipped:
            return ""
        count = len(self.skipped)
        return (f"; NOT CHECKED: {count} skipped item{'s' if count != 1 else ''} (files not read, long lines not scanned: "
                "see the notes; --strict makes them fail)")


def _scope(root: Path, path: str | None) -> tuple[str, Path]:
    if not root.is_dir():
        raise AuditError("the checkout folder does not exist or is not a folder.")
    if not path:
        return ".", root
    posix = PurePosixPath(path.strip())
    parts = [p for p in posix.parts if p not in (".", "")]
    if posix.is_absolute() or ".." in parts or not parts:
        raise AuditError("--path must be a folder relative to the checkout, without '..' (e.g. clusters/dev).")
    scope = "/".join(parts)
    folder = root.joinpath(*parts)
    if not folder.is_dir() or not folder.resolve().is_relative_to(root.resolve()):
        raise AuditError(f"--path {scope} is not a folder of the checkout.")
    return scope, folder


def _recipients(recipients: list[str] | None) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(r.strip() for r in recipients or () if r.strip()))
    for recipient in cleaned:
        if not _AGE_RECIPIENT.match(recipient):
            # Never echoed: a pasted identity (AGE-SECRET-KEY-1...) would land in the terminal.
            raise AuditError("--recipient must be an age public key (age1 followed by 58 characters).")
    return cleaned


def _read(path: Path) -> tuple[str | None, str | None]:
    """(text, None) or (None, why it is skipped)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None, "cannot be read"
    if len(data) > MAX_FILE_BYTES:
        return None, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, not read"
    if b"\0" in data:
        return None, "binary file, not scanned"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, "not UTF-8 text, not scanned"


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the system (a deep hostile tree): pathlib raises
        return False


def _lines(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _walk(folder: Path, root: Path, report: AuditReport) -> list[tuple[str, Path]]:
    """Every regular file under `folder` (sorted, `.git` left out), without recursion: a checkout
    can nest folders deeper than Python's recursion limit. Folders that cannot be listed are noted."""
    files = []
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            report.skipped.append((current.relative_to(root).as_posix() or ".", "folder cannot be listed, not read"))
            continue
        folders = []
        for entry in entries:
            full = Path(current, entry.name)
            rel = full.relative_to(root).as_posix()
            if entry.is_symlink():
                report.skipped.append((rel, "symbolic link, not followed"))
            elif entry.is_dir(follow_symlinks=False):
                if entry.name != ".git":
                    folders.append(full)
            elif entry.is_file(follow_symlinks=False):
                files.append((rel, full))
        pending.extend(reversed(folders))
    return files


class _SopsConfigs:
    """The `.sops.yaml` SOPS uses for a file when run from the file's folder: the nearest one
    upwards (SOPS looks from its working directory up), here bounded by the checkout."""

    def __init__(self, root: Path):
        self.root = root
        self.cache: dict[Path, tuple[Path, S.SopsConfig] | None] = {}

    def find(self, folder: Path) -> tuple[Path, S.SopsConfig] | None:
        visited = []  # folders from `folder` up to the first one already known (no recursion)
        while folder not in self.cache:
            visited.append(folder)
            candidate = folder / SOPS_CONFIG
            if _is_file(candidate) and not candidate.is_symlink():
                text, _ = _read(candidate)
                config = S.parse_config(text) if text is not None else S.SopsConfig(rules=(), problem="cannot be read")
                # Without creation_rules SOPS treats the file as absent, and does not look further up.
                self.cache[folder] = (candidate, config) if config.rules is not None else None
            elif folder == self.root or folder.parent == folder:
                self.cache[folder] = None
            else:
                folder = folder.parent
        found = self.cache[folder]
        for below in visited:
            self.cache[below] = found
        return found


def _check_rules(rel: str, line: int, full: Path, root: Path, configs: _SopsConfigs, recipients: set[str]) -> list[Finding]:
    found = configs.find(full.parent)
    if found is None:
        folders = [p for p in [full.parent, *full.parent.parents] if p.is_relative_to(root)]
        hint = " (SOPS ignores .sops.yml: rename it)" if any(_is_file(p / ".sops.yml") for p in folders) else ""
        return [Finding(rel, line, "sops-config", f"no .sops.yaml with creation_rules in this folder or above it{hint}: "
                                                  "`sops --encrypt` has no rule for this Secret; add one for the stack's age recipient.")]
    config_path, config = found
    config_rel = config_path.relative_to(root).as_posix()
    if config.problem:
        return [Finding(config_rel, config.problem_line, "sops-config", f"{config.problem}.")]
    target = full.relative_to(config_path.parent).as_posix()
    rule = config.rule_for(target)
    if rule is None:
        return [Finding(rel, line, "sops-config", f"no creation rule of {config_rel} has a path_regex matching {target}: "
                                                  "`sops --encrypt` refuses this file; add or widen a rule.")]
    if rule.pattern is None:
        return [Finding(config_rel, rule.line, "sops-config", f"creation rule {rule.index}: path_regex is not a valid regular expression.")]
    if recipients and not rule.key_groups.decryptable_by(recipients):
        has = _shown_recipients(rule.key_groups.recipients)
        return [Finding(rel, line, "sops-config", f"creation rule {rule.index} of {config_rel} (line {rule.line}) encrypts for {has}, "
                                                  "not for the stack's recipient: the cluster could not decrypt what it encrypts.")]
    return []


def _shown_recipients(recipients: tuple[str, ...]) -> str:
    """The age public keys of a list, for a message; anything else there (an identity pasted where
    a public key belongs, a password) is counted, never shown."""
    shown = [r for r in recipients if _AGE_RECIPIENT.match(r)]
    hidden = len(recipients) - len(shown)
    parts = shown + ([f"{hidden} entr{'y' if hidden == 1 else 'ies'} that {'is' if hidden == 1 else 'are'} not an age public key (not shown)"] if hidden else [])
    return ", ".join(parts) or "no age recipient"


def _objects(document: yaml.MappingNode) -> Iterator[yaml.MappingNode]:
    """The document and, if it is a list (`kind: List`, or any `...List`, with `items`), every
    object in it, nested lists included; each node once (a list may alias its items)."""
    seen: set[int] = set()
    pending: list[yaml.Node] = [document]
    while pending:
        node = pending.pop()
        if id(node) in seen or not isinstance(node, yaml.MappingNode):
            continue
        seen.add(id(node))
        yield node
        if (Y.text(Y.value(node, "kind")) or "").endswith("List"):
            pending.extend(reversed(Y.items(Y.value(node, "items"))))


def _plain_values(rel: str, secret: yaml.MappingNode, sops_file: bool) -> list[Finding]:
    findings = []
    for key in ("data", "stringData"):
        pair = Y.get(secret, key)
        if pair is None:
            continue
        for leaf in Y.leaves(pair[1]):
            if S.is_encrypted_value(leaf) or not M.plain_value_is_secret(leaf.value, leaf.tag, key == "data"):
                continue
            if not sops_file:
                message = f"Secret {key} value in plain text: the Secret is not SOPS-encrypted (encrypt it with sops)."
            else:
                message = (f"Secret {key} value in plain text although the file is SOPS-encrypted: its rules "
                           "(encrypted_regex, unencrypted_suffix...) leave it out; encrypt all of data and stringData.")
            findings.append(Finding(rel, Y.line(leaf), "plain-secret", message))
    return findings


def _needs_sops(secret: yaml.MappingNode) -> bool:
    """Whether a Secret holds a value that can be a secret, so that SOPS needs a rule for it: not
    one made only of `${VAR}`s Flux substitutes, secret-manager references, placeholders, or nothing."""
    for key in ("data", "stringData"):
        pair = Y.get(secret, key)
        if pair is not None and any(M.plain_value_is_secret(leaf.value, leaf.tag, key == "data") for leaf in Y.leaves(pair[1])):
            return True
    return False


def _is_secret(node: yaml.MappingNode) -> bool:
    return Y.text(Y.value(node, "kind")) == "Secret" and Y.text(Y.value(node, "apiVersion")) in ("v1", None)


def _generated_secrets(rel: str, full: Path, root: Path, document: yaml.MappingNode, report: AuditReport) -> list[Finding]:
    """Findings of a kustomization's `secretGenerator`: each generated Secret is checked as a plain
    one. `literals` are values in this file; `envs` (KEY=value lines) and `files` (whole values)
    are read, from the kustomization's folder, and must be SOPS-encrypted (Flux decrypts them
    before building)."""
    api = Y.text(Y.value(document, "apiVersion"))
    if api is not None and not api.startswith("kustomize.config.k8s.io/"):
        return []
    findings = []
    for generator in Y.items(Y.value(document, "secretGenerator")):
        report.secrets += 1
        for literal in Y.items(Y.value(generator, "literals")):
            if isinstance(literal, yaml.ScalarNode) and literal.value.partition("=")[2].strip():
                findings.append(Finding(rel, Y.line(literal), "plain-secret", "secretGenerator literal in plain text: move it to "
                                                                               "a SOPS-encrypted env file (envs:)."))
        for field in ("envs", "env", "files"):
            for node in _scalars(Y.value(generator, field)):
                source = node.value.rpartition("=")[2] if field == "files" else node.value
                found = _generated_source(rel, Y.line(node), full.parent, root, source.strip(), field == "files", report)
                findings.extend(found)
    return findings


def _scalars(node: yaml.Node | None) -> list[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        return [node]
    return [item for item in Y.items(node) if isinstance(item, yaml.ScalarNode)]


def _generated_source(rel: str, line: int, folder: Path, root: Path, source: str, whole: bool, report: AuditReport) -> list[Finding]:
    """Findings of one file a secretGenerator reads: an env file (each KEY=value) or, if `whole`,
    a file that is one value."""
    if (folder, source) in report.sources:  # a source listed again (or thousands of times) is read once
        return []
    report.sources.add((folder, source))
    target = Path(os.path.normpath(folder / source)) if source else folder
    if not source or os.path.isabs(source) or not target.is_relative_to(root):
        report.skipped.append((rel, f"line {line}: secretGenerator source outside the checkout, not read"))
        return []
    if target in report.sources:  # the same file by another way of writing it
        return []
    report.sources.add(target)
    target_rel = target.relative_to(root).as_posix()
    if target.resolve() != target or not _is_file(target):  # a link anywhere on the way could lead out
        report.skipped.append((target_rel, "secretGenerator source is a symbolic link or missing, not read"))
        return []
    text, why = _read(target)
    if text is None:
        report.skipped.append((target_rel, f"secretGenerator source {why}"))
        return []
    if whole:
        if not text.strip() or _sops_encrypted(text):
            return []
        return [Finding(target_rel, 1, "plain-secret", "secretGenerator file in plain text: encrypt it with sops "
                                                        "(Flux decrypts it before building).")]
    findings = []
    for number, entry in enumerate(_lines(text), start=1):
        key, equals, value = entry.strip().partition("=")
        if not equals or key.startswith(("#", "sops_")) or not value.strip() or S.well_formed_value(value.strip()):
            continue
        findings.append(Finding(target_rel, number, "plain-secret", "secretGenerator env value in plain text: encrypt the "
                                                                     "file with sops (Flux decrypts it before building)."))
    return findings


def _sops_encrypted(text: str) -> bool:
    """Whether a file a secretGenerator reads is SOPS-encrypted: YAML/JSON (binary files are kept
    as JSON) with SOPS metadata, or dotenv / INI with SOPS's `mac` entry."""
    if re.search(r"^(sops_mac=|mac = )ENC\[", text, re.MULTILINE):
        return True
    try:
        documents = Y.documents(text)
    except Y.YamlRefused:
        return False
    return any(isinstance(d, yaml.MappingNode) and S.metadata(d) is not None for d in documents)


def _audit_yaml(rel: str, full: Path, root: Path, text: str, recipients: set[str], report: AuditReport) -> tuple[list[Finding], int | None, bool]:
    """Findings of one YAML/JSON file, the line of its first Secret (None if it has none), and
    whether it is a SOPS file."""
    try:
        documents = Y.documents(text)
    except Y.YamlRefused as err:
        # A finding, not a note: a Secret in it would go unchecked, and Flux cannot apply it either.
        return [Finding(rel, err.line, "invalid-yaml", f"{err}: its Secrets and SOPS data could not be checked.")], None, False
    findings: list[Finding] = []
    first_secret = None
    is_sops = False
    for document in documents:
        if not isinstance(document, yaml.MappingNode):
            continue
        report.yaml_documents += 1
        meta = S.metadata(document)
        if meta is not None:
            is_sops = True
            if recipients and not meta.key_groups.decryptable_by(recipients):
                has = _shown_recipients(meta.key_groups.recipients)
                findings.append(Finding(rel, meta.line, "undecryptable", f"SOPS-encrypted for {has}; none is the stack's recipient, "
                                                                          "so Flux cannot decrypt it (run `sops updatekeys` with a fixed .sops.yaml)."))
        for secret in filter(_is_secret, _objects(document)):
            report.secrets += 1
            if meta is not None or _needs_sops(secret):
                first_secret = first_secret or Y.line(secret)
            findings.extend(_plain_values(rel, secret, meta is not None))
        if Y.value(document, "secretGenerator") is not None:
            findings.extend(_generated_secrets(rel, full, root, document, report))
    if is_sops:
        report.sops_files += 1
    return findings, first_secret, is_sops


def _scanned_lines(rel: str, text: str, report: AuditReport) -> list[str]:
    """The lines handed to the secret scanner, those over MAX_SCANNED_LINE blanked and noted."""
    lines = _lines(S.unwrap_look_alikes(text))
    long_lines = [number for number, line in enumerate(lines, start=1) if len(line) > MAX_SCANNED_LINE]
    for number in long_lines:
        lines[number - 1] = ""  # the secret scanner is slow on such lines: said, not silently skipped
    if long_lines:
        report.skipped.append((rel, f"{len(long_lines)} line(s) over {MAX_SCANNED_LINE} characters not scanned for "
                                    f"secrets, from line {long_lines[0]}"))
    return lines


def audit(root: Path, *, path: str | None = None, recipients: list[str] | None = None, strict: bool = False) -> AuditReport:
    """Audit the checkout at `root`, limited to the folder `path` (relative) if given.

    `recipients`: the stack's age recipients (`age1...`); without any, the recipient checks are
    not run and the report says so. `strict`: anything skipped (a file not read, a line not
    scanned) is a finding. Raises AuditError for a bad checkout, path or recipient.
    """
    root = Path(root).resolve()
    scope, folder = _scope(root, path)
    wanted = _recipients(recipients)
    report = AuditReport(scope=scope, recipients=wanted, strict=strict)
    configs = _SopsConfigs(root)
    texts: dict[str, list[str]] = {}
    findings: list[Finding] = []
    for rel, full in _walk(folder, root, report):
        text, why = _read(full)
        if text is None:
            report.skipped.append((rel, why or "not read"))
            continue
        if full.suffix.lower() in YAML_SUFFIXES or full.name == "Kustomization":
            found, first_secret, is_sops = _audit_yaml(rel, full, root, text, set(wanted), report)
            findings.extend(found)
            if first_secret is not None:
                findings.extend(_check_rules(rel, first_secret, full, root, configs, set(wanted)))
            if is_sops:
                text = S.mask_ciphertext(text)  # line breaks kept: same lines, same numbers
        if not M.is_skipped_file(rel):  # lock files, .sum, .svg...: not scanned by detect-secrets either
            texts[rel] = _scanned_lines(rel, text, report)
        report.files += 1
    reported = {(f.file, f.line) for f in findings if f.kind == "plain-secret"}
    seconds = scanner.SCAN_SECONDS_PER_FILE
    scanned = scanner.scan_texts(texts, seconds)
    for rel, line in scanned.unscanned.items():
        report.skipped.append((rel, f"not scanned for secrets from line {line} on: scanning it took over {seconds:g} s"))
    for rel, hits in scanned.hits.items():
        for hit in hits:
            if (rel, hit.line) not in reported:
                findings.append(Finding(rel, hit.line, "secret-in-file", f"{hit.type} (value not shown): remove it and rotate it."))
    if strict:
        findings.extend(Finding(file, 1, "skipped", f"{why}: not checked, a failure with --strict.") for file, why in report.skipped)
    report.findings = sorted(set(findings))
    return report


def shown(text: str) -> str:
    r"""`text` safe to print on one line: backslashes, control and format characters (a file name
    could move the cursor, or start a line that paints a fake `ok`) and undecodable bytes (a
    non-UTF-8 name, read as surrogate escapes) as backslash escapes: \\, \x1b, \xff, \u202e."""
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for char in text:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's escape of the byte code - 0xDC00
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char.isprintable():
            out.append(char)
        else:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def _printable(lines: list[str]) -> list[str]:
    # Also what the output's encoding cannot show (an ASCII terminal): escaped, never an error.
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    return [shown(line).encode(encoding, "backslashreplace").decode(encoding) for line in lines]


def format_report(report: AuditReport) -> tuple[list[str], list[str]]:
    """(stdout lines, stderr notes): the findings and a count, or the one-line summary; file names
    escaped (see `shown`)."""
    out, notes = _format(report)
    return _printable(out), _printable(notes)


def _format(report: AuditReport) -> tuple[list[str], list[str]]:
    notes = [] if report.strict else [f"note: {file}: {why}" for file, why in report.skipped]  # strict: findings
    if report.ok:
        return [report.summary()], notes
    out = [str(finding) for finding in report.findings]
    files = len({f.file for f in report.findings})
    count = len(report.findings)
    tail = "" if report.recipients else "; recipient check NOT RUN (no age recipient: pass --recipient age1...)"
    tail += "" if report.strict else report.not_checked()
    out.append(f"audit: {count} finding{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''}{tail}")
    return out, notes
