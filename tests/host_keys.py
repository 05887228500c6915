"""Real SSH host public keys made at test time, as `KEYTYPE BASE64` (no key text is committed)."""

from __future__ import annotations

import base64
import struct
from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

_CURVES = {
    "ecdsa-sha2-nistp256": ec.SECP256R1, "ecdsa-sha2-nistp384": ec.SECP384R1, "ecdsa-sha2-nistp521": ec.SECP521R1,
}
SK_ED25519, SK_ECDSA = "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"
KEY_TYPES = ("ssh-ed25519", "ssh-rsa", *_CURVES, SK_ED25519, SK_ECDSA)


def ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def blob(key_type: str = "ssh-ed25519") -> bytes:
    """The decoded key of host_key(key_type)."""
    return base64.b64decode(host_key(key_type).split()[1])


def encoded(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@cache
def host_key(key_type: str = "ssh-ed25519") -> str:
    """`KEYTYPE BASE64` of a key made for this run (one per type, reused), as ssh-keyscan prints it."""
    if key_type in (SK_ED25519, SK_ECDSA):
        # A security key's public key is the plain key's fields under the sk- name, then the
        # application string (OpenSSH PROTOCOL.u2f).
        plain = blob("ssh-ed25519" if key_type == SK_ED25519 else "ecdsa-sha2-nistp256")
        (size,) = struct.unpack_from(">I", plain)
        data = ssh_string(key_type.encode()) + plain[4 + size:] + ssh_string(b"ssh:")
        return f"{key_type} {encoded(data)}"
    if key_type == "ssh-ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    elif key_type == "ssh-rsa":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        private = ec.generate_private_key(_CURVES[key_type]())
    text = private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return text.decode("ascii")


def key_base64(key_type: str = "ssh-ed25519") -> str:
    """Only the BASE64 field of host_key(key_type)."""
    return host_key(key_type).split()[1]
