"""Secret scanning with detect-secrets: every default plugin and filter, plus one plugin for age
identities, which detect-secrets does not know (the plugin settings are the secret detector's,
flux_bootstrap/secret_detector.py, whose shapes the screen of the settings uses too).

Lines are handed to detect-secrets' own line scanner rather than to `scan_file`, for two reasons:
`scan_file` parses YAML with pure-Python PyYAML and walks aliases (an alias bomb hangs it), and
it is about ten times slower than a pre-commit hook can afford. The scanner used is the one
`scan_file` calls after reading a file (private in detect-secrets, hence the pinned version range).

Speed: a manifests repository repeats the same lines in many files, and a plugin's verdict on a
line depends only on the line and the file type. So each distinct (file type, line) is scanned
once on its own (the plugins first, detect-secrets' filters only when a plugin fires); only the
lines that raised a candidate are scanned again, with their file's real name and their
neighbouring lines, which gives exactly detect-secrets' findings (filters only ever remove
candidates, and alone a line has no neighbour that could allow-list it).

Time: a file whose scan takes more than SCAN_SECONDS_PER_FILE (a hostile 4 MiB of distinct lines,
or of long lines that make detect-secrets' regular expressions backtrack) is scanned up to there;
the caller notes the rest as not scanned.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core import scan as _detect_secrets_scan
from detect_secrets.settings import get_plugins, transient_settings

from ..secret_detector import plugin_settings
from . import manifest_filters  # detect-secrets filters for what manifests hold that is not a secret

_CONTEXT = 5  # lines detect-secrets hands its filters on each side of a line (get_code_snippet)
SCAN_SECONDS_PER_FILE = 4.0  # detect-secrets scans ~40,000 distinct lines a second; past this, noted


@dataclass(frozen=True)
class SecretHit:
    line: int
    type: str  # detect-secrets' secret type, e.g. "GitHub Token"; never the value


def scan_lines(numbered: list[tuple[int, str]], name: str):
    """detect-secrets' own line scanner (private in detect-secrets 1.5, hence the pinned range; the
    one place it is called, tests/test_adapters.py fails clearly when a release changes it):
    the plugins and every filter, on `(line number, line)` pairs of a file called `name`."""
    return _detect_secrets_scan._process_line_based_plugins(numbered, name)


def _settings() -> dict:
    """Every built-in plugin and ours (secret_detector), with the manifest filters next to detect-secrets' own."""
    return {**plugin_settings(shapes_only=False), "filters_used": manifest_filters.FILTERS_USED}


def _line_types(plugins: list, line: str, name: str) -> tuple[str, ...]:
    """The secret types detect-secrets finds in a line alone (empty: none)."""
    # The plugins alone first (cheap); detect-secrets' filters only for the rare candidate line.
    if not any(plugin.analyze_line(filename=name, line=line, line_number=1) for plugin in plugins):
        return ()
    return tuple(sorted({secret.type for secret in scan_lines([(1, line)], name)}))


@dataclass
class ScanResult:
    hits: dict[str, list[SecretHit]]
    unscanned: dict[str, int]  # file -> first line left unscanned when its time ran out


def _first_pass(plugins: list, name: str, lines: list[str], cache: dict, deadline: float) -> tuple[dict[int, tuple[str, ...]], int | None]:
    """{line number: types} of the lines that hold a secret on their own, and the first line
    not scanned if the deadline passed (None: all were)."""
    ext = os.path.splitext(name)[1]
    hits = {}
    for number, line in enumerate(lines, start=1):
        key = (ext, line.rstrip())
        types = cache.get(key)
        if types is None:
            if time.monotonic() > deadline:
                return hits, number
            types = cache[key] = _line_types(plugins, key[1], f"line{ext}")
        if types:
            hits[number] = types
    return hits, None


def _second_pass(name: str, lines: list[str], first: dict[int, tuple[str, ...]], deadline: float) -> list[SecretHit]:
    """detect-secrets' findings with the real file name and neighbouring lines (its filters use
    them). Only the lines that hit and their context are handed over, the rest blanked: the same
    findings, without scanning the file twice. Lines not reached by the deadline keep their
    first-pass types (reported, not dropped)."""
    kept = {n for hit in first for n in range(hit - _CONTEXT, hit + _CONTEXT + 1)}
    numbered = [(number, line if number in kept else "") for number, line in enumerate(lines, start=1)]
    found, reached = set(), 0
    for secret in scan_lines(numbered, name):
        found.add(SecretHit(secret.line_number, secret.type))
        reached = secret.line_number
        if time.monotonic() > deadline:
            found.update(SecretHit(n, t) for n, types in first.items() if n > reached for t in types)
            break
    return sorted(found, key=lambda h: (h.line, h.type))


def scan_texts(files: dict[str, list[str]], seconds_per_file: float = SCAN_SECONDS_PER_FILE) -> ScanResult:
    """Secrets found by detect-secrets in each file, given as `name -> lines` (1-based order), and
    where scanning stopped in a file that took longer than `seconds_per_file`.

    `name` only needs the real extension (it selects detect-secrets' per-type rules).
    """
    with transient_settings(_settings()):
        get_mapping_from_secret_type_to_class.cache_clear()  # pick up the age plugin
        try:
            plugins = get_plugins()
            cache: dict[tuple[str, str], tuple[str, ...]] = {}
            result = ScanResult({}, {})
            for name, lines in files.items():
                deadline = time.monotonic() + seconds_per_file
                first, stopped = _first_pass(plugins, name, lines, cache, deadline)
                if stopped is not None:
                    result.unscanned[name] = stopped
                if first:
                    result.hits[name] = _second_pass(name, lines[: stopped - 1] if stopped else lines, first, deadline)
            return result
        finally:
            get_mapping_from_secret_type_to_class.cache_clear()
