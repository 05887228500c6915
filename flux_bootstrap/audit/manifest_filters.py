"""What Kubernetes and Flux manifests hold that looks like a secret to detect-secrets but is not one.

detect-secrets' keyword and entropy plugins guess from a key's name (`secret`, `password`, `key`)
or from a string's randomness. In a manifests repository most such guesses are not secrets:
- a reference to a Secret or to one of its keys (`secretName: x`, `existingSecret: x`,
  `passwordKey: x`, `--sops-age-secret=x`): the key's head word is a name, a reference, a path...;
- a setting about secrets (`enablePasswordDB: false`, `secretsBackend: local`);
- a template: Flux's postBuild substitution `${VAR}`, Helm/Go `{{ ... }}`, Kubernetes `$(VAR)`;
- a digest: a commit SHA or image digest under a tag/digest/commit key, a `sha256:` value, an SRI
  hash (`sha384-...`), a PGP fingerprint, an age public key (`age1...`);
- a boolean, a null, an obvious placeholder (`PLACEHOLDER`, `changeme`, `<password>`, `ABCDEF...`);
- a path or URL without credentials (a cloud resource path, a disk by-id path, a file name);
- a commented-out example (upstream chart values and generated configs are full of them).

Each check is a detect-secrets filter (named in `FILTERS_USED`, called by detect-secrets with the
arguments it names: `secret`, `line`, `plugin`, `filename`), next to detect-secrets' own heuristic
filters, which stay on. Only guesses are filtered: secrets of a known shape (private keys,
provider tokens, age identities, found by detect-secrets' regex detectors) are never dropped,
except an obvious placeholder (`ghp_xxxx...`). Each filter only removes candidates, and never
more with less context, so the scanner's two passes stay exact.

The same notions decide which plain values of a Kubernetes Secret are reported (`plain_value_is_secret`).
"""

from __future__ import annotations

import base64
import binascii
import os
import re

from detect_secrets.filters import heuristic
from detect_secrets.plugins.base import RegexBasedDetector

_HERE = "flux_bootstrap.audit.manifest_filters"
# detect-secrets' default filters (Settings.clear), kept, and ours after them.
_DETECT_SECRETS_FILTERS = (
    "detect_secrets.filters.allowlist.is_line_allowlisted",
    "detect_secrets.filters.heuristic.is_sequential_string",
    "detect_secrets.filters.heuristic.is_potential_uuid",
    "detect_secrets.filters.heuristic.is_likely_id_string",
    "detect_secrets.filters.heuristic.is_templated_secret",
    "detect_secrets.filters.heuristic.is_prefixed_with_dollar_sign",
    "detect_secrets.filters.heuristic.is_indirect_reference",
    "detect_secrets.filters.heuristic.is_lock_file",
    "detect_secrets.filters.heuristic.is_not_alphanumeric_string",
    "detect_secrets.filters.heuristic.is_swagger_file",
)
_OURS = ("is_plain_value", "is_template", "is_digest", "is_reference", "is_path_or_url", "is_commented_out")
FILTERS_USED = [{"path": path} for path in (*_DETECT_SECRETS_FILTERS, *(f"{_HERE}.{name}" for name in _OURS))]

