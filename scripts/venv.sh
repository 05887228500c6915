#!/usr/bin/env bash
# Usage: scripts/venv.sh [LOCK_FILE]    (default: requirements-lock.txt, the runtime lock)
# Makes .venv hold exactly LOCK_FILE: installs its pinned wheels with --require-hashes (so a pip
# cache, a mirror or a newer release can never change what runs), removes every package that no lock
# lists, and puts this project on the venv's path, so `.venv/bin/python -m flux_bootstrap ...` and
# scripts/flux-bootstrap work from any folder. Offline tools alone: `scripts/venv.sh`.
# The test lock is the runtime lock plus the test tools (tests/test_lock.py): after scripts/test.sh
# the venv is the test lock; scripts/up.sh then keeps those locked test tools (they are never
# imported by the program) rather than uninstall pytest under a running test session.
set -euo pipefail
cd "$(dirname "$0")/.."
lock="${1:-requirements-lock.txt}"
[ -x .venv/bin/python ] || python3 -m venv .venv
# --only-binary: every lock entry is a hashed wheel; nothing is built with unhashed build tools.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --only-binary :all: -r "$lock"
.venv/bin/python - "$PWD" "$lock" <<'PY'
import pathlib, site, subprocess, sys
from importlib.metadata import distributions
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

project, lock = sys.argv[1:]
# The venv's own tools (outside `pip freeze`), and this project: `pip install .` in the checkout
# leaves an egg-info beside the package that the venv sees through the path to the project.
keep = {"pip", "setuptools", "wheel", "flux-bootstrap"}
for name in {lock, "requirements-lock.txt", "requirements-test-lock.txt"}:
    for line in pathlib.Path(name).read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            keep.add(canonicalize_name(Requirement(line.rstrip(" \\")).name))
extra = sorted({canonicalize_name(d.metadata["Name"]) for d in distributions()} - keep)
if extra:  # what an older lock had and no lock has now
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "-y", *extra], check=True)
pathlib.Path(site.getsitepackages()[0], "flux-bootstrap.pth").write_text(project + "\n")
PY
