"""How long each job of a run will take, and so when the run will end.

A job's seconds come, in this order, from what an earlier run measured for the same job (this module's own
record of every finished job, ``.snakemake/lab04/job-seconds.json``, else the job's benchmark file left by an
earlier run), else from the scheduler's estimate (lab04/schedule.py) scaled by how this machine compared with
the estimates on the jobs it has measured. As the run goes, every one of these is scaled by how long this run's
finished jobs took against what was expected of them (a machine busy with another workload). A training job
that is running refines its own: once it has finished an epoch, the rest take as long each as those so far
(its log has one line per epoch).

The end of the run is a list schedule of what is left on the run's cores, in Snakemake's priority order,
then the report.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import re
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path

from lab04.atomic import atomic_path

MEASURED = ".snakemake/lab04/job-seconds.json"
# a short table, plot or download job, and the report, when nothing better is known (measured on the full
# report: 0.1-4.5 s, most plots 1.3 s; the report 11 s)
SMALL_SECONDS, REPORT_SECONDS = 1.5, 15.0
# how much faster a job is on n threads than on one: n ** THREAD_GAIN (the scheduler's requests assume as much)
THREAD_GAIN = 0.7
LAST_RULES = ("report", "report_html", "all")  # they wait for every other job
RESCALE_MIN_SECONDS = 5.0  # the shortest expected job whose seconds correct the others'
SCALED = ("measured", "benchmark", "estimate")  # the sources this run's pace corrects (not a short job's default)
# a training log's epoch line (lab04/train/fit.py): its time stamp, 'epoch k/N', ..., '(12.3 s)'
EPOCH_LINE = re.compile(r"^(?:(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\S*\s+)?.*?\bepoch (?P<done>\d+)/"
                        r"(?P<total>\d+)\b.*?(?:\((?P<seconds>[0-9.]+) s\))?\s*$", re.M)


@dataclass
class Expected:
    """One job of the run: its name (rule and wildcard values), cores, priority, log, and expected seconds."""

    jobid: int
    name: str
    rule: str
    threads: int
    priority: float
    log: str | None
    seconds: float
    source: str  # "measured", "benchmark", "estimate" (the scheduler's) or "default" (a short job's)
    record: str = ""  # the name its seconds are recorded under: a training's with its engine

    def __post_init__(self):
        self.record = self.record or self.name


def job_name(rule: str, wildcards: dict) -> str:
    """'train raw/pass1/42': the rule and the wildcard values, as Snakemake's log gives a job."""
    values = "/".join(str(v) for v in wildcards.values())
    return f"{rule} {values}" if values else rule


def _plan_key(rule: str, wildcards: dict) -> tuple | None:
    """The job as lab04/schedule.py names it, for the rules it estimates."""
    if rule in ("train", "train_sweep"):
        return ("train", wildcards["experiment"], wildcards["pass_name"], wildcards.get("point"),
                int(wildcards["seed"]))
    if rule == "features":
        return ("features", wildcards["key"])
    if rule == "image_folder_arrays":
        return ("arrays", f"{wildcards['dataset']}_{wildcards['size']}px_{wildcards['val']}")
    if rule in ("idx_arrays", "medmnist_arrays"):
        return ("arrays", wildcards["dataset"])
    return None


