"""Send a Snakemake job's Python logging, warnings and native stderr to its log file."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys

from lab04.errors import report_errors

# Lines TensorFlow's C++ runtime writes to stderr on every start, which say nothing about the job: absl's
# notice before its logging starts, oneDNN's note that it is on, the CPU-feature note of the build, and
# tf.data's notice about an option it sets itself. Matched whole (grep -E -x); every other line, a real
# warning or error included, reaches the log.
HARMLESS = (
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    r"[IW][0-9]{4} [0-9:. ]+ +[0-9]+ port\.cc:[0-9]+\] oneDNN custom operations are on\. .*",
    r"[IW][0-9]{4} [0-9:. ]+ +[0-9]+ cpu_feature_guard\.cc:[0-9]+\] .*",
    r"To enable the following instructions: .* in other operations, rebuild TensorFlow with the appropriate "
    r"compiler flags\.",
    r"E[0-9]{4} [0-9:. ]+ +[0-9]+ [a-z_]+\.cc:[0-9]+\] .*use_unbounded_threadpool.*",
)


def _filtered_stderr(stream) -> None:
    """Point file descriptor 2 at a ``grep`` that drops the HARMLESS lines and appends the rest to
    ``stream``'s file. A process, not a thread: it still writes out what a crashing job said last."""
    patterns = [arg for p in HARMLESS for arg in ("-e", p)]
    read, write = os.pipe()
    try:
        subprocess.Popen(["grep", "--line-buffered", "-v", "-x", "-E", *patterns], stdin=read, stdout=stream,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:  # no grep here: everything goes to the log
        os.dup2(stream.fileno(), 2)
    else:
        os.dup2(write, 2)
    finally:
        os.close(read)
        os.close(write)


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def job_logger(log_path: str, name: str = "lab04") -> logging.Logger:
    """Log to ``log_path`` (line-buffered, so `tail -f` shows progress) and route stderr there too.

    TensorFlow's C++ runtime writes to file descriptor 2 directly, so the descriptor itself is
    redirected, not only ``sys.stderr``, through a filter of the lines it writes on every start (HARMLESS).
    """
    stream = open(log_path, "a", buffering=1)  # noqa: SIM115 (lives as long as the job)
    # an uncaught error: its traceback in the log, its message (a bug's traceback) on Snakemake's stderr
    report_errors(log_path, os.dup(2))
    _filtered_stderr(stream)
    sys.stderr = stream
    logging.basicConfig(
        stream=stream, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True
    )
    logging.captureWarnings(True)
    # SIGTERM (timeout, a scheduler, a cancelled CI run) ends the job like Ctrl-C does: as an exception,
    # so `finally` blocks run and no half-written temporary file outlives the job
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    log = logging.getLogger(name)
    # where the job ran: on a cluster, the batch job to look up with squeue/sacct
    batch = os.environ.get("SLURM_JOB_ID")
    log.info("job on %s, pid %d%s", socket.gethostname(), os.getpid(), f", SLURM job {batch}" if batch else "")
    return log


def end_job() -> None:
    """End a job whose outputs are all written, now: its log closed and its standard streams flushed, the
    process gone without the interpreter's teardown. With JAX loaded that teardown (the exit handlers, every
    module's objects freed one by one) took 0.4-0.55 s, with TensorFlow 0.8-1.2 s, and wrote nothing a finished
    job needs: up to a tenth of a small training's job (bench/RESULTS.md). Call it last, on success only: an
    error raised before it still ends the job as usual, with its traceback in the log."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # already closed: nothing left in it
            stream.flush()
    os._exit(0)
