"""Fixtures only (pytest.ini puts the project and tests/ on the path; shared helpers are in helpers.py)."""

from pathlib import Path

import pytest

from flux_bootstrap.github_env import VARIABLES as GITHUB_PROVIDER_VARIABLES

from helpers import TOKEN


@pytest.fixture(autouse=True)
def no_kubeconfig(tmp_path_factory, monkeypatch):
    """No test reads the kubeconfig of the machine it runs on: `check` shows the current kubectl
    context of a stack that pins none. Tests that want one point KUBECONFIG or HOME at their own."""
    monkeypatch.setenv("KUBECONFIG", str(tmp_path_factory.getbasetemp() / "no-kubeconfig"))


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A config folder holding the seed's flux.yaml and a secrets file."""
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "flux.yaml").write_text("repo: https://github.com/username/manifests.git\nbranch: main\n")
    (folder / "secrets-flux.yaml").write_text(f'token: "{TOKEN}"\n')
    return folder


@pytest.fixture(autouse=True)
def _no_github_provider_variables(monkeypatch):
    """The shell running the tests may set GITHUB_OWNER and the like; the program and `check` refuse
    them (github_env.py). Tests that want one set it themselves."""
    for name in GITHUB_PROVIDER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
