"""The README's make targets beyond report and test, run for real: `make diff` against a git revision (its base
built from that commit, then found built) and `make bench` in a tiny mode."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, RUN_TIMEOUT, Output, copy_workflow, run_bounded, workflow_env

from lab04.train.precision import native_bf16

pytestmark = pytest.mark.workflow

VENV = str(Path(sys.executable).parents[1])  # make's VENV: the environment running these tests


def make(workdir: Path, *args: str, **env: str):
    return run_bounded(["make", "--no-print-directory", *args, f"VENV={VENV}"], cwd=workdir,
                       env=workflow_env(workdir, **env))


def start_make(workdir: Path, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(["make", "--no-print-directory", *args, f"VENV={VENV}"], cwd=workdir,
                            env=workflow_env(workdir, **env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def two_pass_workflow(workdir: Path) -> Path:
    """A copy of the workflow whose config holds two passes (an MLP and the depth example's CNN), so a build
    of a commit takes a minute, not the whole smoke run."""
    copy_workflow(workdir)
    for name in ("Makefile", "pyproject.toml", "requirements.lock", "requirements-gpu.lock"):
        shutil.copy2(ROOT / name, workdir / name)
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    raw, cnn = config["experiments"]["raw"], config["experiments"]["cnn"]
    raw["passes"] = {"dense64": raw["passes"]["dense64"]}
    cnn["passes"] = {"pass1": cnn["passes"]["pass1"]}
    config["experiments"] = {"raw": raw, "cnn": cnn}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (workdir / "tests" / "two.yaml").write_text(yaml.safe_dump({
        "datasets": {"mnist": {"limit_train": 600, "limit_test": 300}},
        "experiments": {"raw": {"passes": {"dense64": {"epochs": 1}}}, "cnn": {"passes": {"pass1": {"epochs": 1}}}}}))
    return workdir


def test_make_diff_builds_a_git_revision_once_and_shows_what_changed(tmp_path, shared_data):
    workdir = two_pass_workflow(tmp_path / "wf")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(workdir)]
    for step in (["init", "-q"], ["add", "."], ["commit", "-qm", "base"]):
        subprocess.run([*git, *step], check=True, capture_output=True)
    two = workdir / "tests" / "two.yaml"  # the edit since that commit: one pass trains two epochs
    two.write_text(two.read_text().replace("dense64:\n        epochs: 1", "dense64:\n        epochs: 2"))
    assert "epochs: 2" in two.read_text()
    args = ("diff", "BASE=HEAD", "CONFIG=tests/two.yaml", f"DATA_MIRROR={shared_data}", "CORES=2")

    # two at once: the second waits for the first, then finds the base and this run built
    started = [start_make(workdir, *args, BASE_PROGRESS_SECONDS="1")]
    time.sleep(2)
    started.append(start_make(workdir, *args, BASE_PROGRESS_SECONDS="1"))
    first, concurrent = (Output(proc.communicate(timeout=RUN_TIMEOUT)[0], proc.returncode) for proc in started)
    assert first.returncode == 0, first[-4000:]
    assert concurrent.returncode == 0, concurrent[-4000:]
    assert "another make diff is running in this checkout: waiting for it" in concurrent
    assert "base results found built" in concurrent and "rule train" not in concurrent, concurrent[-4000:]
    assert "1 of 2 passes differ" in concurrent
    logs = list((workdir / ".snakemake" / "lab04" / "base").glob("*/base-run-*.log"))
    assert len(logs) == 2, logs  # each invocation its own log
    assert "base results built in .snakemake/lab04/base/" in first, first[-4000:]
    # the base build is not silent while it trains: its progress, step by step
    progress = [line for line in first.splitlines() if line.startswith("base run, ")]
    assert any(" steps (" in line for line in progress) and any("last started: rule train" in line
                                                                for line in progress), first[-4000:]
    assert "Pandas4Warning" not in first
    base_log = next(log.read_text() for log in logs if "rule train:" in log.read_text())
    assert base_log.count("rule train:") == 2  # the commit's two passes, trained there for real
    dense, cnn = (next(line for line in first.splitlines() if line.startswith(name)) for name in ("raw/dense64 ",
                                                                                                     "cnn/pass1 "))
    assert "changed" in dense and "same" in cnn and "epochs: 1 → 2" in first and "1 of 2 passes differ" in first

    second = make(workdir, *args)
    assert second.returncode == 0 and "base results found built" in second, second[-4000:]
    assert "rule train" not in second and "1 of 2 passes differ" in second

    wrong = make(workdir, "diff", "BASE=no-such-revision", "CONFIG=tests/two.yaml", f"DATA_MIRROR={shared_data}")
    assert wrong.returncode != 0 and "neither a directory nor a git revision" in wrong


def test_make_bench_measures_one_pass_in_a_tiny_mode(tmp_path, shared_data):
    out_file = tmp_path / "RESULTS.md"
    table = tmp_path / "backends.csv"
    bench_args = f"--passes raw/pass1 --limit 600 --epochs 1 --reps 1 --out {out_file}"
    engine_args = (f"--passes raw/pass1 --samples 1280 --epochs 2 --workdir {tmp_path / 'work'} --table {table} "
                   f"--out {out_file}")
    precision_table = tmp_path / "precision.csv"
    precision_args = (f"--passes raw/pass1 --samples 1280 --epochs 2 --seeds 1 --workdir {tmp_path / 'work'} "
                      f"--table {precision_table} --out {out_file}")
    out = make(ROOT, "bench", f"BENCH_ARGS={bench_args}", f"ENGINE_ARGS={engine_args}",
               f"PRECISION_ARGS={precision_args}", f"DATA_MIRROR={shared_data}")
    assert out.returncode == 0, out[-4000:]
    if native_bf16():  # each precision timed on the pass's engine, in the table and on the results page
        rows = pd.read_csv(precision_table)
        assert set(rows["precision"]) == {"float32", "bfloat16"} and set(rows["pass"]) == {"raw/pass1"}
        assert "## Precision per pass" in out_file.read_text()
    else:
        assert "no native bfloat16 arithmetic" in out and not precision_table.exists()
    rows = pd.read_csv(table)
    assert set(rows["backend"]) == {"tensorflow", "jax"} and set(rows["pass"]) == {"raw/pass1"}
    assert (rows["family"] == "dense").all() and (rows["epoch_seconds"] > 0).all()
    assert "raw/pass1: fit" in out and "wall" in out and "second thread x" in out
    results = out_file.read_text()
    assert "- CPU flags:" in results and "## Orchestration tax per pass" in results
    assert "| raw/pass1 |" in results and "fit_ratio" in results and "determinism_cost" in results
    assert "## Engines per pass" in results and "| raw/pass1 | dense" in results


def test_make_unlock_lifts_snakemakes_lock():
    out = subprocess.run(["make", "-n", "unlock"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and "snakemake --unlock" in out.stdout, out.stdout + out.stderr
