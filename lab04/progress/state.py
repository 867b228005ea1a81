"""The state of a run for its progress display: the jobs the Snakefile's ``onstart`` announces with their
expected seconds (``expect``), what the log has said of them since, and the lines that show it.

The display itself is the Snakemake logger plugin lab04/plugins/snakemake_logger_plugin_lab04 (`make report`,
`snakemake --logger lab04`). Snakemake imports every plugin before it reads the Snakefile, so the plugin never
imports this package: it reads this module once the Snakefile has imported it (from the workflow's own
directory), and the run's code is the checkout's own. Each finished job's seconds are recorded for the next
run's estimates (lab04/progress/estimates.py).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from lab04.progress.estimates import (
    Expected,
    epochs_done,
    expected_jobs,
    read_measured,
    record_measured,
    rescaled,
    seconds_left,
)

# seconds between plain status lines while no job finishes (LAB04_PROGRESS_SECONDS: docs/usage.md)
PLAIN_EVERY = float(os.environ.get("LAB04_PROGRESS_SECONDS") or 30.0)
TRACE = ".snakemake/lab04/progress.tsv"  # elapsed, done, total, seconds left: how good the estimate was


class _Run:
    """The run's jobs as the Snakefile announced them, and what the log has said of them since."""

    def __init__(self):
        self.lock = threading.Lock()
        self.jobs: dict[int, Expected] = {}
        self.cores = 1
        self.started: dict[int, float] = {}
        self.finished: set[int] = set()
        self.took: dict[int, float] = {}  # seconds each finished job took
        self.done = self.total = 0
        self.begin = time.time()

    def expect(self, jobs: list[Expected], cores: int) -> None:
        with self.lock:
            self.jobs = {job.jobid: job for job in jobs}
            self.cores, self.begin = cores, time.time()
            self.total = self.total or len(jobs)

    def finish(self, jobid: int, now: float) -> str | None:
        """A job finished: the name its seconds are recorded under and, where it was seen starting, the
        seconds it took."""
        self.finished.add(jobid)
        if (job := self.jobs.get(jobid)) and jobid in self.started:
            self.took[jobid] = now - self.started[jobid]
            return job.record
        return None

    def status(self) -> dict:
        """Jobs done, running (name, seconds run, epochs), and seconds left (None before the jobs are known)."""
        now = time.time()
        with self.lock:
            jobs = {job.jobid: job for job in rescaled(list(self.jobs.values()), self.took)}
            running = [(jobs.get(i), now - t0) for i, t0 in self.started.items() if i not in self.finished]
            waiting = [job for i, job in jobs.items() if i not in self.started]
            known = [(job, elapsed) for job, elapsed in running if job is not None]
            left = seconds_left(known, waiting, self.cores) if self.jobs else None
            return {"done": self.done, "total": self.total, "elapsed": now - self.begin, "left": left,
                    "running": [(job.name if job else "a job", elapsed, epochs_done(job.log) if job else None)
                                for job, elapsed in sorted(running, key=lambda r: -r[1])]}


RUN = _Run()


def record(measured: dict[str, float]) -> None:
    """The seconds finished jobs took, for the next run's estimates."""
    record_measured(measured)


def expect(dag, plan, cores: int) -> None:
    """Called from the Snakefile's ``onstart``: every job the run will execute, with its expected seconds."""
    jobs = [{"jobid": dag.jobid(job), "rule": job.rule.name, "wildcards": dict(job.wildcards_dict),
             "threads": job.threads, "priority": job.priority if isinstance(job.priority, int | float) else 0,
             "log": str(job.log[0]) if job.log else None,
             "benchmark": str(job.benchmark) if job.benchmark else None}
            for job in dag.needrun_jobs()]
    RUN.expect(expected_jobs(jobs, plan, read_measured()), cores)
    reset_trace()


def duration(seconds: float) -> str:
    """'45 s', '6 min', '1 h 05 min'."""
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def summary(status: dict) -> str:
    """'12 of 51 jobs done, 2 running; about 6 min left (ready at 05:43)'."""
    text = f"{status['done']} of {status['total']} jobs done, {len(status['running'])} running"
    if status["left"] is not None and status["done"] < status["total"]:
        ready = time.strftime("%H:%M", time.localtime(time.time() + status["left"]))
        text += f"; about {duration(status['left'])} left (ready at {ready})"
    return text


def running_line(name: str, elapsed: float, epochs: tuple[int, int] | None) -> str:
    return f"{name}" + (f", epoch {epochs[0]}/{epochs[1]}" if epochs else "") + f", {duration(elapsed)}"


def trace(status: dict) -> None:
    """One line of the run's trace: how the estimate of the time left went (lab04.progress.estimates.eta_errors)."""
    if status["left"] is None:
        return
    with open(TRACE, "a") as fh:
        fh.write(f"{status['elapsed']:.1f}\t{status['done']}\t{status['total']}\t{status['left']:.1f}\n")


def reset_trace() -> None:
    """A new run's trace starts empty."""
    Path(TRACE).parent.mkdir(parents=True, exist_ok=True)
    Path(TRACE).write_text("elapsed\tdone\ttotal\tleft\n")
