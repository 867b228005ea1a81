"""Send a Snakemake job's Python logging, warnings and native stderr to its log file."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def job_logger(log_path: str, name: str = "lab04") -> logging.Logger:
    """Log to ``log_path`` (line-buffered, so `tail -f` shows progress) and route stderr there too.

    TensorFlow's C++ runtime writes to file descriptor 2 directly, so the descriptor itself is
    redirected, not only ``sys.stderr``.
    """
    stream = open(log_path, "a", buffering=1)  # noqa: SIM115 (lives as long as the job)
    os.dup2(stream.fileno(), 2)
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
