"""The incremental-rerun contract: after any change, exactly the jobs that depend on it run again.

Dry-runs probe the shared smoke run (they change nothing there; a test that edits a file puts it
back, mtime included). Interruptions and data-source changes get workflows of their own.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import (
    SLOW,
    SLOW_TARGET,
    copy_run,
    copy_workflow,
    overlay,
    planned_jobs,
    reached_epoch_one,
    snakemake,
    snakemake_command,
    start_workflow,
    wait_until,
)

pytestmark = pytest.mark.workflow

DOWNSTREAM_OF_ONE_PASS = {"metrics": 1, "tables": 1, "runtimes": 1, "plot_timeline": 1, "plot_pass": 1,
                          "plot_comparison": 1, "report": 1, "report_html": 1, "all": 1}
RENDERINGS = {"report": 1, "report_html": 1, "all": 1}  # the PDF and the web page


@contextmanager
def edited(path: Path, text: str):
    """Append ``text`` to a file for the duration of the block, then restore its bytes and mtime."""
    original, stat = path.read_bytes(), path.stat()
    path.write_text(original.decode() + text)
    try:
        yield
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_nothing_reruns_without_changes_even_from_another_mirror(run):
    workdir, mirror, _ = run
    assert "Nothing to be done" in snakemake(workdir, "-n", mirror=mirror)
    assert "Nothing to be done" in snakemake(workdir, "-n", mirror=mirror.as_uri())
    # the command docs/reproducibility.md gives to see why a job reruns: nothing changed, nothing listed
    assert listed_changes(workdir, mirror) == []


def listed_changes(workdir, mirror, overlays=()) -> list[str]:
    """The outputs `snakemake -n --list-changes params` lists."""
    out = snakemake(workdir, "-n", "--list-changes", "params", overlays=overlays, mirror=mirror)
    return sorted(line for line in out.splitlines() if line.startswith("results/"))


def test_editing_one_pass_reruns_that_pass_only(run):
    workdir, mirror, _ = run
    edit = overlay(workdir, "edit.yaml", {"experiments": {"raw": {"passes": {"pass2": {"epochs": 2}}}}})
    out = snakemake(workdir, "-n", overlays=[edit], mirror=mirror)
    assert planned_jobs(out) == {"train": 1, **DOWNSTREAM_OF_ONE_PASS}
    assert "experiment=raw, pass_name=pass2" in out
    assert listed_changes(workdir, mirror, [edit]) == sorted(f"results/raw/pass2/seed42/{name}" for name in (
        "model.keras", "history.csv", "scores.json", "predictions.csv", "val_predictions.csv", "confusion.csv",
        "layers.csv", "summary.txt"))
    text = overlay(workdir, "text.yaml", {"experiments": {"raw": {"passes": {"pass2": {"title": "New"}}}}})
    assert planned_jobs(snakemake(workdir, "-n", overlays=[text], mirror=mirror)) == RENDERINGS


def test_editing_one_layer_reruns_that_pass_only(run, config):
    workdir, mirror, _ = run
    layers = [dict(layer) for layer in config["experiments"]["cnn"]["passes"]["pass2"]["layers"]]
    layers[-2] = {"Dense": {"units": 128, "activation": "relu", "name": "l4"}}
    edit = overlay(workdir, "layer.yaml", {"experiments": {"cnn": {"passes": {"pass2": {"layers": layers}}}}})
    out = snakemake(workdir, "-n", overlays=[edit], mirror=mirror)
    assert planned_jobs(out) == {"train": 1, **DOWNSTREAM_OF_ONE_PASS}
    assert "experiment=cnn, pass_name=pass2" in out


def test_changing_a_hog_setting_recomputes_only_that_feature(run):
    workdir, mirror, _ = run
    edit = overlay(workdir, "hog.yaml", {"experiments": {"hog": {"passes": {"pass2b": {"input": {
        "pixels_per_cell": 5}}}}}})
    out = snakemake(workdir, "-n", overlays=[edit], mirror=mirror)
    assert planned_jobs(out) == {"features": 1, "train": 1, **DOWNSTREAM_OF_ONE_PASS}
    assert "mnist_hog_o16_p5.npz" in out


def test_adding_a_pass_trains_only_that_pass(run):
    workdir, mirror, _ = run
    new = {"epochs": 1, "layers": [{"Dense": {"units": 32, "activation": "relu"}},
                                   {"Dense": {"units": 10, "activation": "softmax"}}]}
    out = snakemake(workdir, "-n", overlays=[overlay(workdir, "add.yaml", {"experiments": {"raw": {"passes": {
        "dense32": new}}}})], mirror=mirror)
    assert planned_jobs(out) == {"train": 1, **DOWNSTREAM_OF_ONE_PASS}
    assert "experiment=raw, pass_name=dense32" in out


def planned_after_editing(run, path: str, text: str = "\n# edited\n") -> dict[str, int]:
    """The jobs a dry-run plans after ``path`` is edited in a copy of the smoke run (the shared run stays as it is
    for the tests beside this one)."""
    source, mirror, _ = run
    with tempfile.TemporaryDirectory() as tmp:
        workdir = copy_run(source, Path(tmp) / "wf")
        with edited(workdir / path, text):
            return planned_jobs(snakemake(workdir, "-n", mirror=mirror))


def test_report_rerenders_after_a_template_edit_only(run):
    assert planned_after_editing(run, "templates/report.css", "\n/* edited */\n") == RENDERINGS
    # what only the web page reads renders the web page alone
    assert planned_after_editing(run, "templates/screen/screen.css", "\n/* edited */\n") == {"report_html": 1, "all": 1}


def test_editing_training_code_reruns_every_training_job(run):
    jobs = planned_after_editing(run, "lab04/train/fit.py", "\nEDITED = True\n")
    # every pass retrains, nothing upstream of training does
    assert jobs["train"] == 14 and jobs["report"] == 1
    assert not {"idx_arrays", "features", "image_folder_arrays", "download"} & jobs.keys()


def test_editing_report_code_rerenders_the_report_only(run):
    assert planned_after_editing(run, "lab04/report/sections/experiments.py") == RENDERINGS


def test_editing_feature_code_recomputes_features_and_what_uses_them(run):
    jobs = planned_after_editing(run, "lab04/features/hog.py")
    assert jobs["features"] == 3 and jobs["train"] == 4  # the four HOG passes, no other
    assert "idx_arrays" not in jobs


def test_touched_files_in_a_moved_checkout_rerun_nothing(run, tmp_path):
    """Content decides, never a timestamp or the checkout's place: every file of the workflow touched (as a
    `git checkout` there and back, `git stash pop` or an editor's save do), in a copy of the finished run at
    another path, plans nothing."""
    source, mirror, _ = run
    workdir = copy_run(source, tmp_path / "elsewhere" / "wf")
    later = time.time() + 60
    touched = 0
    for name in ("Snakefile", "config.yaml", "rules", "scripts", "lab04", "templates", "schemas", "profiles"):
        for path in [workdir / name, *(workdir / name).rglob("*")]:
            if path.is_file():
                os.utime(path, (later, later))
                touched += 1
    assert touched > 80
    out = snakemake(workdir, "-n", mirror=mirror)
    assert "Nothing to be done" in out, out[-3000:]


def test_a_deleted_pass_output_retrains_that_pass_only(run, tmp_path):
    source, mirror, _ = run
    workdir = copy_run(source, tmp_path / "wf")
    (workdir / "results" / "raw" / "pass1" / "seed42" / "model.keras").unlink()
    out = snakemake(workdir, "-n", mirror=mirror)
    assert planned_jobs(out) == {"train": 1, **DOWNSTREAM_OF_ONE_PASS}
    assert "experiment=raw, pass_name=pass1" in out


# --- interruptions: a pass whose epochs take a few seconds, stopped in its second epoch ---------------



@pytest.fixture(scope="module")
def slow(tmp_path_factory, shared_data):
    workdir = copy_workflow(tmp_path_factory.mktemp("interrupted"))
    slow = overlay(workdir, "slow.yaml", SLOW)
    snakemake(workdir, "results/data/mnist.npz", overlays=[slow], mirror=shared_data)
    return workdir, slow, shared_data


def start_and_interrupt(workdir: Path, slow: Path, mirror: Path, sig: signal.Signals, whom: str) -> str:
    """Start the slow pass, wait for its first epoch, then send ``sig`` to the job, to Snakemake, or to
    the whole process group as a terminal's Ctrl-C or a `kill -9` of the session would."""
    pass_dir = workdir / "results" / "raw" / "pass1" / "seed42"
    shutil.rmtree(pass_dir, ignore_errors=True)  # a complete earlier run would leave nothing to do
    log = pass_dir / "train.log"
    proc = start_workflow(snakemake_command(workdir, SLOW_TARGET, overlays=[slow], mirror=mirror), workdir)
    wait_until(reached_epoch_one(log), proc, "the slow pass's first epoch")
    if whom == "job":
        job = subprocess.run(["pgrep", "-f", f"{workdir}/.snakemake/scripts/.*train"], capture_output=True, text=True)
        for pid in job.stdout.split():  # the job's interpreter, and a shell around it where there is one
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), sig)
    elif whom == "group":
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    out, _ = proc.communicate(timeout=120)
    if whom == "group" and sig == signal.SIGKILL:  # nobody left to clean up: the job may still be running
        subprocess.run(["pkill", "-KILL", "-f", f"{workdir}/.snakemake/scripts/"])
    return out


