"""The progress display (lab04/progress/): each job's expected seconds and the time left, then the display
itself through a pipe (plain lines) and in a real terminal (tmux)."""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

import pytest
from conftest import SLOW, copy_workflow, overlay, snakemake_command, workflow_env

from lab04.progress import estimates
from lab04.progress.estimates import Expected, expected_jobs, remaining_seconds, seconds_left
from lab04.progress.state import duration
from lab04.schedule import Plan


def job(jobid, rule, wildcards, threads=1, priority=0.0, log=None, benchmark=None):
    return {"jobid": jobid, "rule": rule, "wildcards": wildcards, "threads": threads, "priority": priority,
            "log": log, "benchmark": benchmark}


def test_measured_seconds_come_first_then_benchmarks_then_scaled_estimates(tmp_path):
    plan = Plan(seconds={("train", "raw", "a", None, 42): 100.0, ("train", "raw", "b", None, 42): 50.0,
                         ("train", "raw", "c", None, 42): 10.0}, ranks={})
    bench = tmp_path / "benchmark.tsv"
    bench.write_text("s\th:m:s\tmax_rss\n30.0\t0:00:30\t100\n")
    jobs = [job(1, "train", {"experiment": "raw", "pass_name": "a", "seed": "42"}),
            job(2, "train", {"experiment": "raw", "pass_name": "b", "seed": "42"}, benchmark=str(bench)),
            job(3, "train", {"experiment": "raw", "pass_name": "c", "seed": "42"}),
            job(4, "tables", {}), job(5, "report", {})]
    out = {e.name: e for e in expected_jobs(jobs, plan, {"train raw/a/42": 200.0})}
    assert (out["train raw/a/42"].seconds, out["train raw/a/42"].source) == (200.0, "measured")
    assert (out["train raw/b/42"].seconds, out["train raw/b/42"].source) == (30.0, "benchmark")
    # this machine took 2x and 0.6x the estimates: the median of the two scales the rest
    assert out["train raw/c/42"].source == "estimate" and out["train raw/c/42"].seconds == pytest.approx(13.0)
    assert out["tables"].seconds == estimates.SMALL_SECONDS and out["report"].seconds == estimates.REPORT_SECONDS
    assert out["tables"].source == "default"  # not the scheduler's estimate: a finished job does not rescale it


def test_a_training_counts_earlier_seconds_only_from_its_own_engine(tmp_path):
    """A pass now on JAX ignores what it took on TensorFlow (its record and its benchmark file, whose scores.json
    names the engine), takes its engine-aware estimate scaled by the jobs measured on their own engine, and
    records its seconds under its engine."""
    keys = {p: ("train", "raw", p, None, 42) for p in "abc"}
    plan = Plan(seconds={keys["a"]: 40.0, keys["b"]: 50.0, keys["c"]: 10.0}, ranks={},
                backends={keys["a"]: "jax", keys["b"]: "jax", keys["c"]: "tensorflow"})
    (tmp_path / "b").mkdir()
    bench = tmp_path / "b" / "benchmark.tsv"
    bench.write_text("s\th:m:s\tmax_rss\n300.0\t0:05:00\t100\n")
    (tmp_path / "b" / "scores.json").write_text(json.dumps({"backend": "tensorflow"}))
    jobs = [job(1, "train", {"experiment": "raw", "pass_name": "a", "seed": "42"}),
            job(2, "train", {"experiment": "raw", "pass_name": "b", "seed": "42"}, benchmark=str(bench)),
            job(3, "train", {"experiment": "raw", "pass_name": "c", "seed": "42"})]
    measured = {"train raw/a/42 on tensorflow": 500.0, "train raw/c/42 on tensorflow": 20.0}
    out = {e.name: e for e in expected_jobs(jobs, plan, measured)}
    assert (out["train raw/c/42"].seconds, out["train raw/c/42"].source) == (20.0, "measured")
    assert out["train raw/a/42"].source == out["train raw/b/42"].source == "estimate"
    assert out["train raw/a/42"].seconds == pytest.approx(80.0) and out["train raw/b/42"].seconds == pytest.approx(100)
    assert out["train raw/a/42"].record == "train raw/a/42 on jax"
    (tmp_path / "b" / "scores.json").write_text(json.dumps({"backend": "jax"}))
    assert {e.name: e for e in expected_jobs(jobs, plan, measured)}["train raw/b/42"].source == "benchmark"


