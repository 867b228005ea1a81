"""Engines (lab04/train/engines.py, lab04/train/backend.py): what `backend: auto` picks from the measured table,
how a job's engine is resolved and checked, and JAX's side of the reproducibility contract: the same weights
whatever the number of CPUs the process can see, for a fixed thread count (NPROC)."""

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT

from lab04.config import check_config, pass_settings, passes
from lab04.jobs import job_settings
from lab04.train import backend, engines

TABLE = (
    {"family": "dense", "isa": "avx512", "pass": "a", "backend": "tensorflow", "epoch_seconds": 5.0},
    {"family": "dense", "isa": "avx512", "pass": "a", "backend": "jax", "epoch_seconds": 2.0},
    {"family": "dense", "isa": "avx512", "pass": "b", "backend": "tensorflow", "epoch_seconds": 1.0},
    {"family": "dense", "isa": "avx512", "pass": "b", "backend": "jax", "epoch_seconds": 0.3},
    {"family": "dense", "isa": "avx512", "pass": "b", "backend": "torch", "epoch_seconds": 0.1},
    {"family": "convolutional", "isa": "avx512", "pass": "c", "backend": "tensorflow", "epoch_seconds": 11.0},
    {"family": "convolutional", "isa": "avx512", "pass": "c", "backend": "jax", "epoch_seconds": 46.0},
    {"family": "dense", "isa": "avx2", "pass": "a", "backend": "tensorflow", "epoch_seconds": 9.0},
    {"family": "dense", "isa": "avx2", "pass": "a", "backend": "jax", "epoch_seconds": 12.0},
)


@pytest.fixture(scope="module")
def config():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def test_auto_picks_the_fastest_installed_engine_per_family_and_instruction_set():
    assert engines.auto_backend("dense", "avx512", TABLE) == "jax"
    assert engines.auto_backend("convolutional", "avx512", TABLE) == "tensorflow"
    assert engines.auto_backend("dense", "avx2", TABLE) == "tensorflow"  # measured slower on that machine kind
    # no row for this instruction set: the rows of another stand in
    assert engines.auto_backend("convolutional", "avx2", TABLE) == "tensorflow"
    assert engines.auto_backend("dense", "baseline", TABLE) == "jax"
    assert engines.auto_backend("dense", "avx512", ()) == "tensorflow"  # nothing measured: Keras' default


def test_an_engine_that_is_not_installed_is_never_picked():
    """PyTorch, fastest on pass b of the table, is left out of the comparison where it is not installed (the
    comparison then sums the passes measured on every remaining engine)."""
    assert not backend.installed("torch")
    assert engines.auto_backend("dense", "avx512", TABLE) == "jax"


def test_the_speed_ratio_is_the_median_over_the_familys_passes():
    assert engines.speed_ratio("dense", "jax", "avx512", TABLE) == pytest.approx((0.4 + 0.3) / 2)
    assert engines.speed_ratio("convolutional", "jax", "avx512", TABLE) == pytest.approx(46 / 11)
    assert engines.speed_ratio("dense", "tensorflow", "avx512", TABLE) == 1.0
    assert engines.speed_ratio("dense", "jax", "avx512", ()) == 1.0


def test_model_families_of_the_reports_passes(config):
    families = {f"{e}/{p}": engines.model_family(pass_settings(config, e, p)["layers"]) for e, p in passes(config)}
    assert {k for k, f in families.items() if f == "dense"} == {
        "raw/pass1", "raw/pass2", "raw/pass3", "raw/dense64", "hog/pass1", "hog/pass2", "hog/pass2b", "hog/pass3"}
    residual = [{"Residual": {"layers": [{"Conv2D": {"filters": 8, "kernel_size": 3}}]}}, {"Flatten": {}}]
    assert engines.model_family(residual) == "convolutional"
    assert engines.model_family([{"ResNet50V2": {}}]) == "convolutional"


def test_the_committed_table_puts_dense_passes_on_jax_and_convolutions_on_tensorflow(config):
    """What `make bench` measured (lab04/train/engines.csv), as each job resolves it: the engine is in the job's
    settings, and gradient shards stay on the TensorFlow CNNs."""
    assert engines.measured(), "lab04/train/engines.csv is missing"
    by_family = {}
    for e, p in passes(config):
        wildcards = type("W", (), {"experiment": e, "pass_name": p, "seed": "42", "get": lambda self, k: None})()
        settings = job_settings(config, wildcards)
        by_family.setdefault(engines.model_family(settings["layers"]), set()).add(settings["backend"])
        if settings["backend"] != "tensorflow":
            assert settings["shards"] == 1
    assert by_family == {"dense": {"jax"}, "convolutional": {"tensorflow"}}
    gpu = {**config, "gpu": {"count": 1}}
    assert engines.resolve_backend(pass_settings(gpu, "raw", "pass3"), gpus=1) == "tensorflow"


def test_a_pinned_engine_is_kept_and_shards_on_another_engine_are_refused(config):
    pinned = {**config, "training": {**config["training"], "backend": "tensorflow"}}
    assert engines.resolve_backend(pass_settings(pinned, "raw", "pass3")) == "tensorflow"
    bad = yaml.safe_load((ROOT / "config.yaml").read_text())
    bad["experiments"]["cnn"]["passes"]["pass3"].update(backend="jax", shards=4)
    with pytest.raises(ValueError, match=r"cnn.passes.pass3: shards: 4 is a TensorFlow training step.*backend: "
                                         "tensorflow"):
        check_config(bad)


def test_an_engine_that_cannot_run_is_named_with_the_fix():
    with pytest.raises(backend.EngineError, match="torch is not installed .*pip install torch.*backend: auto"):
        backend.select("torch", 1)
    with pytest.raises(backend.EngineError, match="'theano' is not one of auto, tensorflow, jax, torch"):
        backend.select("theano", 1)


