"""What a run shows while it runs (`make report`, or `snakemake --logger lab04`): Snakemake's own lines, and
below them the jobs done and running, each running training's epoch, and the time left for the whole run.

A Snakemake logger plugin (snakemake-interface-logger-plugins; the shim that Snakemake discovers is
lab04/plugins/snakemake_logger_plugin_lab04). In a terminal the status is a Rich live display under the
scrolling log; when the output is not a terminal (CI, SLURM, a pipe, a file) it is a plain line after each
finished job and at most every ``PLAIN_EVERY`` seconds otherwise. The jobs and their expected seconds come from
the Snakefile's ``onstart`` (``expect``), which sees the run's jobs before the first one starts; each finished
job's seconds are recorded for the next run's estimates (lab04/progress/estimates.py).
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import time
from pathlib import Path

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.common import LogEvent

from lab04.progress.estimates import Expected, epochs_done, expected_jobs, read_measured, record_measured, seconds_left

PLAIN_EVERY = 30.0  # seconds between plain status lines while no job finishes
TRACE = ".snakemake/lab04/progress.tsv"  # elapsed, done, total, seconds left: how good the estimate was


class _Run:
    """The run's jobs as the Snakefile announced them, and what the log has said of them since."""

    def __init__(self):
        self.lock = threading.Lock()
        self.jobs: dict[int, Expected] = {}
        self.cores = 1
        self.started: dict[int, float] = {}
        self.finished: set[int] = set()
        self.done = self.total = 0
        self.begin = time.time()

    def expect(self, jobs: list[Expected], cores: int) -> None:
        with self.lock:
            self.jobs = {job.jobid: job for job in jobs}
            self.cores, self.begin = cores, time.time()
            self.total = self.total or len(jobs)

    def status(self) -> dict:
        """Jobs done, running (name, seconds run, epochs), and seconds left (None before the jobs are known)."""
        now = time.time()
        with self.lock:
            running = [(self.jobs.get(i), now - t0) for i, t0 in self.started.items() if i not in self.finished]
            waiting = [job for i, job in self.jobs.items() if i not in self.started]
            known = [(job, elapsed) for job, elapsed in running if job is not None]
            left = seconds_left(known, waiting, self.cores) if self.jobs else None
            return {"done": self.done, "total": self.total, "elapsed": now - self.begin, "left": left,
                    "running": [(job.name if job else "a job", elapsed, epochs_done(job.log) if job else None)
                                for job, elapsed in sorted(running, key=lambda r: -r[1])]}


RUN = _Run()


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


class LogHandler(LogHandlerBase):
    """Snakemake's lines as its own handler prints them, and the run's progress beneath."""

    def __post_init__(self) -> None:
        from snakemake.logging import DefaultFilter, DefaultFormatter

        s = self.common_settings
        self._filter = DefaultFilter(s.quiet, s.debug_dag, s.verbose, s.dryrun, s.printshellcmds)
        self._formatter = DefaultFormatter(s.quiet, s.show_failed_logs)
        self._stream = sys.stderr
        self._live = None
        self._last_plain = 0.0
        self._measured: dict[str, float] = {}
        if self._stream.isatty() and not s.dryrun:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(console=Console(file=self._stream), get_renderable=self._renderable,
                              refresh_per_second=1, transient=True, redirect_stdout=False, redirect_stderr=False)
            self._live.start()
            atexit.register(self._stop)
        elif not s.dryrun:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    # what Snakemake asks of a handler
    @property
    def writes_to_stream(self) -> bool:
        return True

    @property
    def writes_to_file(self) -> bool:
        return False

    @property
    def has_filter(self) -> bool:
        return True  # every record updates the progress; the default filter decides what is printed

    @property
    def has_formatter(self) -> bool:
        return True

    @property
    def needs_rulegraph(self) -> bool:
        return False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            progressed = self._track(record)
            if self._filter.filter(record) and (text := self._formatter.format(record)):
                self._print(text)
            if progressed and self._live is None:
                self._plain_status()
        except Exception:  # noqa: BLE001 (a display must never stop the run)
            self.handleError(record)

    def _track(self, record) -> bool:
        """Update the run's state from a record; True when the count of finished jobs moved."""
        event = getattr(record, "event", None)
        now = time.time()
        with RUN.lock:
            if event == LogEvent.JOB_INFO and getattr(record, "jobid", None) is not None:
                RUN.started.setdefault(int(record.jobid), now)
            elif event == LogEvent.JOB_FINISHED and getattr(record, "job_id", None) is not None:
                jobid = int(record.job_id)
                RUN.finished.add(jobid)
                if (job := RUN.jobs.get(jobid)) and jobid in RUN.started:
                    self._measured[job.name] = now - RUN.started[jobid]
            elif event == LogEvent.PROGRESS:
                RUN.done, RUN.total = int(record.done), int(record.total)
                if RUN.done >= RUN.total:
                    self._finish()
                return True
        return False

    def _print(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False, emoji=False)
        else:
            print(text, file=self._stream, flush=True)

    def _renderable(self):
        from rich.text import Text

        status = RUN.status()
        self._trace(status)
        lines = [Text(summary(status), style="bold")]
        lines += [Text("  " + running_line(*r), style="dim") for r in status["running"][:8]]
        return Text("\n").join(lines)

    def _plain_status(self) -> None:
        status = RUN.status()
        self._trace(status)
        running = "; ".join(running_line(*r) for r in status["running"][:4])
        print(f"progress: {summary(status)}" + (f" [{running}]" if running else ""), file=self._stream, flush=True)
        self._last_plain = time.time()

    def _tick(self) -> None:
        while True:
            time.sleep(5)
            if time.time() - self._last_plain >= PLAIN_EVERY and RUN.jobs and RUN.done < RUN.total:
                self._plain_status()

    def _trace(self, status: dict) -> None:
        if status["left"] is None:
            return
        with open(TRACE, "a") as fh:
            fh.write(f"{status['elapsed']:.1f}\t{status['done']}\t{status['total']}\t{status['left']:.1f}\n")

    def _finish(self) -> None:
        record_measured(self._measured)
        self._measured = {}

    def _stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def close(self) -> None:
        self._finish()
        self._stop()
        super().close()


def reset_trace() -> None:
    """A new run's trace starts empty."""
    Path(TRACE).parent.mkdir(parents=True, exist_ok=True)
    Path(TRACE).write_text("elapsed\tdone\ttotal\tleft\n")
