"""What the tests share that is not a fixture: paths, the stand-in token, small walkers.
(Fixtures live in conftest.py; tests import these from here, never from conftest.)"""

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from flux_bootstrap import chart
from flux_bootstrap.cli import main
from flux_bootstrap.settings import resolve_settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "reference" / "flux"
TOKEN = "tok-Secret-1234567890"  # a stand-in token; tests assert it never shows up anywhere


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