@pytest.mark.parametrize(("sig", "whom"), [
    (signal.SIGTERM, "job"),  # what a batch scheduler or `timeout` sends to the job
    (signal.SIGINT, "group"),  # Ctrl-C in the terminal
    (signal.SIGKILL, "group"),  # the whole session killed: no cleanup at all
])
def test_an_interrupted_training_job_is_redone_by_the_next_run(slow, sig, whom):
    workdir, overlay_file, mirror = slow
    pass_dir = workdir / "results" / "raw" / "pass1" / "seed42"
    start_and_interrupt(workdir, overlay_file, mirror, sig, whom)
    assert not (pass_dir / "scores.json").exists()
    out = snakemake(workdir, SLOW_TARGET, overlays=[overlay_file], mirror=mirror, check=False)
    if sig == signal.SIGKILL:
        # Snakemake's lock outlives a killed session; it says how to lift it, and then the rerun proceeds
        assert out.returncode != 0 and "make unlock" in out
        snakemake(workdir, SLOW_TARGET, "--unlock", overlays=[overlay_file], mirror=mirror)
        out = snakemake(workdir, SLOW_TARGET, overlays=[overlay_file], mirror=mirror)
    assert "rule train" in out and "Finished jobid" in out, out[-3000:]
    assert "epoch 3/3" in (pass_dir / "train.log").read_text()
    assert "Nothing to be done" in snakemake(workdir, SLOW_TARGET, "-n", overlays=[overlay_file], mirror=mirror)


