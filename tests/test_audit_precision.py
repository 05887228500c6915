"""The audit is precise (#16 item 7): what Kubernetes and Flux manifests hold that detect-secrets
alone takes for a secret is not reported, and real secrets still are. Every fixture is built here,
after the patterns found in public Flux repositories (no content of theirs); values that must look
random are generated at test time."""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import time
from pathlib import Path

import pytest
from cryptography import x509
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from flux_bootstrap.audit import audit, manifest_filters, scanner
from flux_bootstrap.audit.manifest_filters import plain_value_is_secret
from helpers import write_files as write
from sops_fixtures import new_identity, random_text

_, STACK = new_identity()
SOPS_CONFIG = f"creation_rules:\n  - path_regex: .*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: {STACK}\n"


def credential(length: int = 24) -> str:
    """A generated credential: random, with upper case, lower case and digits for sure."""
    return random_text(length - 3) + "aZ7"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def certificate_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hubble-ca")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def private_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


def entropic(make) -> str:
    """A generated value random enough for detect-secrets' entropy plugins (a few fall short)."""
    value = make()
    while Base64HighEntropyString().calculate_shannon_entropy(value) < 4.6 and not set(value) <= set("0123456789abcdef"):
        value = make()
    while set(value) <= set("0123456789abcdef") and HexHighEntropyString().calculate_shannon_entropy(value) < 3.3:
        value = make()
    return value


def not_secret_lines() -> dict[str, list[str]]:
    """Lines, by file, that detect-secrets alone reports and that are not secrets."""
    sha1, sha256 = entropic(lambda: secrets.token_hex(20)), entropic(lambda: secrets.token_hex(32))
    sri = base64.b64encode(secrets.token_bytes(48)).decode()
    example = entropic(lambda: "k" + base64.b64encode(secrets.token_bytes(32)).decode())  # a word first, as the keyword plugin needs
    recipient = entropic(lambda: new_identity()[1])
    disk = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(15))  # a drive's serial
    project = str(secrets.randbelow(9 * 10**11) + 10**11)  # a cloud project's number
    return {
        "apps/helmrelease.yaml": [
            "      secretName: grafana-tls",  # a reference to a Secret by name
            "    existingSecret: app-admin-creds",
            "    pullSecret: git-deploy-key",
            "    githubConfigSecret: app-runner-secret",
            "        passwordKey: admin-password",  # the key of a value in a Secret
            "      - secretKey: redis-password",  # an ExternalSecret's key
            "        value: --sops-age-secret=sops-age",  # a flag naming a Secret
            "    writeConnectionSecretsToNamespace: crossplane-system",
            "    secretsBackend: local",  # settings about secrets
            "    enablePasswordDB: false",  # booleans and null
            "    apiKey: false",
            "    useSecret: null",
            "      APP_PASSWORD_RESET_DISABLE: \"true\"",
            "      BACKUP_PASSWORD: \"none\"",
            "      password: PLACEHOLDER",  # placeholders
            "      SECRET_KEY: \"value\"",
            "      api_key: \"xxxxxxxxxxxxxxxx\"",
            "      password: your-password-here",
            "      SECRET_EXTERNAL_URL: https://ha.example.net",  # a URL without credentials
            "    secretsPath: secrets.sops.yaml",  # a file name
            "      tag: \"%s\"" % sha1,  # a commit SHA where an image tag goes
            "      client_secret: '{{ secret \"/config/secrets/DASHBOARD_OAUTH_CLIENT_SECRET\" }}'",  # a template
            "      - name: \"/dev/disk/by-id/nvme-Vendor_SSD_Model_500GB_%s\"" % disk,  # a path
            "    content: \"{{ user }} ALL=(ALL:ALL) NOPASSWD:ALL\"",  # sudoers
            "    # aescbcEncryptionSecret: %s" % example,  # a commented-out example
            "    #   password: password  # the registry's password",
            "    #   proxy: https://USERNAME:PASSWORD@proxy.example:3128/",
        ],
        "apps/gitrepository.yaml": [
            "    commit: \"%s\"" % sha1,  # a commit SHA or an image digest, where one goes
            "  digest: \"%s\"" % sha256,
            "  \"revision\": \"%s\"" % sha1,
        ],
        ".github/workflows/oidc.yaml": [
            "          workload_identity_provider: 'projects/%s/locations/global/"
            "workloadIdentityPools/ci-pool/providers/github'" % project,  # a cloud resource path
        ],
        "apps/glauth/config.sops.toml": [
            "        \"recipient\": \"%s\"," % recipient,  # an age public key
            "        \"fp\": \"%s\"" % sha1.upper(),  # a PGP fingerprint
        ],
        "web/index.json": ["  \"integrity\": \"sha384-%s\"" % sri],  # an SRI hash
        "scripts/package-lock.json": ["  \"integrity\": \"sha512-%s\"" % base64.b64encode(secrets.token_bytes(64)).decode()],
        "docs/prompt.md": ["- For apps that need secrets: `vault-backed-stores`"],
        "apps/names.yaml": [  # names of variables or of a Secret's keys
            "      - secretKey: APP__SESSION_SECRET",
            "      databaseKey: APP_DB_NAME",
        ],
        "terraform/bucket.tf": ["  user_secret_item = \"S3_SECRET_KEY\""],
        "scripts/e2e.sh": ["SCHEMATIC=\"%s\"" % sha256],  # a Talos schematic id, a SHA-256
        ".github/workflows/e2e.yaml": ["          echo '{\"ClientId\":\"fake\",\"ClientSecret\":\"fake\"}' > creds.json"],
    }


