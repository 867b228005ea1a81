"""The workflow through profiles/slurm on a real one-node SLURM cluster (see slurm_cluster.py).

Skipped, with the reason, where the Debian packages are missing (`make test` installs them as root).
"""

import json
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import (
    SLOW,
    SLOW_TARGET,
    copy_run,
    copy_workflow,
    overlay,
    reached_epoch_one,
    snakemake,
    snakemake_command,
    start_workflow,
    wait_until,
    workflow_env,
)
from slurm_cluster import SlurmCluster, missing_tools

pytestmark = pytest.mark.workflow

# The test cluster has no accounts and a short queue: check its status soon, keep the logs to inspect.
CLUSTER_ARGS = ("--profile", "profiles/slurm", "--slurm-no-account", "--slurm-keep-successful-logs",
                "--slurm-init-seconds-before-status-checks", "2")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if missing := missing_tools():
        pytest.skip(f"no SLURM here ({', '.join(missing)} missing): "
                    "apt-get install slurmctld slurmd slurm-client munge, or run `make test` as root")
    with SlurmCluster(tmp_path_factory.mktemp("slurm")) as running:
        yield running


def through_slurm(cluster, workdir, *args, check=True, **kwargs):
    env = workflow_env(workdir, SLURM_CONF=str(cluster.conf))
    return snakemake(workdir, *args, *CLUSTER_ARGS, check=check, env=env, **kwargs)


def slurm_job_ids(text: str) -> set[str]:
    return set(re.findall(r"SLURM jobid (\d+)", text))


# one pass of each model family: an MLP on pixels, one on HOG features, a CNN, a binary CNN on X-rays
RETRAINED = ["raw/pass1", "hog/pass2b", "cnn/pass1", "pneumonia/medmnist"]


def smoke_run_through_slurm_matches_the_local_run(cluster, run, tmp_path):
    """A copy of the local smoke run (its data, arrays and features kept) retrains one pass of each model family
    through SLURM, and everything downstream. That data jobs leave this host too is test_resources.py's."""
    local_dir, mirror, _ = run
    workdir = copy_run(local_dir, tmp_path / "wf")
    for key in RETRAINED:
        shutil.rmtree(workdir / "results" / key / "seed42")
    started = time.monotonic()
    out = through_slurm(cluster, workdir, mirror=mirror)
    print(f"smoke run through SLURM: {time.monotonic() - started:.0f} s")

    # each retrained pass was a SLURM job, and ran inside one
    submitted = slurm_job_ids(out)
    assert len(submitted) == len(RETRAINED) and "rule features" not in out, out[-3000:]
    finished = cluster.finished()
    assert all(finished.get(job) == "COMPLETED" for job in submitted), finished
    for key in RETRAINED:
        batch = re.search(r"SLURM job (\d+)", (workdir / "results" / key / "seed42" / "train.log").read_text())
        assert batch and batch[1] in submitted, key
    # light rules stayed on this host
    assert re.search(r"localrule report:", out) and not re.search(r"localrule train:", out)

    # same config and seed, same numbers as the local run
    columns = ["experiment", "pass", "seed", "test_accuracy", "test_loss", "params"]
    ours = pd.read_csv(workdir / "results" / "metrics.csv")[columns]
    local = pd.read_csv(local_dir / "results" / "metrics.csv")[columns]
    pd.testing.assert_frame_equal(ours, local, check_exact=False, rtol=1e-6)
    assert "Nothing to be done" in through_slurm(cluster, workdir, "-n", mirror=mirror)


SWEEP = {"experiments": {"raw": {"passes": {"pass1": {
    "sweep": {"hidden": {"path": "layers[0].Dense.units", "values": [128, 256, 512]}}}}}}}
POINTS = [f"results/raw/pass1/sweep/hidden~{n}/seed42/scores.json" for n in (128, 256, 512)]


