"""scripts/up.sh: its arguments, the offline check first, and what it asks of the Pulumi CLI.

The Pulumi CLI is a fake here (FAKE_PULUMI, first on PATH): it records every call and answers
`stack select` the way the real one does. Everything before it (venv.sh, `check`) is real.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

# A stack file as a team would commit it: the token encrypted in the stack, the cluster pinned.
STACK_FILE = """\
config:
  flux-bootstrap:githubToken:
    secure: v1:c2VjcmV0
  kubernetes:context: kind-{stack}
"""

# Records each call as one line, its arguments separated by tabs (and the backend it was given in
# a file beside), then answers like pulumi:
# `stack select` succeeds for the stacks in $FAKE_PULUMI_STACKS and otherwise says what pulumi says.
FAKE_PULUMI = """\
#!/bin/sh
(IFS='\t'; printf '%s\\n' "$*") >> "$FAKE_PULUMI_LOG"
printf '%s\\n' "$PULUMI_BACKEND_URL" > "$FAKE_PULUMI_LOG.backend"
if [ "$1 $2" = "stack select" ]; then
  if [ -n "${FAKE_PULUMI_SELECT_ERROR:-}" ]; then echo "$FAKE_PULUMI_SELECT_ERROR" >&2; exit 255; fi
  case " $FAKE_PULUMI_STACKS " in *" $3 "*) exit 0 ;; esac
  echo "error: no stack named '$3' found" >&2
  exit 255
fi
exit 0
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project as up.sh sees it, with its own .venv.

    The package is linked, not copied. The .venv is empty but sees this checkout's .venv
    packages (a .pth line), so scripts/venv.sh finds the lock installed, downloads nothing, and
    writes its project path into the copy's venv, not into this checkout's."""
    base = tmp_path_factory.mktemp("project")
    for name in ("scripts/up.sh", "scripts/venv.sh", "requirements-lock.txt", "requirements-test-lock.txt", "Pulumi.yaml"):
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, base / name)
    (base / "flux_bootstrap").symlink_to(ROOT / "flux_bootstrap")
    (base / "config").mkdir()
    (base / "config" / "flux.yaml").write_text("repo: https://github.com/acme/fleet\nbranch: main\n")
    for stack in ("dev", "prod"):
        (base / f"Pulumi.{stack}.yaml").write_text(STACK_FILE.format(stack=stack))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", base / ".venv"], check=True)
    (venv_site,) = (base / ".venv" / "lib").glob("python3*/site-packages")
    (venv_site / "checkout-venv.pth").write_text(site.getsitepackages()[0] + "\n")
    return base


def up(project: Path, tmp_path: Path, *args: str, stacks: str = "dev prod acme/prod", **env: str):
    """Runs up.sh with the fake pulumi first on PATH; returns the result and pulumi's calls."""
    bin_dir = tmp_path / "bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
        (bin_dir / "pulumi").write_text(FAKE_PULUMI)
        (bin_dir / "pulumi").chmod(0o755)
    log = tmp_path / "pulumi-calls"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    environ.update(
        PATH=f"{bin_dir}:/usr/bin:/bin",
        FAKE_PULUMI_LOG=str(log),
        FAKE_PULUMI_STACKS=stacks,
        PULUMI_BACKEND_URL=f"file://{tmp_path / 'state'}",
        KUBECONFIG=str(tmp_path / "no-kubeconfig"),
    )
    environ.update(env)
    environ = {k: v for k, v in environ.items() if v is not None}
    result = subprocess.run(["bash", str(project / "scripts" / "up.sh"), *args], capture_output=True, text=True, env=environ)
    calls = [line.split("\t") for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


def test_a_stack_name_typo_stops_before_pulumi(project, tmp_path):
    # The typo is reported by `check`: no stack is selected, created or deployed.
    result, calls = up(project, tmp_path, "-s", "prdo", "--yes")
    assert result.returncode == 2 and calls == []  # check's usage error, passed on
    assert "Pulumi.prdo.yaml:\n  - does not exist, so stack prdo is not set up here" in result.stderr
    assert "pulumi stack init prdo" in result.stderr


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_installs_nothing(tmp_path, flag):
    # A folder with the script alone: no venv, no lock, no python needed to answer.
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "up.sh", tmp_path / "scripts" / "up.sh")
    for args in ([flag], ["prod", flag], ["--yes", flag]):
        result = subprocess.run(["bash", str(tmp_path / "scripts" / "up.sh"), *args], capture_output=True, text=True)
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout.startswith("Usage: scripts/up.sh [STACK] [-s|--stack STACK] [pulumi up options...]\n")
        assert "--refresh=false" in result.stdout and "set -euo" not in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scripts"]


