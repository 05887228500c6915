"""The CLI as users expect it: help on every command, -o json, check --strict, exit codes, and a
render whose every document is a Kubernetes object (issue #17)."""

from __future__ import annotations

import json

import pytest
import yaml

from cases import GHP
from helpers import CONTEXT_LINE, TOKEN, run_cli, stack_file
from flux_bootstrap import chart, cli, validation
from flux_bootstrap.errors import HIDDEN_NAME_HINT, Problem
from flux_bootstrap.cli import main

CHECK_KEYS = ["ok", "stack", "gitUrl", "branch", "path", "auth", "chartVersion", "chart", "target", "objects", "loop", "warnings", "incomplete", "problems"]
HELM_VALUES = "  flux-bootstrap:helmValues:\n    logLevel: debug\n"
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the CRDs are large


def edited(project):
    (project / "config" / "flux.yaml").write_text("repo: https://github.com/acme/fleet\nbranch: main\n")
    return project


def test_the_top_level_help_lists_every_command_and_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    for command in ("check", "render", "audit"):
        (line,) = [line for line in out.splitlines() if line.strip().startswith(command + " ")]
        assert len(line.split(None, 1)[1]) > 20, line  # one line saying what it does
    assert "exit codes:\n  0  ok\n  1  problems" in out and "\n  2  the command cannot run as asked" in out


@pytest.mark.parametrize(
    "command,options",
    [("check", ["--stack", "--output", "--no-token", "--strict"]),
     ("render", ["--stack", "--output", "--chart", "--values"]),
     ("audit", ["--output", "--path", "--stack", "--recipient", "checkout"])],
)
def test_every_command_has_its_help(capsys, command, options):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and out.startswith(f"usage: flux-bootstrap {command} ")
    assert all(option in out for option in options) and "exit codes:" in out


@pytest.mark.parametrize(
    "args,fragment",
    [(["check"], "the following arguments are required: -s/--stack"),
     (["check", "-s", "dev", "-o", "yaml"], "argument -o/--output: invalid choice: 'yaml'"),
     (["render", "-s", "dev", "--chart", "--values"], "argument --values: not allowed with argument --chart"),
     (["frobnicate"], "invalid choice: 'frobnicate'")],
)
def test_usage_errors_exit_2(project, capsys, monkeypatch, args, fragment):
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(["--project-dir", str(project), *args])
    assert exit_.value.code == 2 and fragment in capsys.readouterr().err


def test_a_project_dir_without_pulumi_yaml_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--project-dir", str(tmp_path), "render", "--stack", "dev"])
    captured = capsys.readouterr()
    assert exit_.value.code == 2 and captured.out == ""
    assert "--project-dir: that folder holds no Pulumi.yaml" in captured.err


def test_check_json_carries_what_the_text_says(project, capsys):
    edited(project)
    code, text, _ = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    code_json, out, err = run_cli(project, "check", "--stack", "dev", "-o", "json", capsys=capsys)
    assert (code, code_json, err) == (0, 0, "")
    report = json.loads(out)
    assert list(report) == CHECK_KEYS
    assert report == {
        "ok": True, "stack": "dev", "gitUrl": "ssh://git@github.com/acme/fleet", "branch": "main",
        "path": "./clusters/dev", "auth": "deploy-key", "chartVersion": "2.18.3", "chart": report["chart"],
        "target": "kubernetes context kind-dev (kubernetes:context of stack dev)", "objects": 4, "loop": [],
        "warnings": [], "incomplete": False, "problems": [],
    }
    ok, target, chart_line = text.splitlines()
    assert ok.startswith(f"ok: stack dev: {report['gitUrl']} branch main path ./clusters/dev (auth deploy-key), flux2 chart "
                         f"2.18.3; {report['objects']} objects")
    assert (target, chart_line) == (f"target: {report['target']}", f"chart: {report['chart']}")


