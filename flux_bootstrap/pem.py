"""PEM texts the program passes on: a CA bundle (public) and a GitHub App's private key (secret).

Parsed with `cryptography`, never by hand; every message is our own words, never the text.
"""

from __future__ import annotations

import re

MAX_PEM = 64 * 1024  # a CA bundle of a few certificates, or one RSA key, is a few KiB
_CERT_HEADER = "-----BEGIN CERTIFICATE-----"
_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]{1,64})-----", re.ASCII)


def normalise(text: str) -> str:
    """Surrounding whitespace trimmed, one final newline, Unix line ends."""
    return text.replace("\r\n", "\n").strip() + "\n"


def check_certificates(text: str) -> str:
    """`text` normalised when it is a PEM bundle of X.509 certificates; ValueError saying why not."""
    from cryptography import x509

    if len(text) > MAX_PEM:
        raise ValueError(f"is larger than {MAX_PEM} bytes, far more than a CA bundle holds.")
    if not text.isascii() or _CERT_HEADER not in text:
        raise ValueError("is not a PEM certificate: give the CA's certificate (and any intermediates) as "
                         f"text starting with {_CERT_HEADER}.")
    # Only certificates: a bundle pasted with its private key would put that key in plain text
    # (caCert is a plain setting, ca.crt may be committed, and the Secret's ca.crt is public to Flux).
    labels = set(_BEGIN.findall(text))
    if labels - {"CERTIFICATE"}:
        raise ValueError("holds something other than certificates (a private key?). Give only the CA's "
                         "certificate(s): the -----BEGIN CERTIFICATE----- blocks, without any key.")
    try:
        certificates = x509.load_pem_x509_certificates(normalise(text).encode("ascii"))
    except ValueError:
        raise ValueError("holds a certificate that cannot be read. Export the CA certificate again in PEM "
                         "form.") from None
    if not certificates:
        raise ValueError(f"holds no certificate. Give the CA certificate in PEM form ({_CERT_HEADER} ...).")
    return normalise(text)


def check_rsa_private_key(text: str) -> str:
    """`text` normalised when it is an unencrypted RSA private key in PEM (as GitHub issues for an App)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    fix = ("Use the .pem file GitHub downloads when you generate a private key on the App's settings "
           "page, unchanged.")
    if len(text) > MAX_PEM:
        raise ValueError(f"is larger than {MAX_PEM} bytes, far more than a private key holds. {fix}")
    if not text.isascii() or "PRIVATE KEY-----" not in text:
        raise ValueError(f"is not a PEM private key. {fix}")
    try:
        key = load_pem_private_key(normalise(text).encode("ascii"), password=None)
    except TypeError:
        raise ValueError(f"is encrypted with a passphrase, which Flux cannot use. {fix}") from None
    except Exception:  # noqa: BLE001 - any parse failure: our words, never the library's
        raise ValueError(f"cannot be read as a private key. {fix}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"is not an RSA key; GitHub App keys are RSA. {fix}")
    return normalise(text)