def test_detect_secrets_alone_reports_every_fixture_line(monkeypatch):
    """The fixtures are real false positives: without the manifest filters each line is reported
    (the lock file aside: detect-secrets' scan_file skips it by name)."""
    defaults = [{"path": path} for path in manifest_filters._DETECT_SECRETS_FILTERS]
    monkeypatch.setattr(manifest_filters, "FILTERS_USED", defaults)
    lines = [(f"{n}/{name}", line) for name, group in not_secret_lines().items() for n, line in enumerate(group)]
    result = scanner.scan_texts({name: [line] for name, line in lines})
    assert [line for name, line in lines if name not in result.hits] == []


def test_what_manifests_hold_that_is_not_a_secret_is_not_reported(tmp_path):
    # One file per line: the lines come from different places of different files.
    write(tmp_path, {f"{n}/{name}": line + "\n" for name, lines in not_secret_lines().items() for n, line in enumerate(lines)})
    report = audit(tmp_path)
    assert report.findings == [], [str(f) for f in report.findings]


@pytest.mark.parametrize("line", [
    "    password: %s",  # a literal password
    "    clientSecret: %s",
    "    secretKey: %s",  # an S3 secret key, not an ExternalSecret's key name
    "    existingSecret: %s",  # a credential where a name belongs
    "    # jwtSecret: \"%s\"",  # in a .md file, `#` starts a heading, not a comment
])
def test_literal_credentials_on_secret_keys_are_still_reported(tmp_path, line):
    value = credential(32)
    name = "docs/setup.md" if line.lstrip().startswith("#") else "apps/values.yaml"
    write(tmp_path, {name: "config:\n" + line % value + "\n"})
    report = audit(tmp_path)
    assert {(f.file, f.line, f.kind) for f in report.findings} == {(name, 2, "secret-in-file")}
    assert value not in str(report.findings)


def test_tokens_of_known_shapes_are_reported_in_comments_and_beside_templates(tmp_path):
    identity, _ = new_identity()
    github = "ghp_" + random_text(36)
    write(tmp_path, {
        "apps/values.yaml": "\n".join([
            "# token: %s" % github,  # commented out, but a GitHub token
            "#   %s" % identity,  # an age identity in a comment
            "url: \"https://${HOST}/hook?key=AKIA%s\"" % random_text(16).upper(),  # an AWS key beside ${VAR}
            "dsn: postgres://app:%s@db:5432/app" % credential(20),  # credentials in a URL
        ]) + "\n",
        "keys/id.pem": private_key_pem(),
    })
    found = sorted((f.file, f.line) for f in audit(tmp_path).findings)
    assert found == [("apps/values.yaml", 1), ("apps/values.yaml", 2), ("apps/values.yaml", 3), ("apps/values.yaml", 4),
                     ("keys/id.pem", 1)]


def test_a_generated_key_in_upper_case_is_still_reported(tmp_path):
    value = ""
    while Base64HighEntropyString().calculate_shannon_entropy(value) < 4.8:  # above detect-secrets' 4.5
        value = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(64))
    write(tmp_path, {"config/app.json": "{\n  \"sessionKey\": \"%s\"\n}\n" % value})
    assert [(f.file, f.line) for f in audit(tmp_path).findings] == [("config/app.json", 2)]


def secret_manifest(field: str, values: dict[str, str]) -> str:
    body = "".join(f"  {k}: {v}\n" for k, v in values.items())
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n{field}:\n{body}"


