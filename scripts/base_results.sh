#!/usr/bin/env bash
# The results/ directory `make diff BASE=...` compares with, printed on stdout.
#   BASE a directory: used as it is (the results/ of a finished run).
#   BASE a git revision: that commit's workflow, unpacked once into .snakemake/lab04/base/<commit>/ and
#   run there with this checkout's environment (BIN), CONFIG overlay (the commit's own copy of that file
#   where it has one) and DATA_MIRROR. Snakemake then builds what is missing and reuses the rest, so a
#   second diff against the same commit finds it built. Stderr says which.
set -euo pipefail
BASE=${1:?usage: base_results.sh <results directory or git revision>}
BIN=${BIN:-.venv/bin}

if [ -d "$BASE" ]; then
  if [ ! -f "$BASE/metrics.csv" ]; then
    echo "error: $BASE has no metrics.csv; give the results/ directory of a finished run or a git revision" >&2
    exit 1
  fi
  realpath "$BASE"
  exit 0
fi
if ! commit=$(git rev-parse --verify --quiet "$BASE^{commit}"); then
  echo "error: BASE=$BASE is neither a directory nor a git revision of this checkout" >&2
  exit 1
fi

dir=.snakemake/lab04/base/$commit
mkdir -p "$(dirname "$dir")"
# One build of a base at a time: a second `make diff` on the same commit waits for the first, then finds its
# results built. The lock goes with this process (and its file descriptor), however it ends.
exec 9>"$dir.lock"
if ! flock -n 9; then
  echo "another make diff is building the base run of $BASE in $dir: waiting for it to finish" >&2
  flock 9
fi
if [ ! -f "$dir/.unpacked" ]; then  # the commit's files, once; results/ and .snakemake/ there are kept
  mkdir -p "$dir"
  git archive "$commit" | tar -x -C "$dir"
  touch "$dir/.unpacked"
fi
flags=(--cores "${CORES:-all}" --directory "$dir")
if [ -n "${CONFIG:-}" ]; then
  overlay=$dir/$CONFIG
  [ -f "$overlay" ] || overlay=$CONFIG
  flags+=(--configfile "$(realpath "$overlay")")
fi
if [ -n "${DATA_MIRROR:-}" ]; then
  mirror=$DATA_MIRROR
  [ -e "$mirror" ] && mirror=$(realpath "$mirror")
  flags+=(--config "data_mirror=$mirror")
fi

log=$dir/base-run-$(date +%Y%m%dT%H%M%S)-$$.log  # each invocation its own
echo "base $BASE = commit ${commit:0:12}, in $dir: building what is missing (log: $log)" >&2
# The base run goes to its log; its progress comes here every few seconds, so minutes of training are not silent.
PYTHONPATH=$(realpath "$dir") "$BIN/snakemake" -s "$dir/Snakefile" "${flags[@]}" >"$log" 2>&1 &
pid=$!
trap 'kill -INT "$pid" 2>/dev/null; wait "$pid"; exit 130' INT TERM
shown=
started=$SECONDS
while kill -0 "$pid" 2>/dev/null; do
  sleep "${BASE_PROGRESS_SECONDS:-30}" & wait $! || true
  progress=$(grep -o '[0-9]* of [0-9]* steps ([0-9]*%) done' "$log" | tail -n 1) || true
  running=$(grep -o '^\(local\)\?rule [a-z_]*' "$log" | tail -n 1 | sed 's/^local//') || true
  line="base run, $((SECONDS - started)) s: ${progress:-planning}${running:+; last started: $running}"
  if [ "$line" != "$shown" ]; then echo "$line" >&2; shown=$line; fi
done
trap - INT TERM
if wait "$pid"; then
  if grep -q "Nothing to be done" "$log"; then
    echo "base results found built in $dir/results (nothing to redo)" >&2
  else
    echo "base results built in $dir/results: $(grep -c '^rule \|^localrule ' "$log") jobs ($log)" >&2
  fi
else
  tail -n 30 "$log" >&2
  echo "error: building the base run of $BASE failed; its log: $log" >&2
  exit 1
fi
realpath "$dir/results"