def test_the_time_left_is_a_list_schedule_on_the_cores_with_the_report_last(tmp_path):
    def exp(name, seconds, threads=1, priority=0.0, rule="train"):
        return Expected(0, name, rule, threads, priority, None, seconds, "estimate")

    long, short = exp("long", 100, priority=10), exp("short", 10, priority=5)
    # one core: one after the other; two cores: side by side, the longest first; the report after both
    assert seconds_left([], [short, long], 1) == 110
    assert seconds_left([], [short, long, exp("report", 20, rule="report")], 2) == 120
    # a job running for 60 s of its 100 has 40 left; a waiting 2-thread job waits for both cores
    assert seconds_left([(long, 60.0)], [exp("wide", 30, threads=2)], 2) == 70
    # a running training leans on its own epochs' seconds (not its start-up), whatever its prior: after 1 of 5
    # epochs of 20 s, halfway between what its prior leaves and the 80 s its pace does (an estimate of 500 s after
    # 30 s: 275 s; a measurement of 120 s: 85 s); after 2 of 4 epochs of 25 s, on its pace alone, also past what
    # was measured for it
    log = tmp_path / "train.log"
    log.write_text("INFO epoch 1/5 accuracy=0.5 (20 s)\n")
    estimated = Expected(0, "train raw/a/42", "train", 1, 0.0, str(log), 500.0, "estimate")
    measured = Expected(0, "train raw/a/42", "train", 1, 0.0, str(log), 120.0, "measured")
    assert remaining_seconds(estimated, 30.0) == 275.0 and remaining_seconds(measured, 30.0) == 85.0
    log.write_text("INFO epoch 1/4 accuracy=0.5 (25 s)\nINFO epoch 2/4 accuracy=0.6 (25 s)\n")
    assert remaining_seconds(estimated, 50.0) == 50.0
    assert remaining_seconds(measured, 50.0) == 50.0 and remaining_seconds(measured, 130.0) == 50.0
    # the current epoch's seconds since its line's time stamp count as done
    log.write_text("2026-12-07 08:18:02,062 INFO epoch 2/5 accuracy=0.9 (80.0 s)\n")
    then = time.mktime(time.strptime("2026-12-07 08:18:12", "%Y-%m-%d %H:%M:%S"))
    assert estimates.epoch_pace(str(log), then) == (2, 5, 230.0)
    assert [duration(s) for s in (4, 89, 360, 3900)] == ["4 s", "89 s", "6 min", "1 h 05 min"]


SLOW_TARGETS = ["results/raw/pass1/seed42/scores.json"]


@pytest.fixture
def slow_workflow(tmp_path, shared_data):
    workdir = copy_workflow(tmp_path / "wf")
    slow = overlay(workdir, "slow.yaml", SLOW)
    cmd = [*snakemake_command(workdir, *SLOW_TARGETS, "--logger", "lab04", overlays=[slow], mirror=shared_data)]
    return workdir, cmd


def test_through_a_pipe_the_progress_is_plain_lines_and_the_next_run_knows_the_times(slow_workflow):
    workdir, cmd = slow_workflow
    out = subprocess.run(cmd, cwd=workdir, env=workflow_env(workdir), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout + out.stderr
    assert "\x1b[" not in text, "no terminal control codes when the output is not a terminal"
    lines = [line for line in text.splitlines() if line.startswith("progress: ")]
    assert lines and re.search(r"progress: \d+ of \d+ jobs done, \d+ running; about \d+ (s|min) left", lines[0])
    assert "Finished jobid" in text  # Snakemake's own lines are still there
    measured = json.loads((workdir / estimates.MEASURED).read_text())
    assert measured["train raw/pass1/42 on jax"] > 1  # a training's seconds are its engine's
    trace = (workdir / ".snakemake" / "lab04" / "progress.tsv").read_text().splitlines()
    assert trace[0] == "elapsed\tdone\ttotal\tleft" and len(trace) > 1


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is not installed (scripts/setup_test_system.sh)")
def test_in_a_terminal_the_progress_shows_the_running_epoch_and_the_time_left(slow_workflow):
    workdir, cmd = slow_workflow
    session = f"lab04-progress-{workdir.parent.name}"
    env = " ".join(f"{k}={v}" for k, v in workflow_env(workdir).items() if k in ("PYTHONPATH", "PATH", "HOME"))
    done = workdir / "exit-status"
    shell = f"cd {workdir} && env {env} {' '.join(cmd)}; echo $? > {done}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "40", shell], check=True)
    screens = []
    try:
        deadline = time.monotonic() + 300
        while not done.exists() and time.monotonic() < deadline:
            screens.append(subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                          text=True).stdout)
            time.sleep(0.5)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    assert done.exists() and done.read_text().strip() == "0", screens[-1:]
    live = [s for s in screens if re.search(r"\d+ of \d+ jobs done, 1 running; about \d+ (s|min) left", s)]
    assert live, screens[-1:]
    assert any(re.search(r"train raw/pass1/42, epoch [123]/3, \d+ s", s) for s in live), live[-1]
    assert not any(line.startswith("progress: ") for s in screens for line in s.splitlines())  # not the plain lines


