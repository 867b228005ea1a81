"""Two checkouts on one filesystem share Snakemake's between-workflow cache (`make report CACHE=DIR`): the
second fetches the downloads, decoded arrays and HOG features the first made, and trains what it must."""

import hashlib
import json
import os
import stat
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import copy_workflow, snakemake, snakemake_command, workflow_env

from lab04.shared_cache import DIGEST_SUFFIX

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

    # Every entry is stored writable by its owner only, beside the digest of its content taken as it was stored.
    for name in CACHED:
        entry = Path(os.readlink(first / name))
        assert stat.S_IMODE(entry.stat().st_mode) == 0o644, (name, oct(entry.stat().st_mode))
        digest = entry.with_name(entry.name + DIGEST_SUFFIX)
        assert digest.read_text().split()[0] == hashlib.sha256(entry.read_bytes()).hexdigest()
        assert stat.S_IMODE(digest.stat().st_mode) == 0o644

    # An entry rewritten since it was stored (a crash cut it short, or someone rewrote it), behind a checkout's link:
    # named before anything is planned, the link removed, the file made again in this run and stored afresh.
    arrays = second / "results" / "data" / "mnist.npz"
    entry = Path(os.readlink(arrays))
    size = entry.stat().st_size
    entry.write_bytes(entry.read_bytes()[: size // 2])
    for name in ("scores.json", "model.keras"):
        (second / TRAINED).with_name(name).unlink()
    out = snakemake(second, TRAINED, "--cache", mirror=shared_data, env=workflow_env(second, **env))
    assert f"note: results/data/mnist.npz linked to the shared cache's entry {entry}, which is refused: its content " \
           "no longer matches the digest taken when it was stored" in out, out[-3000:]
    assert "Traceback" not in out
    assert arrays.is_symlink() and Path(os.readlink(arrays)) == entry and entry.stat().st_size == size
    rebuilt = json.loads((second / TRAINED).read_text())
    assert rebuilt["test_accuracy"] == scores[0]["test_accuracy"]

    # Entries a job would fetch: one whose content was rewritten, one every user may rewrite (as Snakemake stores
    # them) are refused with the reason; the job runs here instead.
    third = copy_workflow(tmp_path / "third")
    features = Path(os.readlink(first / CACHED[2]))
    np.savez(features.with_suffix(".tmp.npz"), x=np.zeros(3))
    os.replace(features.with_suffix(".tmp.npz"), features)
    images = Path(os.readlink(first / CACHED[0]))
    os.chmod(images, 0o666)
    out = snakemake(third, CACHED[2], CACHED[0], "--cache", mirror=shared_data, env=workflow_env(third, **env))
    assert f"The shared cache's entry {features} (for {CACHED[2]}) is refused: its content no longer matches" in out
    assert f"The shared cache's entry {images} (for {CACHED[0]}) is refused: every user may rewrite it" in out
    assert hashlib.sha256((third / CACHED[2]).read_bytes()).hexdigest() == \
        entry_digest(features), "the features were made again and stored afresh"
    assert stat.S_IMODE(images.stat().st_mode) == 0o644

    # A cache this user may only read: what it has is used, what it lacks is made and kept in the checkout.
    fourth = copy_workflow(tmp_path / "fourth")
    other = "results/features/mnist_hog_o16_p4.npz"  # not in the cache
    command = snakemake_command(fourth, CACHED[2], other, "--cache", mirror=shared_data)
    read_only = subprocess.run(["unshare", "--mount", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"',
                                str(cache), *command], cwd=fourth, env=workflow_env(fourth, **env),
                               capture_output=True, text=True, timeout=600)
    assert read_only.returncode == 0, read_only.stderr[-3000:]
    assert f"The shared cache {cache} is read-only for you: {other} stays in this checkout" in read_only.stderr
    assert (fourth / CACHED[2]).is_symlink() and not (fourth / other).is_symlink() and (fourth / other).is_file()


def entry_digest(entry: Path) -> str:
    return entry.with_name(entry.name + DIGEST_SUFFIX).read_text().split()[0]


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