def read_measured(path: str | Path = MEASURED) -> dict[str, float]:
    try:
        return {k: float(v) for k, v in json.loads(Path(path).read_text()).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def record_measured(seconds: dict[str, float], path: str | Path = MEASURED) -> None:
    """Add finished jobs' wall seconds to the record the next run's estimates read."""
    if not seconds:
        return
    try:
        with atomic_path(path, own_output=False) as tmp:
            tmp.write_text(json.dumps({**read_measured(path), **seconds}, indent=0, sort_keys=True))
    except OSError:  # a read-only checkout: the next run estimates without it
        pass


def _benchmark_seconds(path: str | None) -> float | None:
    """Wall seconds in a benchmark file an earlier run left (Snakemake's: a header, then ``s`` first)."""
    if not path:
        return None
    try:
        lines = Path(path).read_text().splitlines()
        return float(lines[-1].split("\t")[0]) if len(lines) > 1 else None
    except (OSError, ValueError, IndexError):
        return None


def _trained_on(benchmark: str | None) -> str:
    """The engine (and a precision other than float32) of the training whose benchmark file this is (its
    scores.json beside it; TensorFlow in float32 for one from before they were recorded); '' for other jobs."""
    try:
        scores = json.loads(Path(benchmark).with_name("scores.json").read_text())
        return _engine(scores.get("backend", "tensorflow"), scores.get("precision", "float32"))
    except (OSError, ValueError, TypeError, AttributeError):
        return ""


def _engine(backend: str, precision: str | None) -> str:
    """'jax', or 'tensorflow in bfloat16': what a training's seconds are measured on."""
    return f"{backend} in {precision}" if backend and precision not in (None, "", "float32") else backend


def expected_jobs(jobs: list[dict], plan, measured: dict[str, float]) -> list[Expected]:
    """Each job's expected seconds. ``jobs``: ``jobid``, ``rule``, ``wildcards``, ``threads``, ``priority``,
    ``log`` and ``benchmark`` of every job the run will execute; ``plan``: lab04.schedule.Plan. A training's
    earlier seconds count only when they were measured on the engine (and in the precision) it runs on now."""
    rows, ratios = [], []
    for job in jobs:
        name = job_name(job["rule"], job["wildcards"])
        threads = max(1, int(job["threads"]))
        key = _plan_key(job["rule"], job["wildcards"])
        estimate = plan.seconds.get(key) / threads ** THREAD_GAIN if key in plan.seconds else None
        backend = _engine(plan.backends.get(key, ""), plan.precisions.get(key))
        record = f"{name} on {backend}" if backend else name
        seconds, source = measured.get(record), "measured"
        if seconds is None and _trained_on(job.get("benchmark")) in ("", backend) and (
                seconds := _benchmark_seconds(job.get("benchmark"))) is not None:
            source = "benchmark"
        if seconds is not None and estimate:
            ratios.append(seconds / estimate)
        rows.append((job, name, threads, estimate, seconds, source, record))
    # how this machine compares with the estimates, on the jobs measured before (1 when none was)
    speed = statistics.median(ratios) if ratios else 1.0
    out = []
    for job, name, threads, estimate, seconds, source, record in rows:
        if seconds is None and estimate:
            seconds, source = estimate * speed, "estimate"
        elif seconds is None:
            source = "default"
            seconds = REPORT_SECONDS if job["rule"] == "report" else 0.0 if job["rule"] == "all" else SMALL_SECONDS
        out.append(Expected(int(job["jobid"]), name, job["rule"], threads, float(job.get("priority") or 0),
                            job.get("log"), float(seconds), source, record))
    return out


def rescaled(jobs: list[Expected], took: dict[int, float]) -> list[Expected]:
    """``jobs`` with their expected seconds scaled by how long this run's finished jobs took, together, against
    what was expected of them (``took``: job id -> seconds), once two jobs expected to take at least
    ``RESCALE_MIN_SECONDS`` have finished: the machine's speed now, and what jobs side by side or another
    workload cost them, as this run measures it. Whatever the prior (an earlier run's measurement, a benchmark
    record or the scheduler's estimate): a machine busy with something else slows them all alike."""
    known = {job.jobid: job for job in jobs}
    pairs = [(seconds, known[i].seconds) for i, seconds in took.items()
             if i in known and known[i].source in SCALED and known[i].seconds >= RESCALE_MIN_SECONDS]
    if len(pairs) < 2:
        return jobs
    # the ratio of the sums, as the time left is a sum: a short job's start-up, which no estimate follows
    # closely, weighs as little as its seconds
    scale = sum(t for t, _ in pairs) / sum(e for _, e in pairs)
    return [replace(job, seconds=job.seconds * scale) if job.source in SCALED else job for job in jobs]


def _log_tail(log: str | None) -> str:
    if not log:
        return ""
    try:
        with open(log, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 16384))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def epochs_done(log: str | None) -> tuple[int, int] | None:
    """(epochs done, epochs) from a training log's last 'epoch k/N' line; None before the first."""
    found = list(EPOCH_LINE.finditer(_log_tail(log)))
    return (int(found[-1]["done"]), int(found[-1]["total"])) if found else None


