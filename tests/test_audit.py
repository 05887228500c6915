"""The offline audit of a manifests checkout: small repositories of each kind, built at test time
(tokens and keys are generated here, never committed), SOPS files in SOPS's real format."""

from __future__ import annotations

import base64
import inspect
import json
import os
import resource
import secrets
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from flux_bootstrap.audit import AuditError, audit, scanner
from flux_bootstrap.audit.sops import KeyGroups, parse_config
from flux_bootstrap.cli import main
from helpers import write_files as write
from sops_fixtures import LAST_MODIFIED, armored_age, encrypt_value, new_identity, random_text, sops_secret

ROOT = Path(__file__).resolve().parent.parent
_, STACK = new_identity()
_, OTHER = new_identity()
SOPS_CONFIG = f"creation_rules:\n  - path_regex: .*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: {STACK}\n"

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""


def plain_secret(field: str, values: dict[str, str]) -> str:
    body = "".join(f"  {k}: {v}\n" for k, v in values.items())
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n{field}:\n{body}"


def github_token() -> str:
    return "ghp_" + random_text(36)


def pem_private_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def kinds(report) -> list[tuple[str, int, str]]:
    return [(f.file, f.line, f.kind) for f in report.findings]


# --- Kubernetes Secrets ----------------------------------------------------------------------


def test_plain_secret_data_is_reported_by_line_without_its_value(tmp_path, capsys):
    password = random_text()
    encoded = base64.b64encode(password.encode()).decode()
    write(tmp_path, {".sops.yaml": SOPS_CONFIG, "clusters/dev/secret.yaml": plain_secret("data", {"password": encoded})})
    code, out, err = run(capsys, str(tmp_path), "--recipient", STACK)
    assert code == 1
    assert "clusters/dev/secret.yaml:6: plain-secret: Secret data value in plain text" in out
    assert password not in out + err and encoded not in out + err


def test_plain_secret_string_data_is_reported(tmp_path):
    password = random_text()
    write(tmp_path, {".sops.yaml": SOPS_CONFIG, "s.yaml": plain_secret("stringData", {"password": password, "user": "admin"})})
    report = audit(tmp_path, recipients=[STACK])
    assert ("s.yaml", 6, "plain-secret") in kinds(report)
    assert ("s.yaml", 7, "plain-secret") in kinds(report)
    assert all(password not in str(f) for f in report.findings)


def test_partially_encrypted_secret_reports_the_plain_values(tmp_path):
    token = random_text()
    text = sops_secret([STACK], data={"a": "YWJj"}, string_data={"token": token}, encrypt=("data",))
    write(tmp_path, {".sops.yaml": SOPS_CONFIG, "s.yaml": text})
    report = audit(tmp_path, recipients=[STACK])
    plain = [f for f in report.findings if f.kind == "plain-secret"]
    assert [f.line for f in plain] == [text.splitlines().index(f"    token: {token}") + 1]
    assert "although the file is SOPS-encrypted" in plain[0].message
    assert token not in "\n".join(map(str, report.findings))


def test_sops_secret_for_another_recipient_cannot_be_decrypted(tmp_path, capsys):
    write(tmp_path, {".sops.yaml": SOPS_CONFIG, "s.yaml": sops_secret([OTHER], data={"a": "YWJj"})})
    code, out, _ = run(capsys, str(tmp_path), "--recipient", STACK)
    assert code == 1
    lines = [line for line in out.splitlines() if ": undecryptable: " in line]
    assert len(lines) == 1 and lines[0].startswith("s.yaml:9: undecryptable: ") and OTHER in lines[0]


def test_sops_secret_for_the_stack_is_clean_and_its_ciphertext_is_not_a_secret(tmp_path, capsys):
    write(tmp_path, {
        ".sops.yaml": SOPS_CONFIG,
        "clusters/dev/app.yaml": DEPLOYMENT,
        "clusters/dev/secret.yaml": sops_secret([OTHER, STACK], data={"password": "YWJj"}, string_data={"token": random_text(40)}),
    })
    code, out, err = run(capsys, str(tmp_path), "--recipient", STACK)
    assert (code, err) == (0, "")
    assert out.startswith("ok: 3 files under the checkout, 3 YAML documents, 1 Secrets (all SOPS-encrypted), 1 SOPS files;")
    assert f"checked for recipient {STACK}" in out and len(out.splitlines()) == 1


