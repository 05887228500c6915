"""known_hosts text: GitHub's published host keys as lines, and checking lines a user gives.

Flux reads the Secret's `known_hosts` to trust the Git server; a host is never learned by
scanning at deploy time. Messages are our own words, never a line of the input.
"""

from __future__ import annotations

import re
from typing import Iterable

MAX_KNOWN_HOSTS = 64 * 1024
MAX_KNOWN_HOSTS_LINES = 200
_KEY_TYPES = frozenset({
    "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
})
_HOST_PATTERN = re.compile(r"[A-Za-z0-9.:\[\]*?!_-]{1,300}|\|1\|[A-Za-z0-9+/=]{1,100}\|[A-Za-z0-9+/=]{1,100}", re.ASCII)
_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,16384}={0,2}", re.ASCII)


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


def known_hosts_problem(text: str, host: str, port: int | None) -> str | None:
    """Why `text` is not usable known_hosts for host[:port]; None when it is. Our words only."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    fix = ("Use lines of the form `HOST KEYTYPE BASE64KEY` (as `ssh-keyscan` prints them), checked against the "
           "host's documented fingerprints.")
    if not lines:
        return f"is empty. {fix}"
    if len(lines) > MAX_KNOWN_HOSTS_LINES:
        return f"has more than {MAX_KNOWN_HOSTS_LINES} lines. Keep only the lines of the repository's host."
    wanted = host if port is None else f"[{host}]:{port}"
    matched = hashed = False
    for number, line in enumerate(lines, start=1):
        parts = line.split()
        if parts[0].startswith("@"):
            return f"line {number} has a marker (@cert-authority or @revoked), which this program does not take. {fix}"
        # The host field may list several names (`host,10.0.0.1`), as ~/.ssh/known_hosts often has.
        patterns = parts[0].split(",") if len(parts[0]) <= 1024 else [""]
        if len(parts) < 3 or not all(_HOST_PATTERN.fullmatch(p) for p in patterns) or parts[1] not in _KEY_TYPES \
                or not _BASE64.fullmatch(parts[2]):
            return f"line {number} is not a known_hosts line. {fix}"
        hashed |= any(p.startswith("|1|") for p in patterns)
        matched |= any(p.lower() == wanted for p in patterns)
    if not (matched or hashed):
        return (f"has no line for the repository's SSH host ({wanted}), so Flux would refuse the server. "
                f"Start each line with {wanted}.")
    return None
