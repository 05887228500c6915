#!/usr/bin/env bash
# Usage: scripts/up.sh [STACK] [-s|--stack STACK] [pulumi up options...]
#
# Deploys one stack: sets up .venv from the lock, checks the stack's configuration offline
# (`python -m flux_bootstrap check`), selects the stack and runs `pulumi up --stack STACK`.
#
# STACK: the first argument when it is not an option, or -s NAME, --stack NAME, --stack=NAME;
#   else $PULUMI_STACK; else dev. ORG/NAME and ORG/PROJECT/NAME work as with pulumi.
# Every other argument goes to `pulumi up` as it is: --yes, --diff, --skip-preview, -m MESSAGE, ...
# A stack that already exists runs `pulumi up --refresh`, so what changed outside Pulumi is seen
#   first (a deploy key deleted on GitHub is created again). --refresh=false turns that off;
#   a --refresh/-r of your own is passed on unchanged.
# State goes to .pulumi-state/ in this folder unless PULUMI_BACKEND_URL is set.
# A stack is never created by accident: a name with no Pulumi.<stack>.yaml stops at the check
#   (a typo such as `prdo` must not deploy a new stack with default settings); a stack whose
#   settings file exists but whose state is new in the backend is initialised.
# -h, --help: this text; nothing is installed or run.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' scripts/up.sh; }
fail() { echo "scripts/up.sh: $1 (scripts/up.sh --help)" >&2; exit 2; }

stack="" stack_from="" refresh_given=false
pass=()
set_stack() {
  [ -n "$1" ] && [ "${1#-}" = "$1" ] || fail "$2 needs a stack name"
  [ -z "$stack" ] || [ "$stack" = "$1" ] || fail "two stacks given: $stack ($stack_from) and $1 ($2)"
  stack="$1" stack_from="$2"
}
# The first argument names the stack when it is not an option. Only the first: a later word may
# be the value of a pulumi option (`-m deploy`).
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  set_stack "$1" "first argument"
  shift
fi
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    -s|--stack) set_stack "${2:-}" "$1"; shift ;;
    --stack=*) set_stack "${1#--stack=}" "--stack=" ;;
    -s=*) set_stack "${1#-s=}" "-s=" ;;
    -s?*) set_stack "${1#-s}" "-s" ;;
    -C*|--cwd|--cwd=*) fail "$1: -C/--cwd is not supported; run the up.sh of that project" ;;
    -r|-r=*|--refresh|--refresh=*) refresh_given=true; pass+=("$1") ;;
    *)
      # Shorthand flags run together (-yr, -ys NAME): pulumi would read a stack, or a project
      # folder (-C), that this script has not checked. Refused rather than deployed unchecked.
      if [[ $1 =~ ^-[dfjyeQ]+[sC] ]]; then fail "$1: write -s NAME (or -C) as an argument of its own"; fi
      if [[ $1 =~ ^-[dfjyeQ]+r ]]; then refresh_given=true; fi
      pass+=("$1") ;;
  esac
  shift
done
if [ -z "$stack" ] && [ -n "${PULUMI_STACK:-}" ]; then
  stack="$PULUMI_STACK" stack_from="PULUMI_STACK"
fi
if [ -z "$stack" ]; then
  stack=dev stack_from="the default"
fi
echo "scripts/up.sh: stack $stack (from $stack_from)" >&2

bash scripts/venv.sh requirements-lock.txt
# Offline first: bad configuration (or an unknown stack name) stops before anything else.
.venv/bin/python -m flux_bootstrap check -s "$stack"
if ! command -v pulumi >/dev/null; then
  echo "The Pulumi CLI is not installed: see https://www.pulumi.com/docs/iac/download-install/" >&2
  exit 1
fi
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p .pulumi-state
  export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
fi
# The backend as shown in messages: no user:password@ or ?query (a postgres:// URL may hold a password).
backend=$(printf '%s' "$PULUMI_BACKEND_URL" | sed -E -e 's#^([A-Za-z0-9+.-]+://)[^/@]*@#\1#' -e 's#[?].*$##')
exists=true
if ! selected=$(pulumi stack select "$stack" 2>&1); then
  case "$selected" in
    *"no stack named"*|*"not found"*)
      # `check` above has made sure Pulumi.<stack>.yaml exists: the stack was set up on purpose
      # (for example committed by a teammate) and only its state is new in this backend.
      echo "Creating stack $stack in $backend (its settings file exists)." >&2
      pulumi stack init "$stack"
      exists=false ;;
    *)
      # Anything else (not logged in, backend unreachable) is shown as is, not papered over.
      echo "$selected" >&2
      exit 1 ;;
  esac
fi
refresh=()
if [ "$exists" = true ] && [ "$refresh_given" = false ]; then
  # A deploy key deleted on GitHub (its token was deleted) is only noticed by a refresh.
  echo "Stack $stack exists in $backend: running pulumi up --refresh, which first reads what changed outside Pulumi (--refresh=false skips it)." >&2
  refresh=(--refresh)
fi
pulumi up --stack "$stack" ${refresh[@]+"${refresh[@]}"} ${pass[@]+"${pass[@]}"}
