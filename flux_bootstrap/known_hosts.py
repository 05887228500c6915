"""known_hosts text: GitHub's published host keys as lines, and checking lines a user gives.

Flux reads the Secret's `known_hosts` to trust the Git server; a host is never learned by
scanning at deploy time. Every key is parsed (with `cryptography`), so a cut-short, corrupted or
mislabelled key is refused here rather than when Flux first syncs. Messages are our own words,
never a line of the input nor a key.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from typing import Iterable

MAX_KNOWN_HOSTS = 64 * 1024
MAX_KNOWN_HOSTS_LINES = 200
# Each key type with the number of length-prefixed fields its blob holds, the type name first
# (RFC 4253 6.6, RFC 5656 3.1, RFC 8709 4, OpenSSH PROTOCOL.u2f).
_KEY_FIELDS = {
    "ssh-ed25519": 2, "ssh-rsa": 3, "ecdsa-sha2-nistp256": 3, "ecdsa-sha2-nistp384": 3, "ecdsa-sha2-nistp521": 3,
    "sk-ssh-ed25519@openssh.com": 3, "sk-ecdsa-sha2-nistp256@openssh.com": 4,
}
_KEY_TYPES = frozenset(_KEY_FIELDS)
_HOST_PATTERN = re.compile(r"[A-Za-z0-9.:\[\]*?!_-]{1,300}|\|1\|[A-Za-z0-9+/=]{1,100}\|[A-Za-z0-9+/=]{1,100}", re.ASCII)
_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,16384}={0,2}", re.ASCII)
_NOT_WHOLE = "has a key that is cut short, has bytes left over, or is not an SSH key."
_FIX = ("Use lines of the form `HOST KEYTYPE BASE64KEY` (as `ssh-keyscan` prints them), checked against the "
        "host's documented fingerprints.")


def from_published_keys(host_keys: Iterable[str], host: str) -> str:
    """known_hosts lines for every published host key, sorted so the Secret never changes by order.

    Flux's SSH client offers the server only the host-key types present in known_hosts; listing
    every published type lets the server pick any of them, so a key type GitHub prefers or
    rotates to never fails with "knownhosts: key mismatch".
    """
    lines = sorted({f"{host} {key.strip()}" for key in host_keys if key.strip()})
    return "".join(f"{line}\n" for line in lines)


def normalise_known_hosts(text: str) -> str:
    lines = [line.strip() for line in text.splitlines()]
    return "".join(f"{line}\n" for line in lines if line and not line.startswith("#"))


def check_known_hosts(text: str, host: str, port: int | None) -> str:
    """`text` normalised when it is usable known_hosts for host[:port]; ValueError in our words if not."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if not lines:
        raise ValueError(f"is empty. {_FIX}")
    if len(lines) > MAX_KNOWN_HOSTS_LINES:
        raise ValueError(f"has more than {MAX_KNOWN_HOSTS_LINES} lines. Keep only the lines of the repository's host.")
    wanted = host if port is None else f"[{host}]:{port}"
    matched = hashed = False
    for number, line in enumerate(lines, start=1):
        parts = line.split()
        try:
            _check_line(parts)
        except ValueError as err:
            raise ValueError(f"line {number} {err} {_FIX}") from None
        patterns = parts[0].split(",")
        hashed |= any(p.startswith("|1|") for p in patterns)
        matched |= any(p.lower() == wanted for p in patterns)
    if not (matched or hashed):
        raise ValueError(f"has no line for the repository's SSH host ({wanted}), so Flux would refuse the server. "
                         f"Start each line with {wanted}.")
    return normalise_known_hosts(text)


def _check_line(parts: list[str]) -> None:
    """ValueError saying what is wrong with one line's fields, worded to follow "line N"."""
    if parts[0].startswith("@"):
        raise ValueError("has a marker (@cert-authority or @revoked), which this program does not take.")
    # The host field may list several names (`host,10.0.0.1`), as ~/.ssh/known_hosts often has.
    patterns = parts[0].split(",") if len(parts[0]) <= 1024 else [""]
    if len(parts) < 3 or not all(_HOST_PATTERN.fullmatch(p) for p in patterns) or parts[1] not in _KEY_TYPES \
            or not _BASE64.fullmatch(parts[2]):
        raise ValueError("is not a known_hosts line.")
    _check_key(parts[1], parts[2])


def _check_key(label: str, encoded: str) -> None:
    """ValueError unless `encoded` is a whole `label` public key; never quotes the key.

    The blob must be the label's length-prefixed fields, to its last byte, the first being the
    label itself; then it must load with `cryptography`. A type the loader does not know (the sk-
    types in an older `cryptography`) keeps that structural check, since SSH and Flux accept it.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_ssh_public_key

    try:
        blob = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ValueError("has a key that is not whole base64 (a character or the `=` padding is missing).") from None
    fields = _ssh_fields(blob)
    if not fields:
        raise ValueError(_NOT_WHOLE)
    if fields[0] != label.encode("ascii"):
        inner = fields[0].decode("ascii", "replace")
        named = f"a key of type {inner}" if inner in _KEY_TYPES else "a key of another type, or no key at all"
        raise ValueError(f"is labelled {label} but holds {named}; the label must be the key's own type.")
    if len(fields) != _KEY_FIELDS[label]:
        raise ValueError(_NOT_WHOLE)
    try:
        load_ssh_public_key(f"{label} {encoded}".encode("ascii"))
    except UnsupportedAlgorithm:
        return
    except Exception:  # noqa: BLE001 - any parse failure: our words, never the library's
        raise ValueError(f"has a key that cannot be read as {label} (cut short, corrupted, or with bytes "
                         "left over).") from None


def _ssh_fields(blob: bytes) -> list[bytes] | None:
    """The blob's length-prefixed fields when they cover it exactly; None when it is cut short."""
    fields, offset = [], 0
    while offset < len(blob):
        if len(blob) - offset < 4:
            return None
        (size,) = struct.unpack_from(">I", blob, offset)
        offset += 4
        if size > len(blob) - offset:
            return None
        fields.append(blob[offset:offset + size])
        offset += size
    return fields