def test_check_json_problems_carry_source_line_field_and_message_and_no_secret(project, capsys):
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  flux-bootstrap:interval: often\n  flux-bootstrap:githubToken: " + TOKEN + "\n" + CONTEXT_LINE
    )
    (project / "config" / "flux.yaml").write_text(f"repo: https://github.com/acme/fleet\n{GHP}: x\n")
    code, text, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    code_json, out, err_json = run_cli(project, "check", "--stack", "dev", "-o", "json", capsys=capsys)
    assert (code, code_json, text, err_json) == (1, 1, "", "")
    report = json.loads(out)
    assert report["ok"] is False and report["stack"] == "dev" and report["gitUrl"] is None and report["target"] is None
    problems = {(p["source"], p["line"], p["field"]): p["message"] for p in report["problems"]}
    assert all(list(p) == ["source", "line", "field", "message", "fix"] for p in report["problems"])
    assert problems[("Pulumi.dev.yaml", 2, "flux-bootstrap:interval")] in err
    assert "is stored in plain text" in problems[("Pulumi.dev.yaml", 3, "flux-bootstrap:githubToken")]
    hidden = problems[("config/flux.yaml", 2, None)]  # a name that looks like a token is not shown
    assert hidden.startswith("a field whose name looks like a secret (not shown): ")
    assert f"line 2, {hidden}" in err  # the same words as the text
    for secret in (TOKEN, GHP):
        assert secret not in out and secret not in err


def test_check_json_of_a_stack_that_pins_no_cluster_lists_the_warnings(project, capsys):
    (project / "Pulumi.dev.yaml").write_text("config: {}\n")
    code, out, err = run_cli(project, "check", "--stack", "dev", "-o", "json", capsys=capsys)
    report = json.loads(out)
    assert (code, err, report["ok"], report["problems"]) == (0, "", True, [])
    assert report["target"].startswith("no kubectl context: ")
    assert report["warnings"][0].startswith("the repository is still the example username/manifests")
    assert report["warnings"][1].startswith("stack dev pins no kubernetes context")


def test_strict_check_fails_on_warnings(project, capsys):
    code, out, err = run_cli(project, "check", "--stack", "dev", "--strict", capsys=capsys)
    assert (code, out) == (1, "")
    assert err.startswith("warning: the repository is still the example") and err.endswith(
        "check: 1 warning, which fails the check with --strict\n"
    )
    code, out, _ = run_cli(project, "check", "--stack", "dev", "--strict", "-o", "json", capsys=capsys)
    assert code == 1 and json.loads(out)["ok"] is False and len(json.loads(out)["warnings"]) == 1
    edited(project)
    code, out, err = run_cli(project, "check", "--stack", "dev", "--strict", capsys=capsys)
    assert (code, err) == (0, "") and out.startswith("ok: stack dev:")


def test_strict_check_fails_on_a_chart_version_not_verified(project, capsys):
    edited(project)
    stack_file(project, {"chartVersion": "2.17.2"})
    assert run_cli(project, "check", "--stack", "dev", capsys=capsys)[0] == 0
    code, out, _ = run_cli(project, "check", "--stack", "dev", "--strict", "-o", "json", capsys=capsys)
    report = json.loads(out)
    assert (code, report["ok"]) == (1, False) and report["warnings"] == [report["chart"]]


def kubernetes_problems(document: dict) -> list[str]:
    """A document's problems as a Kubernetes object: the schemas check and render --chart use."""
    assert isinstance(document, dict) and document["apiVersion"] and document["kind"], document
    assert document["metadata"]["name"], document
    if document["kind"] in (*validation.FLUX_KINDS, "Namespace", "Secret"):
        return validation.validate_object(document, "2.18.3")
    rendered = chart.RenderedObject(template="render", hook=None, object=document)
    return validation.validate_chart_objects([rendered], chart.KNOWN_VERSIONS["2.18.3"].min_kubernetes)


@pytest.mark.parametrize("options", [(), ("--chart",)])
def test_every_document_render_prints_is_a_valid_kubernetes_object(project, capsys, options):
    (project / "Pulumi.dev.yaml").write_text(f"config:\n  flux-bootstrap:sops: generate\n{HELM_VALUES}{CONTEXT_LINE}")
    code, out, err = run_cli(project, "render", "--stack", "dev", *options, capsys=capsys)
    assert (code, err) == (0, "")
    documents = list(yaml.load_all(out, Loader=FAST_LOADER))
    assert len(documents) == (5 if not options else 5 + len(validation.chart_objects("2.18.3")))
    assert [problem for document in documents for problem in kubernetes_problems(document)] == []
    # -o json: the same objects, as the `kind: List` kubectl prints
    code, out, err = run_cli(project, "render", "--stack", "dev", *options, "-o", "json", capsys=capsys)
    assert (code, err) == (0, "")
    assert json.loads(out) == {"apiVersion": "v1", "kind": "List", "items": documents}


