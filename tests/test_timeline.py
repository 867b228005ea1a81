"""Job spans from Snakemake's log and records, core lanes and idle core-seconds (lab04/analysis/timeline.py)."""

import json
from pathlib import Path

import pandas as pd
import pytest

from lab04.analysis import timeline
from lab04.analysis.plots import timeline_chart

LOG = """Building DAG of jobs...
Using shell: /usr/bin/bash
[Tue Dec  1 11:14:26 2026]
localrule download:
    output: results/downloads/mnist/a.gz
    jobid: 4
    wildcards: dataset=mnist, filename=a.gz
    resources: tmpdir=/tmp
[Tue Dec  1 11:14:28 2026]
Finished jobid: 4 (Rule: download)
1 of 3 steps (33%) done
[Tue Dec  1 11:14:28 2026]
rule train:
    jobid: 2
    wildcards: experiment=cnn, pass_name=pass3, seed=42
    threads: 2
[Tue Dec  1 11:14:29 2026]
localrule plot_pass:
    jobid: 7
    wildcards: experiment=raw, pass_name=pass1
[Tue Dec  1 11:14:31 2026]
Finished jobid: 7 (Rule: plot_pass)
[Tue Dec  1 11:15:28 2026]
Finished jobid: 2 (Rule: train)
[Tue Dec  1 11:15:29 2026]
rule report:
    jobid: 0
"""


def test_spans_from_a_snakemake_log():
    spans = timeline.from_log(LOG)
    assert spans[["job", "start", "end", "threads"]].values.tolist() == [
        ["download mnist/a.gz", 0.0, 2.0, 1],
        ["train cnn/pass3/42", 2.0, 62.0, 2],
        ["plot_pass raw/pass1", 3.0, 5.0, 1],
    ]  # the report job never finished: left out


def test_idle_core_seconds_and_lanes():
    spans = timeline.from_log(LOG)
    idle, total = timeline.idle_core_seconds(spans, 2)
    assert total == 2 * 62 and idle == pytest.approx(124 - (2 + 120 + 2))
    # the 2-thread job takes both lanes; the plot job overlaps it to the second, so it shares a lane
    assert timeline.lanes(spans, cores=2) == [[0], [0, 1], [0]]
    assert timeline.lanes(spans) == [[0], [0, 1], [2]]


def test_spans_from_snakemakes_records(tmp_path):
    out = "results/raw/pass1/seed42/scores.json"
    record = tmp_path / ".snakemake" / "metadata" / timeline.base64.urlsafe_b64encode(out.encode()).decode()
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"rule": "train", "starttime": 100.0, "endtime": 130.5}))
    spans = timeline.from_metadata([{"job": "train raw/pass1 seed 42", "output": out, "threads": 2},
                                    {"job": "missing", "output": "results/none.npz"}], tmp_path)
    assert spans.to_dict("records") == [{"job": "train raw/pass1 seed 42", "rule": "train", "start": 0.0,
                                         "end": 30.5, "threads": 2, "invocation": 1}]


def test_the_chart_draws_the_latest_invocation_only(tmp_path):
    """An incremental rerun a day later: the jobs it ran are drawn on their own axis, not beside the first
    run's across a day; which invocation ran a job comes from the names of Snakemake's invocation logs."""
    from datetime import datetime

    logs = tmp_path / ".snakemake" / "log"
    logs.mkdir(parents=True)
    first, second = datetime(2026, 12, 1, 9, 0, 0), datetime(2026, 12, 2, 9, 0, 0)
    lint = datetime(2026, 12, 1, 9, 3, 0)  # `snakemake --lint` during the first run: a log without jobs
    for when, text in ((first, "Finished jobid: 3 (Rule: train)\n"), (lint, "Congratulations, your workflow is in "
                       "a good condition!\n"), (second, "Finished jobid: 1 (Rule: train)\n")):
        (logs / f"{when.isoformat(timespec='microseconds').replace(':', '')}.snakemake.log").write_text(text)
    jobs = []
    for name, start, seconds in (("train raw/pass1 seed 42", first, 600), ("train raw/pass2 seed 42", lint, 500),
                                 ("train raw/pass2 seed 42 again", second, 40)):
        out = f"results/{len(jobs)}.json"
        record = tmp_path / ".snakemake" / "metadata" / timeline.base64.urlsafe_b64encode(out.encode()).decode()
        record.parent.mkdir(parents=True, exist_ok=True)
        t0 = start.timestamp() + 5
        record.write_text(json.dumps({"rule": "train", "starttime": t0, "endtime": t0 + seconds}))
        jobs.append({"job": name, "output": out})
    spans = timeline.from_metadata(jobs, tmp_path)
    assert spans["invocation"].tolist() == [1, 1, 2] and spans["end"].max() > 86_000  # a day apart
    latest, earlier = timeline.latest_invocation(spans)
    assert latest[["job", "start", "end"]].values.tolist() == [["train raw/pass2 seed 42 again", 0.0, 40.0]]
    assert earlier == 2
    # without Snakemake's invocation logs (removed, or never copied) every job counts as one invocation's
    logs.rename(tmp_path / "old-logs")
    assert timeline.from_metadata(jobs, tmp_path)["invocation"].tolist() == [1, 1, 1]


