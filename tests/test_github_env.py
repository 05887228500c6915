"""The environment variables that would redirect the GitHub provider: which are refused, which are
accepted, and that a message names the variable and the fix but never the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from flux_bootstrap.github_env import APP_VARIABLES, OWNER_VARIABLES, VARIABLES, environment_problems
from flux_bootstrap.settings import resolve_settings
from pems import app_private_key
from helpers import write_repo

OTHER = "Evil-Corp-Value-7"  # a value that must never be shown


def settings(project_dir: Path, **values):
    return resolve_settings(project_dir=project_dir, project="flux-bootstrap", stack="dev", stack_values=values,
                            stack_source="stack", require_token=False)


def test_a_clean_environment_has_no_problem(config_dir):
    assert environment_problems({"HOME": "/home/me", "GITHUB_TOKEN": OTHER}, settings(config_dir.parent)) == []


@pytest.mark.parametrize("name", VARIABLES)
def test_each_variable_is_refused_by_name_never_by_value(config_dir, name):
    (problem,) = environment_problems({name: OTHER}, settings(config_dir.parent))
    assert (problem.source, problem.field, problem.label) == ("environment", name, "variable")
    text = problem.describe()
    assert text.startswith(f"variable '{name}': ")
    assert f"unset {name}" in text
    assert OTHER not in text and OTHER.lower() not in text.lower()
    # What it would do, then what to do: unset it.
    assert problem.fix.startswith(f"Unset it for the run (unset {name})") and problem.message.endswith(problem.fix)
    assert "unset" not in problem.message.removesuffix(problem.fix)


def test_every_variable_set_gives_one_problem_each_in_a_fixed_order(config_dir):
    problems = environment_problems({name: OTHER for name in VARIABLES}, settings(config_dir.parent))
    assert [p.field for p in problems] == list(VARIABLES)


@pytest.mark.parametrize("name", VARIABLES)
def test_an_empty_variable_counts_as_unset(config_dir, name):
    # Both the SDK (`get_env(...) or default`) and the provider (EnvDefaultFunc) ignore an empty value.
    assert environment_problems({name: ""}, settings(config_dir.parent)) == []


@pytest.mark.parametrize("name", OWNER_VARIABLES)
@pytest.mark.parametrize("value", ["username", "UserName"])
def test_the_repository_owner_itself_is_accepted(config_dir, name, value):
    assert environment_problems({name: value}, settings(config_dir.parent)) == []


@pytest.mark.parametrize("name", OWNER_VARIABLES)
@pytest.mark.parametrize("value", [" username", "username ", "username2", "user"])
def test_an_owner_that_is_not_exactly_the_repository_owner_is_refused(config_dir, name, value):
    (problem,) = environment_problems({name: value}, settings(config_dir.parent))
    assert "repository's owner username" in problem.message


@pytest.mark.parametrize("value", ["https://api.github.com/", "https://api.github.com", "HTTPS://API.GITHUB.COM/"])
def test_the_api_address_the_program_passes_is_accepted(config_dir, value):
    assert environment_problems({"GITHUB_BASE_URL": value}, settings(config_dir.parent)) == []


def test_on_an_enterprise_server_only_its_api_address_is_accepted(config_dir):
    write_repo(config_dir, "https://ghe.example.com/acme/fleet")
    ghes = settings(config_dir.parent, githubUrl="https://ghe.example.com")
    assert environment_problems({"GITHUB_BASE_URL": "https://ghe.example.com/api/v3"}, ghes) == []
    assert environment_problems({"GITHUB_OWNER": "acme"}, ghes) == []
    (problem,) = environment_problems({"GITHUB_BASE_URL": "https://api.github.com/"}, ghes)
    assert "(https://ghe.example.com/api/v3/)" in problem.message and "githubUrl" in problem.fix


@pytest.mark.parametrize("name", APP_VARIABLES)
def test_the_app_variables_are_refused_even_with_the_stacks_own_app(config_dir, name):
    # The program passes the App from its settings; it never compares the environment's App (or key) to it.
    (config_dir / "github-app.pem").write_text(app_private_key())
    app = settings(config_dir.parent, auth="github-app", githubAppId="12345", githubAppInstallationId="678")
    values = {"GITHUB_APP_ID": "12345", "GITHUB_APP_INSTALLATION_ID": "678", "GITHUB_APP_PEM_FILE": "x"}
    (problem,) = environment_problems({name: values[name]}, app)
    assert "authenticates as that GitHub App even when the program passes a token" in problem.message


def test_off_github_nothing_is_refused(config_dir):
    # No GitHub provider is made for another host, so the variables change nothing.
    write_repo(config_dir, "https://gitlab.com/acme/fleet")
    other = settings(config_dir.parent, auth="https")
    assert environment_problems({name: OTHER for name in VARIABLES}, other) == []