def test_sops_json_file_is_clean_and_checked(tmp_path):
    # JSON quotes every value: unmasked, detect-secrets would flag the ciphertext and the age stanza.
    document = yaml.safe_load(sops_secret([STACK], data={"password": "aHVudGVyMg=="}, string_data={"api_token": random_text(30)}))
    write(tmp_path, {".sops.yaml": SOPS_CONFIG.replace(r".*\.yaml$", r".*\.json$"), "s.json": json.dumps(document, indent=4)})
    report = audit(tmp_path, recipients=[STACK])
    assert report.ok and (report.secrets, report.sops_files) == (1, 1)
    assert kinds(audit(tmp_path, recipients=[OTHER])) == [("s.json", 1, "sops-config"), ("s.json", 15, "undecryptable")]


def test_shamir_key_groups_need_the_threshold():
    groups = KeyGroups(((STACK,), (OTHER,)), threshold=2)
    assert not groups.decryptable_by({STACK})
    assert KeyGroups(((STACK,), (OTHER,)), threshold=1).decryptable_by({STACK})
    assert KeyGroups(((OTHER, STACK),), threshold=1).decryptable_by({STACK})
    assert not KeyGroups(((),), threshold=1).decryptable_by({STACK})


def test_sops_file_with_two_key_groups_needs_both(tmp_path):
    write(tmp_path, {".sops.yaml": SOPS_CONFIG, "s.yaml": sops_secret([[STACK], [OTHER]], data={"a": "YWJj"})})
    assert [f.kind for f in audit(tmp_path, recipients=[STACK]).findings] == ["undecryptable"]
    write(tmp_path, {"s.yaml": sops_secret([[STACK], [OTHER]], data={"a": "YWJj"}, threshold=1)})
    assert audit(tmp_path, recipients=[STACK]).ok


def test_multi_document_file_checks_each_secret(tmp_path):
    encrypted = sops_secret([STACK], data={"a": "YWJj"})
    plain = plain_secret("data", {"b": "ZGVm"})
    write(tmp_path, {".sops.yaml": SOPS_CONFIG, "s.yaml": encrypted + "---\n" + plain})
    report = audit(tmp_path, recipients=[STACK])
    assert [f.kind for f in report.findings] == ["plain-secret"]
    assert report.findings[0].line == len(encrypted.splitlines()) + 1 + 6
    assert (report.secrets, report.sops_files) == (2, 1)


# --- secrets in any file ---------------------------------------------------------------------


def test_private_key_in_a_configmap_is_found_and_not_printed(tmp_path, capsys):
    pem = pem_private_key()
    body = "".join(f"    {line}\n" for line in pem.splitlines())
    write(tmp_path, {"cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tls\ndata:\n  key.pem: |\n{body}"})
    code, out, err = run(capsys, str(tmp_path))
    assert code == 1
    assert "cm.yaml:7: secret-in-file: Private Key (value not shown)" in out
    assert pem.splitlines()[1] not in out + err


def test_github_token_in_a_values_file(tmp_path, capsys):
    token = github_token()
    write(tmp_path, {"apps/values.yaml": f"image:\n  tag: 1.0\nauth:\n  githubToken: {token}\n"})
    code, out, err = run(capsys, str(tmp_path))
    assert code == 1 and "apps/values.yaml:4: secret-in-file: GitHub Token (value not shown)" in out
    assert token not in out + err and token[4:] not in out + err


def test_password_and_age_identity_are_found(tmp_path):
    password = random_text(18)
    identity, _ = new_identity()
    write(tmp_path, {"values.yaml": f"db:\n  password: {password}\n", "age.agekey": f"# public key: {STACK}\n{identity}\n"})
    report = audit(tmp_path)
    assert ("values.yaml", 2, "secret-in-file") in kinds(report)
    assert ("age.agekey", 2, "secret-in-file") in kinds(report)
    text = "\n".join(map(str, report.findings))
    assert password not in text and identity not in text and "age identity" in text


# --- .sops.yaml ------------------------------------------------------------------------------


def test_no_sops_config_is_a_finding_with_a_hint_for_sops_yml(tmp_path):
    write(tmp_path, {"clusters/dev/s.yaml": sops_secret([STACK], data={"a": "YWJj"})})
    report = audit(tmp_path, recipients=[STACK])
    assert kinds(report) == [("clusters/dev/s.yaml", 1, "sops-config")]
    assert "no .sops.yaml" in report.findings[0].message and ".sops.yml" not in report.findings[0].message
    write(tmp_path, {".sops.yml": SOPS_CONFIG})
    assert "SOPS ignores .sops.yml" in audit(tmp_path, recipients=[STACK]).findings[0].message


def test_sops_config_rule_not_covering_the_secret(tmp_path):
    config = f"creation_rules:\n  - path_regex: ^apps/.*\\.yaml$\n    age: {STACK}\n"
    write(tmp_path, {".sops.yaml": config, "clusters/dev/s.yaml": sops_secret([STACK], data={"a": "YWJj"})})
    report = audit(tmp_path, recipients=[STACK])
    assert kinds(report) == [("clusters/dev/s.yaml", 1, "sops-config")]
    assert "no creation rule of .sops.yaml has a path_regex matching clusters/dev/s.yaml" in report.findings[0].message


