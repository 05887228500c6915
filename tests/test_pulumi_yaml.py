"""Pulumi.yaml declares exactly the settings the program reads, with the model's defaults."""

import yaml

from helpers import ROOT
from flux_bootstrap.settings import PROJECT, SECRET_SETTINGS, SETTING_NAMES, STRUCTURED_SETTINGS, SETTING_FIELDS

PROJECT_FILE = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
TYPES = {bool: "boolean", str: "string"}
# Pulumi's project config types are string, integer, boolean and array (of those): a setting whose
# value is an object, or a list of objects, cannot be declared and is read undeclared.
UNDECLARED = {"tolerations", "nodeSelector", "resources", "helmValues"}


def test_project_and_runtime():
    assert PROJECT_FILE["name"] == PROJECT
    assert PROJECT_FILE["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


def test_every_setting_is_declared_with_type_description_and_default():
    declared = PROJECT_FILE["config"]
    assert set(declared) == set(SETTING_NAMES) - UNDECLARED
    for name, spec in declared.items():
        keys = {"type", "default", "description"} | ({"items"} if spec["type"] == "array" else set())
        assert set(spec) == keys, name
        assert spec["description"].strip(), name


def test_only_structured_settings_of_objects_are_undeclared():
    assert UNDECLARED < STRUCTURED_SETTINGS
    for name in STRUCTURED_SETTINGS - UNDECLARED:  # a list of strings: declared as an array of strings
        assert PROJECT_FILE["config"][name]["type"] == "array"
        assert PROJECT_FILE["config"][name]["items"] == {"type": "string"}
    # The project file says why they are missing, in the comment above `config:`.
    comment = (ROOT / "Pulumi.yaml").read_text().split("\nconfig:", 1)[0].rsplit("\n# Stack settings", 1)[1]
    assert "read without a" in comment and all(name in comment for name in UNDECLARED)


def test_declared_defaults_are_the_model_defaults():
    declared = PROJECT_FILE["config"]
    for field_name, field in SETTING_FIELDS.items():
        name = field.alias or field_name
        if name in UNDECLARED:
            assert not field.is_required() and not field.default, name  # unset: empty
            continue
        spec = declared[name]
        if isinstance(field.default, tuple):  # a list: an array, empty by default
            assert (spec["type"], spec["default"]) == ("array", list(field.default)), name
        elif field.default is None:  # optional: Pulumi needs a default, "" means not set
            assert (spec["type"], spec["default"]) == ("string", ""), name
        else:
            assert spec["default"] == field.default, name
            assert spec["type"] == TYPES[type(field.default)], name
    for name in SECRET_SETTINGS:  # secrets have no default and are never in the project file
        assert (declared[name]["type"], declared[name]["default"]) == ("string", ""), name


def test_example_stacks_are_valid(tmp_path, capsys, config_dir):
    from flux_bootstrap.cli import main
    import shutil

    for stack in ("dev", "prod"):
        shutil.copy(ROOT / f"Pulumi.{stack}.yaml", tmp_path)
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    (config_dir / "secrets-flux.yaml").chmod(0o600)
    for stack in ("dev", "prod"):
        assert main(["--project-dir", str(tmp_path), "check", "--stack", stack]) == 0, capsys.readouterr().err
