"""Whether a name the user wrote (a YAML key, a setting name) may be shown in a message.

A token pasted where a name belongs (`ghp_...: x` in a config file, or
`pulumi config set --secret ghp_...`) would otherwise be printed by "unknown field 'ghp_...'".
Only plain identifiers of sensible length that do not look like a credential are shown.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from typing import Iterable

MAX_SHOWN_LENGTH = 40
MAX_SHOWN_PATH_LENGTH = 200
_PATH_SEPARATORS = re.compile(r"[./]")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*", re.ASCII)
# GitHub's token prefixes, and other well-known credential shapes.
_CREDENTIAL_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "age-secret-key-", "xox")


def _entropy_bits_per_char(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(text: str) -> bool:
    """Long strings mixing digits and letters with high entropy: generated keys, not names."""
    digits = sum(c.isdigit() for c in text)
    return len(text) >= 16 and digits >= 2 and _entropy_bits_per_char(text) >= 3.3


def is_showable(name: str) -> bool:
    """True when `name` may appear in a message. Namespaced names (`project:key`) are checked part by part."""
    parts = name.split(":") if name.count(":") == 1 else [name]
    return all(_showable_part(part) for part in parts)


def _showable_part(part: str) -> bool:
    if _showable_name(part):
        return True
    # A key path inside a structured setting (`resources.helm-controller.limits.memory`,
    # `nodeSelector.node-role.kubernetes.io/control-plane`): shown when each part of it would be.
    components = _PATH_SEPARATORS.split(part)
    return (
        len(components) > 1
        and len(part) <= MAX_SHOWN_PATH_LENGTH
        and _showable_name(components[0])
        and all(c.isdigit() or _showable_name(c) for c in components[1:])
    )


def _showable_name(part: str) -> bool:
    if not (0 < len(part) <= MAX_SHOWN_LENGTH) or not _IDENTIFIER.fullmatch(part):
        return False
    # Every dot-separated piece: `a.glpat-...` is a token behind a harmless first piece.
    pieces = part.lower().split(".")
    if any(piece.startswith(_CREDENTIAL_PREFIXES) for piece in pieces):
        return False
    return not any(looks_random(piece) for piece in [part, *pieces])


def _folded(name: str) -> str:
    """A name without case and separators: `github_token`, `GithubToken` and `githubtoken` meet."""
    return re.sub(r"[-_.\s]", "", name).lower()


def nearest(name: str, known: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The known name `name` most likely misspells (case and separators ignored), or None.

    Only a known name is returned, so the answer may be shown even when `name` may not."""
    folded = {_folded(candidate): candidate for candidate in known}
    key = _folded(name)
    if key in folded:
        return folded[key]
    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=cutoff)
    return folded[close[0]] if close else None