def test_sops_config_first_matching_rule_with_the_wrong_recipient(tmp_path):
    config = (
        "creation_rules:\n"
        f"  - path_regex: ^clusters/\n    age: '{OTHER}, {OTHER}'\n"
        f"  - path_regex: .*\n    age: [{STACK}]\n"
    )
    write(tmp_path, {".sops.yaml": config, "clusters/dev/s.yaml": sops_secret([STACK], data={"a": "YWJj"})})
    report = audit(tmp_path, recipients=[STACK])
    assert kinds(report) == [("clusters/dev/s.yaml", 1, "sops-config")]
    assert f"creation rule 1 of .sops.yaml (line 2) encrypts for {OTHER}, not for the stack's recipient" in report.findings[0].message


def test_sops_config_path_regex_is_relative_to_its_folder_and_the_nearest_config_wins(tmp_path):
    nearest = f"creation_rules:\n  - path_regex: ^secrets/[^/]+\\.yaml$\n    key_groups:\n      - age:\n          - {STACK}\n"
    write(tmp_path, {
        ".sops.yaml": f"creation_rules:\n  - age: {OTHER}\n",
        "clusters/dev/.sops.yaml": nearest,
        "clusters/dev/secrets/s.yaml": sops_secret([STACK], data={"a": "YWJj"}),
    })
    assert audit(tmp_path, recipients=[STACK]).ok
    assert audit(tmp_path, recipients=[OTHER]).findings  # the root config is not the one used


def test_sops_config_without_creation_rules_counts_as_absent_and_a_bad_regex_is_reported():
    assert parse_config("stores:\n  yaml:\n    indent: 2\n").rules is None
    config = parse_config("creation_rules:\n  - path_regex: '([a-z'\n    age: x\n")
    rule = config.rule_for("s.yaml")
    assert rule is not None and rule.pattern is None


def test_sops_config_covering_correctly_without_recipient_reports_the_check_not_run(tmp_path, capsys):
    write(tmp_path, {".sops.yaml": f"creation_rules:\n  - age: {OTHER}\n", "s.yaml": sops_secret([OTHER], data={"a": "YWJj"})})
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 0 and "recipient check NOT RUN" in out


# --- scope, summary, hostile input -------------------------------------------------------------


def test_clean_repository_exits_0_with_a_one_line_summary(tmp_path, capsys):
    write(tmp_path, {"clusters/dev/app.yaml": DEPLOYMENT, "clusters/dev/kustomization.yaml": "resources:\n  - app.yaml\n", "README.md": "# manifests\n"})
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(f"token = {github_token()}\n")  # .git is never read
    code, out, err = run(capsys, str(tmp_path), "--recipient", STACK)
    assert (code, err) == (0, "")
    assert out == (
        "ok: 3 files under the checkout, 2 YAML documents, 0 Secrets (all SOPS-encrypted), 0 SOPS files; "
        f"no secret found by detect-secrets; SOPS files and .sops.yaml rules checked for recipient {STACK}\n"
    )


def test_path_and_stack_limit_the_scope(tmp_path, capsys):
    write(tmp_path, {
        "clusters/dev/app.yaml": DEPLOYMENT,
        "clusters/prod/values.yaml": f"token: {github_token()}\n",
    })
    assert run(capsys, str(tmp_path), "--path", "clusters/dev")[0] == 0
    assert run(capsys, str(tmp_path), "--stack", "dev")[0] == 0
    code, out, _ = run(capsys, str(tmp_path), "--stack", "prod")
    assert code == 1 and out.startswith("clusters/prod/values.yaml:1: secret-in-file")
    assert run(capsys, str(tmp_path), "--path", "./clusters/dev/")[1].startswith("ok: 1 files under clusters/dev,")


@pytest.mark.parametrize("path", ["../x", "/etc", "clusters/none"])
def test_bad_path_exits_2(tmp_path, capsys, path):
    (tmp_path / "clusters").mkdir()
    code, out, err = run(capsys, str(tmp_path), "--path", path)
    assert code == 2 and out == "" and err.startswith("audit: --path")


def test_bad_recipient_is_refused_without_echo(tmp_path, capsys):
    identity, _ = new_identity()
    code, out, err = run(capsys, str(tmp_path), "--recipient", identity)
    assert code == 2 and identity not in out + err and "age public key" in err
    with pytest.raises(AuditError):
        audit(tmp_path / "missing")