def test_sigterm_to_snakemake_finishes_the_running_job_cleanly(slow):
    workdir, overlay_file, mirror = slow
    pass_dir = workdir / "results" / "raw" / "pass1" / "seed42"
    out = start_and_interrupt(workdir, overlay_file, mirror, signal.SIGTERM, "snakemake")
    # Snakemake stops scheduling and lets the running job end: its outputs are complete and current
    assert "Will exit after finishing currently running jobs" in out
    assert "epoch 3/3" in (pass_dir / "train.log").read_text()
    assert "Nothing to be done" in snakemake(workdir, SLOW_TARGET, "-n", overlays=[overlay_file], mirror=mirror)


# --- data sources: their content decides, not their path ---------------------------------------------

def test_chest_xray_arrays_follow_the_source_content_not_its_path(tmp_path):
    from test_chest_xray import KAGGLE, make_tree

    workdir = copy_workflow(tmp_path / "wf")
    first = make_tree(tmp_path / "a", KAGGLE)
    target = "results/data/chest_xray_32px_official.npz"

    def source(path):
        return overlay(workdir, "source.yaml",
                       {"datasets": {"chest_xray": {"source": str(path), "limit_per_class": None}}})

    snakemake(workdir, target, overlays=[source(first)])
    copy = tmp_path / "copy"
    shutil.copytree(first, copy)  # same images elsewhere, new mtimes: nothing to redo
    assert "Nothing to be done" in snakemake(workdir, target, "-n", overlays=[source(copy)])
    image = next((copy / "chest_xray" / "test" / "NORMAL").iterdir())
    image.write_bytes((first / "chest_xray" / "train" / "NORMAL" / "normal-0.jpeg").read_bytes())
    assert planned_jobs(snakemake(workdir, target, "-n", overlays=[source(copy)])) == {"image_folder_arrays": 1}
