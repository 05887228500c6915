"""A detect-secrets plugin for age identities (`AGE-SECRET-KEY-1...`), the key that decrypts
every SOPS file of a cluster: detect-secrets has no detector for them. Loaded by detect-secrets
from this file's path; its shape is the secret detector's (flux_bootstrap/secret_detector.py).
"""

import re

from detect_secrets.plugins.base import RegexBasedDetector

from flux_bootstrap.secret_detector import AGE_IDENTITY


class AgeSecretKeyDetector(RegexBasedDetector):
    """Scans for age X25519 identities (bech32, upper case)."""

    secret_type = "age identity"  # noqa: S105 (a label, not a secret)

    denylist = [re.compile(AGE_IDENTITY)]