def aliased_key_groups(groups: int, recipients: int) -> str:
    """SOPS metadata whose key_groups are `groups` aliases of one group of `recipients` entries:
    reading it alias by alias is quadratic (#16: 115 s and 3.2 GB for 156 KiB)."""
    group = "g: &g {age: [" + ", ".join(f"{{recipient: r{i}}}" for i in range(recipients)) + "]}\n"
    return group + "sops: {mac: x, lastmodified: y, key_groups: [" + ", ".join(["*g"] * groups) + "]}\n"


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (300 << 20, 300 << 20))  # address space, so resident memory too


def test_an_anchor_defined_again_is_valid_yaml_as_for_flux(tmp_path):
    """go-yaml (Flux, kustomize) lets a later `&host` replace an earlier one; PyYAML refuses it."""
    text = "a:\n  host: &host one.example.net\nb:\n  host: &host two.example.net\n  hosts: [*host]\n"
    password = random_text()
    write(tmp_path, {".sops.yaml": SOPS_CONFIG, "values.yaml": text + "---\n" + plain_secret("stringData", {"p": password})})
    report = audit(tmp_path, recipients=[STACK])
    assert [(f.file, f.line, f.kind) for f in report.findings] == [("values.yaml", 12, "plain-secret")]


def test_an_alias_inside_its_own_redefined_anchor_is_still_refused(tmp_path):
    write(tmp_path, {"loop.yaml": "a: &a x\nb: &a [*a]\n"})
    assert [f.kind for f in audit(tmp_path).findings] == ["invalid-yaml"]


def test_hostile_files_are_refused_fast_and_noted(tmp_path):
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"a{i}: &a{i} [{', '.join(['*a%d' % (i - 1)] * 10)}]" for i in range(1, 30)]
    bomb += ["kind: Secret", "apiVersion: v1", "data: {k: *a29}"]
    deep_flow = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"  # libyaml's composer would crash on it
    deep_block = "".join(" " * i + f"k{i}:\n" for i in range(1200)) + " " * 1200 + "x\n"
    key_groups = aliased_key_groups(6600, 6600)
    assert len(key_groups) > 150 * 1024
    write(tmp_path, {
        "aliased.yaml": "v: &v aHVudGVyMi1yR3g5\nkind: Secret\napiVersion: v1\ndata: {k: *v}\n",  # aliases within bounds are read
        "bomb.yaml": "\n".join(bomb) + "\n", "broken.yaml": "a: [\n", "deep.yaml": deep_flow, "deep2.yaml": deep_block,
        "kg.yaml": key_groups, "self.yaml": "a: &a [*a]\n",
        "many.yaml": "- 0\n" * 450_000,  # composed, 1.3 million nodes took 430 MB
        "rules/.sops.yaml": "creation_rules:\n  - " + aliased_key_groups(6600, 6600).replace("\n", "\n    "),
        "rules/s.yaml": sops_secret([STACK], data={"a": "YWJj"}),
    })
    (tmp_path / "huge.yaml").write_bytes(b"a: b\n" * (1024 * 1024))
    (tmp_path / "blob.bin").write_bytes(b"\0\1\2" * 100)
    # In a fresh interpreter with a deadline and 300 MiB, so an expanding alias fails instead of hanging.
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "flux_bootstrap", "audit", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, preexec_fn=limit_memory,
    )
    assert time.monotonic() - started < 60  # about 2 s; reading kg.yaml alias by alias took minutes
    assert result.returncode == 1 and "Traceback" not in result.stderr
    refused = ": its Secrets and SOPS data could not be checked."
    assert result.stdout.splitlines()[:-1] == [
        "aliased.yaml:1: plain-secret: Secret data value in plain text: the Secret is not SOPS-encrypted (encrypt it with sops).",
        "aliased.yaml:1: sops-config: no .sops.yaml with creation_rules in this folder or above it: "
        "`sops --encrypt` has no rule for this Secret; add one for the stack's age recipient.",
        "bomb.yaml:5: invalid-yaml: YAML aliases expand to more than 100000 nodes, not parsed" + refused,
        "broken.yaml:2: invalid-yaml: not valid YAML" + refused,
        "deep.yaml:1: invalid-yaml: nested more than 1000 levels deep, not parsed" + refused,
        "deep2.yaml:1: invalid-yaml: nested more than 1000 levels deep, not parsed" + refused,
        "kg.yaml:2: invalid-yaml: YAML aliases expand to more than 100000 nodes, not parsed" + refused,
        "many.yaml:400000: invalid-yaml: more than 400000 YAML nodes, not parsed" + refused,
        "rules/.sops.yaml:3: invalid-yaml: YAML aliases expand to more than 100000 nodes, not parsed" + refused,
        "rules/.sops.yaml:3: sops-config: YAML aliases expand to more than 100000 nodes, not parsed; SOPS cannot use it.",
        "self.yaml:1: invalid-yaml: an alias refers to its own anchor or to none, not parsed" + refused,
    ]
    assert sorted(result.stderr.splitlines()) == [
        "note: blob.bin: binary file, not scanned",
        "note: deep.yaml: 1 line(s) over 10000 characters not scanned for secrets, from line 1",
        "note: huge.yaml: larger than 4 MiB, not read",
        "note: kg.yaml: 2 line(s) over 10000 characters not scanned for secrets, from line 1",
        "note: rules/.sops.yaml: 2 line(s) over 10000 characters not scanned for secrets, from line 2",
    ]