# Large enough that XLA splits its matmuls by thread: without NPROC the weights differ between 1 and 2 CPUs.
CHILD = r"""
import hashlib, json, os, sys
from lab04.train import backend
nproc = sys.argv[1]
if nproc != "-":
    backend.select("jax", int(nproc))
else:
    os.environ["KERAS_BACKEND"] = "jax"
import keras, numpy as np
keras.utils.set_random_seed(42)
rng = np.random.default_rng(0)
x = rng.random((4096, 784), dtype=np.float32)
y = keras.utils.to_categorical(rng.integers(0, 10, 4096), 10)
model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                          keras.layers.BatchNormalization(), keras.layers.Dropout(0.2),
                          keras.layers.Dense(10, activation="softmax")])
model.compile("rmsprop", "categorical_crossentropy")
history = model.fit(x, y, batch_size=128, epochs=2, verbose=0)
weights = np.concatenate([np.asarray(w).ravel() for w in model.get_weights()])
nice = []
for t in os.listdir("/proc/self/task"):
    try:  # a thread may end meanwhile
        nice.append(int(open(f"/proc/self/task/{t}/stat").read().rsplit(")", 1)[1].split()[16]))
    except OSError:
        pass
print(json.dumps({"weights": hashlib.sha256(weights.tobytes()).hexdigest(), "loss": history.history["loss"],
                  "cpus": len(os.sched_getaffinity(0)), "nice": sorted(nice)}))
"""


def jax_in_child(nproc: str, cpus: int, **extra_env) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NPROC", "PJRT_NPROC", "KERAS_BACKEND")}
    env.update(extra_env)
    cores = ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:cpus])
    proc = subprocess.run(["taskset", "-c", cores, sys.executable, "-c", CHILD, nproc], capture_output=True,
                          text=True, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["cpus"] == cpus
    return out


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to vary what JAX can see")
def test_jax_gives_the_same_weights_on_1_and_2_cpus_for_1_2_and_4_threads():
    """The job's thread count (NPROC, 1, 2 or 4) fixes how XLA splits its work: a process that can see one
    CPU and one that can see two train the same weights bit for bit. Without it they differ, so this test
    can fail."""
    for threads in ("1", "2", "4"):
        one, two = jax_in_child(threads, 1), jax_in_child(threads, 2)
        assert one["weights"] == two["weights"] and one["loss"] == two["loss"], threads
        assert two["loss"][1] < two["loss"][0]
    assert jax_in_child("-", 1)["weights"] != jax_in_child("-", 2)["weights"], "XLA no longer splits by CPUs"


def test_a_jax_job_and_every_thread_xla_starts_run_at_a_lower_priority():
    """XLA computes on one thread more than the job's NPROC (its worker runs operations beside the pool): every
    thread of a JAX job, XLA's included, runs JAX_NICE below the priority it was started with, so that extra share
    comes from idle cores, not from the core reserved for the job beside it. Selecting twice lowers it once."""
    from lab04.train.backend import JAX_NICE

    base = os.getpriority(os.PRIO_PROCESS, 0)
    job = jax_in_child("1", 1)
    assert len(job["nice"]) > 2 and set(job["nice"]) == {min(19, base + JAX_NICE)}, job["nice"]
    assert set(jax_in_child("-", 1)["nice"]) == {base}  # Keras on JAX, not a job: as started
    twice = subprocess.run([sys.executable, "-c", "import os; from lab04.train import backend; "
                            "backend.select('jax', 1); backend.select('jax', 1); print(os.nice(0))"],
                           capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert int(twice.stdout.split()[-1]) == min(19, base + JAX_NICE), twice.stderr[-2000:]


def test_jax_keeps_its_compiled_programs_per_machine_kind_and_a_program_read_back_trains_the_same(tmp_path):
    """A JAX job compiles only what no job compiled here before (lab04/train/xla_cache.py): the second
    training reads every program back, compiles none, and ends with the same weights bit for bit. The cache is
    the user's own (mode 700), one directory per kind of machine, and holds whole entries only."""
    first = jax_in_child("1", 1, XDG_CACHE_HOME=str(tmp_path))
    [machine] = (tmp_path / "lab04" / "xla").iterdir()
    programs = sorted(p.name for p in machine.iterdir())
    assert programs and machine.stat().st_mode & 0o777 == 0o700
    assert all(name.endswith("-cache") for name in programs), programs  # no temporary left beside them
    second = jax_in_child("1", 1, XDG_CACHE_HOME=str(tmp_path))
    assert sorted(p.name for p in machine.iterdir()) == programs  # nothing compiled anew
    assert second["weights"] == first["weights"] and second["loss"] == first["loss"]


def test_a_compiled_program_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    """A job stopped while it writes a program (here the write fails half way) leaves no entry JAX would read."""
    from jax._src import lru_cache

    from lab04.train import xla_cache

    # what xla_cache.enable() does to JAX's cache, undone after the test
    monkeypatch.setattr(lru_cache.LRUCache, "put", xla_cache._whole(lru_cache.LRUCache.put, lru_cache._CACHE_SUFFIX))
    cache = lru_cache.LRUCache(str(tmp_path), max_size=-1)
    cache.put("whole", b"program")
    assert cache.get("whole") == b"program"

    class Stopped(Exception):
        pass

    def half_written(self, data):
        with open(self, "wb") as f:
            f.write(data[:3])
        raise Stopped

    monkeypatch.setattr(pathlib.Path, "write_bytes", half_written)
    with pytest.raises(Stopped):
        cache.put("cut", b"program")
    assert cache.get("cut") is None and sorted(p.name for p in tmp_path.iterdir()) == ["whole-cache"]