def epoch_pace(log: str | None, now: float | None = None) -> tuple[int, int, float] | None:
    """(epochs done, epochs, seconds the rest will take) of a running training, from its log's epoch lines:
    each epoch's own seconds (its start-up and data loading not counted) times the epochs left, less what
    the current epoch has run since the last line (from that line's time stamp, where it has one)."""
    lines = list(EPOCH_LINE.finditer(_log_tail(log)))
    if not lines:
        return None
    last = lines[-1]
    done, total = int(last["done"]), int(last["total"])
    seconds = [float(m["seconds"]) for m in lines if m["seconds"]]
    if not seconds:
        return None
    since = 0.0
    if last["stamp"]:
        with contextlib.suppress(ValueError):
            stamp = time.mktime(time.strptime(last["stamp"], "%Y-%m-%d %H:%M:%S"))
            since = max(0.0, (now if now is not None else time.time()) - stamp)
    return done, total, max(0.0, (total - done) * statistics.fmean(seconds) - since)


def remaining_seconds(job: Expected, elapsed: float, now: float | None = None) -> float:
    """What a running job has left: its expected seconds less the time it has run. A training leans, as its
    epochs go by, on its own pace (its epochs' own seconds), whatever its seconds were expected from (an
    estimate that may be far off on this machine, or a measurement on a machine then idle or busier): half on
    its pace after a fifth of its epochs, wholly after two fifths. One past what was expected of it has only
    its pace to go by. Never nothing: it is not done yet."""
    left = max(job.seconds - elapsed, 0.0)
    if job.rule in ("train", "train_sweep") and (pace := epoch_pace(job.log, now)) and pace[0] > 0:
        done, total, pace_left = pace
        trust = min(1.0, 2.5 * done / total)
        left = pace_left if left == 0.0 else (1 - trust) * left + trust * pace_left
    return max(left, 0.05 * job.seconds)


def seconds_left(running: list[tuple[Expected, float]], waiting: list[Expected], cores: int) -> float:
    """When the run ends, in seconds from now: the running jobs (with their seconds run) finish; the waiting
    ones start in priority order on the cores that come free; the report and its target come last."""
    cores = max(1, cores)
    ends = [(remaining_seconds(job, elapsed), min(job.threads, cores)) for job, elapsed in running]
    free = cores - sum(threads for _, threads in ends)
    heapq.heapify(ends)
    now, finish = 0.0, max([end for end, _ in ends], default=0.0)
    last = 0.0
    for job in sorted(waiting, key=lambda j: -j.priority):
        if job.rule in LAST_RULES:
            last += job.seconds
            continue
        need = min(job.threads, cores)
        while free < need and ends:
            end, threads = heapq.heappop(ends)
            now, free = max(now, end), free + threads
        heapq.heappush(ends, (now + job.seconds, need))
        free -= need
        finish = max(finish, now + job.seconds)
    return finish + last


def eta_errors(trace: str | Path, at=(0.25, 0.5, 0.75)) -> list[dict]:
    """How far the time left was off, at shares ``at`` of a finished run, from the progress display's trace
    (``elapsed``, ``done``, ``total``, ``left`` per line; the run ended at its last line with every job done)."""
    import pandas as pd

    rows = pd.read_csv(trace, sep="\t")
    ended = rows[rows["done"] >= rows["total"]]
    if ended.empty:
        raise ValueError(f"{trace}: the run did not finish (no line with every job done)")
    length = float(ended["elapsed"].iloc[0])
    out = []
    for share in at:
        row = rows.iloc[(rows["elapsed"] - share * length).abs().argmin()]
        actual = length - float(row["elapsed"])
        out.append({"share": share, "elapsed": float(row["elapsed"]), "estimated_left": float(row["left"]),
                    "actual_left": actual, "error": (float(row["left"]) - actual) / actual if actual else 0.0})
    return out


if __name__ == "__main__":  # python -m lab04.progress.estimates .snakemake/lab04/progress.tsv
    import sys

    for e in eta_errors(sys.argv[1] if len(sys.argv) > 1 else ".snakemake/lab04/progress.tsv"):
        print(f"at {e['share']:.0%} ({e['elapsed']:.0f} s): {e['estimated_left']:.0f} s left estimated, "
              f"{e['actual_left']:.0f} s actual, error {e['error']:+.0%}")
