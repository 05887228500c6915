"""Stack keys Pulumi would ignore, or that leave a credential in plain text (issue #16): refused by
`check` with the stack file's line, and by the program naming the setting; never a value shown.

Each case is written once: as lines of Pulumi.dev.yaml for `check`, and, where the program can see
it (Pulumi hands it only `config:`), as the config Pulumi would hand over. Secrets are built here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pulumi
import pytest

from cases import GHP
from helpers import ROOT, TOKEN
from flux_bootstrap.cli import main
from flux_bootstrap.settings.stack_keys import misspelt_namespace, plain_credential, unknown_setting
from harness import Run, run_program
from pems import app_private_key

PEM = app_private_key()
SECURE = "\n    secure: v1:c2VjcmV0"  # an encrypted value as Pulumi writes it (never decrypted here)
KUBECONFIG = f"apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: {TOKEN}\n"


def _block(text: str, spaces: int) -> str:
    """`text` as a YAML literal block indented by `spaces`."""
    return "|" + "".join(f"\n{' ' * spaces}{line}" for line in text.splitlines())


# id: (lines under `config:` of Pulumi.dev.yaml, the program's config or None, message fragments).
# The program's config: (plain project settings, --secret project settings, other keys, other --secret keys).
CASES = {
    "secret setting mistyped": (
        f"flux-bootstrap:githubtoken:{SECURE}", ({}, {"githubtoken": TOKEN}, {}, {}),
        ["setting 'flux-bootstrap:githubtoken': is not a known setting; did you mean `githubToken`?",
         "Store the value there, encrypted: pulumi config set --secret githubToken; then pulumi config rm githubtoken"],
    ),
    "secret setting without its prefix": (
        f"flux-bootstrap:token:{SECURE}", ({}, {"token": TOKEN}, {}, {}),
        ["setting 'flux-bootstrap:token': is not a known setting; did you mean `githubToken`?"],
    ),
    "secret setting in the wrong case": (
        f"flux-bootstrap:sopsAgekey:{SECURE}", ({}, {"sopsAgekey": TOKEN}, {}, {}),
        ["setting 'flux-bootstrap:sopsAgekey': is not a known setting; did you mean `sopsAgeKey`?"],
    ),
    "secret setting named like a token": (
        f"flux-bootstrap:{GHP}:{SECURE}", ({}, {GHP: TOKEN}, {}, {}),
        ["a setting whose name looks like a secret (not shown): is not a known setting", "revoke the token"],
    ),
    "token in plain text under a mistyped name": (
        f"flux-bootstrap:githubtoken: {GHP}", ({"githubtoken": GHP}, {}, {}, {}),
        ["setting 'flux-bootstrap:githubtoken': is not a known setting; did you mean `githubToken`?",
         "pulumi config set --secret githubToken; then pulumi config rm githubtoken"],
    ),
    "empty setting mistyped": (
        "flux-bootstrap:brnach: ''", ({"brnach": ""}, {}, {}, {}),
        ["setting 'flux-bootstrap:brnach': is not a known setting; did you mean `branch`?"],
    ),
    "plain setting mistyped": (
        "flux-bootstrap:protcet: 'true'", ({"protcet": "true"}, {}, {}, {}),
        ["setting 'flux-bootstrap:protcet': is not a known setting; did you mean `protect`?"],
    ),
    "cluster setting in our namespace": (
        "flux-bootstrap:context: kind-dev", ({"context": "kind-dev"}, {}, {}, {}),
        ["setting 'flux-bootstrap:context': is not a known setting; did you mean `kubernetes:context`?"],
    ),
    "namespace missing a letter": (
        "flux-boostrap:path: clusters/x", ({}, {}, {"flux-boostrap:path": "clusters/x"}, {}),
        ["setting 'flux-boostrap:path': has a misspelt namespace", "did you mean `flux-bootstrap:path`?"],
    ),
    "namespace without its dash": (
        "fluxbootstrap:repo: https://github.com/a/b", ({}, {}, {"fluxbootstrap:repo": "https://github.com/a/b"}, {}),
        ["setting 'fluxbootstrap:repo': has a misspelt namespace", "did you mean `flux-bootstrap:repo`?"],
    ),
    "secret under a misspelt namespace": (
        f"flux-bootsrap:githubToken:{SECURE}", ({}, {}, {}, {"flux-bootsrap:githubToken": TOKEN}),
        ["setting 'flux-bootsrap:githubToken': has a misspelt namespace", "did you mean `flux-bootstrap:githubToken`?"],
    ),
    "GitHub token in plain text": (
        f"github:token: {GHP}", ({}, {}, {"github:token": GHP}, {}),
        ["setting 'github:token': holds a GitHub token in plain text",
         "Store it encrypted: pulumi config set -s dev --secret github:token"],
    ),
    "GitHub App key in plain text": (
        f"github:appAuth:\n    id: '1'\n    installationId: '2'\n    pemFile: {_block(PEM, 6)}",
        ({}, {}, {"github:appAuth": json.dumps({"id": "1", "installationId": "2", "pemFile": PEM})}, {}),
        ["setting 'github:appAuth': holds a GitHub App's private key (pemFile) in plain text",
         "pulumi config set -s dev --path --secret github:appAuth.pemFile < app.pem"],
    ),
    "kubeconfig with a token in plain text": (
        f"kubernetes:kubeconfig: {_block(KUBECONFIG, 4)}", ({}, {}, {"kubernetes:kubeconfig": KUBECONFIG}, {}),
        ["setting 'kubernetes:kubeconfig': holds cluster credentials",
         "pulumi config set -s dev --secret kubernetes:kubeconfig < kubeconfig.yaml"],
    ),
}
# What only `check` sees: the file around `config:`, which Pulumi does not hand to the program.
FILE_CASES = {
    "settings without the config wrapper": (
        "flux-bootstrap:path: clusters/x\n", ["line 1, key 'flux-bootstrap:path': is a setting outside `config:`", "settings go under `config:`"],
    ),
    "bare setting without the config wrapper": (
        "protect: 'true'\n", ["line 1, key 'protect': is a setting outside `config:`"],
    ),
    "misspelt config key": (
        "confg:\n  flux-bootstrap:path: clusters/x\n", ["line 1, key 'confg': is not a key of a stack file; did you mean `config`?"],
    ),
    "capitalised config key": (
        "Config:\n  flux-bootstrap:path: clusters/x\n", ["line 1, key 'Config': is not a key of a stack file; did you mean `config`?"],
    ),
    "unknown top-level key": (
        "notes: hello\nconfig: {}\n", ["line 1, key 'notes': is not a key of a stack file", "settings go under `config:`"],
    ),
    "token pasted as a top-level key": (
        f"{GHP}: x\nconfig: {{}}\n", ["line 1, a key whose name looks like a secret (not shown)", "revoke the token"],
    ),
}
NEVER_SHOWN = (TOKEN, GHP, PEM.splitlines()[1], "without --secret")


@pytest.fixture
def project(tmp_path: Path, config_dir: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (config_dir / "secrets-flux.yaml").chmod(0o600)
    return tmp_path


def check(project: Path, stack_file: str, capsys) -> tuple[int, str]:
    (project / "Pulumi.dev.yaml").write_text(stack_file)
    code = main(["--project-dir", str(project), "check", "--stack", "dev"])
    out, err = capsys.readouterr()
    return code, out + err


def assert_refused(message: str, fragments: list[str]) -> None:
    assert message.count("\n  - ") == 1, message  # exactly this one problem
    for fragment in fragments:
        assert fragment in message, message
    for hidden in NEVER_SHOWN:
        assert hidden not in message


@pytest.mark.parametrize("lines,_,fragments", CASES.values(), ids=CASES.keys())
def test_check_refuses_the_key_with_its_line(project, capsys, lines, _, fragments):
    code, output = check(project, f"config:\n  {lines}\n", capsys)
    assert code == 1
    assert_refused(output, fragments)
    assert "Pulumi.dev.yaml:\n  - line 2, " in output


@pytest.mark.parametrize("text,fragments", FILE_CASES.values(), ids=FILE_CASES.keys())
def test_check_refuses_keys_outside_config(project, capsys, text, fragments):
    code, output = check(project, text, capsys)
    assert code == 1
    assert_refused(output, fragments)


@pytest.mark.parametrize("_,config,fragments", CASES.values(), ids=CASES.keys())
def test_the_program_refuses_the_setting_and_creates_nothing(config_dir, capsys, _, config, fragments):
    settings, secrets, other, other_secrets = config
    run = Run()
    with pytest.raises(pulumi.RunError) as err:
        run_program({"configDir": str(config_dir), **settings}, secrets,
                    extra_config=other, extra_secrets=other_secrets, run=run)
    assert_refused(str(err.value), fragments)
    assert "stack 'dev' settings:" in str(err.value)
    assert run.registrations == [] and run.invokes == []
    stderr = capsys.readouterr().err
    for hidden in NEVER_SHOWN:
        assert hidden not in stderr


ALLOWED_FILE = (
    "secretsprovider: passphrase\nencryptedkey: ''\nencryptionsalt: v1:c2FsdA==:v1:abc\nenvironment:\n  - shared\n"
    "config:\n"
    "  kubernetes:context: kind-dev\n"
    "  kubernetes:kubeconfig: /home/me/.kube/config\n"
    f"  github:token:{SECURE}\n"
    f"  github:appAuth:\n    id: '1'\n    installationId: '2'\n    pemFile:{SECURE.replace(chr(10), chr(10) + '  ')}\n"
    "  github:owner: acme\n"
    "  pulumi:tags:\n    team: platform\n"
    "  flux:interval: 5m\n"  # another package, however short: not close to the project name
    "  acme-bootstrap:x: y\n"
)


def test_check_accepts_other_packages_and_encrypted_credentials(project, capsys):
    code, output = check(project, ALLOWED_FILE, capsys)
    assert code == 0, output


def test_the_program_accepts_other_packages_and_encrypted_credentials(config_dir):
    run = run_program(
        {"configDir": str(config_dir)},
        extra_config={"kubernetes:kubeconfig": "/home/me/.kube/config", "github:owner": "acme", "acme-bootstrap:x": "y"},
        extra_secrets={"github:token": GHP, "github:appAuth": json.dumps({"id": "1", "pemFile": PEM})},
    )
    assert run.registrations


@pytest.mark.parametrize(
    "namespace,misspelt",
    [("flux-boostrap", True), ("fluxbootstrap", True), ("Flux_Bootstrap", True), ("flux-bootstrapp", True),
     ("flux-bootstrap", False), ("", False), ("kubernetes", False), ("github", False), ("pulumi", False),
     ("flux", False), ("tls", False), ("acme-bootstrap", False)],
)
def test_only_a_namespace_close_to_the_project_name_is_a_typo(namespace, misspelt):
    assert misspelt_namespace(namespace, "flux-bootstrap") is misspelt


@pytest.mark.parametrize(
    "key,value",
    [
        ("kubernetes:kubeconfig", "/home/me/.kube/config"),  # a path holds no credential
        ("kubernetes:kubeconfig", "users:\n- name: eks\n  user:\n    exec:\n      command: aws\n"),  # exec plugin
        ("github:appAuth", {"id": "1", "installationId": "2", "pemFile": {"secure": "v1:abc"}}),
        ("github:appAuth", json.dumps({"id": "1", "installationId": "2"})),
        ("github:token", ""),
        ("github:owner", "acme"),
        ("kubernetes:context", "token: x"),  # not a setting that carries a credential
    ],
)
def test_settings_without_a_credential_in_plain_text_pass(key, value):
    assert plain_credential(key, value, "dev") is None


@pytest.mark.parametrize(
    "kubeconfig",
    [KUBECONFIG, json.dumps({"users": [{"user": {"token": TOKEN}}]}),
     "users:\n- user:\n    client-key-data: " + "QUJD" * 8 + "\n",
     "users:\n- user:\n    username: admin\n    password: " + TOKEN + "\n"],
)
def test_kubeconfig_contents_with_a_credential_are_refused(kubeconfig):
    message = plain_credential("kubernetes:kubeconfig", kubeconfig, "prod")
    assert message and "pulumi config set -s prod --secret kubernetes:kubeconfig" in message and TOKEN not in message


@pytest.mark.parametrize(
    "name,secret,guess",
    [("githubtoken", True, "githubToken"), ("token", True, "githubToken"), ("sopsAgekey", True, "sopsAgeKey"),
     ("github_token", False, "githubToken"), ("githubAppKey", True, "githubAppPrivateKey"),
     ("intervall", False, "interval"), ("kubeconfig", False, "kubernetes:kubeconfig"), ("zzzzzz", False, None)],
)
def test_the_nearest_known_name_is_suggested(name, secret, guess):
    message = unknown_setting(name, secret=secret)
    assert (f"did you mean `{guess}`?" in message) if guess else ("did you mean" not in message)
    assert "without --secret" not in message


def test_a_secret_is_moved_only_to_a_setting_that_takes_a_secret():
    assert "pulumi config set --secret githubToken" in unknown_setting("githubtoken", secret=True)
    assert "pulumi config set --secret kubernetes:kubeconfig" in unknown_setting("kubeconfig", secret=True)
    # A token given in plain text under a mistyped name is sent to the secret setting, encrypted.
    assert "pulumi config set --secret githubToken" in unknown_setting("github_token", secret=False)
    assert "pulumi config set" not in unknown_setting("kubeconfig", secret=False)  # a path: no secret
    # helmValues and protect hold no secret: named, but no command that would store one there.
    for name in ("helmvalues", "protcet"):
        message = unknown_setting(name, secret=True)
        assert "did you mean" in message and "pulumi config set" not in message
