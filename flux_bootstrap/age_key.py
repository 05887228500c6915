"""SOPS decryption with an age key: parse and check the key, derive its recipient, build the
Secret and the Kustomization's decryption block.

Pure code (no Pulumi): the component feeds it the stack setting, the key file or the random bytes
kept in the stack's state, and `render` uses it to show the recipient when it is known offline.

Key handling is done by libraries: pyrage (Rust `age`) parses identities and derives recipients;
the `bech32` reference implementation only encodes random bytes as an identity, which pyrage then
re-reads. Error messages are our own words: they never hold the key, a part of it, or a library's
message (which could quote the input).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Mapping

import bech32
from pyrage import x25519

SECRET_NAME = "sops-age"  # the Secret the Kustomization's decryption reads
SECRET_KEY = "age.agekey"  # kustomize-controller recognises age keys by the `.agekey` suffix
KEY_FILE = "age.agekey"  # beside the config files, for `provided` (keep it out of Git)
RANDOM_BYTES = 32  # an X25519 scalar, as `age-keygen` draws it

IDENTITY_PREFIX = "AGE-SECRET-KEY-1"
RECIPIENT_PREFIX = "age1"
_HRP = "age-secret-key-"
_PUBLIC_KEY_COMMENT = "# public key:"
# An age-keygen file is about 200 characters; anything far larger is not a key file.
MAX_KEY_TEXT = 16 * 1024
_MAX_RANDOM_TEXT = 1024

_FIX = "use the AGE-SECRET-KEY-1... line that `age-keygen` writes, or a file it wrote"


class AgeKeyError(ValueError):
    """An age key that cannot be used; the message never contains any part of the input."""


def parse_identity(text: str) -> str:
    """The one age X25519 identity in `text`, checked and in canonical form.

    `text` is a bare identity or the content of a key file as `age-keygen` writes it:
    `# ...` comment lines (among them `# public key: age1...`), blank lines, CRLF line ends and
    surrounding whitespace are allowed. Our rules, stricter than pyrage where it is lenient:
    - exactly one identity line (a repository is decrypted with one key here);
    - upper case, as age writes it: pyrage accepts a lower-case identity, but the Go age library
      that SOPS and kustomize-controller use refuses it, so such a key would fail in the cluster;
    - valid bech32 checksum, prefix AGE-SECRET-KEY-1 and 32 bytes of key (checked by pyrage);
    - a `# public key:` comment, when present, must be this identity's recipient: a mismatch
      means the file mixes two keys.
    Raises AgeKeyError (a ValueError).
    """
    if not isinstance(text, str):
        raise AgeKeyError("the age key must be text.")
    if len(text) > MAX_KEY_TEXT:
        raise AgeKeyError(f"the age key is far too long for an age key file (over {MAX_KEY_TEXT} characters); {_FIX}.")
    text = text.removeprefix("\ufeff")  # a byte-order mark left by some Windows editors

    identities: list[str] = []
    commented_recipients: list[str] = []
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.lower().startswith(_PUBLIC_KEY_COMMENT):
                commented_recipients.append(line[len(_PUBLIC_KEY_COMMENT):].strip())
            continue
        if line.upper().startswith(IDENTITY_PREFIX):
            identities.append(line)
            continue
        raise AgeKeyError(f"line {number} is {_what_is(line)}; {_FIX}.")

    if not identities:
        raise AgeKeyError(f"no age identity found (expected a line starting with {IDENTITY_PREFIX}); {_FIX}.")
    if len(identities) > 1:
        raise AgeKeyError(
            f"{len(identities)} age identities found; keep exactly one: the one the repository's "
            "files are encrypted to."
        )
    identity = _valid_identity(identities[0])
    recipient = _recipient(identity)
    if any(commented != recipient for commented in commented_recipients):
        raise AgeKeyError(
            "the '# public key:' comment does not belong to the identity in the same file, so the "
            "file mixes two keys; take the file `age-keygen` wrote, or remove the comment line "
            "if you are sure of the identity."
        )
    return identity


def identity_from_random_bytes(b64: str) -> str:
    """The age identity whose key is these 32 random bytes, given as base64.

    That is what pulumi-random's RandomBytes keeps in its `base64` output: the bytes are made
    once and kept in the stack's state, so the same bytes always give the same identity and the
    key stays stable across runs. Raises AgeKeyError for anything but base64 of exactly 32 bytes.
    """
    if not isinstance(b64, str) or len(b64) > _MAX_RANDOM_TEXT:
        raise AgeKeyError(f"the random key material must be base64 text of {RANDOM_BYTES} bytes.")
    try:
        raw = base64.b64decode(b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise AgeKeyError(f"the random key material is not valid base64 (expected {RANDOM_BYTES} bytes).") from None
    if len(raw) != RANDOM_BYTES:
        raise AgeKeyError(f"the random key material holds {len(raw)} bytes; an age X25519 key needs {RANDOM_BYTES}.")
    # age writes the bech32 string in lower case and then upper-cases all of it.
    encoded = bech32.bech32_encode(_HRP, bech32.convertbits(raw, 8, 5))
    return _valid_identity(encoded.upper())


def recipient_of(identity: str) -> str:
    """The public recipient (age1...) of an identity (bare or a key file); what SOPS encrypts to."""
    return _recipient(parse_identity(identity))


def secret_manifest(
    identity: str,
    namespace: str = "flux-system",
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The Secret holding the identity, in the file format kustomize-controller reads.

    `identity` is a result of parse_identity or identity_from_random_bytes (or the redaction
    placeholder `render` prints); it is not checked again here so that `render` can build the
    same object without the key.
    """
    metadata: dict[str, Any] = {"name": SECRET_NAME, "namespace": namespace}
    if labels:
        metadata["labels"] = dict(labels)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": "Opaque",
        # A marker of the plan (flux_bootstrap.plan.Deferred) stays as it is: filled at deploy time.
        "stringData": {SECRET_KEY: key_file_text(identity) if isinstance(identity, str) else identity},
    }


