import contextlib
import fcntl
import functools
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("LAB04_SHARED_DATA", ROOT.parent / "shared" / "data"))


# --- on several processes (make test: pytest-xdist) -------------------------------------------------------------
# The session's smoke run (and its extensions) are built once, by the first test that needs them (shared_once),
# and only read after that: a test that changes one works on copy_run. Tests run in this order: one test that
# builds the smoke run, the SLURM test (whose cluster checks run beside that build), every test that does not
# need the smoke run, then those that do; so the second process starts at once and seldom waits.
FIRST_AFTER_THE_SMOKE_RUN = "test_the_workflow_through_slurm"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    uses_run = [("run" in getattr(item, "fixturenames", ())) for item in items]
    first = next((i for i, uses in enumerate(uses_run) if uses), None)

    def rank(i: int) -> int:
        if i == first:
            return 0
        return 1 if items[i].name == FIRST_AFTER_THE_SMOKE_RUN else 3 if uses_run[i] else 2

    order = {id(item): (rank(i), i) for i, item in enumerate(items)}
    items.sort(key=lambda item: order[id(item)])


def session_root(tmp_path_factory) -> Path:
    """The session's directory, shared by its processes."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


@contextmanager
def machine(tmp_path_factory, mode: int):
    """Hold the session's machine lock: shared by every test, exclusive for a test that measures how the workflow
    copes with a load it makes itself (nothing else beside it)."""
    with open(session_root(tmp_path_factory) / "machine.lock", "w") as lock:
        fcntl.flock(lock, mode)
        yield


@pytest.fixture(autouse=True)
def _sharing_the_machine(request, tmp_path_factory):
    if "alone_on_the_machine" in request.fixturenames:
        yield
        return
    with machine(tmp_path_factory, fcntl.LOCK_SH):
        yield


@pytest.fixture
def alone_on_the_machine(tmp_path_factory):
    """No other test runs while this one does (the others wait for it)."""
    with machine(tmp_path_factory, fcntl.LOCK_EX):
        yield


def shared_once(tmp_path_factory, name: str, build):
    """``build(directory)`` (which returns plain values) run once per session, also when the tests run on several
    processes: the first to ask builds, the others wait for it. Returns the directory and what build returned."""
    root = session_root(tmp_path_factory)
    directory, done = root / name, root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(directory, ignore_errors=True)  # a build that failed in another process
            directory.mkdir(parents=True)
            with machine(tmp_path_factory, fcntl.LOCK_SH):
                done.write_text(json.dumps(build(directory)))
    return directory, json.loads(done.read_text())


# --- under CI, a skipped test fails the run -----------------------------------------------------------------
# A skip hides a check: CI must not pass because the data mirror or the SLURM packages were missing.
# A skip listed here (by a substring of its reason) is expected wherever it happens.
EXPECTED_SKIPS: tuple[str, ...] = ()
_unexpected_skips: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and os.environ.get("CI") == "true":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if not any(expected in reason for expected in EXPECTED_SKIPS):
            _unexpected_skips.append(f"{report.nodeid}: {reason}")


def pytest_terminal_summary(terminalreporter):
    if _unexpected_skips:
        terminalreporter.section("skipped under CI", red=True)
        for line in _unexpected_skips:
            terminalreporter.line(line)
        terminalreporter.line(f"{len(_unexpected_skips)} test(s) skipped with CI=true: provide what they name "
                              "(the data mirror, the SLURM packages), or list the skip in tests/conftest.py "
                              "EXPECTED_SKIPS if it is expected.")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if _unexpected_skips and exitstatus == 0:
        session.exitstatus = 1


@pytest.fixture(scope="session")
def config():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


@pytest.fixture(scope="session")
def shared_data():
    if not (SHARED_DATA / "mnist").is_dir():
        pytest.skip(f"no dataset mirror at {SHARED_DATA} (set LAB04_SHARED_DATA)")
    return SHARED_DATA


WORKFLOW_FILES = ["Snakefile", "config.yaml", "config", "rules", "scripts", "templates", "schemas", "envs", "profiles",
                  "lab04", "configs", "tests/smoke.yaml", "tests/smoke-fashion.yaml",
                  "tests/smoke-architectures.yaml"]


# Passes whose models Keras has built while planning in the checkout (`make lint` plans the workflow): a copy
# starts with them, so its first plan builds only the layer lists a test changed (seconds per copy saved).
MODEL_CHECKS = ROOT / ".snakemake" / "lab04" / "models"


def copy_workflow(dest: Path) -> Path:
    """A private copy of the workflow, package included, so tests may edit templates or package code
    without touching the checkout (``snakemake`` runs it with the copy's ``lab04`` first on the path)."""
    for name in WORKFLOW_FILES:
        src, dst = ROOT / name, dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        ignore = shutil.ignore_patterns("__pycache__")
        (shutil.copytree(src, dst, ignore=ignore) if src.is_dir() else shutil.copy2(src, dst))
    if MODEL_CHECKS.is_dir():
        shutil.copytree(MODEL_CHECKS, dest / ".snakemake" / "lab04" / "models")
    return dest


def copy_run(source: Path, dest: Path) -> Path:
    """A copy of a finished run (workflow, results and Snakemake's metadata), so a test may extend it without
    changing what other tests read in ``source``."""
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns("locks", "*.part*"))
    return dest


