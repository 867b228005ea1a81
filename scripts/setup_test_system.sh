#!/usr/bin/env bash
# Debian packages the tests use: a one-node SLURM cluster (tests/slurm_cluster.py), and tmux, the real
# terminal the progress display is tested in (tests/test_progress.py).
# Installed when run as root; otherwise the cluster tests skip and say how to install them. Under CI
# (CI=true) a missing package fails the run instead: CI must not pass with the cluster tests skipped.
set -uo pipefail
PACKAGES="slurmctld slurmd slurm-client munge tmux"
missing=()
for pkg in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
((${#missing[@]})) || exit 0
status=0 outcome="the SLURM and terminal tests will be skipped"
[ "${CI:-}" = true ] && status=1 outcome="CI=true, so the run fails here"
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
  exit "$status"
fi
exit 0