def test_symlinks_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside, {"values.yaml": f"token: {github_token()}\n"})
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.yaml").symlink_to(outside / "values.yaml")
    (repo / "dir").symlink_to(outside, target_is_directory=True)
    report = audit(repo)
    assert report.ok and report.skipped == [("dir", "symbolic link, not followed"), ("link.yaml", "symbolic link, not followed")]


def test_fixture_is_valid_sops_yaml():
    doc = yaml.safe_load(sops_secret([STACK], data={"a": "YWJj"}))
    assert doc["sops"]["age"][0]["recipient"] == STACK
    assert doc["sops"]["age"][0]["enc"].startswith("-----BEGIN AGE ENCRYPTED FILE-----\n")
    assert doc["data"]["a"].startswith("ENC[AES256_GCM,data:") and doc["data"]["a"].endswith(",type:str]")


def test_a_key_pasted_where_a_recipient_belongs_is_never_printed(tmp_path, capsys):
    identity, _ = new_identity()
    write(tmp_path, {
        ".sops.yaml": f"creation_rules:\n  - path_regex: .*\\.yaml$\n    age: {identity}\n",
        "s.yaml": sops_secret([STACK], data={"a": "YWJj"}),
    })
    code, out, _ = run(capsys, str(tmp_path), "--recipient", OTHER)
    assert code == 1 and "1 entry that is not an age public key (not shown)" in out
    assert identity not in out and identity[20:40] not in out


def test_a_backtracking_path_regex_is_matched_in_linear_time_as_sops_does(tmp_path, capsys):
    # RE2, like SOPS: `^(a|a)+b` against 40 a's would take hours with backtracking.
    name = "a" * 40 + ".yaml"
    write(tmp_path, {
        ".sops.yaml": "creation_rules:\n  - path_regex: ^(a|a)+b\n",
        name: plain_secret("data", {"x": "YWJj"}),
    })
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1 and "no creation rule of .sops.yaml has a path_regex matching" in out


def test_lookaround_is_not_valid_sops_syntax(tmp_path, capsys):
    write(tmp_path, {
        ".sops.yaml": "creation_rules:\n  - path_regex: (?=x).*\n",
        "s.yaml": plain_secret("data", {"x": "YWJj"}),
    })
    _, out, _ = run(capsys, str(tmp_path))
    assert "path_regex is not a valid regular expression" in out


def test_very_long_lines_are_noted_not_scanned(tmp_path, capsys):
    write(tmp_path, {"blob.json": "{" + '"k": "v", ' * 5000 + "}\n", "ok.yaml": DEPLOYMENT})
    code, out, err = run(capsys, str(tmp_path))
    assert code == 0
    assert "note: blob.json: 1 line(s) over 10000 characters not scanned for secrets, from line 1" in err


@pytest.fixture
def deep_checkout():
    """(checkout, its deepest folder): folders nested deeper than the recursion limit. Made outside
    pytest's temporary folders and removed bottom-up here: pytest clears those with shutil.rmtree,
    which recurses on Python 3.11 and would fail on this tree, in this run or a later one."""
    folders = [Path(tempfile.mkdtemp(prefix="audit-deep-"))]
    try:
        for _ in range(max(1100, sys.getrecursionlimit() + 100)):
            folders.append(folders[-1] / "d")
            folders[-1].mkdir()  # one by one: os.makedirs itself recurses
        yield folders[0], folders[-1]
    finally:
        for folder in reversed(folders):
            for child in folder.iterdir():
                if not child.is_dir():
                    child.unlink()
            folder.rmdir()


def test_folders_nested_deeper_than_the_recursion_limit_are_walked(deep_checkout, capsys):
    checkout, deepest = deep_checkout
    (deepest / ".sops.yaml").write_text("creation_rules:\n")  # the nearest .sops.yaml is looked for upwards, too
    (deepest / "values.yaml").write_text(f"token: {github_token()}\n")
    (deepest / "s.yaml").write_text(plain_secret("data", {"k": "YWJj"}))
    code, out, err = run(capsys, str(checkout))
    assert code == 1 and "Traceback" not in out + err
    assert [line.rsplit("/", 1)[-1].split(": ")[:2] for line in out.splitlines()[:-1]] == [
        ["s.yaml:1", "sops-config"], ["s.yaml:6", "plain-secret"], ["values.yaml:1", "secret-in-file"],
    ]


