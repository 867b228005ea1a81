"""The Keras backend a training process runs on: made its engine before Keras loads, and named once it has.

Which engine a pass trains on is decided while planning (lab04/train/engines.py, from the measured table); a
training job only carries that choice out. This module is what the job runs, so it is all of the engine code in
a training's code fingerprint (lab04/fingerprint.py): editing how ``auto`` chooses retrains only the passes whose
engine it moves (their settings hold the engine).

What keeps each engine's results independent of the machine's core count:
- TensorFlow: its intra-op thread count (lab04/train/fit.py, gradient shards in lab04/train/shards.py);
- JAX: XLA's CPU client sizes its thread pool, and with it how each matmul is split, by the CPUs the
  process can see, unless ``NPROC`` says how many: the job sets it to its thread count before JAX loads;
- PyTorch: ``torch.set_num_threads``.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys

from lab04.train import xla_cache

BACKENDS = ("tensorflow", "jax", "torch")
TITLES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


@functools.cache
def installed(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


class EngineError(RuntimeError):
    """An engine that cannot run here (not installed, or Keras already loaded with another)."""


def select(backend: str, threads: int) -> None:
    """Make this process train on ``backend`` with ``threads`` threads; must run before Keras is imported."""
    if backend not in BACKENDS:
        raise EngineError(f"training.backend: {backend!r} is not one of auto, {', '.join(BACKENDS)}")
    if not installed(backend):
        raise EngineError(f"training.backend: {backend} is not installed in this environment ({sys.prefix}); "
                          f"install it there (pip install {backend}) or set backend: auto")
    if "keras" in sys.modules:
        import keras

        if keras.config.backend() != backend:
            raise EngineError(f"Keras was loaded with {keras.config.backend()} before {backend} was selected")
    os.environ["KERAS_BACKEND"] = backend
    if backend != "tensorflow" and "tensorflow" not in sys.modules:
        # Keras seeds TensorFlow too wherever it can import it: 2 s of start-up a job on another engine
        # does not need (and a second engine's threads beside its own)
        sys.modules["tensorflow"] = None
    if backend == "jax":
        # XLA's thread pool, and with it how each operation splits its sums, follows NPROC, not the machine
        os.environ["NPROC"] = str(threads)
        if not _has_jax_gpu():  # no GPU build: no probing for one, and the job computes on its CPU cores
            os.environ.setdefault("JAX_PLATFORMS", "cpu")
            yield_beyond_reservation()
        xla_cache.enable()  # compiled programs kept per kind of machine (lab04/train/xla_cache.py)


# XLA's CPU client runs a program from a worker thread of its own, which executes ready operations itself
# beside the NPROC threads of the pool: a JAX job computes on up to one thread more than it was given (a
# one-thread dense training used 1.05 cores, bench/RESULTS.md), and on a full machine that share came out of the
# core reserved for the job beside it. A JAX job on the CPU therefore runs at this lower priority (threads
# inherit it): what it takes beyond its cores then comes from idle ones. No result depends on it.
JAX_NICE = 10
_yielded = False


def yield_beyond_reservation() -> None:
    """Lower this process's priority by JAX_NICE, once; before the engine starts its threads, which inherit it."""
    global _yielded
    if _yielded:
        return
    try:
        os.nice(JAX_NICE)
    except OSError:  # not allowed here: the job runs as it is
        return
    _yielded = True


def _has_jax_gpu() -> bool:
    return any(installed(name) for name in ("jax_cuda12_plugin", "jax_cuda13_plugin"))


def describe(backend: str) -> str:
    """'JAX 0.10.2': the engine and its version, once it is loaded."""
    module = sys.modules.get(backend) or importlib.import_module(backend)
    return f"{TITLES[backend]} {module.__version__}"
