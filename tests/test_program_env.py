"""The program under mocks refuses to run while the shell sets a variable that would redirect the
GitHub provider, before anything is registered or asked; without them, the provider gets the owner
and the API address explicitly."""

from __future__ import annotations

import pulumi
import pytest

from flux_bootstrap.github_env import VARIABLES
from harness import GH_PROVIDER, Run, provider_urn, run_program

OTHER = "Evil-Corp-Value-7"  # must never be shown


@pytest.mark.parametrize("name", VARIABLES)
def test_each_variable_stops_the_run_before_anything_exists(config_dir, monkeypatch, name):
    monkeypatch.setenv(name, OTHER)
    run = Run()
    with pytest.raises(pulumi.RunError) as err:
        run_program({"configDir": str(config_dir)}, run=run)
    message = str(err.value)
    assert f"variable '{name}'" in message and f"unset {name}" in message
    assert OTHER not in message and OTHER.lower() not in message.lower()
    assert "nothing was changed" in message
    assert run.registrations == [] and run.invokes == []


def test_all_of_them_are_named_in_one_message(config_dir, monkeypatch):
    for name in VARIABLES:
        monkeypatch.setenv(name, OTHER)
    with pytest.raises(pulumi.RunError) as err:
        run_program({"configDir": str(config_dir)})
    assert str(err.value).startswith(f"{len(VARIABLES)} configuration problems; nothing was changed.\nenvironment:")
    assert all(f"unset {name}" in str(err.value) for name in VARIABLES)


def test_the_repository_owner_and_the_programs_api_address_are_accepted(config_dir, monkeypatch):
    monkeypatch.setenv("GITHUB_OWNER", "username")
    monkeypatch.setenv("GITHUB_BASE_URL", "https://api.github.com")
    monkeypatch.setenv("GITHUB_ORGANIZATION", "")
    run = run_program({"configDir": str(config_dir)})
    inputs = run.one(GH_PROVIDER).inputs
    assert (inputs["owner"], inputs["baseUrl"]) == ("username", "https://api.github.com/")
    assert "organization" not in inputs


def test_the_provider_gets_owner_and_api_address_even_without_the_refusal(config_dir, monkeypatch):
    # Defence in depth: were the refusal gone, GITHUB_BASE_URL would still not reach the provider's
    # inputs, because the program passes base_url itself (the SDK only fills it when left out).
    monkeypatch.setattr("components.stack_config.environment_problems", lambda environ, settings: [])
    monkeypatch.setenv("GITHUB_BASE_URL", "https://elsewhere.example/api/v3/")
    run = run_program({"configDir": str(config_dir)})
    github = run.one(GH_PROVIDER)
    assert (github.inputs["owner"], github.inputs["baseUrl"]) == ("username", "https://api.github.com/")
    # Every lookup, including the synchronous preflight ones, goes through that provider.
    assert run.invokes and all(provider_urn(i.provider) == github.urn for i in run.invokes)
