"""SOPS age key handling: real keys from pyrage (and the age CLI when installed) really decrypt
what is encrypted to the recipient we derive; malformed keys are refused without being echoed."""

import base64
import os
import shutil
import subprocess

import bech32
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyrage import decrypt, encrypt, x25519

from flux_bootstrap import age_key as sops
from flux_bootstrap import manifests
from flux_bootstrap.settings import resolve_settings
from flux_bootstrap.validation import validate_object

MESSAGE = b"apiVersion: v1\nkind: Secret\n# a secret only the identity may read\n"


def new_identity() -> tuple[str, str]:
    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def keygen_file(identity: str, recipient: str, newline: str = "\n") -> str:
    """A key file laid out as `age-keygen -o` writes it."""
    lines = ["# created: 2026-01-02T03:04:05Z", f"# public key: {recipient}", identity]
    return newline.join(lines) + newline


def decrypts(identity: str, recipient: str) -> bool:
    """Whether `identity` reads a message pyrage encrypted to `recipient`."""
    ciphertext = encrypt(MESSAGE, [x25519.Recipient.from_str(recipient)])
    return decrypt(ciphertext, [x25519.Identity.from_str(identity)]) == MESSAGE


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def key_bytes(identity: str) -> bytes:
    hrp, data = bech32.bech32_decode(identity.lower())
    return bytes(bech32.convertbits(data, 5, 8, False))


def assert_not_echoed(message: str, secret: str) -> None:
    """No 6-character run of the secret part (after the public prefix) is in the message."""
    body = secret.removeprefix(sops.IDENTITY_PREFIX).lower()
    lowered = message.lower()
    leaks = [body[i : i + 6] for i in range(len(body) - 5) if body[i : i + 6] in lowered]
    assert not leaks, message


# --- accepted keys -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layout",
    [
        lambda i, r: i,
        lambda i, r: f"  {i}\n\n",
        lambda i, r: keygen_file(i, r),
        lambda i, r: keygen_file(i, r, newline="\r\n"),
        lambda i, r: "\ufeff" + keygen_file(i, r, newline="\r\n"),
        lambda i, r: f"# created: 2026-01-02T03:04:05Z\n{i}\n",  # no public-key comment
    ],
    ids=["bare", "whitespace", "keygen-file", "crlf", "bom-crlf", "no-public-comment"],
)
def test_parsed_identity_decrypts_what_is_encrypted_to_its_recipient(layout):
    identity, recipient = new_identity()
    parsed = sops.parse_identity(layout(identity, recipient))
    assert parsed == identity
    assert sops.recipient_of(parsed) == recipient
    assert decrypts(parsed, sops.recipient_of(parsed))


def test_recipient_of_accepts_a_key_file():
    identity, recipient = new_identity()
    assert sops.recipient_of(keygen_file(identity, recipient)) == recipient


def test_a_foreign_identity_does_not_decrypt():
    # The proof above is only a proof if a wrong key fails.
    identity, _ = new_identity()
    _, other_recipient = new_identity()
    ciphertext = encrypt(MESSAGE, [x25519.Recipient.from_str(other_recipient)])
    with pytest.raises(Exception):
        decrypt(ciphertext, [x25519.Identity.from_str(sops.parse_identity(identity))])


# --- identity from random bytes (the `generate` mode) ---------------------------------------


def test_identity_from_random_bytes_decrypts_and_matches_x25519():
    raw = os.urandom(sops.RANDOM_BYTES)
    identity = sops.identity_from_random_bytes(b64(raw))
    assert identity.startswith(sops.IDENTITY_PREFIX) and identity == identity.upper()
    assert sops.parse_identity(identity) == identity
    recipient = sops.recipient_of(identity)
    assert decrypts(identity, recipient)
    # Independent derivation: the recipient is the X25519 public key of these very bytes.
    public = X25519PrivateKey.from_private_bytes(raw).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert recipient == bech32.bech32_encode("age", bech32.convertbits(public, 8, 5))


def test_identity_from_random_bytes_is_deterministic():
    raw = os.urandom(sops.RANDOM_BYTES)
    first = sops.identity_from_random_bytes(b64(raw))
    assert sops.identity_from_random_bytes(b64(raw)) == first
    assert sops.identity_from_random_bytes(b64(os.urandom(sops.RANDOM_BYTES))) != first


