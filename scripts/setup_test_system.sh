#!/usr/bin/env bash
# What the tests use beyond the Python packages:
# - Debian packages: a one-node SLURM cluster (tests/slurm_cluster.py); tmux, the real terminal the progress
#   display is tested in (tests/test_progress.py); chromium, the browser the web page is tested in
#   (tests/test_report_html.py).
# - axe-core, the accessibility checker that test runs inside the page, from the npm registry (pinned, its
#   published sha512 checked), into $VENV/share/.
# Packages are installed when run as root; otherwise those tests skip and say how to install them. Under CI
# (CI=true) anything missing fails the run instead: CI must not pass with tests skipped.
set -uo pipefail
VENV=${VENV:-.venv}
PACKAGES="slurmctld slurmd slurm-client munge tmux chromium"
AXE_VERSION=4.14.1
AXE_INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
status=0 outcome="the tests that need them will be skipped"
[ "${CI:-}" = true ] && status=1 outcome="CI=true, so the run fails here"

missing=()
for pkg in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing test packages: ${missing[*]}"
    # policy-rc.d 101: install the daemons without starting them; the tests start their own
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
      trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
      echo "could not install ${missing[*]}: $outcome" >&2
      exit "$status"
    fi
  else
    echo "missing ${missing[*]}: $outcome (sudo apt-get install -y ${missing[*]})" >&2
    [ "$status" = 0 ] || exit "$status"
  fi
fi

axe="$VENV/share/axe-core-$AXE_VERSION/axe.min.js"
[ -f "$axe" ] && exit 0
"$VENV/bin/python" - "$AXE_VERSION" "$AXE_INTEGRITY" "$axe" <<'PY' || { echo "could not fetch axe-core $AXE_VERSION: $outcome" >&2; exit "$status"; }
import base64, hashlib, io, sys, tarfile, urllib.request
from pathlib import Path
version, integrity, dest = sys.argv[1], sys.argv[2], Path(sys.argv[3])
url = f"https://registry.npmjs.org/axe-core/-/axe-core-{version}.tgz"
data = urllib.request.urlopen(url, timeout=60).read()
if "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode() != integrity:
    sys.exit(f"{url} does not match its pinned sha512")
member = tarfile.open(fileobj=io.BytesIO(data)).extractfile("package/axe.min.js")
dest.parent.mkdir(parents=True, exist_ok=True)
tmp = dest.with_suffix(".part")
tmp.write_bytes(member.read())
tmp.replace(dest)
print(f"axe-core {version} in {dest.parent}")
PY
exit 0
