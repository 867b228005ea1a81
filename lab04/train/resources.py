"""What a training job asks a cluster for (memory, wall time), estimated from its pass settings alone.

The Snakefile evaluates this for every job while planning, so it cannot build Keras models (a
TensorFlow import per dry-run). It walks the layer list instead, counting weights and multiply-adds of
the layers that carry the cost (Dense, convolutions, pooling, batch normalisation; any other layer
keeps its input's shape and costs nothing here). A unit test holds the weight count to Keras'
``count_params`` for every configured pass, so the walk stays honest as passes change.

The helper jobs that prepare a pass's input (HOG features, decoded image folders) are sized here too,
from their measured runs.

The constants are calibrated on measured runs (``benchmark.tsv``: max RSS and seconds per job) and
padded: a job that runs out of time or memory is lost, an over-sized request only waits longer.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from lab04.train.applications import APPLICATIONS

# Calibrated on the full report's benchmark.tsv files (two AVX-512 cores, 2026-11): a training job
# holds ~0.9 GB of Python and TensorFlow before any data (a 28x28 CNN on 4,708 images peaked at 840 MB,
# the MLPs on 60,000 MNIST images at 1.4 GB, the 128 px chest X-ray CNNs at 2.0 GB); memory gets 50 % on
# top. Time: a sample's forward and backward pass costs 3 x (multiply-adds at 1.2e11/s per thread +
# activation values at 2.3 ns each: batch norm, activations, pooling and augmentation move memory, not
# arithmetic). Per thread and sample this predicts, against measured (AVX-512, 2026-12): the 7x7 CNN
# (41 M multiply-adds, 0.06 M activations) 1.4 ms / 1.2 ms, ResNet-18 at 28 px (456 M, 1.25 M) 20 / 17 ms,
# the chest X-ray record CNN at 128 px (78 M, 1.7 M) 14 / 14 ms, the MNIST record CNN (9.8 M, 0.17 M)
# 1.4 / 1.4 ms. Small MLPs spend ~7 ms per batch in per-operation overhead. An AVX2-only node is up to 5x
# slower, so the time asked for assumes 5x those costs, 20 ms per batch and a minute to start, evaluate
# and write. A second thread adds 0.7 of one (measured 1.5-1.8x on two threads for the CNNs), up to 4.
BASE_MB = 1000
MULTIPLY_ADDS_PER_SECOND = 1.2e11 / 5
SECONDS_PER_ACTIVATION = 2.3e-9 * 5
THREAD_GAIN = 0.7
MAX_GAINING_THREADS = 4
SECONDS_PER_STEP = 0.02
STARTUP_SECONDS = 60
MEMORY_PADDING = 1.5
MIN_MINUTES = 5

# `shards: auto` (lab04/train/shards.py): gradient shards for a job whose training step (forward and
# backward, the whole batch) has at least this many multiply-adds. Below it a step is mostly Keras' and
# TensorFlow's per-op dispatch (~0.5 ms per layer, lab04/schedule.py): slices would multiply that
# overhead, and a second thread gains little, so the job keeps Keras' own step on one thread. Of the
# report's passes: cnn/pass2 and pass3 (2x2 and 7x7 kernels, 32-128 filters) and the chest X-ray CNNs get
# shards; the MLPs, cnn/pass1 (32 filters of 2x2) and the 28 px PneumoniaMNIST CNN do not.
SHARD_MULTIPLY_ADDS = 1e9
AUTO_SHARDS = 4


@dataclass(frozen=True)
class ModelCost:
    params: int
    multiply_adds: int  # per sample, forward pass
    activations: int  # values per sample across layer outputs (kept for the backward pass)
    inputs: int  # values per input sample


def _pair(value) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, int | float) else tuple(int(v) for v in value)


_MEASURED: dict[str, ModelCost] = {}


def _cost_key(input_shape, layers: list) -> str:
    return json.dumps([list(int(s) for s in input_shape), layers], sort_keys=True)


def has_application(layers: list) -> bool:
    return any(next(iter(spec)) in APPLICATIONS for spec in layers if isinstance(spec, dict) and spec)


def remember_cost(input_shape, layers: list, cost: dict) -> None:
    """The cost of a model measured from its Keras build (a layer list with a keras.applications model)."""
    _MEASURED[_cost_key(input_shape, layers)] = ModelCost(**cost)


def _walk(shape: tuple, layers: list[dict]) -> tuple[tuple, int, int, int]:
    """Output shape, weights, multiply-adds and activation values of a layer list from ``shape``."""
    params = multiply_adds = activations = 0
    for spec in layers:
        (name, args), = spec.items()
        args = args or {}
        if name == "Residual":
            for _ in range(int(args.get("repeat", 1))):
                out, p, m, a = _walk(shape, args["layers"])
                params, multiply_adds, activations = params + p, multiply_adds + m, activations + a
                if args.get("projection", "auto") is True or out != shape:  # 1x1 convolution + BN, or Dense
                    params += shape[-1] * out[-1] + (0 if len(out) == 1 else 4 * out[-1])
                    multiply_adds += math.prod(out) // out[-1] * shape[-1] * out[-1]
                shape = out
        elif name == "Dense":
            units = int(args["units"])
            params += (shape[-1] + 1) * units if args.get("use_bias", True) else shape[-1] * units
            multiply_adds += math.prod(shape[:-1]) * shape[-1] * units
            shape = (*shape[:-1], units)
        elif name in ("Conv2D", "MaxPooling2D", "AveragePooling2D"):
            conv = name == "Conv2D"
            kernel = _pair(args["kernel_size"] if conv else args.get("pool_size", 2))
            default_strides = 1 if conv else kernel
            strides = _pair(args.get("strides") or default_strides)
            same = args.get("padding", "valid") == "same"
            h, w = ((math.ceil(d / s) if same else (d - k) // s + 1)
                    for d, k, s in zip(shape[:2], kernel, strides, strict=True))
            channels = int(args["filters"]) if conv else shape[2]
            if conv:
                bias = 1 if args.get("use_bias", True) else 0
                params += (kernel[0] * kernel[1] * shape[2] + bias) * channels
                multiply_adds += h * w * kernel[0] * kernel[1] * shape[2] * channels
            shape = (h, w, channels)
        elif name == "Flatten":
            shape = (math.prod(shape),)
        elif name in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
            shape = (shape[-1],)
        elif name == "BatchNormalization":
            params += 4 * shape[-1]
        activations += math.prod(shape)
    return shape, params, multiply_adds, activations


def model_cost(input_shape: tuple[int, ...], layers: list[dict]) -> ModelCost:
    """Weights, multiply-adds and activation sizes of a configured layer list on ``input_shape``."""
    shape = tuple(int(s) for s in input_shape)
    if has_application(layers):
        measured = _MEASURED.get(_cost_key(shape, layers))
        if measured is None:
            raise ValueError("a layer list with a keras.applications model is sized from its Keras build: "
                             "check_models (lab04/train/model_check.py) must measure it first")
        return measured
    _, params, multiply_adds, activations = _walk(shape, layers)
    return ModelCost(params, multiply_adds, activations, math.prod(shape))


def shard_count(input_shape: tuple[int, ...], settings: dict) -> int:
    """Gradient shards of a job: its ``shards`` setting, or for ``auto`` AUTO_SHARDS or 1 by the step's cost;
    1 on any engine but TensorFlow (``settings`` with its backend resolved, lab04/jobs.py)."""

    shards = settings.get("shards", 1)
    if shards != "auto":
        return int(shards)
    if settings.get("backend", "auto") not in ("auto", "tensorflow"):  # shards are a TensorFlow training step
        return 1
    step = 3 * model_cost(tuple(input_shape), settings["layers"]).multiply_adds * settings["batch_size"]
    return min(AUTO_SHARDS, settings["batch_size"]) if step >= SHARD_MULTIPLY_ADDS else 1


def sample_seconds(cost: ModelCost, threads: int = 1) -> float:
    """Seconds asked for one training sample's forward and backward pass on ``threads`` threads (the
    constants above: conservative, the time must hold on an AVX2-only node)."""
    one_thread = 3 * (cost.multiply_adds / MULTIPLY_ADDS_PER_SECOND + cost.activations * SECONDS_PER_ACTIVATION)
    return one_thread / (1 + THREAD_GAIN * (min(max(1, threads), MAX_GAINING_THREADS) - 1))


def train_resources(cost: ModelCost, samples: int, epochs: int, batch_size: int, attempt: int = 1,
                    threads: int = 1) -> dict:
    """``mem_mb`` and ``runtime`` (minutes) for one training job on ``threads`` threads; a retry asks
    for more of both."""
    # float32: the training inputs twice (as loaded and as fed to Keras), weights with their gradients
    # and optimizer slots, and a batch's activations kept for the backward pass, with their gradients
    data_mb = 4 * 2 * samples * cost.inputs / 1e6
    model_mb = 4 * (4 * cost.params + 3 * batch_size * cost.activations) / 1e6
    mem_mb = MEMORY_PADDING * (BASE_MB + data_mb + model_mb) * attempt
    steps = math.ceil(samples / batch_size) * epochs
    compute = sample_seconds(cost, threads) * samples * epochs
    minutes = max(MIN_MINUTES, math.ceil((STARTUP_SECONDS + steps * SECONDS_PER_STEP + compute) / 60))
    return {"mem_mb": 100 * math.ceil(mem_mb / 100), "runtime": minutes * attempt}


# Measured on the full data (results/benchmarks/features/): HOG of 70,000 images at most 7 s and 480 MB on
# one process; decoding 5,856 X-rays at 128 px 6 s and 300 MB. Padded for slower nodes.
FEATURES_RESOURCES = {"mem_mb": 1000, "runtime": 15}


def decoding_resources(size: int) -> dict:
    """Decoding an image folder scales with the pixels kept: 5,856 images of size x size bytes, a few copies."""
    return {"mem_mb": 1000 + 100 * math.ceil(6000 * int(size) ** 2 * 4 / 1e8), "runtime": 20}
