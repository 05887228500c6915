"""Whether a text looks like a secret: the shapes of known credentials, shared by the screen of
every input that is not a secret setting (settings/secret_screen.py, the CLI's arguments) and by
`audit` (audit/scanner.py).

Shapes, not guesses: GitHub's token prefixes, private-key headers, age identities, and
detect-secrets' plugins that match a known token format (GitHub, GitLab, AWS, Slack, Stripe, JWT,
...). Its entropy and keyword plugins are left to `audit`: they would flag public SSH keys,
certificates and chart values.

Speed: detect-secrets costs ~0.1 s to import, so `check` loads it only for a text that a cheap
pre-filter (`_may_hold_a_token`) cannot clear: every shape of its plugins needs a long run of token
characters or one of a few markers, which names, paths, URLs and quantities do not have.
A finding names the kind of secret, never the text nor a part of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# The detect-secrets plugin for age identities, which detect-secrets does not know (audit loads it by path).
AGE_PLUGIN_PATH = Path(__file__).with_name("audit") / "age_key_plugin.py"
AGE_PLUGIN = "AgeSecretKeyDetector"
# age X25519 identities: bech32 upper case (age-keygen), lower case accepted as age reads it.
AGE_IDENTITY = r"AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}"
# detect-secrets' plugins that guess rather than match a known format: audit runs them, the screen does not.
NOT_SHAPES = frozenset({"Base64HighEntropyString", "HexHighEntropyString", "KeywordDetector", "IPPublicDetector"})

GITHUB_TOKEN, PRIVATE_KEY, AGE_KEY, URL_PASSWORD, OTHER = (
    "GitHub token", "private key", "age identity", "password in a URL", "credential")
_OWN_SHAPES = (
    (GITHUB_TOKEN, re.compile(r"(?<![A-Za-z0-9])(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]{16,}")),
    (PRIVATE_KEY, re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-")),
    (AGE_KEY, re.compile(AGE_IDENTITY, re.IGNORECASE)),
)
# Every shape of detect-secrets' shape plugins needs one of these: a run of 16 or more token
# characters with a digit or a capital (random), one of 40 or more, or a marker of the short ones.
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_-]{16,}")
_RANDOM_RUN = re.compile(r"[A-Z0-9]")
_MARKERS = re.compile(
    r"xox[a-z]-|eyJ|BEGIN|PuTTY|_authToken|AccountKey=|aws|cloudant|softlayer|ibm|"
    r"://[^/\s]*:[^/\s]*@|(?:AKC|AP[0-9A-F])[A-Za-z0-9]{8}",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    kind: str  # GITHUB_TOKEN, PRIVATE_KEY, AGE_KEY, URL_PASSWORD or OTHER
    label: str  # what it looks like, for messages: "a GitHub token", "a credential (Slack Token)"


def detect(text: str) -> Finding | None:
    """What secret `text` looks like, or None. Never says where in the text, nor what it holds."""
    for kind, pattern in _OWN_SHAPES:
        if pattern.search(text):
            return Finding(kind, _LABELS[kind])
    if not _may_hold_a_token(text):
        return None
    for line in text.splitlines():
        for plugin in _shape_plugins():
            if any(True for _ in plugin.analyze_string(line)):
                return _plugin_finding(plugin.secret_type)
    return None


_LABELS = {GITHUB_TOKEN: "a GitHub token", PRIVATE_KEY: "a private key", AGE_KEY: "an age identity (a private key)"}


def _plugin_finding(secret_type: str) -> Finding:
    if secret_type == "GitHub Token":
        return Finding(GITHUB_TOKEN, _LABELS[GITHUB_TOKEN])
    if secret_type == "Private Key":
        return Finding(PRIVATE_KEY, _LABELS[PRIVATE_KEY])
    if secret_type == "Basic Auth Credentials":
        return Finding(URL_PASSWORD, "a password or token in a URL (user:password@)")
    return Finding(OTHER, f"a credential ({secret_type})")


def _may_hold_a_token(text: str) -> bool:
    """False only when no shape plugin can match `text` (the cheap test that keeps `check` fast)."""
    if _MARKERS.search(text):
        return True
    return any(len(run) >= 40 or _RANDOM_RUN.search(run) for run in _TOKEN_RUN.findall(text))


@lru_cache(maxsize=1)
def _shape_plugins() -> tuple:
    """detect-secrets' shape plugins, each built on its own (they need no settings to match)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    classes = get_mapping_from_secret_type_to_class().values()
    return tuple(cls() for cls in sorted(classes, key=lambda c: c.__name__)
                 if cls.__name__ not in NOT_SHAPES and cls.__name__ != AGE_PLUGIN)


def plugin_settings(*, shapes_only: bool) -> dict:
    """detect-secrets settings (`transient_settings`) with our age plugin: the shape plugins only,
    or every built-in plugin (audit)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    builtin = sorted({cls.__name__ for cls in get_mapping_from_secret_type_to_class().values()} - {AGE_PLUGIN})
    names = [name for name in builtin if not (shapes_only and name in NOT_SHAPES)]
    return {"plugins_used": [{"name": name} for name in names]
            + [{"name": AGE_PLUGIN, "path": f"file://{AGE_PLUGIN_PATH}"}]}