def test_render_values_json_is_the_release_and_no_secret(project, capsys):
    (project / "Pulumi.dev.yaml").write_text(f"config:\n{HELM_VALUES}{CONTEXT_LINE}")
    code, out, _ = run_cli(project, "render", "--stack", "dev", "--values", capsys=capsys)
    code_json, out_json, err = run_cli(project, "render", "--stack", "dev", "--values", "-o", "json", capsys=capsys)
    assert (code, code_json, err) == (0, 0, "")
    assert json.loads(out_json) == yaml.safe_load(out)
    assert json.loads(out_json)["helmRelease"]["values"]["logLevel"] == "debug"
    assert TOKEN not in out_json
    code, out, _ = run_cli(project, "render", "--stack", "dev", "-o", "json", capsys=capsys)
    secret = next(item for item in json.loads(out)["items"] if item["kind"] == "Secret")
    assert set(secret["stringData"].values()) == {"<redacted>"} and TOKEN not in out


def test_render_json_of_bad_config_prints_nothing_on_stdout(project, capsys):
    (project / "config" / "flux.yaml").write_text("repo: nope\n")
    code, out, err = run_cli(project, "render", "--stack", "dev", "-o", "json", capsys=capsys)
    assert (code, out) == (1, "") and "field 'repo'" in err


def test_audit_json_carries_findings_summary_and_skipped(tmp_path, capsys):
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {a: hunter2x}\n")
    (tmp_path / "apps" / "blob.bin").write_bytes(b"\0\1")
    code, text, notes = main(["audit", str(tmp_path)]), *capsys.readouterr()
    code_json, out, err = main(["audit", str(tmp_path), "-o", "json"]), *capsys.readouterr()
    assert (code, code_json, err) == (1, 1, "")
    report = json.loads(out)
    assert list(report) == ["ok", "scope", "recipients", "findings", "summary", "skipped", "notes"]
    assert (report["ok"], report["scope"], report["recipients"], report["notes"]) == (False, ".", [], [])
    assert all(list(finding) == ["file", "line", "kind", "message"] for finding in report["findings"])
    lines = [f"{f['file']}:{f['line']}: {f['kind']}: {f['message']}" for f in report["findings"]]
    assert lines == text.splitlines()[:-1]  # the same findings as the text, in its order
    assert ("apps/secret.yaml", 4, "plain-secret") in [(f["file"], f["line"], f["kind"]) for f in report["findings"]]
    assert report["summary"] == {
        "files": 1, "yamlDocuments": 1, "secrets": 1, "sopsFiles": 0, "findings": len(report["findings"]),
        "filesWithFindings": 1, "recipientCheck": False, "text": text.splitlines()[-1],
    }
    assert report["skipped"] == [{"file": "apps/blob.bin", "reason": "binary file, not scanned"}]
    assert notes == "note: apps/blob.bin: binary file, not scanned\n"
    assert "hunter2x" not in out


def test_audit_json_of_a_clean_checkout_and_a_note_about_the_recipient(project, capsys, tmp_path):
    stack_file(project, {"sops": "generate"})
    (tmp_path / "clusters" / "dev").mkdir(parents=True)
    code, out, err = run_cli(project, "audit", str(tmp_path), "--stack", "dev", "-o", "json", capsys=capsys)
    report = json.loads(out)
    assert (code, err, report["ok"], report["findings"], report["scope"]) == (0, "", True, [], "clusters/dev")
    assert report["summary"]["text"].startswith("ok: 0 files under clusters/dev")
    assert report["notes"] == [
        'note: the SOPS recipient of stack dev is not known offline (generate); pass it: '
        '--recipient "$(pulumi stack output -s dev sopsAgeRecipient)"'
    ]