def b64(size: int) -> str:
    return base64.b64encode(os.urandom(size)).decode()


def test_a_long_unclosed_enc_run_is_matched_in_linear_time(tmp_path):
    # A backtracking regex took ~6 s for 10,000 repeats and grows with the square: ~10 min here.
    secret = sops_secret([STACK], data={"a": "YWJj"})
    write(tmp_path, {".sops.yaml": SOPS_CONFIG, "s.yaml": "# " + "ENC[AES256_GCM,data:}" * 100_000 + "\n" + secret})
    started = time.monotonic()
    report = audit(tmp_path, recipients=[STACK])
    assert time.monotonic() - started < 30
    assert report.ok and report.skipped == [("s.yaml", "1 line(s) over 10000 characters not scanned for secrets, from line 1")]


def test_a_look_alike_enc_value_is_plain_text(tmp_path):
    token = github_token()
    fakes = {
        "token": f"ENC[AES256_GCM,data:{token},iv:{b64(32)},tag:{b64(16)},type:str]",  # not base64
        "short": f"ENC[AES256_GCM,data:{b64(8)},iv:{b64(12)},tag:{b64(16)},type:str]",  # SOPS writes a 32-byte IV
        "tail": f"ENC[AES256_GCM,data:{b64(8)},iv:{b64(32)},tag:{b64(16)},type:str]x",
    }
    real = sops_secret([STACK], data={"a": "YWJj"})
    secret = real.replace("    a: ENC[", "".join(f"    {k}: {v}\n" for k, v in fakes.items()) + "    a: ENC[")
    write(tmp_path, {".sops.yaml": SOPS_CONFIG, "s.yaml": secret, "values.yaml": f"sops:\n  token: {fakes['token']}\n"})
    report = audit(tmp_path, recipients=[STACK])
    assert kinds(report) == [("s.yaml", 8, "plain-secret"), ("s.yaml", 9, "plain-secret"), ("s.yaml", 10, "plain-secret"),
                             ("values.yaml", 2, "secret-in-file")]
    assert token not in "\n".join(map(str, report.findings))


def test_a_token_in_a_sops_block_is_scanned_and_the_rest_is_not_flagged(tmp_path):
    token, password = github_token(), random_text(20)
    real = sops_secret([STACK], data={"a": "YWJj"})
    begin = "-----BEGIN AGE ENCRYPTED FILE-----\n"
    indent = real.split(begin)[1][: len(real.split(begin)[1]) - len(real.split(begin)[1].lstrip())]
    write(tmp_path, {
        ".sops.yaml": SOPS_CONFIG,
        "s.yaml": real.replace("    lastmodified:", f"    note: {token}\n    lastmodified:"),
        "t.yaml": real.replace("    lastmodified:", f"    password: {password}\n    lastmodified:"),
        "u.yaml": real.replace(begin, f"{begin}{indent}{token}\n"),  # no longer an age armor: scanned
        "v.yaml": real,
    })
    report = audit(tmp_path, recipients=[STACK])
    lastmodified = real.splitlines().index(f'    lastmodified: "{LAST_MODIFIED}"') + 1
    armor = real.splitlines().index(f"{indent}{begin[:-1]}") + 2
    assert kinds(report) == [("s.yaml", lastmodified, "secret-in-file"), ("t.yaml", lastmodified, "secret-in-file"),
                             ("u.yaml", armor, "secret-in-file")]
    assert token not in "\n".join(map(str, report.findings)) and password not in "\n".join(map(str, report.findings))


