"""How an error the workflow raises for a user reaches the terminal: as its message, not behind a traceback.

While planning, the checks of config, engines and inputs raise ValueError, OSError or RuntimeError with a message
that names the problem and the fix; ``plain_errors`` prints that message and ends Snakemake with exit status 1
(SystemExit passes through Snakemake's own error printing). In a job, an exception of this package's own classes
(DownloadError, ChecksumError, DamagedCacheError, EngineError, ...) reaches the terminal as one ``error:`` line
while its traceback stays in the job's log (``report_errors``); any other exception, a bug, shows its traceback
on both.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback

PLANNING_ERRORS = (ValueError, OSError, RuntimeError)


class ConfigError(ValueError):
    """A layer, loss or optimizer specification that Keras cannot build (lab04/train/models.py, losses.py)."""


@contextlib.contextmanager
def plain_errors():
    """Print a planning check's error as ``error: <message>`` and stop with exit status 1."""
    try:
        yield
    except PLANNING_ERRORS as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(1) from None


def raised_for_user(err: BaseException) -> bool:
    """Whether ``err`` is one of this package's exceptions, whose message says what went wrong and the fix."""
    return type(err).__module__.split(".")[0] == __name__.split(".")[0]


def report_errors(log_path: str, terminal_fd: int) -> None:
    """End the job on an uncaught exception with its traceback in the log and, on the terminal (``terminal_fd``,
    Snakemake's stderr before the job sent its own to the log), the message alone for this package's errors,
    the traceback for any other."""

    def hook(kind, err, tb):
        text = "".join(traceback.format_exception(kind, err, tb))
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(text)
            sys.stderr.flush()
        if issubclass(kind, KeyboardInterrupt | SystemExit):
            return
        shown = f"error: {err}\n" if raised_for_user(err) else f"error (its traceback is also in {log_path}):\n{text}"
        with contextlib.suppress(OSError):
            os.write(terminal_fd, shown.encode())

    sys.excepthook = hook
