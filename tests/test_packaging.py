"""`pip install .`: the wheel holds the package and the carried chart, and its `flux-bootstrap`
command works from another folder. Built offline with the locked setuptools."""

import os
import shutil
import subprocess
import sys

import pytest

from flux_bootstrap import __version__, chart, validation

from helpers import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from a copy of the tracked files, installed into its own folder."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-cache-dir", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", base / "dist", source], check=True)
    (wheel,) = (base / "dist").glob("flux_bootstrap-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", base / "site", wheel], check=True)
    return base / "site", source


def run(installed, *args, cwd):
    site, _ = installed
    # The installed command, its imports from the installed package (not this checkout).
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([site / "bin" / "flux-bootstrap", *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_the_wheel_carries_the_package_and_the_chart(installed):
    site, _ = installed
    for version, carried in chart.CARRIED.items():
        assert (site / "flux_bootstrap" / "charts" / carried.file).read_bytes() == carried.path.read_bytes()
        assert (site / "flux_bootstrap" / "charts" / carried.schemas_path.name).is_file()
    core = validation.CORE_SCHEMAS
    assert (site / "flux_bootstrap" / "charts" / core.name).read_bytes() == core.read_bytes()
    assert (site / "flux_bootstrap" / "settings" / "__init__.py").is_file()
    assert not (site / "components").exists() and not (site / "tests").exists()  # the Pulumi program stays in the project


def test_version_names_the_project_chart_and_flux(installed, tmp_path):
    result = run(installed, "--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"flux-bootstrap {__version__} (flux2 chart 2.18.3, Flux 2.8.5)"


def test_check_and_render_from_another_folder(installed, tmp_path):
    _, project = installed
    result = run(installed, "--project-dir", str(project), "check", "--stack", "dev", "--no-token", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: stack dev:")
    rendered = run(installed, "render", "--stack", "dev", cwd=project / "config")  # Pulumi.yaml found above
    assert rendered.returncode == 0, rendered.stderr
    assert "kind: GitRepository" in rendered.stdout


def test_audit_from_another_folder(installed, tmp_path):
    (tmp_path / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {a: b}\n")
    result = run(installed, "audit", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1 and "secret.yaml" in result.stdout


def test_without_a_project_check_says_where_to_run(installed, tmp_path):
    result = run(installed, "check", "--stack", "dev", cwd=tmp_path)
    assert result.returncode == 2 and "no Pulumi.yaml in this folder or above it" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_the_dependencies_one_line_says_how_to_set_them_up(tmp_path):
    # -S: no site-packages, as a system Python outside the venv would run it.
    result = subprocess.run(
        [sys.executable, "-S", "-m", "flux_bootstrap", "check"],
        cwd=ROOT, capture_output=True, text=True, env={"PATH": os.environ["PATH"]},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "is not installed; set up the tools first: scripts/venv.sh" in line