def test_file_names_are_printed_escaped_even_on_a_strict_stdout(tmp_path):
    token = github_token()
    names = [b"\xff\xfe.yaml", b"fake\n\x1b[2Kok: 0 findings.yaml", "caf\u00e9\u202e.yaml".encode()]
    for name in names:
        (tmp_path / os.fsdecode(name)).write_text(f"token: {token}\n")
    for encoding in ("utf-8", "ascii"):
        env = {**os.environ, "PYTHONIOENCODING": f"{encoding}:strict"}
        result = subprocess.run(
            [sys.executable, "-m", "flux_bootstrap", "audit", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, timeout=120
        )
        assert result.returncode == 1 and b"Traceback" not in result.stderr
        lines = result.stdout.decode(encoding).splitlines()
        cafe = "caf\u00e9" if encoding == "utf-8" else "caf\\xe9"
        assert lines == [
            f"{cafe}\\u202e.yaml:1: secret-in-file: GitHub Token (value not shown): remove it and rotate it.",
            "fake\\x0a\\x1b[2Kok: 0 findings.yaml:1: secret-in-file: GitHub Token (value not shown): remove it and rotate it.",
            "\\xff\\xfe.yaml:1: secret-in-file: GitHub Token (value not shown): remove it and rotate it.",
            "audit: 3 findings in 3 files; recipient check NOT RUN (no age recipient: pass --recipient age1...)",
        ]


def test_secrets_in_lists_are_checked(tmp_path):
    secret = plain_secret("stringData", {"password": random_text()})
    item = "".join(f"    {line}\n" if i else f"  - {line}\n" for i, line in enumerate(secret.splitlines()))
    configmap = "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {k: v}}\n"
    write(tmp_path, {
        ".sops.yaml": SOPS_CONFIG,
        "list.yaml": "apiVersion: v1\nkind: List\nitems:\n" + configmap + item,
        "nested.yaml": "apiVersion: v1\nkind: SecretList\nitems:\n  - apiVersion: v1\n    kind: List\n    items:\n" + item.replace("\n  ", "\n      ").replace("  - ", "      - ", 1),
    })
    report = audit(tmp_path, recipients=[STACK])
    assert kinds(report) == [("list.yaml", 10, "plain-secret"), ("nested.yaml", 12, "plain-secret")]
    assert report.secrets == 2


def sops_env(values: dict[str, str]) -> str:
    """A dotenv file as `sops --encrypt` writes it (values encrypted, metadata as sops_ entries)."""
    key = os.urandom(32)
    lines = [f"{k}={encrypt_value(key, v, [k])}" for k, v in values.items()]
    armor = armored_age(key, STACK).replace("\n", "\\n")
    lines += [f"sops_age__list_0__map_enc={armor}\\n", f"sops_age__list_0__map_recipient={STACK}",
              f"sops_lastmodified={LAST_MODIFIED}", f"sops_mac={encrypt_value(key, 'MAC', [LAST_MODIFIED])}", "sops_version=3.9.4"]
    return "\n".join(lines) + "\n"


def test_secret_generator_sources_are_checked_as_secrets(tmp_path, capsys):
    password, token = random_text(), github_token()
    kustomization = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n"
        f"  - name: app\n    literals:\n      - user=admin\n      - password={password}\n      - empty=\n"
        "    envs: [app.env, sealed.env, ../../shared.env, ../../../outside.env]\n    files: [tls.key=tls.key, creds.json]\n"
    )
    write(tmp_path, {
        ".sops.yaml": SOPS_CONFIG,
        "apps/web/kustomization.yaml": kustomization,
        "apps/web/app.env": f"# database\n\nDB_USER=app\nDB_PASSWORD={password}\nEMPTY=\nFROM_ENVIRONMENT\n",
        "apps/web/sealed.env": sops_env({"API_TOKEN": token}),
        "apps/web/tls.key": pem_private_key(),
        "apps/web/creds.json": json.dumps({k: v for k, v in yaml.safe_load(sops_secret([STACK], string_data={"token": token})).items()
                                           if k in ("stringData", "sops")}),
        "apps/other/Kustomization": "secretGenerator:\n  - name: x\n    literals: [key=value]\n",
        "shared.env": f"TOKEN={token}\n",
    })
    code, out, err = run(capsys, str(tmp_path), "--recipient", STACK)
    assert err == "note: apps/web/kustomization.yaml: line 9: secretGenerator source outside the checkout, not read\n"
    assert code == 1 and password not in out + err and token not in out + err
    assert [line.split(": ")[:2] for line in out.splitlines()[:-1]] == [
        ["apps/other/Kustomization:3", "plain-secret"],
        ["apps/web/app.env:3", "plain-secret"],
        ["apps/web/app.env:4", "plain-secret"],
        ["apps/web/kustomization.yaml:6", "plain-secret"],
        ["apps/web/kustomization.yaml:7", "plain-secret"],
        ["apps/web/tls.key:1", "plain-secret"],
        ["shared.env:1", "plain-secret"],
    ]


