"""Two checkouts on one filesystem share Snakemake's between-workflow cache (`make report CACHE=DIR`): the
second fetches the downloads, decoded arrays and HOG features the first made, and trains what it must."""

import json
import os
from pathlib import Path

import pytest
from conftest import copy_workflow, snakemake, workflow_env

pytestmark = pytest.mark.workflow

TRAINED = "results/hog/pass1/seed42/scores.json"  # downloads, MNIST arrays, HOG features, then training
DECODED = "results/data/chest_xray_128px_carve0.1.npz"  # an image folder job: two files under one prefix
CACHED = ["results/downloads/mnist/train-images-idx3-ubyte.gz", "results/data/mnist.npz",
          "results/features/mnist_hog_o8_p4.npz", DECODED, DECODED.replace(".npz", ".json")]


def test_a_second_checkout_fetches_data_and_features_from_the_shared_cache(tmp_path, shared_data):
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {"SNAKEMAKE_OUTPUT_CACHE": str(cache)}
    first, second = copy_workflow(tmp_path / "first"), copy_workflow(tmp_path / "second")
    snakemake(first, TRAINED, DECODED, "--cache", mirror=shared_data, env=workflow_env(first, **env))
    assert len(list(cache.iterdir())) >= len(CACHED)
    for name in CACHED:  # the first checkout's own outputs moved into the cache, linked back
        assert (first / name).is_symlink() and Path(os.readlink(first / name)).parent == cache, name

    snakemake(second, TRAINED, DECODED, "--cache", mirror=shared_data, env=workflow_env(second, **env))
    for name in CACHED:
        assert (second / name).is_symlink(), f"{name} was made again instead of fetched from the cache"
        assert os.readlink(second / name) == os.readlink(first / name)
    # Nothing ran for them: their logs and records in the second checkout are empty (Snakemake creates them);
    # the pass was trained there, as it must be.
    fetched = [*(second / "results" / "logs").rglob("*.log"), *(second / "results" / "benchmarks").rglob("*.tsv")]
    assert len(fetched) >= len(CACHED) and all(f.stat().st_size == 0 for f in fetched), fetched
    assert (second / "results" / "hog" / "pass1" / "seed42" / "train.log").is_file()
    scores = [json.loads((d / TRAINED).read_text()) for d in (first, second)]
    assert scores[0]["test_accuracy"] == scores[1]["test_accuracy"]  # the same features, the same model
    # Without --cache the second checkout plans nothing again: the fetched files count as its own.
    assert "Nothing to be done" in snakemake(second, TRAINED, DECODED, "-n", mirror=shared_data)

    # A damaged cache entry (cut short by a crash or a full disk) is named, removed with the link to it, and
    # rebuilt by the next run, into the cache again: no run meets it twice.
    arrays = second / "results" / "data" / "mnist.npz"
    entry = Path(os.readlink(arrays))
    size = entry.stat().st_size
    entry.write_bytes(entry.read_bytes()[: size // 2])
    for name in ("scores.json", "model.keras"):
        (second / TRAINED).with_name(name).unlink()
    out = snakemake(second, TRAINED, "--cache", mirror=shared_data, env=workflow_env(second, **env), check=False)
    assert out.returncode != 0
    assert "results/data/mnist.npz is damaged and cannot be read" in out and \
        f"it links to the shared cache's entry {entry}" in out, out[-3000:]
    assert "The entry and the link have been removed" in out and "FileNotFoundError" not in out
    assert not entry.exists() and not arrays.is_symlink()
    snakemake(second, TRAINED, "--cache", mirror=shared_data, env=workflow_env(second, **env))
    assert arrays.is_symlink() and Path(os.readlink(arrays)) == entry and entry.stat().st_size == size
    rebuilt = json.loads((second / TRAINED).read_text())
    assert rebuilt["test_accuracy"] == scores[0]["test_accuracy"]


def test_a_job_fetched_from_the_cache_is_a_row_without_measurements(tmp_path):
    """The runtimes table: a helper job that ran has its own record (lab04/usage.py); one whose outputs came
    from the cache has none and says so, instead of failing the table."""
    from lab04.analysis.tables import runtimes
    from lab04.usage import Usage

    record = tmp_path / "ran.tsv"
    Usage().write(record)
    jobs = [{"job": "features ran", "output": str(tmp_path / "a.npz"), "record": str(record),
             "mem_mb": 1000, "runtime": 15},
            {"job": "features fetched", "output": str(tmp_path / "b.npz"), "record": str(tmp_path / "none.tsv"),
             "mem_mb": 1000, "runtime": 15}]
    (tmp_path / "empty.tsv").touch()  # what Snakemake leaves for a job it fetched from the cache
    jobs.append({**jobs[1], "job": "features fetched, empty record", "record": str(tmp_path / "empty.tsv")})
    table = runtimes(jobs, tmp_path).set_index("job")
    assert table.loc["features ran", "source"] == "ran" and table.loc["features ran", "wall_seconds"] >= 0
    assert table.loc["features ran", "max_rss_mb"] > 10  # this Python process, at least
    assert table.loc["features fetched", "source"] == "cache"
    assert table.loc["features fetched, empty record", "source"] == "cache"
    assert table.loc["features fetched", ["wall_seconds", "cpu_time"]].isna().all()