def test_audit_that_cannot_run_exits_2_with_nothing_on_stdout(tmp_path, capsys):
    code = main(["audit", str(tmp_path / "missing"), "-o", "json"])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "") and captured.err.startswith("audit: ")



def test_check_names_what_closes_the_loop_and_warns_about_a_protected_rotation(project, capsys):
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  flux-bootstrap:keyRotation: '2'\n  flux-bootstrap:protect: true\n"
        "  flux-bootstrap:webhookHost: flux-hook.example.com\n" + CONTEXT_LINE)
    code, text, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 0
    loop = [line for line in text.splitlines() if line.startswith("loop: ")]
    assert [line.split(":")[1].strip() for line in loop] == ["Key rotation", "Sync on push"]
    assert "keyRotation with protect" in err
    code, out, _ = run_cli(project, "check", "--stack", "dev", "-o", "json", capsys=capsys)
    assert json.loads(out)["loop"] == [line.removeprefix("loop: ") for line in loop]
    assert run_cli(project, "check", "--stack", "dev", "--strict", capsys=capsys)[0] == 1


def test_check_json_problems_carry_what_to_do_apart_from_what_is_wrong(project, capsys):
    (project / "Pulumi.dev.yaml").write_text("config:\n  flux-bootstrap:githubUrl: https://github.com\n  flux-bootstrap:protect: maybe\n"
                                             + CONTEXT_LINE)
    (project / "config" / "flux.yaml").write_text(f"repo: https://github.com/acme/fleet\n{GHP}: x\n")
    _, _, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    _, out, _ = run_cli(project, "check", "--stack", "dev", "-o", "json", capsys=capsys)
    problems = {p["field"]: p for p in json.loads(out)["problems"]}
    url, protect, hidden = problems["flux-bootstrap:githubUrl"], problems["flux-bootstrap:protect"], problems[None]
    # message: the whole text, as the text output tells it; fix: its part that says what to do.
    assert (url["message"], url["fix"]) == (
        "points at github.com, which needs no githubUrl. Remove it: pulumi config rm githubUrl",
        "Remove it: pulumi config rm githubUrl")
    assert (protect["message"], protect["fix"]) == ("must be true or false.", None)
    assert hidden["message"].startswith("a field whose name looks like a secret (not shown): is not a known field. ")
    assert hidden["fix"].startswith("Check the spelling, or remove it. If a token or key was pasted there")
    for problem in (url, hidden):
        assert problem["message"] in err and problem["message"].endswith(problem["fix"])
    assert GHP not in out


def test_check_json_tells_a_fix_given_apart_in_the_message_too(project, capsys, monkeypatch):
    # A producer may give the fix itself instead of after the message's first sentence.
    given = Problem("Pulumi.dev.yaml", "is set in this shell.", field="FLUX_X", label="variable", fix="Unset it.")
    monkeypatch.setattr(cli, "environment_problems", lambda environ, settings: [given])
    code, out, _ = run_cli(project, "check", "--stack", "dev", "-o", "json", capsys=capsys)
    assert code == 1
    assert json.loads(out)["problems"] == [{"source": "Pulumi.dev.yaml", "line": None, "field": "FLUX_X",
                                            "message": "is set in this shell. Unset it.", "fix": "Unset it."}]


def test_a_hidden_name_without_a_fix_still_says_what_to_do(project, capsys, monkeypatch):
    # One sentence, no fix of its own: the fix is the advice about a pasted secret, whole.
    hidden = Problem("Pulumi.dev.yaml", "is not a setting.", field=GHP, label="setting")
    assert hidden.fix is None
    monkeypatch.setattr(cli, "environment_problems", lambda environ, settings: [hidden])
    code, out, _ = run_cli(project, "check", "--stack", "dev", "-o", "json", capsys=capsys)
    (problem,) = json.loads(out)["problems"]
    assert code == 1 and problem["field"] is None and GHP not in out
    assert problem["message"] == ("a setting whose name looks like a secret (not shown): is not a setting."
                                  + HIDDEN_NAME_HINT)
    assert problem["fix"] == HIDDEN_NAME_HINT.strip()
    assert problem["message"] in hidden.describe()