def test_plain_secret_values_that_are_not_secrets_are_not_reported(tmp_path):
    write(tmp_path, {
        ".sops.yaml": SOPS_CONFIG,
        "substituted.yaml": secret_manifest("stringData", {  # Flux postBuild substitution
            "password": "${DB_PASSWORD}", "url": "\"postgres://${DB_USER}:${DB_PASSWORD}@db:5432/app\"",
            "token": "\"${TOKEN:=}\""}),
        "empty.yaml": secret_manifest("stringData", {"a": "null", "b": "false", "c": "\"\"", "d": "~", "e": "PLACEHOLDER",
                                                     "f": "changeme", "g": "<password>"}),
        "data.yaml": secret_manifest("data", {"ca.crt": b64(certificate_pem()), "flag": b64("true")}),
    })
    report = audit(tmp_path, recipients=[STACK])
    assert report.findings == [], [str(f) for f in report.findings]
    assert report.secrets == 3


def test_a_secret_of_references_only_needs_no_sops_rule(tmp_path):
    """Values filled in before applying (`op inject`, Flux substitution) are not secrets, and such a
    Secret needs no creation rule; one real value makes it need both."""
    write(tmp_path, {
        "bootstrap/op.yaml": secret_manifest("stringData", {"token": "op://kubernetes/app/TOKEN", "url": "${APP_URL}"}),
        "bootstrap/vals.yaml": secret_manifest("stringData", {"token": "ref+vault://secret/app#/token"}),
        "bootstrap/real.yaml": secret_manifest("stringData", {"token": "op://kubernetes/app/TOKEN", "other": credential()}),
    })
    found = [(f.file, f.line, f.kind) for f in audit(tmp_path).findings]
    assert found == [("bootstrap/real.yaml", 1, "sops-config"), ("bootstrap/real.yaml", 7, "plain-secret")]


def test_plain_secret_values_with_real_values_are_reported(tmp_path):
    """A CA with its private key in a plain Secret: the key is reported, the certificate is public."""
    password = credential()
    write(tmp_path, {
        ".sops.yaml": SOPS_CONFIG,
        "ca.yaml": secret_manifest("data", {"ca.crt": b64(certificate_pem()), "ca.key": b64(private_key_pem())}),
        "app.yaml": secret_manifest("stringData", {"password": password, "user": "admin", "host": "${DB_HOST}",
                                                   "dsn": f"\"postgres://app:{password}@${{DB_HOST}}/app\""}),
    })
    report = audit(tmp_path, recipients=[STACK])
    plain = sorted((f.file, f.line) for f in report.findings if f.kind == "plain-secret")
    assert plain == [("app.yaml", 6), ("app.yaml", 7), ("app.yaml", 9), ("ca.yaml", 7)]
    assert password not in "\n".join(map(str, report.findings))


@pytest.mark.parametrize(("value", "tag", "encoded", "secret"), [
    ("null", "tag:yaml.org,2002:null", False, False),
    ("true", "tag:yaml.org,2002:bool", False, False),
    ("${SECRET}", "tag:yaml.org,2002:str", False, False),
    ("xxxxxxxx", "tag:yaml.org,2002:str", False, False),
    (b64("your-password-here"), "tag:yaml.org,2002:str", True, False),
    ("Password123", "tag:yaml.org,2002:str", False, True),
    ("admin", "tag:yaml.org,2002:str", False, True),
    (b64("s3cr3t-but-real"), "tag:yaml.org,2002:str", True, True),
    ("${HOST}:ghp_" + credential(36), "tag:yaml.org,2002:str", False, True),  # generated at collection
])
def test_plain_value_is_secret(value, tag, encoded, secret):
    assert plain_value_is_secret(value, tag, encoded) is secret


def test_lock_files_are_left_out_as_detect_secrets_does(tmp_path):
    lock = {"packages": {"x": {"integrity": "sha512-" + base64.b64encode(secrets.token_bytes(64)).decode(),
                               "resolved": "https://registry.npmjs.org/x/-/x-1.0.0.tgz"}}}
    write(tmp_path, {"package-lock.json": json.dumps(lock, indent=2)})
    report = audit(tmp_path)
    assert report.findings == [] and report.files == 1


def test_the_filters_stay_fast_on_long_hostile_lines(tmp_path):
    """Each filter is linear in a line: unclosed template braces, or a value repeated all along it."""
    lines = [f"password{n}: \"" + "{{" * 4_900 + f"{n}\"" for n in range(100)]
    lines += [f"tag{n}: " + "ab " * 3_000 + f"ab{n}" for n in range(100)]
    write(tmp_path, {"hostile.yaml": "\n".join(lines) + "\n"})
    started = time.monotonic()
    audit(tmp_path)
    assert time.monotonic() - started < 20  # about 1 s