_BOOLEAN_OR_NULL = {"true", "false", "yes", "no", "on", "off", "null", "nil", "none", "~", "undefined", "empty", ""}
_PLACEHOLDER_WORDS = {
    "placeholder", "changeme", "changeit", "replaceme", "todo", "tbd", "fixme", "example", "sample", "dummy",
    "redacted", "hidden", "value", "secret", "secrets", "password", "passwd", "pass", "pwd", "token", "key",
    "apikey", "username", "user", "generate", "generated", "notused", "unused", "default", "fake",
}
_PLACEHOLDER = re.compile(
    r"^(?:<[^<>]*>|\[[^\[\]]*\]|x{3,}|X{3,}|\*{3,}|\.{3,}|-{3,}|_{3,}|.*\.\.\.|.*(?:x{6,}|X{6,}|\*{4,})"
    r"|(?:your|insert|enter|replace|change|fill)[-_ ].*|.*[-_ ](?:here|goes[-_ ]here|me))$",
    re.IGNORECASE,
)
# Flux postBuild substitution (${VAR}, ${VAR:=default}), Helm/Go templates, Kubernetes $(VAR).
_TEMPLATE = re.compile(r"\$\{[^{}]*\}|\{\{[^{}]*\}\}|\$\([A-Za-z_][A-Za-z0-9_]*\)|\{%[^%]*%\}")  # linear: no `.*?`
_SRI = re.compile(r"^sha(?:256|384|512)-[A-Za-z0-9+/]{40,}={0,2}$")
_PREFIXED_DIGEST = re.compile(r"^(?:sha1|sha256|sha384|sha512|md5|h1):[A-Za-z0-9+/=]+$", re.IGNORECASE)
_HEX_DIGEST = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64}|[0-9A-F]{40}|[0-9A-F]{64})$")
_AGE_RECIPIENT = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")
# An environment variable's or a Secret key's name: upper case words joined by underscores.
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_+[A-Z0-9]+)+$")
# A secret manager's reference, resolved before applying: 1Password's `op inject`, vals (`ref+vault://`).
_SECRET_REFERENCE = re.compile(r"^(?:op|ref\+[a-z0-9]+)://[^\s]+$")
_DIGEST_WORDS = {"sha", "sha1", "sha256", "digest", "commit", "revision", "rev", "tag", "checksum", "fingerprint",
                 "fp", "integrity", "ref", "version", "image", "hash", "schematic"}  # a Talos schematic id is a SHA-256
