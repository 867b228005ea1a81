"""Each training's engine, checked while planning through the real workflow (lab04/train/engine_plan.py): whatever
resolved it (a setting or `backend: auto`), an engine that cannot train the pass stops the run before any job
starts with the passes, the engine and the fixes; a setting only TensorFlow trains keeps the pass there; a pass
whose engine went away since its last training says so; a damaged engine table names its line and column."""

import json

import pytest
from conftest import copy_workflow, overlay, snakemake, workflow_env

from lab04.train import engines
from lab04.train.backend import TITLES, installed

pytestmark = pytest.mark.workflow

TARGET = "results/raw/pass1/seed42/scores.json"  # a dense pass: one epoch on 600 images


@pytest.fixture
def workdir(tmp_path):
    return copy_workflow(tmp_path / "wf")


def refused(workdir, *args, **kwargs) -> str:
    out = snakemake(workdir, *args, check=False, **kwargs)
    assert out.returncode == 1, out[-3000:]
    assert "Traceback" not in out and 'File "' not in out, out[-3000:]  # the message alone
    assert "Job stats" not in out and "rule train" not in out
    return out


def without_jax(tmp_path):
    """An environment in which JAX is not installed, as after `pip uninstall jax jaxlib`: every Python process
    (Snakemake and its jobs) starts with the modules marked absent."""
    blocker = tmp_path / "no-jax"
    blocker.mkdir(exist_ok=True)
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['jax'] = sys.modules['jaxlib'] = None\n")
    return blocker


def test_an_engine_that_is_not_installed_is_refused_while_planning(workdir):
    if installed("torch"):
        pytest.skip("PyTorch is installed here: nothing to refuse")
    torch = overlay(workdir, "torch.yaml", {"training": {"backend": "torch"}})
    out = refused(workdir, "-n", overlays=[torch])
    assert "error: 14 passes would train on PyTorch, which is not installed in this environment" in out, out[-3000:]
    assert "cnn/pass1, cnn/pass2" in out and "and 6 more" in out
    assert "/bin/pip install torch), or set training.backend (or the pass's backend) to auto" in out


@pytest.mark.parametrize("damage, where", [
    (lambda rows: rows[:2] + [rows[2].rsplit(",", 1)[0] + ",fast"] + rows[3:],
     "engines.csv, line 3, column epoch_seconds: 'fast' is not a positive number of seconds"),
    (lambda rows: [rows[0].replace(",epoch_seconds", ",seconds")] + rows[1:],
     "engines.csv, line 1: no column epoch_seconds"),
], ids=["not-a-number", "missing-column"])
def test_a_damaged_engine_table_is_named_with_its_line_column_and_fix(workdir, damage, where):
    table = workdir / "lab04" / "train" / "engines.csv"
    table.write_text("\n".join(damage(table.read_text().splitlines())) + "\n")
    out = refused(workdir, "-n")
    assert f"error: {table}" in out and where in out, out[-3000:]
    assert f"git checkout -- {table}" in out and "make bench" in out


def test_gradient_shards_keep_a_pass_on_tensorflow_whatever_auto_picks(workdir, shared_data):
    shards = overlay(workdir, "shards.yaml", {"experiments": {"raw": {"passes": {"pass1": {"shards": 2}}}}})
    out = snakemake(workdir, TARGET, overlays=[shards], mirror=shared_data)
    scores = json.loads((workdir / TARGET).read_text())
    assert scores["backend"] == "tensorflow" and scores["settings"]["shards"] == 2
    assert scores["test_accuracy"] > 0.5, scores  # it trained: ten classes, one epoch on 600 images
    if engines.auto_backend("dense") != "tensorflow":  # the plan says why it is not on the faster engine
        assert (f"note: raw/pass1 trains on TensorFlow, not on {TITLES[engines.auto_backend('dense')]} that "
                "backend: auto picks for this kind of model, because shards: 2 is a TensorFlow training step") in out


def test_a_pass_whose_engine_went_away_says_so_while_planning(workdir, tmp_path, shared_data):
    on_jax = overlay(workdir, "jax.yaml", {"experiments": {"raw": {"passes": {"pass1": {"backend": "jax"}}}}})
    snakemake(workdir, TARGET, overlays=[on_jax], mirror=shared_data)
    assert json.loads((workdir / TARGET).read_text())["backend"] == "jax"
    env = {"PYTHONPATH": f"{without_jax(tmp_path)}:{workdir}"}

    # still asked for by name: refused, naming the pass and the engine
    out = refused(workdir, TARGET, "-n", overlays=[on_jax], env=workflow_env(workdir, **env))
    assert "error: 1 pass would train on JAX, which is not installed in this environment" in out
    assert ": raw/pass1. Install it there" in out

    # under auto: it moves to TensorFlow, and the plan says so once, with why and how to keep it on JAX
    out = snakemake(workdir, TARGET, "-n", env=workflow_env(workdir, **env))
    assert ("note: 1 pass trained on JAX last time now trains on TensorFlow, because JAX is no longer installed in "
            "this environment") in out, out[-3000:]
    assert "their numbers will change (raw/pass1)" in out and "to keep them on JAX, install it again" in out
    assert "rule train:" in out and out.count("note: ") == 1
