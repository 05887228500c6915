"""flux_bootstrap.known_hosts: every key is parsed, so a bad key is refused here and not when Flux syncs.

Keys are made at run time (host_keys.py); a refusal names the line and never holds the key.
"""

from __future__ import annotations

import os
import struct

import pytest
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from flux_bootstrap.known_hosts import check_known_hosts
from host_keys import KEY_TYPES, SK_ECDSA, SK_ED25519, blob, encoded, host_key, key_base64, ssh_string

HOST = "git.example.org"


def refusal(text: str, *keys: str) -> str:
    """The problem for `text` on HOST, checked to hold none of `keys` (the base64 fields given)."""
    with pytest.raises(ValueError) as refused:
        check_known_hosts(text, HOST, None)
    problem = str(refused.value)
    for key in keys:
        assert key not in problem
        assert len(key) < 48 or key[16:48] not in problem
    return problem


def with_first_field(data: bytes, name: bytes) -> bytes:
    """`data` with its type field replaced by `name`, the other fields unchanged."""
    (size,) = struct.unpack_from(">I", data)
    return ssh_string(name) + data[4 + size:]


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_a_real_key_of_each_type_is_accepted(key_type):
    check_known_hosts(f"{HOST} {host_key(key_type)}", HOST, None)


def test_every_accepted_line_form_still_is():
    key = host_key()
    text = "\n".join([
        "# comment line",
        f"{HOST} {key} a trailing comment",
        f"{HOST},192.0.2.7 {host_key('ssh-rsa')}",
        f"[{HOST}]:2222 {host_key('ecdsa-sha2-nistp384')}",
        f"|1|{'a' * 28}=|{'b' * 28}= {host_key(SK_ECDSA)}",
        f"*.example.org {key}",
    ])
    assert check_known_hosts(text, HOST, None) == text.split("\n", 1)[1] + "\n"  # without the comment
    check_known_hosts(f"|1|{'a' * 28}=|{'b' * 28}= {key}", HOST, None)
    check_known_hosts(f"[{HOST}]:2222 {key}", HOST, 2222)


@pytest.mark.parametrize(
    "actual,label",
    [("ssh-ed25519", "ssh-rsa"), ("ssh-rsa", "ssh-ed25519"), ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384"),
     ("ecdsa-sha2-nistp521", "ecdsa-sha2-nistp256"), ("ssh-ed25519", SK_ED25519), (SK_ECDSA, "ecdsa-sha2-nistp256")],
)
def test_a_key_under_another_types_label_is_refused(actual, label):
    key = key_base64(actual)
    problem = refusal(f"{HOST} {host_key()}\n{HOST} {label} {key}", key)
    assert problem.startswith(f"line 2 is labelled {label} but holds a key of type {actual};")


def test_a_key_whose_type_field_was_rewritten_to_match_the_label_does_not_load():
    # The fields are whole and named as labelled, but an ed25519 point is no RSA exponent and modulus.
    key = encoded(with_first_field(blob("ssh-ed25519"), b"ssh-rsa") + ssh_string(b"\x01"))
    assert "line 1 has a key that cannot be read as ssh-rsa" in refusal(f"{HOST} ssh-rsa {key}", key)


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("cut", [1, 5, 20])
def test_a_truncated_key_is_refused(key_type, cut):
    key = encoded(blob(key_type)[:-cut])
    problem = refusal(f"# first\n{HOST} {host_key()}\n{HOST} {key_type} {key}", key)
    assert problem.startswith("line 2 has a key that is cut short, has bytes left over, or is not an SSH key.")


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_a_key_with_bytes_left_over_is_refused(key_type):
    for extra in (b"\x00\x01", ssh_string(b"more")):
        key = encoded(blob(key_type) + extra)
        assert "line 1 has a key that is cut short, has bytes left over" in refusal(f"{HOST} {key_type} {key}", key)