_DIGEST_BEFORE = re.compile(r"(?:@|/commits?/|/tree/|/blob/|[?&](?:ref|sha|rev)=|sha256:|sha1:)$", re.IGNORECASE)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s/@:]+(?::\d+)?(?:/[^\s?#]*)?$", re.IGNORECASE)
_FILE_NAME = re.compile(r"^[\w./-]*\w\.(?:ya?ml|json|toml|md|txt|conf|cfg|ini|env|sh|tpl|j2|pem|crt|key|pub|age|asc)$", re.IGNORECASE)
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._~@:-]+$")
# A word of a path: lower case, upper case (with digits), or camelCase words; not a random mix
# (`wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY` is a key, not a path).
_PATH_WORD = re.compile(r"^(?:[a-z0-9]{1,32}|[A-Z0-9]{1,32}|[A-Za-z][a-z0-9]+(?:[A-Z][a-z0-9]+){0,5})$")
# `key: value`, `key = value`, `"key": "value"`, `--flag=value`, `KEY=value`: the key before the value.
_KEY_BEFORE = re.compile(r"""([A-Za-z0-9_.-]+)["'\]]*[ \t]*(?::=?|={1,3})[ \t]*["'`]?$""")
_KEY_TRIES, _KEY_REACH = 5, 200  # bounds on a long line: occurrences of the value tried, characters before each
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_CREDENTIAL_WORDS = {"secret", "secrets", "password", "passwords", "passwd", "pwd", "pass", "token", "tokens", "key", "keys",
                     "apikey", "credential", "credentials", "auth"}
# The head (last) word of a key that names or configures something else than the credential itself.
_REFERENCE_HEADS = {
    "name", "names", "ref", "refs", "namespace", "namespaces", "path", "paths", "file", "files", "dir", "backend",
    "store", "provider", "type", "kind", "mode", "format", "policy", "rotation", "enabled", "enable", "disabled",
    "disable", "reset", "db", "url", "uri", "endpoint", "host", "length", "size", "ttl", "selector", "template",
    "class", "count", "id", "ids", "env", "var", "field", "annotation", "label", "prefix", "suffix", "nopasswd",
}
_PLURAL_HEADS = {"secrets", "passwords", "tokens", "credentials", "keys"}
# Words before `secret` that make the key name a Secret object (`existingSecret`, `pullSecret`).
_SECRET_OBJECT_WORDS = {"existing", "pull", "image", "config", "file", "env", "from", "credentials", "credential", "kube",
                        "k8s", "tls", "cert", "certificate", "use", "sops", "age", "target", "source", "connection", "ca"}
# Words before `key` that make the key name a key of a Secret (`passwordKey`, `usernameKey`).
_KEY_NAME_WORDS = {"password", "passwd", "username", "user", "token", "secret", "connection", "cert", "ca", "tls"}
_HASH_COMMENT_SUFFIXES = {".yaml", ".yml", ".toml", ".conf", ".cfg", ".ini", ".env", ".sh", ".bash", ".properties", ".py",
                          ".tf", ".hcl", ".rb", ".pl", ".r", ".service", ".cnf", ""}
_COMMENT = re.compile(r"^\s*(?:#(?!!)|//|;)")


def _guess(plugin) -> bool:
    """A keyword or entropy guess (filtered here), not a secret of a known shape."""
    return plugin is None or not isinstance(plugin, RegexBasedDetector)


def is_boolean_or_null(value: str) -> bool:
    return value.strip().strip("'\"").lower() in _BOOLEAN_OR_NULL


def is_placeholder(value: str) -> bool:
    """An obvious stand-in: `PLACEHOLDER`, `changeme`, `<password>`, `xxxx`, `ABCDEF...`, `your-token-here`."""
    bare = value.strip().strip("'\"`")
    if not bare:
        return True
    if re.fullmatch(r"[A-Za-z _-]+", bare) and re.sub(r"[^a-z]", "", bare.lower()) in _PLACEHOLDER_WORDS:
        return True  # `PASSWORD`, `change-me`, `your_token` (`Password123` is not one)
    return bool(_PLACEHOLDER.match(bare))


def is_plain_value(secret: str) -> bool:
    """detect-secrets filter: a boolean, a null or an obvious placeholder."""
    return is_boolean_or_null(secret) or is_placeholder(secret)


def is_template(secret: str, line: str) -> bool:
    """detect-secrets filter: a value Flux (postBuild `${VAR}`), Helm or Kubernetes fills in, or a
    string inside a template expression (`{{ secret "/path" }}`)."""
    if _TEMPLATE.search(secret) and not _random_run(_TEMPLATE.sub(" ", secret)):
        return True
    return any(secret in match.group() for match in re.finditer(r"\{\{[^{}]*\}\}|\{%[^%]*%\}", line))


def _random_run(text: str) -> bool:
    """Whether a text holds a run that looks generated: 16+ characters with upper case, lower case
    and digits, or 32+ hex digits."""
    for run in re.findall(r"[A-Za-z0-9+/=_-]{16,}", text):
        if re.search(r"[a-z]", run) and re.search(r"[A-Z]", run) and re.search(r"\d", run):
            return True
        if re.fullmatch(r"[0-9a-fA-F]{32,}", run):
            return True
    return False


def _key_words(line: str, secret: str) -> list[str]:
    """The words of the key the value `secret` is assigned to on `line` (empty: none found)."""
    occurrences = list(re.finditer(re.escape(secret), line))[-_KEY_TRIES:] if secret else []
    for occurrence in reversed(occurrences):  # the value is usually the last one; a few are tried
        match = _KEY_BEFORE.search(line[max(0, occurrence.start() - _KEY_REACH): occurrence.start()])
        if match:
            return [word.lower() for word in _WORD.findall(match.group(1))]
    return []


def is_digest(secret: str, line: str) -> bool:
    """detect-secrets filter: an SRI hash, a prefixed digest (`sha256:...`), an age public key, or a
    SHA-1/SHA-256 hex digest where a digest is expected (a tag, commit, digest or fingerprint key,
    after `@` or `/commit/` in a reference)."""
    bare = secret.strip("'\"")
    if _SRI.match(bare) or _PREFIXED_DIGEST.match(bare) or _AGE_RECIPIENT.match(bare):
        return True
    if not _HEX_DIGEST.match(bare):
        return False
    index = line.find(bare)
    if index > 0 and _DIGEST_BEFORE.search(line[:index]):
        return True
    return bool(_DIGEST_WORDS & set(_key_words(line, bare)))


def is_reference(secret: str, line: str, plugin=None) -> bool:
    """detect-secrets filter: a guess on a key that names or configures a Secret rather than holding
    one (`secretName`, `existingSecret`, `passwordKey`, `secretsBackend`, `--sops-age-secret`), whose
    value looks like a name, not like a generated credential."""
    if not _guess(plugin) or _random_run(secret):
        return False
    words = _key_words(line, secret)
    if not words or not _CREDENTIAL_WORDS & set(words) and words[-1] != "nopasswd":
        return False
    head, before = words[-1], set(words[:-1])
    if head in _REFERENCE_HEADS:
        return True
    name_like = re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(?:[._-]+[A-Za-z0-9]+)*", secret.strip("'\"`")) is not None
    if _ENV_NAME.match(secret.strip("'\"`")):
        return True  # `S3_SECRET_KEY`, `QUI__SESSION_SECRET`: the name of a variable or of a Secret's key
    if head in _PLURAL_HEADS:  # `secrets: vault`, `credentials: app-creds`: a collection's name
        return name_like
    if head == "secret":
        return name_like and bool(before & _SECRET_OBJECT_WORDS)
    if head == "key" and before & _KEY_NAME_WORDS and name_like:
        bare = secret.strip("'\"")
        return bool(re.search(r"[._-]", bare)) or bare.isalpha()  # `redis-password`, `PASSWORD`; not `minio123`
    return False


def is_path_or_url(secret: str, plugin=None) -> bool:
    """detect-secrets filter: a guess that is a URL without credentials, a file name, or a path
    of word-like segments (`/dev/disk/by-id/...`, `projects/123/locations/global/...`)."""
    if not _guess(plugin):
        return False
    bare = secret.strip("'\"`")
    if _URL.match(bare) or _FILE_NAME.match(bare):
        return True
    segments = [s for s in bare.split("/") if s]
    if len(segments) < 3 and not (bare.startswith("/") and len(segments) >= 2):
        return False
    tokens = [t for s in segments for t in re.split(r"[-_.:@~]", s) if t]
    return all(_PATH_SEGMENT.match(s) for s in segments) and all(_PATH_WORD.match(t) for t in tokens)


def is_commented_out(secret: str, line: str, filename: str, plugin=None) -> bool:
    """detect-secrets filter: a keyword or entropy guess on a commented-out line (`# password: ...`)
    of a file whose comments start with `#`, `//` or `;`. Upstream chart values and generated configs
    document their options with such examples. Secrets of a known shape are still reported there."""
    del secret  # named so that detect-secrets calls this for each secret, with its plugin
    suffix = os.path.splitext(filename)[1].lower()
    return _guess(plugin) and suffix in _HASH_COMMENT_SUFFIXES and bool(_COMMENT.match(line))


def is_skipped_file(filename: str) -> bool:
    """A file detect-secrets does not scan (`scan_file` filters it by name): a lock file
    (package-lock.json: SRI hashes) or a non-text extension (.lock, .sum, .svg, .map...)."""
    return heuristic.is_lock_file(filename) or heuristic.is_non_text_file(filename)


# --- plain values of a Kubernetes Secret -----------------------------------------------------------

_CERTIFICATE_ONLY = re.compile(
    r"^\s*(?:-----BEGIN (CERTIFICATE|PUBLIC KEY|X509 CRL)-----[A-Za-z0-9+/=\s]*-----END \1-----\s*)+$")


def _decoded(value: str) -> str | None:
    try:
        return base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def plain_value_is_secret(value: str, tag: str, base64_encoded: bool) -> bool:
    """Whether a plain (not SOPS-encrypted) value of a Secret's data/stringData can hold a secret:
    not a null, an empty or boolean value, a `${VAR}` Flux substitutes (postBuild), an obvious
    placeholder, or public material only (certificates, public keys, age recipients)."""
    if tag.endswith((":null", ":bool")) or is_boolean_or_null(value):
        return False
    text = (_decoded(value) if base64_encoded else None) or value
    if is_boolean_or_null(text) or is_placeholder(text) or _AGE_RECIPIENT.match(text.strip()):
        return False
    if _SECRET_REFERENCE.match(text.strip()):
        return False  # `op://vault/item/field`, filled in by `op inject` before applying
    if _TEMPLATE.search(text) and not _random_run(_TEMPLATE.sub(" ", text)):
        return False  # filled in by Flux from substituteFrom; a token beside it is still a secret-in-file
    return not _CERTIFICATE_ONLY.match(text)