def test_skipped_content_is_in_the_summary_and_fails_with_strict(tmp_path, capsys):
    write(tmp_path, {"ok.yaml": DEPLOYMENT, "blob.json": "[" + '"v", ' * 3000 + '"v"]\n'})
    (tmp_path / "huge.yaml").write_bytes(b"a: b\n" * (1024 * 1024))
    code, out, err = run(capsys, str(tmp_path))
    assert code == 0 and out.startswith("ok: 2 files under the checkout,")
    assert out.rstrip("\n").endswith("; NOT CHECKED: 2 skipped items (files not read, long lines not scanned: "
                                      "see the notes; --strict makes them fail)")
    assert err.splitlines() == ["note: blob.json: 1 line(s) over 10000 characters not scanned for secrets, from line 1",
                                "note: huge.yaml: larger than 4 MiB, not read"]
    code, out, err = run(capsys, str(tmp_path), "--strict")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        "blob.json:1: skipped: 1 line(s) over 10000 characters not scanned for secrets, from line 1: not checked, a failure with --strict.",
        "huge.yaml:1: skipped: larger than 4 MiB, not read: not checked, a failure with --strict.",
        "audit: 2 findings in 2 files; recipient check NOT RUN (no age recipient: pass --recipient age1...)",
    ]
    write(tmp_path, {"values.yaml": f"token: {github_token()}\n"})
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1 and out.splitlines()[-1].endswith("(no age recipient: pass --recipient age1...); NOT CHECKED: 2 skipped items "
                                                       "(files not read, long lines not scanned: see the notes; --strict makes them fail)")
    for name in ("blob.json", "huge.yaml", "values.yaml"):
        (tmp_path / name).unlink()
    assert run(capsys, str(tmp_path), "--strict") == (0, run(capsys, str(tmp_path))[1], "")  # nothing skipped: ok


def test_scanning_a_file_stops_at_its_time_limit_and_says_so(tmp_path, capsys, monkeypatch):
    tokens = [github_token() for _ in range(3)]
    lines = [f"a: {tokens[0]}", "b: 1", f"c: {tokens[1]}", f"d: {tokens[2]}"]
    clock = iter(range(1_000))  # each reading of the clock: one more second
    monkeypatch.setattr(scanner.time, "monotonic", lambda: next(clock))
    result = scanner.scan_texts({"v.yaml": lines}, seconds_per_file=3.5)  # deadline 0 + 3.5: lines 1-3, then stop
    assert result.unscanned == {"v.yaml": 4}
    assert [(hit.line, hit.type) for hit in result.hits["v.yaml"]] == [(1, "GitHub Token"), (3, "GitHub Token")]
    monkeypatch.undo()
    monkeypatch.setattr(scanner, "SCAN_SECONDS_PER_FILE", 0.0)
    write(tmp_path, {"v.yaml": "\n".join(lines) + "\n"})
    code, out, err = run(capsys, str(tmp_path))
    assert (code, err) == (0, "note: v.yaml: not scanned for secrets from line 1 on: scanning it took over 0 s\n")
    assert "NOT CHECKED: 1 skipped item" in out
    assert run(capsys, str(tmp_path), "--strict")[1].startswith("v.yaml:1: skipped: not scanned for secrets from line 1 on")


def test_kms_data_keys_are_left_out_but_a_short_enc_value_is_scanned(tmp_path):
    key_id = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    document = yaml.safe_load(sops_secret([STACK], data={"a": "YWJj"}))
    document["sops"]["kms"] = [{"arn": "arn:aws:kms:eu-west-1:111122223333:key/x", "enc": b64(150)}]
    write(tmp_path, {".sops.yaml": SOPS_CONFIG.replace(r".*\.yaml$", r".*\.json$"), "s.json": json.dumps(document, indent=1)})
    assert audit(tmp_path, recipients=[STACK]).ok
    document["sops"]["kms"][0]["enc"] = key_id  # base64-shaped, but too short to be a wrapped data key
    write(tmp_path, {"s.json": json.dumps(document, indent=1)})
    assert [(f.kind, f.message) for f in audit(tmp_path, recipients=[STACK]).findings] == [
        ("secret-in-file", "AWS Access Key (value not shown): remove it and rotate it.")
    ]


def test_the_second_scan_keeps_the_context_detect_secrets_filters_use():
    from detect_secrets.util.code_snippet import get_code_snippet

    context = inspect.signature(get_code_snippet).parameters["lines_of_context"].default
    assert scanner._CONTEXT >= context, "detect-secrets now reads more context lines: widen scanner._CONTEXT"
    token = github_token()
    lines = ["a: 1"] * 20 + ["# pragma: allowlist nextline secret", f"b: {token}"] + ["c: 1"] * 20 + [f"d: {token}"]
    result = scanner.scan_texts({"v.yaml": lines})
    assert [hit.line for hit in result.hits["v.yaml"]] == [43] and result.unscanned == {}


def test_a_sops_config_with_too_many_rules_is_a_problem_not_a_stall():
    assert len(parse_config("creation_rules:\n" + "  - path_regex: ^x\n" * 1000).rules) == 1000
    config = parse_config("creation_rules:\n" + "  - path_regex: ^x\n" * 1001)  # each rule is compiled, tried per Secret
    assert config.rules == () and (config.problem, config.problem_line) == (
        "more than 1000 creation rules: not read, so its rules could not be checked", 2)