@pytest.mark.parametrize("key_type", ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp521", SK_ECDSA])
def test_a_whole_blob_with_a_bad_key_inside_does_not_load(key_type):
    fields = blob(key_type)
    if key_type == "ssh-ed25519":  # a 31-byte point, length-prefixed as such
        data = ssh_string(b"ssh-ed25519") + ssh_string(fields[-32:-1])
    else:  # the curve point's last bytes zeroed: not on the curve
        size = len(ssh_string(b"ssh:")) if key_type == SK_ECDSA else 0
        point_end = len(fields) - size
        data = fields[:point_end - 8] + b"\x00" * 8 + fields[point_end:]
    key = encoded(data)
    assert f"line 1 has a key that cannot be read as {key_type}" in refusal(f"{HOST} {key_type} {key}", key)


@pytest.mark.parametrize(
    "key",
    ["A" * 68, key_base64()[:24] + "A" * 44, encoded(os.urandom(51)), encoded(ssh_string(b"ssh-ed25519")), "QUFB" * 20],
    ids=["zeros", "real-start-then-A", "random", "type-only", "text"],
)
def test_garbage_base64_is_refused(key):
    problem = refusal(f"{HOST} ssh-ed25519 {key}", key)
    assert problem.startswith("line 1 "), problem
    assert "cut short" in problem or "labelled ssh-ed25519 but holds" in problem


@pytest.mark.parametrize(
    "key",
    [key_base64("ecdsa-sha2-nistp256").rstrip("="), key_base64("ecdsa-sha2-nistp256") + "=", "A" * 17],
    ids=["unpadded", "excess-padding", "length"],
)
def test_base64_that_does_not_decode_is_refused(key):
    # ssh-keyscan pads; Go's decoder, which Flux's SSH client uses, requires the padding.
    problem = refusal(f"{HOST} ecdsa-sha2-nistp256 {key}", key)
    assert problem.startswith("line 1 has a key that is not whole base64")


def test_the_problem_names_the_line_among_comments_and_blank_lines():
    key = encoded(blob()[:-1])
    text = f"# one\n\n{HOST} {host_key()}\n# two\n{HOST} {host_key('ssh-rsa')}\n{HOST} ssh-ed25519 {key}\n"
    assert refusal(text, key).startswith("line 3 has a key that is cut short")


class TestWithALoaderThatDoesNotKnowSkKeys:
    """An older `cryptography` raises UnsupportedAlgorithm for the sk- types: the field check stands alone."""

    @pytest.fixture(autouse=True)
    def old_loader(self, monkeypatch):
        real = serialization.load_ssh_public_key

        def load(data: bytes, backend=None):
            if data.startswith(b"sk-"):
                raise UnsupportedAlgorithm("Key type is not supported.")
            return real(data)

        monkeypatch.setattr(serialization, "load_ssh_public_key", load)

    @pytest.mark.parametrize("key_type", [SK_ED25519, SK_ECDSA])
    def test_a_whole_sk_key_is_accepted(self, key_type):
        check_known_hosts(f"{HOST} {host_key(key_type)}", HOST, None)

    def test_a_mislabelled_sk_key_is_refused(self):
        key = key_base64(SK_ECDSA)
        assert "line 1 is labelled sk-ssh-ed25519@openssh.com but holds a key of type " \
               "sk-ecdsa-sha2-nistp256@openssh.com" in refusal(f"{HOST} {SK_ED25519} {key}", key)

    @pytest.mark.parametrize("key_type", [SK_ED25519, SK_ECDSA])
    def test_a_truncated_or_padded_sk_key_is_refused(self, key_type):
        for data in (blob(key_type)[:-3], blob(key_type) + ssh_string(b"x"),
                     with_first_field(blob("ssh-ed25519"), key_type.encode())):
            key = encoded(data)
            assert "line 1 has a key that is cut short" in refusal(f"{HOST} {key_type} {key}", key)