def workflow_env(workdir: Path, **extra: str) -> dict[str, str]:
    """The environment a copied workflow runs in: its own package first on the path."""
    return {**os.environ, "PYTHONPATH": str(workdir), **extra}


def snakemake_command(workdir: Path, *args: str, overlays=(), mirror=None, cores: int = 2) -> list[str]:
    # targets and flags first: --configfile and --config swallow the words after them
    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", str(cores), "--directory", str(workdir),
           "--configfile", str(workdir / "tests" / "smoke.yaml"), *map(str, overlays)]
    if mirror:
        cmd += ["--config", f"data_mirror={mirror}"]
    return cmd


class Output(str):
    """What a Snakemake run printed (stdout and stderr), with its exit status."""

    returncode: int

    def __new__(cls, text: str, returncode: int):
        out = super().__new__(cls, text)
        out.returncode = returncode
        return out


# No workflow run in a test may take longer: a hung run fails its test with the tail of what it printed,
# instead of meeting CI's end with no diagnosis. The longest (the smoke run through SLURM) takes ~4 min.
RUN_TIMEOUT = float(os.environ.get("LAB04_TEST_RUN_TIMEOUT", 600))


def run_bounded(cmd: list[str], *, cwd: Path, env: dict, timeout: float = RUN_TIMEOUT) -> Output:
    """Run ``cmd`` in its own process group; past ``timeout`` seconds stop the whole group (Snakemake and
    its jobs) and fail, printing the tail of its output."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 20)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                out, _ = proc.communicate(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                out = ""
        pytest.fail(f"stopped after {timeout:.0f} s (LAB04_TEST_RUN_TIMEOUT): {' '.join(map(str, cmd[:6]))} ...\n"
                    f"last output:\n{(out or '')[-6000:]}", pytrace=False)
    return Output(out, proc.returncode)


def snakemake(workdir: Path, *args: str, overlays=(), mirror=None, check=True, env=None, cores: int = 2) -> Output:
    cmd = snakemake_command(workdir, *args, overlays=overlays, mirror=mirror, cores=cores)
    out = run_bounded(cmd, cwd=workdir, env=env or workflow_env(workdir))
    if check and out.returncode != 0:
        raise AssertionError(f"snakemake failed ({out.returncode}):\n{out[-6000:]}")
    return out


@pytest.fixture(scope="session")
def run(tmp_path_factory, shared_data):
    """One real smoke run of the whole workflow, shared by the workflow and report tests (copy_run to change it)."""
    workdir, log = shared_once(tmp_path_factory, "smoke",
                               lambda directory: str(snakemake(copy_workflow(directory), mirror=shared_data)))
    return workdir, shared_data, log


def planned_jobs(output: str) -> dict[str, int]:
    """Job counts from a dry-run's 'Job stats' table."""
    table = output.split("Job stats:")[1].split("total")[0] if "Job stats:" in output else ""
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)}


def overlay(workdir: Path, name: str, content: dict) -> Path:
    path = workdir / name
    path.write_text(yaml.safe_dump(content))
    return path


# One MLP pass whose epochs take a few seconds: long enough to interrupt in its second epoch.
SLOW = {"datasets": {"mnist": {"limit_train": 20000}},
        "experiments": {"raw": {"passes": {"pass1": {"epochs": 3, "batch_size": 16}}}}}
SLOW_TARGET = "results/raw/pass1/seed42/scores.json"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory without logging every request to the test output."""

    def log_message(self, *args):
        pass


@contextmanager
def http_mirror(root: Path, handler_class=QuietHandler):
    """Serve ``root`` on a free local port; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler_class, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _interruptible():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_workflow(cmd: list[str], workdir: Path, **env) -> subprocess.Popen:
    """Start Snakemake in its own process group, as a terminal would: Ctrl-C (SIGINT) reaches every
    process of the group. A shell's background job inherits SIGINT ignored; the test must not."""
    return subprocess.Popen(cmd, cwd=workdir, env=workflow_env(workdir, **env), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True, preexec_fn=_interruptible)


def wait_until(ready, proc: subprocess.Popen, what: str, timeout: float = 180) -> None:
    """Poll ``ready()`` while ``proc`` runs; fail naming ``what`` if it exits or time runs out first."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None and time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.05)


def reached_epoch_one(log: Path):
    return lambda: log.exists() and "epoch 1/3" in log.read_text()
