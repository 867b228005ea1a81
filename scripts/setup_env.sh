#!/usr/bin/env bash
# Create the project's virtual environment from a lock file (run by `make`, idempotent):
#   setup_env.sh [VENV [LOCK]]    LOCK: requirements.lock (CPU) or requirements-gpu.lock (CUDA build)
# Also checks the Debian packages the PDF step needs, installing them when run as root.
set -euo pipefail
VENV=${1:-.venv}
LOCK=${2:-requirements.lock}
PYTHON=${PYTHON:-python3}

SYSTEM_PACKAGES="python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils"
missing=()
for pkg in $SYSTEM_PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing system packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -r "$LOCK"
"$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
