#!/usr/bin/env bash
# Usage: scripts/up.sh [STACK] [pulumi up options...]
# Sets up .venv, checks the configuration offline, selects STACK (default dev) and runs
# `pulumi up`. State goes to .pulumi-state/ in this folder unless PULUMI_BACKEND_URL is set.
# A stack is never created by accident: a name with neither a stack nor a Pulumi.<stack>.yaml
# stops here (a typo such as `prdo` must not deploy a new stack with default settings).
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-dev}"
shift || true
bash scripts/venv.sh requirements-lock.txt
# Offline first: bad configuration (or an unknown stack name) stops before anything else.
.venv/bin/python -m flux_bootstrap check --stack "$stack"
if ! command -v pulumi >/dev/null; then
  echo "The Pulumi CLI is not installed: see https://www.pulumi.com/docs/iac/download-install/" >&2
  exit 1
fi
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p .pulumi-state
  export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
fi
if ! selected=$(pulumi stack select "$stack" 2>&1); then
  case "$selected" in
    *"no stack named"*|*"not found"*)
      # `check` above has made sure Pulumi.<stack>.yaml exists: the stack was set up on purpose
      # (for example committed by a teammate) and only its state is new in this backend.
      echo "Creating stack $stack in $PULUMI_BACKEND_URL (its settings file exists)." >&2
      pulumi stack init "$stack" ;;
    *)
      # Anything else (not logged in, backend unreachable) is shown as is, not papered over.
      echo "$selected" >&2
      exit 1 ;;
  esac
fi
pulumi up --stack "$stack" "$@"
