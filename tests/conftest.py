"""Fixtures only (pytest.ini puts the project and tests/ on the path; shared helpers are in helpers.py)."""

import shutil
from pathlib import Path

import pytest

from flux_bootstrap.github_env import VARIABLES as GITHUB_PROVIDER_VARIABLES

pytest.register_assert_rewrite("helpers")  # its asserts (passes) report as a test module's do
from helpers import CONTEXT_LINE, ROOT, TOKEN  # noqa: E402


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


@pytest.fixture
def project(tmp_path: Path, config_dir: Path) -> Path:
    """A project folder: the real Pulumi.yaml, the seed's config, a dev stack that only pins its cluster."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.dev.yaml").write_text(f"config:\n{CONTEXT_LINE}")
    (config_dir / "secrets-flux.yaml").chmod(0o600)
    return tmp_path


@pytest.fixture(autouse=True)
def _no_github_provider_variables(monkeypatch):
    """The shell running the tests may set GITHUB_OWNER and the like; the program and `check` refuse
    them (github_env.py). Tests that want one set it themselves."""
    for name in GITHUB_PROVIDER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
