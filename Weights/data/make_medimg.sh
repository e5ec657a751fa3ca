#!/usr/bin/env bash
# Rebuild the medimg-64 training set (see README.md in this folder).
#
#   Weights/data/make_medimg.sh [OUT] [extra make_medimg.py options]
#
# OUT defaults to /tmp/phantom-medimg. Environment:
#   VENV                  Python venv to create/use   (default /tmp/phantom-data-venv)
#   PHANTOM_MEDIMG_CACHE  downloads + extracted files (default /tmp/phantom-medimg-cache)
#   PYTHON                interpreter for the venv    (default python3.11, else python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-/tmp/phantom-medimg}"
if [ $# -gt 0 ]; then shift; fi
venv="${VENV:-/tmp/phantom-data-venv}"

die() { printf 'make_medimg.sh: %s\n' "$*" >&2; exit 1; }

if [ ! -x "$venv/bin/python" ]; then
  py="${PYTHON:-}"
  if [ -z "$py" ]; then
    if command -v python3.11 >/dev/null 2>&1; then py=python3.11; else py=python3; fi
  fi
  command -v "$py" >/dev/null 2>&1 || die "no $py found; install Python 3.11 or newer"
  "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$py is $("$py" -V 2>&1); Python 3.11 or newer is needed (set PYTHON=...)"
  echo "make_medimg.sh: creating venv $venv" >&2
  "$py" -m venv "$venv" \
    || die "could not create a venv with $py (on Debian/Ubuntu: apt-get install python3-venv)"
fi

# Already-satisfied pins are a no-op, so this is cheap on later runs.
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt" \
  || die "pip install -r $here/requirements.txt failed (is PyPI reachable?)"

exec "$venv/bin/python" "$here/make_medimg.py" "$out" "$@"