def test_the_chart_is_drawn(tmp_path):
    spans = timeline.from_log(LOG)
    timeline_chart(spans, tmp_path / "t.svg", 2, title="two cores")
    assert "<svg" in (tmp_path / "t.svg").read_text()
    timeline_chart(pd.DataFrame(columns=timeline.COLUMNS), tmp_path / "empty.svg")
    assert (tmp_path / "empty.svg").exists()


def test_bench_report_writes_ratio_idle_share_and_the_floor(tmp_path, config):
    """bench/run.py --report's page from one run's spans: ratio to the plain script, idle share, the MNIST
    trainings' core-seconds against their floor, and the notes kept below the marker."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "bench"))
    import run as bench

    spans = timeline.from_log(LOG)
    report = {"runs": [{"cores": 2, "wall_seconds": 62.0, "jobs": len(spans), "idle_core_seconds": 2.0,
                        "idle_share": 2 / 124, "busy_share": 0.9, "training_threads": "2×1",
                        "chart": "timeline-2cores.svg", "spans": spans,
                        "renderings": {"pdf_seconds": 9.3, "web_page_seconds": 0.6, "web_page_percent_of_run": 1.0,
                                       "web_page_mb": 2.5},
                        "training_busy": pd.DataFrame([{"job": "train cnn/pass3 seed 42", "engine": "TensorFlow",
                                                        "threads": 2, "wall_seconds": 60.0, "cpu_seconds": 114.0,
                                                        "busy": 0.95}])}],
              "plain": pd.DataFrame([{"pass": "cnn/pass3", "wall_seconds": 124.0}])}
    out = tmp_path / "RESULTS.md"
    out.write_text(f"old figures\n{bench.NOTES_MARKER}\nkept notes\n")
    bench.write_report_results(out, {"model": "cpu", "cores": 2, "simd": "avx2"}, 200.0, report, config)
    text = out.read_text()
    assert "old figures" not in text and text.endswith("kept notes\n") and "- CPU flags: avx2" in text
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines()
            if line.startswith("|")]
    assert ["2", "62.00", "3", "2×1", "2.00", "0.02", "0.90", "0.50"] in rows  # 62 s against the plain 124 s
    assert ["2", "9.30", "0.60", "1.00", "2.50"] in rows  # what the PDF and the web page cost
    assert ["train cnn/pass3 seed 42", "TensorFlow", "2", "60.00", "114.00", "0.95", "2"] in rows
    assert bench.busy_cpu_seconds() > 0  # the machine's busy CPU seconds since boot, from /proc/stat
    floor = bench.floor_seconds(config, bench.mnist_passes(config), 100.0)  # a core's share of 200 GFLOP/s
    assert ["2", "1", "120.00", f"{floor:.2f}", f"{120 / floor:.2f}"] in rows  # cnn/pass3: 60 s × 2 threads


def test_bench_hands_the_workflow_a_mirror_that_holds_in_its_own_directory(monkeypatch, tmp_path):
    """The benchmark runs the workflow in a directory of its own: a relative DATA_MIRROR, as the README
    gives it, is made absolute; a URL is passed on as it is."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "bench"))
    import run as bench

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_MIRROR", "../shared/data")
    assert bench.mirror() == str(tmp_path.parent / "shared" / "data")
    monkeypatch.setenv("DATA_MIRROR", "http://127.0.0.1:8000/data")
    assert bench.mirror() == "http://127.0.0.1:8000/data"