def test_identity_from_random_bytes_round_trips_a_pyrage_identity():
    identity, recipient = new_identity()
    rebuilt = sops.identity_from_random_bytes(b64(key_bytes(identity)))
    assert rebuilt == identity
    assert sops.recipient_of(rebuilt) == recipient


@pytest.mark.parametrize(
    "material",
    [
        b64(os.urandom(31)),
        b64(os.urandom(33)),
        b64(os.urandom(64)),
        "",
        "not base64 at all!",
        b64(os.urandom(32))[:-2],  # padding lost
        "A" * 100_000,
    ],
    ids=["31-bytes", "33-bytes", "64-bytes", "empty", "not-base64", "truncated", "huge"],
)
def test_identity_from_random_bytes_refuses_wrong_material(material):
    with pytest.raises(sops.AgeKeyError) as err:
        sops.identity_from_random_bytes(material)
    if len(material) >= 8:
        assert material[:8] not in str(err.value)


# --- refused keys ----------------------------------------------------------------------------


def _flip_one_character(identity: str) -> str:
    charset = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"  # bech32's, upper case
    position = len(identity) // 2
    replacement = next(c for c in charset if c != identity[position])
    return identity[:position] + replacement + identity[position + 1 :]


def _wrong_length(identity: str) -> str:
    return bech32.bech32_encode("age-secret-key-", bech32.convertbits(key_bytes(identity)[:31], 8, 5)).upper()


def _wrong_prefix(identity: str) -> str:
    data = bech32.convertbits(key_bytes(identity), 8, 5)
    return bech32.bech32_encode("age-secret-kez-", data).upper()