def test_the_estimate_error_is_read_from_a_finished_runs_trace(tmp_path):
    trace = tmp_path / "progress.tsv"
    trace.write_text("elapsed\tdone\ttotal\tleft\n0\t0\t10\t120\n25\t3\t10\t70\n50\t5\t10\t60\n75\t8\t10\t20\n"
                     "100\t10\t10\t0\n")
    errors = estimates.eta_errors(trace)
    assert [(e["share"], e["actual_left"], round(e["error"], 2)) for e in errors] == [
        (0.25, 75.0, -0.07), (0.5, 50.0, 0.2), (0.75, 25.0, -0.2)]
    (tmp_path / "unfinished.tsv").write_text("elapsed\tdone\ttotal\tleft\n0\t0\t10\t120\n")
    with pytest.raises(ValueError, match="did not finish"):
        estimates.eta_errors(tmp_path / "unfinished.tsv")


def test_the_jobs_finished_so_far_correct_the_estimates_of_the_rest():
    def exp(jobid, seconds, source="estimate"):
        return Expected(jobid, f"train raw/p{jobid}/42", "train", 1, 0.0, None, seconds, source)

    jobs = [exp(1, 100), exp(2, 40), exp(3, 4), exp(4, 200), exp(5, 80, "measured"), exp(6, 1.5, "default"),
            exp(7, 60, "benchmark")]
    # one finished job says nothing yet; two that took half what was expected halve the others' (whatever the
    # prior: estimate, earlier measurement or benchmark record; a job expected under 5 s corrects nothing, a
    # short job's default stays)
    assert estimates.rescaled(jobs, {1: 50.0, 3: 50.0}) == jobs
    out = {j.jobid: j.seconds for j in estimates.rescaled(jobs, {1: 50.0, 2: 20.0, 3: 50.0})}
    assert out == {1: 50.0, 2: 20.0, 3: 2.0, 4: 100.0, 5: 40.0, 6: 1.5, 7: 30.0}
    # a machine busy with another workload: jobs measured on it idle take three times as long
    measured = [exp(i, 20, "measured") for i in range(1, 7)]
    out = estimates.rescaled(measured, {1: 60.0, 2: 61.0})
    assert [j.seconds for j in out][2:] == [pytest.approx(60.5)] * 4


SEEDS = 8


def test_beside_a_cpu_burning_process_the_time_left_learns_from_this_runs_jobs(tmp_path, shared_data,
                                                                             alone_on_the_machine):
    """Jobs measured on an idle machine, run again beside a process that keeps every core busy: each takes about
    twice its measurement, and once two have finished the time left says so (within 30 % at half-way). Eight jobs
    in four rounds on two cores: at half-way the second round is ending, so the time left rests on the scale the
    first round measured, not on one running job's guess (a job's seconds vary by 10 % from one run to the next on
    a shared host). No other workflow test runs meanwhile: their load would come and go under the measurement."""
    workdir = copy_workflow(tmp_path / "wf")
    busy = {"datasets": {"mnist": {"limit_train": 10000}},
            "experiments": {"raw": {"passes": {"pass1": {"epochs": 2, "batch_size": 16, "repeats": SEEDS}}}}}
    seeds = [f"results/raw/pass1/seed{seed}/scores.json" for seed in range(42, 42 + SEEDS)]
    cmd = snakemake_command(workdir, *seeds, "--logger", "lab04", overlays=[overlay(workdir, "busy.yaml", busy)],
                            mirror=shared_data)
    # each job compiles its own programs, as on a machine's first run: kept programs (lab04/train/xla_cache.py)
    # would make the first seed of the idle run the slow one, and this test is of a steady slowdown
    env = workflow_env(workdir, LAB04_PROGRESS_SECONDS="1", JAX_ENABLE_COMPILATION_CACHE="false")
    idle = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert idle.returncode == 0, idle.stderr[-3000:]
    measured = json.loads((workdir / estimates.MEASURED).read_text())
    assert all(f"train raw/pass1/{seed} on jax" in measured for seed in range(42, 42 + SEEDS)), measured

    # the burners are other sessions' processes, as a user's other programs are: a JAX job runs at a lower
    # priority (lab04/train/backend.py), which the kernel weighs within a session (autogroup), not against others.
    # A session per core: the workflow's session gets a third of the machine while two jobs run, each job about a
    # third of a core (one session for all would halve the machine, and on a host whose two vCPUs share one core
    # the jobs then ran only 1.4x slower, too little to tell learning from not learning)
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
               for _ in range(os.cpu_count() or 2)]
    try:
        loaded = subprocess.run([*cmd, "--forcerun", "train"], cwd=workdir, env=env, capture_output=True,
                                text=True, timeout=600)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    took = json.loads((workdir / estimates.MEASURED).read_text())
    slower = statistics.median(took[f"train raw/pass1/{s} on jax"] / measured[f"train raw/pass1/{s} on jax"]
                               for s in range(42, 42 + SEEDS))
    assert slower > 1.4, f"the jobs beside the burners took only {slower:.2f}x their idle seconds"
    errors = {e["share"]: e for e in estimates.eta_errors(workdir / ".snakemake" / "lab04" / "progress.tsv")}
    assert abs(errors[0.5]["error"]) <= 0.3, errors
