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
    apt_log=$(mktemp)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
        >"$apt_log" 2>&1; then
      cat "$apt_log" >&2
      rm -f "$apt_log"
      echo "error: installing ${missing[*]} failed (above)" >&2
      exit 1
    fi
    rm -f "$apt_log"
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
# The lab04 package, importable from this checkout as an editable install would make it, but without a
# build step (and its setuptools notices): a file naming the checkout in the environment's site-packages,
# and the folder where Snakemake finds the progress display (`--logger lab04`).
"$VENV/bin/python" -m pip uninstall --quiet --yes lab04 2>/dev/null || true  # an editable install of before
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
printf '%s\n%s\n' "$(pwd -P)" "$(pwd -P)/lab04/plugins" > "$site/lab04.pth"
