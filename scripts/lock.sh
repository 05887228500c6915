#!/usr/bin/env bash
# Usage: scripts/lock.sh [--upgrade]
# Regenerates the hashed lock files from the human-edited ranges, with uv's resolver:
#   requirements.txt      -> requirements-lock.txt       (the Pulumi program, check/render/audit)
#   requirements-test.txt -> requirements-test-lock.txt  (the same pins, plus the test tools)
# Every package, transitive ones included, gets an exact version and its sha256 hashes; scripts/
# and CI install only from these files, with --require-hashes. Without --upgrade, versions already
# locked are kept where the ranges still allow them. Run it after editing a ranges file, then
# scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
upgrade=()
case "${1:-}" in
  --upgrade) upgrade=(--upgrade) ;;
  "") ;;
  *) echo "usage: scripts/lock.sh [--upgrade]" >&2; exit 2 ;;
esac
# The resolver itself comes from a hashed lock (scripts/lock-tool.txt), in a venv of its own.
[ -x .venv-lock/bin/python ] || python3 -m venv .venv-lock
.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r scripts/lock-tool.txt
compile() {  # RANGES LOCK [extra uv options]
  local ranges=$1 lock=$2
  shift 2
  # The ranges file's sha256 heads the lock: tests/test_lock.py sees a range edited without relocking.
  local sum
  sum=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$ranges")
  [ -f "$lock" ] && cp "$lock" "$lock.new"  # uv keeps the pins of an existing output file
  .venv-lock/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
    --no-header "${upgrade[@]}" "$@" "$ranges" -o "$lock.new"
  {
    echo "# Locked from $ranges by scripts/lock.sh (uv pip compile --universal --generate-hashes); do not edit."
    echo "# ranges sha256: $sum"
    cat "$lock.new"
  } >"$lock"
  rm -f "$lock.new"
}
compile requirements.txt requirements-lock.txt
# The test lock takes the runtime pins as they are: tests run on exactly what `pulumi up` runs on.
compile requirements-test.txt requirements-test-lock.txt --constraint requirements-lock.txt
echo "Locked: requirements-lock.txt, requirements-test-lock.txt. Now run scripts/test.sh." >&2
