"""lab04's progress display as Snakemake finds it (`--logger lab04`; `make report` sets it): Snakemake's own
lines, and below them the jobs done and running, each running training's epoch, and the time left.

Snakemake looks for top-level packages named snakemake_logger_plugin_<name> and imports every one before it
reads a Snakefile; scripts/setup_env.sh puts this folder's parent on the path. So this module imports nothing
of lab04: the run's state is lab04/progress/state.py as the Snakefile imported it (from the workflow's own
directory), read from ``sys.modules`` once it is there.

In a terminal the status is a Rich live display under the scrolling log; when the output is not a terminal
(CI, SLURM, a pipe, a file) it is a plain ``progress:`` line after each finished job and every
``PLAIN_EVERY`` seconds in between.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import time

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.common import LogEvent

STATE = "lab04.progress.state"


def _state():
    """The run's state module, once the Snakefile has imported it (None before)."""
    return sys.modules.get(STATE)


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
        if s.dryrun:
            return
        if self._stream.isatty():
            from rich.console import Console
            from rich.live import Live

            self._live = Live(console=Console(file=self._stream), get_renderable=self._renderable,
                              refresh_per_second=1, transient=True, redirect_stdout=False, redirect_stderr=False)
            self._live.start()
            atexit.register(self._stop)
        else:
            threading.Thread(target=self._tick, daemon=True).start()

    # what Snakemake asks of a handler
    @property
    def writes_to_stream(self) -> bool:
        return True

    @property
    def writes_to_file(self) -> bool:
        return False

    @property
    def has_filter(self) -> bool:
        return True  # every record updates the progress; Snakemake's default filter decides what is printed

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
        if (state := _state()) is None:
            return False
        run, event, now = state.RUN, getattr(record, "event", None), time.time()
        with run.lock:
            if event == LogEvent.JOB_INFO and getattr(record, "jobid", None) is not None:
                run.started.setdefault(int(record.jobid), now)
            elif event == LogEvent.JOB_FINISHED and getattr(record, "job_id", None) is not None:
                jobid = int(record.job_id)
                if name := run.finish(jobid, now):
                    self._measured[name] = run.took[jobid]
            elif event == LogEvent.PROGRESS:
                run.done, run.total = int(record.done), int(record.total)
                if run.done >= run.total:
                    self._finish()
                return bool(run.jobs)
        return False

    def _print(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False, emoji=False)
        else:
            print(text, file=self._stream, flush=True)

    def _renderable(self):
        from rich.text import Text

        if (state := _state()) is None or not state.RUN.jobs:
            return Text("")
        status = state.RUN.status()
        state.trace(status)
        lines = [Text(state.summary(status), style="bold")]
        lines += [Text("  " + state.running_line(*r), style="dim") for r in status["running"][:8]]
        return Text("\n").join(lines)

    def _plain_status(self) -> None:
        if (state := _state()) is None or not state.RUN.jobs:
            return
        status = state.RUN.status()
        state.trace(status)
        running = "; ".join(state.running_line(*r) for r in status["running"][:4])
        print(f"progress: {state.summary(status)}" + (f" [{running}]" if running else ""), file=self._stream,
              flush=True)
        self._last_plain = time.time()

    def _tick(self) -> None:
        while True:
            state = _state()
            time.sleep(min(5.0, state.PLAIN_EVERY) if state else 5.0)
            state = _state()
            if state and state.RUN.jobs and state.RUN.done < state.RUN.total and \
                    time.time() - self._last_plain >= state.PLAIN_EVERY:
                self._plain_status()

    def _finish(self) -> None:
        if (state := _state()) is not None and self._measured:
            state.record(self._measured)
        self._measured = {}

    def _stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def close(self) -> None:
        self._finish()
        self._stop()
        super().close()
