"""What the tests share that is not a fixture: paths, the stand-in token, stack and settings
writers, the offline CLI and a mocked program run, credential-shaped strings, small walkers.
(Fixtures live in conftest.py; tests import these from here, never from conftest.)"""

import logging
import random
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import yaml

from flux_bootstrap import chart
from flux_bootstrap.cli import main
from flux_bootstrap.settings import resolve_settings
from harness import GIT_REPO, Run, Scenario, run_program

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "reference" / "flux"
TOKEN = "tok-Secret-1234567890"  # a stand-in token; tests assert it never shows up anywhere
# The dev stack's cluster, as a team pins it (`check` warns about a stack that does not).
CONTEXT_LINE = "  kubernetes:context: kind-dev\n"
# A GitHub App's settings but its private key.
APP = {"auth": "github-app", "githubAppId": "12345", "githubAppInstallationId": "678"}
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"  # the alphabet of age keys


def leaf_paths(value, path=()):
    """(key path, value) of every leaf of nested mappings; an empty mapping is a leaf."""
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from leaf_paths(inner, path + (key,))
    else:
        yield path, value


def resolve(project_dir: Path, stack: str = "dev", *, require_token: bool = True, **values):
    """Settings of a stack whose settings are `values` (bare names), as the program resolves them."""
    return resolve_settings(project_dir=project_dir, project="flux-bootstrap", stack=stack, stack_values=values,
                            stack_source="stack", require_token=require_token)


def write_repo(config_dir: Path, repo: str, branch: str | None = "main") -> None:
    """config/flux.yaml naming `repo` (and `branch` unless None)."""
    (config_dir / "flux.yaml").write_text(f"repo: {repo}\n" + (f"branch: {branch}\n" if branch else ""))


def settings_for(config_dir: Path, branch: str | None = "main", **values):
    """Settings of a dev stack with `values`, its flux.yaml naming acme/fleet (and `branch` unless None); no token."""
    write_repo(config_dir, "https://github.com/acme/fleet", branch)
    return resolve(config_dir.parent, require_token=False, **values)


def stack_file(project: Path, settings: dict[str, object]) -> None:
    """Pulumi.dev.yaml with these settings, one a line from line 2, then CONTEXT_LINE."""
    lines = ["config:"] + [f"  flux-bootstrap:{k}: {yaml.safe_dump(v).splitlines()[0]}" for k, v in settings.items()]
    (project / "Pulumi.dev.yaml").write_text("\n".join(lines) + "\n" + CONTEXT_LINE)


def run_cli(project: Path, *args: str, capsys) -> tuple[int, str, str]:
    """The offline CLI on `project`: exit code, stdout, stderr."""
    code = main(["--project-dir", str(project), *args])
    out, err = capsys.readouterr()
    return code, out, err


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Each file of `files` (path relative to `root`: text) written, folders made; returns `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def shaped(prefix: str, alphabet: str, length: int) -> str:
    """A credential-shaped string made for this run (no tracked file holds one)."""
    return prefix + "".join(random.choice(alphabet) for _ in range(length))


def age_identity() -> str:
    return shaped("AGE-SECRET-" + "KEY-1", BECH32.upper(), 58)


def age_recipient() -> str:
    return shaped("age1", BECH32, 58)


def logged_warnings(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def passes(config_dir: Path, scenario: Scenario, caplog, **settings) -> tuple[Run, str]:
    """The program run to the end under mocks with `settings`: the run and the warnings it logged."""
    run = run_program({"configDir": str(config_dir), **settings}, scenario=scenario)
    assert TOKEN not in caplog.text
    assert run.one(GIT_REPO)  # the program went on to the end
    return run, logged_warnings(caplog)


@contextmanager
def carried_archive_replaced(monkeypatch, folder: Path, make: Callable[[Path], None]) -> Iterator[Path]:
    """The carried chart archive looked up in `folder`/charts, where `make(path)` put something in
    its place (altered bytes, a FIFO, a loop); the verified-archive cache cleared around it."""
    charts = folder / "charts"
    charts.mkdir()
    archive = charts / chart.CARRIED[chart.NEWEST_CARRIED].file
    make(archive)
    monkeypatch.setattr(chart, "CHARTS_DIR", charts)
    chart.carried_archive.cache_clear()
    try:
        yield archive
    finally:
        chart.carried_archive.cache_clear()
