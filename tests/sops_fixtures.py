"""Build SOPS-encrypted Kubernetes Secrets in SOPS 3's file format, with real cryptography, for the
audit tests: values are AES-256-GCM with a 32-byte IV and the key path as additional data
(`data:password:`), the data key is age-encrypted (pyrage, ASCII-armored as age does), and the MAC
is the SHA-512 of the values, encrypted with `lastmodified` as additional data, as SOPS computes it.
No sops binary is available here, so the MAC was not checked by one; the audit never reads it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import string

import pyrage
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

LAST_MODIFIED = "2025-01-15T10:00:00Z"


def random_text(length: int = 24) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_identity() -> tuple[str, str]:
    """(identity AGE-SECRET-KEY-1..., recipient age1...)."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def encrypt_value(key: bytes, value: str, path: list[str], kind: str = "str") -> str:
    iv = os.urandom(32)
    sealed = AESGCM(key).encrypt(iv, value.encode(), (":".join(path) + ":").encode())
    data, tag = sealed[:-16], sealed[-16:]
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return f"ENC[AES256_GCM,data:{b64(data)},iv:{b64(iv)},tag:{b64(tag)},type:{kind}]"


def armored_age(data_key: bytes, recipient: str) -> str:
    sealed = pyrage.encrypt(data_key, [pyrage.x25519.Recipient.from_str(recipient)])
    body = base64.b64encode(sealed).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN AGE ENCRYPTED FILE-----", *lines, "-----END AGE ENCRYPTED FILE-----"])


def sops_block(data_key: bytes, groups: list[list[str]], plaintexts: list[str], extra: str = "", threshold: int | None = None) -> str:
    """The `sops:` metadata mapping (4-space indent, as SOPS writes it)."""

    def age_list(recipients: list[str], indent: str) -> list[str]:
        out = []
        for recipient in recipients:
            enc = armored_age(data_key, recipient).split("\n")
            out.append(f"{indent}- recipient: {recipient}")
            out.append(f"{indent}  enc: |")
            out.extend(f"{indent}    {line}" for line in enc)
        return out

    lines = ["sops:"]
    if len(groups) == 1:
        lines.append("    age:")
        lines += age_list(groups[0], "        ")
    else:
        lines.append("    key_groups:")
        for group in groups:
            lines.append("        - age:")
            lines += age_list(group, "            ")
        lines.append(f"    shamir_threshold: {threshold or len(groups)}")
    digest = hashlib.sha512("".join(plaintexts).encode()).hexdigest().upper()
    mac = encrypt_value(data_key, digest, [LAST_MODIFIED])
    lines.append(f'    lastmodified: "{LAST_MODIFIED}"')
    lines.append(f"    mac: {mac}")
    if extra:
        lines.append(f"    {extra}")
    lines.append("    version: 3.9.4")
    return "\n".join(lines) + "\n"


def sops_secret(
    recipients: list[str] | list[list[str]],
    data: dict[str, str] | None = None,
    string_data: dict[str, str] | None = None,
    *,
    encrypt: tuple[str, ...] = ("data", "stringData"),
    name: str = "app",
    threshold: int | None = None,
) -> str:
    """A Secret encrypted the Flux way (`encrypted_regex: ^(data|stringData)$`); with `encrypt`
    narrowed, the other field stays plain text as SOPS would leave it."""
    groups = recipients if recipients and isinstance(recipients[0], list) else [recipients]
    key = os.urandom(32)
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", f"    name: {name}", "    namespace: default", "type: Opaque"]
    plaintexts = ["v1", "Secret", name, "default", "Opaque"]
    for field, values in (("data", data), ("stringData", string_data)):
        if not values:
            continue
        lines.append(f"{field}:")
        for k, v in values.items():
            plaintexts.append(v)
            shown = encrypt_value(key, v, [field, k]) if field in encrypt else v
            lines.append(f"    {k}: {shown}")
    regex = "^(" + "|".join(encrypt) + ")$"
    return "\n".join(lines) + "\n" + sops_block(key, groups, plaintexts, f"encrypted_regex: {regex}", threshold)
