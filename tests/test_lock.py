"""The hashed lock files: they satisfy the ranges, pin every package with hashes, and are what runs."""

import hashlib
import re
import tomllib
from importlib.metadata import distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
RELOCK = "run scripts/lock.sh to relock, then scripts/test.sh"
PAIRS = [("requirements.txt", "requirements-lock.txt"), ("requirements-test.txt", "requirements-test-lock.txt")]


def ranges(name: str) -> list[Requirement]:
    """The requirements of a ranges file, following `-r` includes."""
    found = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += ranges(line[3:].strip())
        elif line:
            found.append(Requirement(line))
    return found


def lock_entries(name: str) -> dict[str, tuple[Requirement, list[str]]]:
    """Each locked requirement with its hashes, by canonical name."""
    entries: dict[str, tuple[Requirement, list[str]]] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        if not line or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            current = Requirement(line.rstrip(" \\"))
            entries[canonicalize_name(current.name)] = (current, [])
        elif "--hash=" in line:
            entries[canonicalize_name(current.name)][1].append(line.split("--hash=", 1)[1].rstrip(" \\"))
    return entries


def pinned(req: Requirement) -> str:
    (spec,) = req.specifier
    assert spec.operator == "==", f"{req} is not an exact pin"
    return spec.version


@pytest.mark.parametrize("ranges_file, lock_file", PAIRS)
def test_the_lock_was_made_from_the_ranges_file_as_it_is(ranges_file, lock_file):
    header = re.search(r"^# ranges sha256: ([0-9a-f]{64})$", (ROOT / lock_file).read_text(), re.M)
    assert header, f"{lock_file} has no `# ranges sha256:` line: {RELOCK}"
    now = hashlib.sha256((ROOT / ranges_file).read_bytes()).hexdigest()
    assert header.group(1) == now, f"{ranges_file} changed since {lock_file} was made: {RELOCK}"


@pytest.mark.parametrize("ranges_file, lock_file", PAIRS)
def test_every_range_is_locked_inside_its_range(ranges_file, lock_file):
    locked = lock_entries(lock_file)
    for req in ranges(ranges_file):
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is in {ranges_file} but not in {lock_file}: {RELOCK}"
        version = pinned(locked[name][0])
        assert req.specifier.contains(version, prereleases=True), (
            f"{lock_file} pins {req.name}=={version}, outside {req.specifier} of {ranges_file}: {RELOCK}"
        )


@pytest.mark.parametrize("lock_file", [lock for _, lock in PAIRS])
def test_every_locked_package_is_an_exact_pin_with_sha256_hashes(lock_file):
    entries = lock_entries(lock_file)
    assert len(entries) > 20  # transitive dependencies are locked too (pydantic-core, grpcio, ...)
    for name, (req, hashes) in entries.items():
        pinned(req)
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), f"{name} has no sha256 hash"


def test_the_test_lock_runs_exactly_the_runtime_pins():
    runtime, test = lock_entries("requirements-lock.txt"), lock_entries("requirements-test-lock.txt")
    for name, (req, hashes) in runtime.items():
        assert name in test, f"{name} is locked for the program but not for the tests: {RELOCK}"
        assert pinned(test[name][0]) == pinned(req), f"{name}: the tests would run another version: {RELOCK}"
        assert set(test[name][1]) == set(hashes)
    assert {"pytest", "pluggy", "iniconfig"} <= set(test) - set(runtime)


def test_this_environment_is_the_test_lock():
    # scripts/test.sh and .ci/run sync .venv to the lock: what passes here is exactly what is locked.
    expected = {
        name: pinned(req)
        for name, (req, _) in lock_entries("requirements-test-lock.txt").items()
        if req.marker is None or req.marker.evaluate()
    }
    # What `python -m venv` brings, and this project itself: `pip install .` in the checkout leaves
    # flux_bootstrap.egg-info beside the package, which the venv's path to the project then shows.
    venv_own = ({"pip", "setuptools", "wheel"} - set(expected)) | {"flux-bootstrap"}
    installed = {
        canonicalize_name(d.metadata["Name"]): d.version
        for d in distributions()
        if canonicalize_name(d.metadata["Name"]) not in venv_own
    }
    assert installed == expected, "this environment is not the test lock: run the tests with scripts/test.sh"


def test_the_installable_package_takes_its_dependencies_from_the_ranges_file():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    assert project["project"]["scripts"] == {"flux-bootstrap": "flux_bootstrap.__main__:run"}
    assert project["project"]["requires-python"] == ">=3.11"


@pytest.mark.parametrize("script", ["scripts/venv.sh", "scripts/lock.sh"])
def test_installs_require_hashes(script):
    installs = [line for line in (ROOT / script).read_text().splitlines() if "pip install" in line and not line.lstrip().startswith("#")]
    assert installs and all("--require-hashes" in line for line in installs)


@pytest.mark.parametrize("script, lock", [("scripts/test.sh", "requirements-test-lock.txt"), ("scripts/up.sh", "requirements-lock.txt")])
def test_scripts_install_from_the_lock(script, lock):
    assert f"scripts/venv.sh {lock}" in (ROOT / script).read_text()
