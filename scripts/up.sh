#!/usr/bin/env bash
# Usage: scripts/up.sh [STACK] [pulumi up options...]
# Sets up .venv, checks the configuration offline, selects (or creates) STACK (default dev) and
# runs `pulumi up`. State goes to .pulumi-state/ in this folder unless PULUMI_BACKEND_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-dev}"
shift || true
if ! command -v pulumi >/dev/null; then
  echo "The Pulumi CLI is not installed: see https://www.pulumi.com/docs/iac/download-install/" >&2
  exit 1
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/python -m flux_bootstrap check --stack "$stack"
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p .pulumi-state
  export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
fi
pulumi stack select --create "$stack"
pulumi up --stack "$stack" "$@"
