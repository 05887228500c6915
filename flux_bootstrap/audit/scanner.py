"""Secret scanning with detect-secrets: every default plugin and filter, plus one plugin for age
identities, which detect-secrets does not know.

Lines are handed to detect-secrets' own line scanner rather than to `scan_file`, for two reasons:
`scan_file` parses YAML with pure-Python PyYAML and walks aliases (an alias bomb hangs it), and
it is about ten times slower than a pre-commit hook can afford. The scanner used is the one
`scan_file` calls after reading a file (private in detect-secrets, hence the pinned version range).

Speed: a manifests repository repeats the same lines in many files, and a plugin's verdict on a
line depends only on the line and the file type. So each distinct (file type, line) is scanned
once on its own (the plugins first, detect-secrets' filters only when a plugin fires); only files holding a line that raised a candidate are scanned again in full, with
their real file name and surrounding lines, which gives exactly detect-secrets' findings (filters
only ever remove candidates, and alone a line has no neighbour that could allow-list it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.scan import _process_line_based_plugins
from detect_secrets.settings import get_plugins, transient_settings

_AGE_PLUGIN = Path(__file__).with_name("age_key_plugin.py")


@dataclass(frozen=True)
class SecretHit:
    line: int
    type: str  # detect-secrets' secret type, e.g. "GitHub Token"; never the value


def _settings() -> dict:
    builtin = sorted({cls.__name__ for cls in get_mapping_from_secret_type_to_class().values()})
    plugins = [{"name": name} for name in builtin if name != "AgeSecretKeyDetector"]
    plugins.append({"name": "AgeSecretKeyDetector", "path": f"file://{_AGE_PLUGIN}"})
    return {"plugins_used": plugins}


def _line_has_secret(plugins: list, line: str, name: str) -> bool:
    # The plugins alone first (cheap); detect-secrets' filters only for the rare candidate line.
    if not any(plugin.analyze_line(filename=name, line=line, line_number=1) for plugin in plugins):
        return False
    return any(True for _ in _process_line_based_plugins([(1, line)], name))


def scan_texts(files: dict[str, list[str]]) -> dict[str, list[SecretHit]]:
    """Secrets found by detect-secrets in each file, given as `name -> lines` (1-based order).

    `name` only needs the real extension (it selects detect-secrets' per-type rules).
    """
    with transient_settings(_settings()):
        get_mapping_from_secret_type_to_class.cache_clear()  # pick up the age plugin
        try:
            plugins = get_plugins()
            flagged_lines: dict[tuple[str, str], bool] = {}
            suspects = []
            for name, lines in files.items():
                ext = os.path.splitext(name)[1]
                suspect = False
                for line in lines:
                    key = (ext, line.rstrip())
                    hit = flagged_lines.get(key)
                    if hit is None:
                        hit = _line_has_secret(plugins, key[1], f"line{ext}")
                        flagged_lines[key] = hit
                    suspect = suspect or hit
                if suspect:
                    suspects.append(name)
            found: dict[str, list[SecretHit]] = {}
            for name in suspects:
                numbered = list(enumerate(files[name], start=1))
                hits = {SecretHit(s.line_number, s.type) for s in _process_line_based_plugins(numbered, name)}
                if hits:
                    found[name] = sorted(hits, key=lambda h: (h.line, h.type))
            return found
        finally:
            get_mapping_from_secret_type_to_class.cache_clear()