def test_the_replay_of_a_run_keeps_to_its_lower_bound_where_the_work_allows(config, monkeypatch):
    """bench/simulate.py: jobs start by priority on the free cores; the bound is the larger of the longest chain and
    the work over the cores with the tail (one job after another once the rest is done) on one core."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "bench"))
    import simulate

    a, b, c, tail = ("features", "a"), ("features", "b"), ("features", "c"), ("tail", "report")
    jobs = {a: {"one": 10.0, "priority": 3, "needs": []}, b: {"one": 6.0, "priority": 2, "needs": []},
            c: {"one": 4.0, "priority": 1, "needs": []}, tail: {"one": 2.0, "priority": 0, "needs": [a, b, c]}}
    assert simulate.simulate(config, jobs, 2)["wall_seconds"] == 12.0  # a | b then c, then the tail
    assert simulate.lower_bound(config, jobs, 2) == 12.0
    assert simulate.simulate(config, jobs, 1)["wall_seconds"] == simulate.lower_bound(config, jobs, 1) == 22.0
    # on 4 cores the longest chain (a, then the tail) bounds it
    assert simulate.simulate(config, jobs, 4)["wall_seconds"] == simulate.lower_bound(config, jobs, 4) == 12.0
    # the longest job ranked last on 2 cores starts when c ends: the replay shows the cost against the same bound
    jobs[a]["priority"] = 0.5
    assert simulate.simulate(config, jobs, 2)["wall_seconds"] == 16.0
    # each other measured run (a 1-core one) is replayed on its own cores and set against its wall seconds
    monkeypatch.setattr(simulate, "measured_jobs", lambda _config, _results: jobs)
    line = simulate.replays(config, [(Path("results"), 1, 20.0)])[0]
    assert line == "The replay of the measured 1-core run: 22 s; the run took 20 s (+10%).", line


def test_where_one_job_is_most_of_the_work_the_bound_counts_its_thread_gain(config, monkeypatch):
    """bench/simulate.py gain_bound: a training of 24 one-thread seconds beside 12 s of other work on 2 cores. The
    work over the cores (18 s) and its chain on 2 threads (24 / 1.7 = 14.1 s) give 18 s, which no schedule reaches:
    on one thread it lasts 24 s, on two the other work waits for it (14.1 + 6). The best, 20.1 s, is the bound."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "bench"))
    import simulate

    big, b, c = ("train", "x", "big", None, 42), ("features", "b"), ("features", "c")
    jobs = {big: {"one": 24.0, "priority": 3, "needs": []}, b: {"one": 6.0, "priority": 2, "needs": []},
            c: {"one": 6.0, "priority": 1, "needs": []}}
    given = {}  # the threads the replay gives the training (the bound lets it have any count up to the cores)

    def threads_on(_config, _job, key, cores, schedule):
        return min(cores, 4) if key[0] == "train" and isinstance(schedule, simulate._AllCores) else given.get(key, 1)

    monkeypatch.setattr(simulate, "threads_on", threads_on)
    assert simulate.lower_bound(config, jobs, 2) == 18.0
    assert simulate.gain_bound(config, jobs, 2) == pytest.approx(6 + 24 / 1.7)
    assert simulate.simulate(config, jobs, 2)["wall_seconds"] == 24.0  # on one thread: b and c beside it
    given[big] = 2
    assert simulate.simulate(config, jobs, 2)["wall_seconds"] == pytest.approx(6 + 24 / 1.7)  # the bound, reached
    # where the work is spread, the bound is lower_bound's (the replay test above): nothing to add
    small = {k: {**j, "one": 6.0} for k, j in jobs.items()}
    assert simulate.gain_bound(config, small, 2) == simulate.lower_bound(config, small, 2) == 9.0


def test_a_replay_of_a_run_this_machine_would_plan_otherwise_says_so(tmp_path):
    """bench/simulate.py sizes threads from this machine's plan: a run trained in another precision (here: under an
    AVX2 cap, replayed without it) is refused with the way to replay it, not replayed with the wrong shares."""
    import sys
    from types import SimpleNamespace

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "bench"))
    import simulate

    key = ("train", "cnn", "pass3", None, 42)
    schedule = SimpleNamespace(backends={key: "tensorflow"}, precisions={key: "bfloat16"})
    scores = tmp_path / "scores.json"
    scores.write_text(json.dumps({"backend": "tensorflow", "precision": "float32"}))
    with pytest.raises(SystemExit, match="cnn/pass3 ran on tensorflow in float32.*plan it on tensorflow in bfloat16"
                                         ".*same ONEDNN_MAX_CPU_ISA and XLA_FLAGS"):
        simulate.check_planned_as_run(schedule, key, scores)
    scores.write_text(json.dumps({"backend": "tensorflow", "precision": "bfloat16"}))
    simulate.check_planned_as_run(schedule, key, scores)  # as planned: replayed