def a_sweep_goes_to_slurm_as_one_array_job(cluster, run, tmp_path):
    """--slurm-array-jobs=train_sweep: the sweep's three points in one sbatch call, one array task each
    (without it, each point is a submission of its own, as each pass is in the smoke run above)."""
    local_dir, mirror, _ = run
    workdir = copy_run(local_dir, tmp_path / "wf")
    sweep = overlay(workdir, "sweep.yaml", SWEEP)
    out = through_slurm(cluster, workdir, *POINTS, "--slurm-array-jobs=train_sweep", overlays=[sweep], mirror=mirror)
    arrays = re.findall(r"Submitted array job with Snakemake IDs .* and SLURM job ID (\d+)\. "
                        r"The individual task IDs are 1-3\.", out)
    assert len(arrays) == 1 and "has been submitted with SLURM jobid" not in out, out[-3000:]
    for point in POINTS:
        scores = json.loads((workdir / point).read_text())
        assert scores["test_accuracy"] > 0.4  # each task trained its own point (chance: 0.1; 600 images, 1 epoch)
        log = (workdir / point).with_name("train.log").read_text()
        assert re.search(r"SLURM job \d+", log), point  # and ran inside the array, not on this host
    assert len({json.loads((workdir / p).read_text())["params"] for p in POINTS}) == 3
    assert "Nothing to be done" in through_slurm(cluster, workdir, *POINTS, "-n", overlays=[sweep], mirror=mirror)


def slow_pass(tmp_path: Path, mirror: Path):
    workdir = copy_workflow(tmp_path)
    slow = overlay(workdir, "slow.yaml", SLOW)
    snakemake(workdir, "results/data/mnist.npz", overlays=[slow], mirror=mirror)
    return workdir, slow, mirror


def run_and_cancel(cluster, workdir, slow, mirror, *args):
    """Start the slow pass through SLURM, scancel its batch job in its second epoch, let Snakemake react."""
    pass_dir = workdir / "results" / "raw" / "pass1" / "seed42"
    shutil.rmtree(pass_dir, ignore_errors=True)  # a complete earlier run would leave nothing to do
    log = pass_dir / "train.log"
    cmd = snakemake_command(workdir, SLOW_TARGET, *CLUSTER_ARGS, *args, overlays=[slow], mirror=mirror)
    proc = start_workflow(cmd, workdir, SLURM_CONF=str(cluster.conf))
    wait_until(reached_epoch_one(log), proc, "the slow pass's first epoch")
    job = re.search(r"SLURM job (\d+)", log.read_text())[1]
    subprocess.run(["scancel", job], env=cluster.env, check=True)
    try:
        out, _ = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        raise AssertionError(f"Snakemake did not notice the cancelled job:\n{out[-3000:]}") from None
    return proc.returncode, out, job


def a_cancelled_job_fails_cleanly_and_a_rerun_completes(cluster, slow):
    workdir, slow_file, mirror = slow
    pass_dir = workdir / "results" / "raw" / "pass1" / "seed42"
    code, out, job = run_and_cancel(cluster, workdir, slow_file, mirror, "--retries", "0")
    assert code != 0 and "Error in rule train" in out and job in out, out[-3000:]
    assert cluster.finished()[job] == "CANCELLED"
    assert sorted(p.name for p in pass_dir.iterdir()) == ["train.log"]  # no partial outputs
    out = through_slurm(cluster, workdir, SLOW_TARGET, overlays=[slow_file], mirror=mirror)
    assert slurm_job_ids(out) and "epoch 3/3" in (pass_dir / "train.log").read_text()


def the_profile_retries_a_job_that_failed_once(cluster, slow):
    workdir, slow_file, mirror = slow
    pass_dir = workdir / "results" / "raw" / "pass1" / "seed42"
    code, out, job = run_and_cancel(cluster, workdir, slow_file, mirror)  # retries: 1 from the profile
    assert code == 0, out[-3000:]
    assert len(slurm_job_ids(out)) == 2 and job in slurm_job_ids(out)  # the cancelled one, then its retry
    assert (pass_dir / "scores.json").exists() and "epoch 3/3" in (pass_dir / "train.log").read_text()


def test_the_workflow_through_slurm(cluster, shared_data, request, tmp_path, subtests):
    """One test, so that the one cluster this machine can hold serves every check on one test process; each
    check reports on its own. The smoke run is asked for last: it is being built beside the first two checks."""
    slow = slow_pass(tmp_path / "slow", shared_data)
    with subtests.test("a job cancelled with scancel fails cleanly, and a rerun completes"):
        a_cancelled_job_fails_cleanly_and_a_rerun_completes(cluster, slow)
    with subtests.test("the profile's retry recovers a job that failed once"):
        the_profile_retries_a_job_that_failed_once(cluster, slow)
    with subtests.test("the smoke run through SLURM matches the local run"):
        smoke_run_through_slurm_matches_the_local_run(cluster, request.getfixturevalue("run"), tmp_path / "smoke")
    with subtests.test("a sweep's points go to SLURM as one array job"):
        a_sweep_goes_to_slurm_as_one_array_job(cluster, request.getfixturevalue("run"), tmp_path / "sweep")
