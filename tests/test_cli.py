"""The offline `check` and `render` commands, on a copy of the project in a temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pulumi
import pytest
import yaml

from cases import GHP, PAT, REFUSED, apply_files
from helpers import CONTEXT_LINE, ROOT, TOKEN, carried_archive_replaced, run_cli, stack_file
from flux_bootstrap import validation
from flux_bootstrap.cli import main
from harness import run_program


def test_check_passes_on_the_seed_example_and_says_it_is_the_example(project, capsys):
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 0
    assert err == (
        "warning: the repository is still the example username/manifests of the user docs; set `repo` in "
        "config/flux.yaml (or the repo stack setting) to your own\n"
    )
    assert out.count("\n") == 3 and out.startswith("ok: stack dev: ssh://git@github.com/username/manifests branch main")


def test_check_of_an_edited_config_is_silent(project, capsys):
    (project / "config" / "flux.yaml").write_text("repo: https://github.com/acme/fleet\nbranch: main\n")
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert (code, err) == (0, "")
    ok, target, chart_line = out.splitlines()
    assert ok.startswith("ok: stack dev: ssh://git@github.com/acme/fleet branch main")
    assert target == "target: kubernetes context kind-dev (kubernetes:context of stack dev)"
    assert chart_line == (
        "chart: flux2 chart 2.18.3 installs Flux 2.8.5 (Kubernetes >= 1.33); installed from charts/flux2-2.18.3.tgz "
        "(sha256 verified), rendered and validated by the tests"
    )


def test_check_refuses_the_example_placeholder_token(project, capsys):
    shutil.copy(ROOT / "config" / "secrets-flux.yaml.example", project / "config" / "secrets-flux.yaml")
    code, _, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 1
    assert "config/secrets-flux.yaml:\n  - line 3, field 'token': is still the example placeholder." in err


@pytest.mark.parametrize(
    "version,fragment",
    [("2.17.2", "flux2 chart 2.17.2 installs Flux 2.7.5 (Kubernetes >= 1.32); not verified by this project"),
     ("2.99.0", "flux2 chart 2.99.0 is not a version this project knows")],
)
def test_check_warns_that_a_version_not_carried_was_not_verified(project, capsys, version, fragment):
    stack_file(project, {"chartVersion": version})
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 0 and out.count("\n") == 2 and out.startswith("ok: stack dev")
    assert f"\nwarning: {fragment}" in err and "CRDs of chart 2.18.3" in err


def test_check_refuses_an_altered_chart_archive(project, capsys, tmp_path, monkeypatch):
    with carried_archive_replaced(monkeypatch, tmp_path, lambda path: path.write_bytes(b"not the chart")):
        code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 1 and out == ""
    assert "charts/flux2-2.18.3.tgz:\n  - is not the archive this project verified" in err


@pytest.mark.parametrize("files,settings,fragments", REFUSED.values(), ids=REFUSED.keys())
def test_check_refuses_every_bad_input(project, files, settings, fragments, capsys):
    apply_files(project / "config", files)
    stack_file(project, settings)
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 1 and out == ""
    for fragment in fragments:
        assert fragment in err
    for secret in (TOKEN, GHP, PAT):
        assert secret not in err
    if settings:  # stack settings are reported with their line in Pulumi.dev.yaml
        assert "Pulumi.dev.yaml:\n  - line 2, " in err


def test_check_sees_encrypted_token_without_decrypting(project, capsys):
    (project / "config" / "secrets-flux.yaml").unlink()
    (project / "Pulumi.dev.yaml").write_text("config:\n  flux-bootstrap:githubToken:\n    secure: v1:c2VjcmV0\n" + CONTEXT_LINE)
    assert run_cli(project, "check", "--stack", "dev", capsys=capsys)[0] == 0


def test_check_reads_bare_keys_and_typed_values(project, capsys):
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  readWriteKey: true\n  flux-bootstrap:interval: 90s\n  kubernetes:context: kind-dev\n"
    )
    code, out, _ = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 0, out


def test_check_reports_unknown_settings_and_plain_tokens_with_lines(project, capsys):
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  flux-bootstrap:interval: 1m\n  flux-bootstrap:intervall: 1m\n  flux-bootstrap:githubToken: plain-token-value\n"
    )
    code, _, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 1
    assert "line 3, setting 'flux-bootstrap:intervall': is not a known setting" in err
    assert "line 4, setting 'flux-bootstrap:githubToken': is stored in plain text" in err
    assert "plain-token-value" not in err


def test_check_without_token_for_ci(project, capsys):
    (project / "config" / "secrets-flux.yaml").unlink()
    assert run_cli(project, "check", "--stack", "dev", capsys=capsys)[0] == 1
    assert run_cli(project, "check", "--stack", "dev", "--no-token", capsys=capsys)[0] == 0


def test_check_still_checks_a_present_secrets_file_without_token(project, capsys):
    (project / "config" / "secrets-flux.yaml").write_text("token: ''\n")
    code, _, err = run_cli(project, "check", "--stack", "dev", "--no-token", capsys=capsys)
    assert code == 1 and "field 'token'" in err


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed: tracked-file check not exercised")
def test_check_refuses_a_secrets_file_tracked_by_git(project, capsys):
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-f", "config/secrets-flux.yaml"], check=True)
    code, _, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 1 and "is tracked by Git" in err and "git rm --cached config/secrets-flux.yaml" in err
    assert TOKEN not in err


def test_check_warns_when_others_can_read_the_secrets_file(project, capsys):
    (project / "config" / "secrets-flux.yaml").chmod(0o644)
    code, _, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 0 and "warning: config/secrets-flux.yaml can be read by other users; run: chmod 600" in err


def test_check_refuses_what_would_redirect_the_github_provider(project, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_OWNER", "Someone-Else-42")
    monkeypatch.setenv("GITHUB_APP_PEM_FILE", "-----BEGIN " + "RSA PRIVATE KEY-----\\nMIIE")  # built: no key-shaped literal in Git
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert (code, out) == (1, "")
    assert "2 configuration problems; nothing was changed.\nenvironment:\n  - variable 'GITHUB_OWNER': " in err
    assert "unset GITHUB_OWNER" in err and "variable 'GITHUB_APP_PEM_FILE'" in err and "unset GITHUB_APP_PEM_FILE" in err
    assert "Someone-Else-42" not in err and "MIIE" not in err and "BEGIN" not in err


def test_check_and_the_program_refuse_with_the_same_words(project, config_dir, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_BASE_URL", "https://elsewhere.example/api/v3/")
    code, _, err = run_cli(project, "check", "--stack", "dev", "--no-token", capsys=capsys)
    assert code == 1
    with pytest.raises(pulumi.RunError) as program:
        run_program({"configDir": str(config_dir)})
    assert err.endswith(str(program.value) + "\n")


def test_check_accepts_the_repository_owner_in_github_owner(project, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_OWNER", "username")
    code, out, _ = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 0 and out.startswith("ok: ")


def test_check_imports_no_pulumi_sdk(project):
    # A fresh interpreter, as a pre-commit hook runs it.
    probe = (
        "import sys; from flux_bootstrap.cli import main;"
        f"code = main(['--project-dir', {str(project)!r}, 'check', '--stack', 'dev']);"
        "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')), code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert result.stdout.strip().splitlines()[-1] == "[] 0", result.stderr


def test_render_prints_the_component_objects(project, capsys, config_dir):
    code, out, _ = run_cli(project, "render", "--stack", "dev", capsys=capsys)
    assert code == 0
    documents = list(yaml.safe_load_all(out))
    assert [d["kind"] for d in documents] == ["Namespace", "Secret", "GitRepository", "Kustomization"]
    assert set(documents[1]["stringData"].values()) == {"<redacted>"}
    assert TOKEN not in out
    assert "# flux2 chart 2.18.3 installs Flux 2.8.5 (Kubernetes >= 1.33)" in out.splitlines()[2]
    assert "# The Helm release flux2 and its values: flux-bootstrap render --values --stack dev\n---\n" in out
    # The same builders feed the program: what render shows is what the component registers.
    run = run_program({"configDir": str(config_dir)})
    registered = {r.type.split(":")[-1]: r.inputs for r in run.registrations}
    for document in documents[2:]:
        assert registered[document["kind"]] == document
    code, out, err = run_cli(project, "render", "--stack", "dev", "--values", capsys=capsys)
    assert code == 0 and out.startswith("# The Helm release `pulumi up` installs for stack dev, and the values it gets.\n")
    release = yaml.safe_load(out)["helmRelease"]
    assert list(release) == ["name", "chart", "version", "namespace", "values"]
    assert release["values"] == registered["Release"]["values"]
    assert release["version"] == registered["Release"]["version"]
    assert release["chart"] == registered["Release"]["chart"] == "./charts/flux2-2.18.3.tgz"
    assert "repositoryOpts" not in registered["Release"]


def test_render_chart_prints_every_object_the_release_installs(project, capsys):
    code, out, err = run_cli(project, "render", "--stack", "dev", "--chart", capsys=capsys)
    assert (code, err) == (0, "")
    documents = list(yaml.load_all(out, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    expected = validation.chart_objects("2.18.3")
    assert documents[4:] == [r.object for r in expected]
    assert f"# After them, the {len(expected)} objects of the Helm release" in out and "all valid" in out
    comments = [line for line in out.splitlines() if line.startswith("# flux2/templates/")]
    assert len(comments) == len(expected)
    hooks = [line for line in comments if "Helm hook (pre-" in line]
    assert hooks == [
        "# flux2/templates/pre-install-job-serviceaccount.yaml: Helm hook (pre-install): Helm runs it at that step; "
        "not one of the release's objects",
        "# flux2/templates/pre-install-job.yaml: Helm hook (pre-install): Helm runs it at that step; "
        "not one of the release's objects",
        "# flux2/templates/pre-upgrade-migrate-resources.yaml: Helm hook (pre-upgrade): Helm runs it at that step; "
        "not one of the release's objects",
    ]
    assert all(line.endswith(": not a hook") for line in comments if line not in hooks)


def test_render_chart_of_a_version_not_carried_is_refused(project, capsys):
    stack_file(project, {"chartVersion": "2.17.2"})
    code, out, err = run_cli(project, "render", "--stack", "dev", "--chart", capsys=capsys)
    assert code == 1 and out == "" and "flux2 chart 2.17.2 is not carried in charts/" in err
    code, out, err = run_cli(project, "render", "--stack", "dev", capsys=capsys)
    assert code == 0 and "warning: flux2 chart 2.17.2 installs Flux 2.7.5 (Kubernetes >= 1.32); not verified" in err
    code, out, err = run_cli(project, "render", "--stack", "dev", "--values", capsys=capsys)
    assert code == 0 and yaml.safe_load(out)["helmRelease"]["repository"] == "https://fluxcd-community.github.io/helm-charts"
    assert "warning: flux2 chart 2.17.2 installs Flux 2.7.5 (Kubernetes >= 1.32); not verified" in err


def test_render_marks_a_branch_looked_up_at_deploy_time(project, capsys):
    (project / "config" / "flux.yaml").write_text("repo: https://github.com/acme/fleet\n")
    _, out, _ = run_cli(project, "render", "--stack", "dev", capsys=capsys)
    assert "branch: <default branch of acme/fleet, looked up on GitHub>" in out


def test_render_refuses_bad_config(project, capsys):
    (project / "config" / "flux.yaml").write_text("repo: nope\n")
    code, out, err = run_cli(project, "render", "--stack", "dev", capsys=capsys)
    assert code == 1 and out == "" and "field 'repo'" in err


def test_module_entry_point(project):
    result = subprocess.run(
        [sys.executable, "-m", "flux_bootstrap", "--project-dir", str(project), "check", "--stack", "dev"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stdout.startswith("ok: stack dev"), result.stderr


def test_check_reads_stack_values_as_the_pulumi_cli_does(project, capsys):
    # YAML 1.2, as Pulumi reads it: `yes` is no boolean, and 1.10 is the branch "1.10".
    (project / "Pulumi.dev.yaml").write_text("config:\n  flux-bootstrap:protect: yes\n")
    code, _, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 1 and "line 2, setting 'flux-bootstrap:protect': must be true or false." in err
    (project / "Pulumi.dev.yaml").write_text("config:\n  flux-bootstrap:branch: 1.10\n")
    _, out, _ = run_cli(project, "render", "--stack", "dev", capsys=capsys)
    assert "branch: '1.10'" in out


def test_a_stack_without_a_settings_file_is_a_usage_error_with_the_init_command(project, capsys):
    code, out, err = run_cli(project, "check", "--stack", "dve", capsys=capsys)
    assert code == 2 and out == ""
    assert "Pulumi.dve.yaml:\n  - does not exist, so stack dve is not set up here (check the stack name)." in err
    assert "pulumi stack init dve" in err
    for command in (["render"], ["render", "--values"], ["check", "-o", "json"], ["audit", str(project)]):
        assert run_cli(project, *command, "--stack", "dve", capsys=capsys)[:2] == (2, "")


@pytest.mark.parametrize("reference", ["dev", "acme/dev", "acme/flux-bootstrap/dev"])
def test_qualified_stack_names_read_the_stack_file_as_the_cli_does(project, capsys, reference):
    (project / "Pulumi.dev.yaml").write_text("config:\n  flux-bootstrap:interval: 90s\n")
    code, out, _ = run_cli(project, "render", "--stack", reference, capsys=capsys)
    assert code == 0
    assert "path: ./clusters/dev\n" in out and "interval: 90s\n" in out


@pytest.mark.parametrize("reference", ["a/b/c/d", "dev/", "de v", "../dev", ""])
def test_malformed_stack_references_are_refused(project, capsys, reference):
    with pytest.raises(SystemExit) as exit_:
        run_cli(project, "check", "--stack", reference, capsys=capsys)
    assert exit_.value.code == 2
    assert "is not a stack name" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[str(ROOT / "scripts" / "flux-bootstrap")], [sys.executable, "-m", "flux_bootstrap"]])
def test_offline_commands_work_from_any_folder(tmp_path, command):
    # The wrapper script, and the venv's python (scripts/venv.sh puts the project on its path),
    # run from an unrelated folder, check this project.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([*command, "render", "--stack", "dev"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "path: ./clusters/dev" in result.stdout


def test_render_shows_the_sops_secret_redacted_and_the_recipient_when_known(project, capsys):
    from pyrage import x25519

    identity = x25519.Identity.generate()
    (project / "config" / "age.agekey").write_text(f"{identity}\n")
    stack_file(project, {"sops": "provided"})
    code, out, _ = run_cli(project, "render", "--stack", "dev", capsys=capsys)
    assert code == 0 and str(identity) not in out
    assert f"recipient {identity.to_public()}." in out
    documents = list(yaml.safe_load_all(out))
    (secret,) = [d for d in documents if d.get("metadata", {}).get("name") == "sops-age"]
    assert secret["stringData"] == {"age.agekey": "<redacted>"}  # every Secret value, the same way
    (sync,) = [d for d in documents if d.get("kind") == "Kustomization"]
    assert sync["spec"]["decryption"] == {"provider": "sops", "secretRef": {"name": "sops-age"}}
    stack_file(project, {"sops": "generate"})
    _, out, _ = run_cli(project, "render", "--stack", "dev", capsys=capsys)
    assert "the stack output sopsAgeRecipient after the first pulumi up" in out
    assert run_cli(project, "check", "--stack", "dev", capsys=capsys)[0] == 0


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed: tracked-file check not exercised")
def test_check_refuses_an_age_key_tracked_by_git(project, capsys):
    from pyrage import x25519

    identity = x25519.Identity.generate()
    key_file = project / "config" / "age.agekey"
    key_file.write_text(f"{identity}\n")
    key_file.chmod(0o600)
    stack_file(project, {"sops": "provided"})
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-f", "config/age.agekey"], check=True)
    code, _, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 1
    assert "config/age.agekey:\n  - is tracked by Git, so the SOPS key is in the repository" in err
    assert str(identity) not in err


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("config:\n  flux-bootstrap:path: &p clusters/dev\n  flux-bootstrap:interval: *p\n", "at line 2"),
        ("config:\n  flux-bootstrap:path:clusters/dev\n", "missing space after ':' on line 2"),
        ("config:\n  flux-bootstrap:branch: " + "x" * 300000 + "\n", "larger than 256 KiB"),
    ],
)
def test_hostile_stack_files_are_refused(project, capsys, text, fragment):
    (project / "Pulumi.dev.yaml").write_text(text)
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 1 and out == ""
    assert "Pulumi.dev.yaml" in err and fragment in err


def test_audit_with_a_stack_uses_its_path_and_its_recipient_known_offline(project, capsys, tmp_path):
    from pyrage import x25519

    from sops_fixtures import sops_secret

    identity, other = x25519.Identity.generate(), x25519.Identity.generate()
    (project / "config" / "age.agekey").write_text(f"{identity}\n")
    stack_file(project, {"sops": "provided", "path": "envs/dev"})
    checkout = tmp_path / "manifests"
    (checkout / "envs" / "dev").mkdir(parents=True)
    (checkout / "clusters" / "dev").mkdir(parents=True)
    (checkout / ".sops.yaml").write_text(f"creation_rules:\n  - path_regex: .*\\.yaml$\n    age: {identity.to_public()}\n")
    (checkout / "envs" / "dev" / "s.yaml").write_text(sops_secret([str(other.to_public())], data={"a": "YWJj"}))
    (checkout / "clusters" / "dev" / "plain.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\ndata: {a: YWJj}\n")
    code, out, _ = run_cli(project, "audit", str(checkout), "--stack", "dev", capsys=capsys)
    # Only the stack's path (envs/dev, not clusters/dev) and the stack's own recipient.
    assert code == 1 and out.startswith("envs/dev/s.yaml:") and "undecryptable" in out
    assert "clusters/dev" not in out
    (checkout / "envs" / "dev" / "s.yaml").write_text(sops_secret([str(identity.to_public())], data={"a": "YWJj"}))
    code, out, _ = run_cli(project, "audit", str(checkout), "--stack", "dev", capsys=capsys)
    assert code == 0 and f"checked for recipient {identity.to_public()}" in out


def test_audit_says_how_to_pass_a_recipient_not_known_offline(project, capsys, tmp_path):
    stack_file(project, {"sops": "generate"})
    (tmp_path / "clusters" / "dev").mkdir(parents=True)
    code, _, err = run_cli(project, "audit", str(tmp_path), "--stack", "dev", capsys=capsys)
    assert code == 0
    assert 'pass it: --recipient "$(pulumi stack output -s dev sopsAgeRecipient)"' in err
