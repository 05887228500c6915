#!/usr/bin/env bash
# Sets up .venv (if needed) with the test dependencies and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh requirements-test-lock.txt
exec .venv/bin/python -m pytest "$@"