REFUSED = {
    "wrong-prefix": (_wrong_prefix, "not an age identity"),
    "wrong-checksum": (_flip_one_character, "checksum"),
    "dropped-character": (lambda i: i[:40] + i[41:], "checksum"),
    "lower-case": (str.lower, "upper case"),
    "mixed-case": (lambda i: i[:30] + i[30:].lower(), "upper case"),
    "wrong-length": (_wrong_length, "32-byte"),
    "two-identities": (lambda i: f"{i}\n{new_identity()[0]}\n", "keep exactly one"),
    "same-identity-twice": (lambda i: f"{i}\n{i}\n", "keep exactly one"),
    "public-key-mismatch": (lambda i: keygen_file(i, new_identity()[1]), "mixes two keys"),
    "recipient-instead": (lambda i: sops.recipient_of(i), "public key"),
    "ssh-key-instead": (
        lambda i: "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA" + i[20:40] + "\n-----END OPENSSH PRIVATE KEY-----\n",
        "SSH",
    ),
    "ssh-public-key-instead": (lambda i: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA" + i[20:40], "SSH"),
    "plugin-identity": (lambda i: "AGE-PLUGIN-YUBIKEY-1" + i[20:], "plugin"),
    "text-around-key": (lambda i: f"my key is {i}", "not an age identity"),
    "empty": (lambda i: "", "no age identity"),
    "comments-only": (lambda i: "# created: 2026-01-02T03:04:05Z\n\n", "no age identity"),
    "huge": (lambda i: (i + "\n") * 1000, "too long"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_malformed_keys_are_refused_without_echo(name):
    make, expected = REFUSED[name]
    identity, _ = new_identity()
    text = make(identity)
    with pytest.raises(sops.AgeKeyError) as err:
        sops.parse_identity(text)
    message = str(err.value)
    assert expected in message
    assert isinstance(err.value, ValueError)
    assert err.value.__cause__ is None  # no library error chained to ours
    assert_not_echoed(message, identity)
    for line in text.splitlines():  # nor the middle of any other line given
        if len(line) >= 20:
            middle = len(line) // 2
            assert line[middle : middle + 10] not in message


def test_recipient_of_refuses_a_malformed_identity():
    identity, _ = new_identity()
    with pytest.raises(sops.AgeKeyError) as err:
        sops.recipient_of(_flip_one_character(identity))
    assert_not_echoed(str(err.value), identity)


def test_non_text_is_refused():
    with pytest.raises(sops.AgeKeyError):
        sops.parse_identity(b"AGE-SECRET-KEY-1")  # type: ignore[arg-type]


# --- manifests -------------------------------------------------------------------------------


def test_secret_manifest_is_a_strictly_valid_secret_holding_the_key_file():
    identity, _ = new_identity()
    labels = {"app.kubernetes.io/managed-by": "flux-bootstrap"}
    secret = sops.secret_manifest(identity, labels=labels)
    assert validate_object(secret) == []
    assert secret["metadata"] == {"name": "sops-age", "namespace": "flux-system", "labels": labels}
    assert secret["type"] == "Opaque"
    assert list(secret["stringData"]) == ["age.agekey"]  # kustomize-controller reads *.agekey
    # The stored file content is itself a key file we (and age) accept.
    assert sops.parse_identity(secret["stringData"]["age.agekey"]) == identity
    labels["changed"] = "later"
    assert "changed" not in secret["metadata"]["labels"]


def test_secret_manifest_without_labels_in_another_namespace_is_valid():
    secret = sops.secret_manifest(new_identity()[0], namespace="gitops")
    assert validate_object(secret) == []
    assert secret["metadata"] == {"name": "sops-age", "namespace": "gitops"}


def test_a_secret_with_an_unknown_field_is_refused_by_the_same_validation():
    # validate_object must be able to fail for the test above to mean something.
    secret = sops.secret_manifest(new_identity()[0])
    secret["metadata"]["nmae"] = "typo"
    assert validate_object(secret) != []


def test_decryption_spec_is_valid_in_the_flux_kustomization(config_dir):
    settings = resolve_settings(
        project_dir=config_dir.parent, project="flux-bootstrap", stack="dev", stack_values={}, stack_source="stack"
    )
    kustomization = manifests.kustomization_manifest(settings)
    kustomization["spec"]["decryption"] = sops.decryption_spec()
    assert validate_object(kustomization) == []
    assert kustomization["spec"]["decryption"] == {"provider": "sops", "secretRef": {"name": "sops-age"}}
    kustomization["spec"]["decryption"]["provider"] = "vault"
    assert validate_object(kustomization) != []


# --- cross-check with the age CLI (Go age, the library SOPS uses) ------------------------------

needs_age = pytest.mark.skipif(shutil.which("age") is None or shutil.which("age-keygen") is None, reason="age CLI not installed")


def _run(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), input=data, capture_output=True, timeout=60, check=False)


@needs_age
def test_age_keygen_file_is_accepted_and_decrypts_what_age_encrypts(tmp_path):
    key_file = tmp_path / "age.agekey"
    assert _run("age-keygen", "-o", str(key_file)).returncode == 0
    identity = sops.parse_identity(key_file.read_text())
    recipient = sops.recipient_of(identity)
    assert _run("age-keygen", "-y", str(key_file)).stdout.decode().strip() == recipient
    encrypted = _run("age", "--encrypt", "-r", recipient, data=MESSAGE)
    assert encrypted.returncode == 0
    assert decrypt(encrypted.stdout, [x25519.Identity.from_str(identity)]) == MESSAGE


@needs_age
def test_generated_secret_content_is_read_by_age(tmp_path):
    identity = sops.identity_from_random_bytes(b64(os.urandom(sops.RANDOM_BYTES)))
    key_file = tmp_path / "age.agekey"
    key_file.write_text(sops.secret_manifest(identity)["stringData"]["age.agekey"])
    ciphertext = encrypt(MESSAGE, [x25519.Recipient.from_str(sops.recipient_of(identity))])
    decrypted = _run("age", "--decrypt", "-i", str(key_file), data=ciphertext)
    assert decrypted.returncode == 0
    assert decrypted.stdout == MESSAGE


@needs_age
def test_go_age_refuses_a_lower_case_identity_hence_our_rule(tmp_path):
    identity = sops.identity_from_random_bytes(b64(os.urandom(sops.RANDOM_BYTES)))
    key_file = tmp_path / "age.agekey"
    key_file.write_text(identity.lower() + "\n")
    ciphertext = encrypt(MESSAGE, [x25519.Recipient.from_str(sops.recipient_of(identity))])
    assert _run("age", "--decrypt", "-i", str(key_file), data=ciphertext).returncode != 0
    key_file.write_text(identity + "\n")
    assert _run("age", "--decrypt", "-i", str(key_file), data=ciphertext).returncode == 0
