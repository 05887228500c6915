#!/usr/bin/env bash
# Usage: scripts/venv.sh REQUIREMENTS_FILE
# Creates .venv (if needed), installs the requirements, and puts this project on the venv's path
# so `.venv/bin/python -m flux_bootstrap ...` works from any folder.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$1"
.venv/bin/python - "$PWD" <<'PY'
import pathlib, site, sys
pathlib.Path(site.getsitepackages()[0], "flux-bootstrap.pth").write_text(sys.argv[1] + "\n")
PY