# Passed on to pulumi up unchanged, whatever they are.
PASSED = ("--yes", "--diff", "--skip-preview", "-m", "deploy prod", "--target", "urn:a", "-p", "4", "--", "x y")


# Each run costs about two seconds (venv.sh and check are real): one case per way of saying it.
@pytest.mark.parametrize(
    "args,expected",
    [
        (("-s", "prod", *PASSED), ["--stack", "prod", "--refresh", *PASSED]),
        (("--yes", "--stack", "prod", "--refresh=false"), ["--stack", "prod", "--yes", "--refresh=false"]),
        (("--stack=prod", "-r"), ["--stack", "prod", "-r"]),
        (("dev", "-sdev", "-yr"), ["--stack", "dev", "-yr"]),
        (("acme/prod", "--refresh"), ["--stack", "acme/prod", "--refresh"]),
    ],
)
def test_the_stack_option_a_refresh_of_your_own_and_every_other_argument(project, tmp_path, args, expected):
    result, calls = up(project, tmp_path, *args)
    assert result.returncode == 0, result.stderr
    stack = expected[1]
    assert f"ok: stack {stack.split('/')[-1]}: ssh://git@github.com/acme/fleet branch main" in result.stdout
    assert calls == [["stack", "select", stack], ["up", *expected]]
    added = expected[2] == "--refresh" and "--refresh" not in args
    assert ("running pulumi up --refresh" in result.stderr) == added


def test_by_default_dev_refreshed_with_its_state_in_the_project_folder(project, tmp_path):
    result, calls = up(project, tmp_path, PULUMI_BACKEND_URL=None)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("scripts/up.sh: stack dev (from the default)\n")
    assert "\ntarget: kubernetes context kind-dev (kubernetes:context of stack dev)\n" in result.stdout
    assert calls == [["stack", "select", "dev"], ["up", "--stack", "dev", "--refresh"]]
    backend = f"file://{project / '.pulumi-state'}"
    assert (tmp_path / "pulumi-calls.backend").read_text() == backend + "\n"
    assert (
        f"Stack dev exists in {backend}: running pulumi up --refresh, which first reads what changed outside "
        "Pulumi (--refresh=false skips it)." in result.stderr
    )


def test_pulumi_stack_is_the_default_and_a_first_argument_wins(project, tmp_path):
    result, calls = up(project, tmp_path, "--diff", PULUMI_STACK="prod")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("scripts/up.sh: stack prod (from PULUMI_STACK)\n")
    assert calls[-1] == ["up", "--stack", "prod", "--refresh", "--diff"]
    result, calls = up(project, tmp_path, "dev", PULUMI_STACK="prod")
    assert result.returncode == 0, result.stderr
    assert calls[-1] == ["up", "--stack", "dev", "--refresh"]


def test_a_stack_new_to_the_backend_is_initialised_not_refreshed_and_no_password_shown(project, tmp_path):
    url = "postgres://flux:hunter2@db.example.com:5432/pulumi?sslmode=require&password=hunter2"
    result, calls = up(project, tmp_path, "prod", "--yes", stacks="dev", PULUMI_BACKEND_URL=url)
    assert result.returncode == 0, result.stderr
    assert calls == [["stack", "select", "prod"], ["stack", "init", "prod"], ["up", "--stack", "prod", "--yes"]]
    assert "Creating stack prod in postgres://db.example.com:5432/pulumi (its settings file exists)." in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_other_stack_select_errors_stop_and_are_shown(project, tmp_path):
    error = "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions"
    result, calls = up(project, tmp_path, "dev", FAKE_PULUMI_SELECT_ERROR=error)
    assert result.returncode == 1
    assert result.stderr.endswith(error + "\n")
    assert calls == [["stack", "select", "dev"]]


@pytest.mark.parametrize(
    "args,message",
    [
        (("-s",), "-s needs a stack name"),
        (("--stack", "--yes"), "--stack needs a stack name"),
        (("--stack=",), "--stack= needs a stack name"),
        (("dev", "-s", "prod"), "two stacks given: dev (first argument) and prod (-s)"),
        (("--stack=dev", "--stack", "prod"), "two stacks given: dev (--stack=) and prod (--stack)"),
        (("-ys", "prod"), "-ys: write -s NAME (or -C) as an argument of its own"),
        (("-C", "../other"), "-C: -C/--cwd is not supported; run the up.sh of that project"),
        (("--cwd=../other",), "--cwd=../other: -C/--cwd is not supported"),
    ],
)
def test_arguments_that_would_deploy_something_unchecked_are_refused(project, tmp_path, args, message):
    result, calls = up(project, tmp_path, *args)
    assert result.returncode == 2 and calls == [] and result.stdout == ""
    assert result.stderr.startswith(f"scripts/up.sh: {message}")
    assert result.stderr.endswith(" (scripts/up.sh --help)\n")