def key_file_text(identity: str) -> str:
    """The Secret's age.agekey: the identity as a key file line."""
    return identity + "\n"


def decryption_spec() -> dict[str, Any]:
    """The Kustomization's spec.decryption: decrypt SOPS files with the key in the sops-age Secret."""
    return {"provider": "sops", "secretRef": {"name": SECRET_NAME}}


def _what_is(line: str) -> str:
    """What a non-identity line looks like, in our words (the line itself is never quoted)."""
    if line.startswith(RECIPIENT_PREFIX):
        return "a public key (recipient, age1...), not the secret identity"
    if line.startswith(("ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-")) or line.startswith("-----BEGIN"):
        return "an SSH or PEM key; only native age X25519 identities are supported"
    if line.upper().startswith("AGE-PLUGIN-"):
        return "an age plugin identity, which kustomize-controller cannot use"
    return "not an age identity"


def _valid_identity(candidate: str) -> str:
    """`candidate` if it is a valid upper-case age X25519 identity; AgeKeyError otherwise."""
    if candidate != candidate.upper():
        raise AgeKeyError(
            "the age identity has lower-case letters; write it in upper case as `age-keygen` does "
            "(SOPS and kustomize-controller refuse other cases)."
        )
    if len(candidate) > 200:  # bech32 strings are at most 90 characters; 74 for an identity
        raise AgeKeyError(f"the age identity is far too long; {_FIX}.")
    hrp, data = bech32.bech32_decode(candidate.lower())
    if hrp is None:
        raise AgeKeyError(
            "the age identity is damaged: its checksum does not match (a character was changed, "
            f"added or lost in copying); {_FIX}."
        )
    key = bech32.convertbits(data, 5, 8, False)
    if hrp != _HRP or key is None or len(key) != RANDOM_BYTES:
        raise AgeKeyError(f"the age identity does not hold a {RANDOM_BYTES}-byte X25519 key; {_FIX}.")
    try:
        x25519.Identity.from_str(candidate)
    except Exception:  # pyrage's message is not ours to show
        raise AgeKeyError(f"the age identity was refused by the age library; {_FIX}.") from None
    return candidate


def _recipient(identity: str) -> str:
    return str(x25519.Identity.from_str(identity).to_public())
