"""docs/settings.md and the settings of Pulumi.yaml are generated from the settings schema, and kept current."""

import importlib.util

import pytest
import yaml

from flux_bootstrap.settings.stack import SETTING_NAMES
from helpers import ROOT

_spec = importlib.util.spec_from_file_location("settings_reference", ROOT / "scripts" / "settings_reference.py")
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)


def listed(text: str) -> set[str]:
    return {line.split("`")[1] for line in text.splitlines() if line.startswith("| `")}


def test_the_committed_page_is_what_the_script_writes():
    assert (ROOT / "docs" / "settings.md").read_text() == reference.page(), (
        "docs/settings.md is out of date: run .venv/bin/python scripts/settings_reference.py"
    )


def test_every_declared_and_every_accepted_setting_is_listed():
    names = listed(reference.page())
    declared = set(yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"])
    assert declared <= names
    assert set(SETTING_NAMES) <= names
    assert names <= declared | set(SETTING_NAMES)  # nothing invented


def test_the_committed_project_file_is_what_the_script_writes():
    assert (ROOT / "Pulumi.yaml").read_text() == reference.project_file(), (
        "Pulumi.yaml is out of date: run .venv/bin/python scripts/settings_reference.py"
    )


def test_a_drift_of_either_file_is_caught_and_rewritten(tmp_path, monkeypatch, capsys):
    page, project = tmp_path / "settings.md", tmp_path / "Pulumi.yaml"
    page.write_text(reference.page().replace("| `protect` |", "| `protected` |"))
    project.write_text(reference.project_file().replace("  protect:", "  protected:"))
    monkeypatch.setattr(reference, "PAGE", page)
    monkeypatch.setattr(reference, "PROJECT_FILE", project)
    assert reference.main(["--check"]) == 1
    assert capsys.readouterr().err.count("is out of date: run .venv/bin/python scripts/settings_reference.py") == 2
    reference.main([])
    assert reference.main(["--check"]) == 0
    assert yaml.safe_load(project.read_text())["config"]["protect"]["type"] == "boolean"


def test_the_project_file_keeps_what_is_above_the_settings(tmp_path, monkeypatch):
    project = tmp_path / "Pulumi.yaml"
    project.write_text("name: other\n# kept as written\n# Stack settings: stale\nconfig:\n  gone: {}\n")
    monkeypatch.setattr(reference, "PROJECT_FILE", project)
    generated = reference.project_file()
    assert generated.startswith("name: other\n# kept as written\n# Stack settings, generated")
    assert "gone" not in yaml.safe_load(generated)["config"] and "protect" in yaml.safe_load(generated)["config"]
    project.write_text("name: other\nconfig: {}\n")  # no marker: nothing is written blindly
    with pytest.raises(SystemExit, match="no line starting with '# Stack settings'"):
        reference.project_file()


def test_types_defaults_and_allowed_values_come_from_the_schema():
    rows = {line.split("`")[1]: line for line in reference.page().splitlines() if line.startswith("| `")}
    assert "| boolean | `true` | `true`, `false` |" in rows["preflight"]
    assert "| string | `deploy-key` | `deploy-key`, `github-app`, `https` |" in rows["auth"]
    assert "| object | not set |" in rows["helmValues"] and "| list | not set |" in rows["tolerations"]
    assert "secret (`--secret`)" in rows["githubToken"]
