"""A job's log (lab04/logs.py): TensorFlow's start-up notices are left out, every real warning or error stays."""

import os
import subprocess
import sys
import textwrap

# what a training job's stderr received from TensorFlow on every start, and lines that must reach the log
NOTICES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796533661.882674   17964 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders. To turn "
    "them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.",
    "To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.",
]
REAL = [
    "E0000 00:00:1796533661.882674   17964 op_kernel.cc:1857] OP_REQUIRES failed at matmul_op.cc:12 : a real error",
    "W0000 00:00:1796533661.882674   17964 allocator.cc:120] Allocation of 1073741824 exceeds 10% of free memory.",
    "Fatal Python error: a crash said last",
]


def test_tensorflow_notices_are_dropped_and_real_warnings_and_errors_kept(tmp_path):
    log = tmp_path / "job.log"
    lines = "".join(f"{line}\n" for line in [*NOTICES, *REAL])
    code = textwrap.dedent(f"""
        import os, warnings
        from lab04.logs import job_logger
        log = job_logger({str(log)!r})
        os.write(2, {lines.encode()!r})
        warnings.warn("a Python warning")
        log.info("python line")
        os._exit(3)  # as a crash ends a job: no cleanup in this process
    """)
    assert subprocess.run([sys.executable, "-c", code]).returncode == 3
    subprocess.run(["sleep", "0.5"])  # the filter writes what the job said last after the job is gone
    text = log.read_text()
    for line in REAL:
        assert line in text, text
    assert "UserWarning: a Python warning" in text and "python line" in text
    for line in NOTICES:
        assert line[:60] not in text, text


def test_a_finished_job_ends_at_once_with_its_log_and_output_written(tmp_path):
    log = tmp_path / "job.log"
    code = textwrap.dedent(f"""
        import atexit
        from lab04.logs import end_job, job_logger
        log = job_logger({str(log)!r})
        atexit.register(print, "the interpreter's teardown ran")
        log.info("last line of the job")
        print("printed, still in the buffer of a pipe")
        end_job()
        raise SystemExit(5)  # never reached
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout held in its buffer
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "printed, still in the buffer of a pipe\n"  # flushed, and no teardown ran
    assert log.read_text().rstrip().endswith("INFO last line of the job")
