"""What the tests share that is not a fixture: paths, the stand-in token, small walkers.
(Fixtures live in conftest.py; tests import these from here, never from conftest.)"""

from pathlib import Path

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
