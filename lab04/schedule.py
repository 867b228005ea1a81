"""Where a run's cores go: each job's place in the queue and, for `threads: auto`, its share of the cores.

Snakemake starts the ready job with the highest priority first (the greedy scheduler, set in
profiles/default), but a priority belongs to its own job: a long training whose data is not ready
waits behind shorter jobs whose data happened to be ready first. Here a job's priority is its *rank*:
its own estimated seconds plus the largest rank among the jobs that wait for it, i.e. the longest
chain of work still ahead once it starts (list scheduling by "bottom level"). The download, arrays
and feature jobs of the longest training therefore outrank everything else, and of two ready
trainings the longer one starts first, so short jobs fill the cores while it runs.

With ``threads: auto`` a job asks for a share of the run's cores in proportion to its share of the
run's estimated work (at least one thread, at most every core): the longest training gets the most
cores on a machine that has many, and every job one thread on a machine with few, where jobs side by
side use the cores better than threads within one job. Only ratios of the estimates matter here.

A training's estimate is for its engine and precision: the engines' measured ratios per model family
(lab04/train/engines.py) and a pass's measured bfloat16 ratio (lab04/train/precision.py) scale what is
fitted below on TensorFlow in float32.

No TensorFlow: the Snakefile calls this while planning.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from lab04.config import pass_jobs, pass_settings, seeds
from lab04.data.datasets import dataset
from lab04.features.representations import representation
from lab04.inputs import arrays_key, features_key, input_shape
from lab04.sweeps import every_point, point_settings
from lab04.train import precision as precisions
from lab04.train.engines import model_family, resolve_backend, speed_ratio
from lab04.train.resources import model_cost

# Fitted on one core's `model.fit` seconds of the 11 MNIST passes (bench/RESULTS.md, within 10 % for
# all but the smallest): Keras and TensorFlow spend ~0.5 ms per layer and step besides the arithmetic,
# multiply-adds run at ~6e10 per second and element-wise work (activations, pooling, augmentation) at
# ~0.6 ns per value, forward and backward. Helper jobs: decoding ~2 ms per image; features as their
# representation states (lab04/features/representations.py: HOG ~0.1 ms per image).
SECONDS_PER_LAYER_STEP = 5e-4
MULTIPLY_ADDS_PER_SECOND = 6e10
SECONDS_PER_ELEMENT = 6e-10
JOB_START_SECONDS = 5.0
DECODE_SECONDS_PER_IMAGE = 2e-3
ARRAYS_SECONDS = 5.0
DOWNLOAD_SECONDS = 5.0


def job_backend(config: dict, spec: dict) -> str:
    """The engine a training job of ``spec`` runs on (lab04/train/engines.py)."""
    return resolve_backend(spec, config.get("gpu", {}).get("count") or 0)


def job_precision(config: dict, spec: dict, label: str, backend: str) -> str:
    """The precision a training job of pass ``label`` ('experiment/pass') trains in (lab04/train/precision.py)."""
    return precisions.resolve_precision(spec, label, backend, config.get("gpu", {}).get("count") or 0,
                                        config["datasets"][spec["input"]["dataset"]])


def train_seconds(config: dict, spec: dict, backend: str | None = None, ratio: float = 1.0) -> float:
    """One core's seconds for one training job of ``spec`` (pass or sweep-point settings) on its engine: the
    estimate on TensorFlow times the engine's measured ratio for the model family (lab04/train/engines.csv),
    times ``ratio`` (its precision's measured seconds per float32 second)."""
    cost = model_cost(input_shape(config, spec["input"]), spec["layers"])
    samples = dataset(config, spec["input"]["dataset"]).train_samples()
    steps = math.ceil(samples / spec["batch_size"]) * spec["epochs"]
    passes = 3 * samples * spec["epochs"]  # forward and backward
    compute = passes * (cost.multiply_adds / MULTIPLY_ADDS_PER_SECOND + cost.activations * SECONDS_PER_ELEMENT)
    on_tensorflow = steps * len(spec["layers"]) * SECONDS_PER_LAYER_STEP + compute
    backend = backend or job_backend(config, spec)
    return JOB_START_SECONDS + on_tensorflow * speed_ratio(model_family(spec["layers"]), backend) * ratio


def _images(config: dict, name: str) -> int:
    """Images of a data set across its splits, roughly: a tenth more than its training images."""
    return int(dataset(config, name).train_samples() * 1.17)


@dataclass(frozen=True)
class Plan:
    """Single-core seconds and rank of every job the config implies, by job: ("train", experiment,
    pass, sweep point or None, seed), ("features", key), ("arrays", key) or ("download", data set)."""

    seconds: dict[tuple, float]
    ranks: dict[tuple, float]
    backends: dict[tuple, str] = dataclasses.field(default_factory=dict)  # a training job's engine
    precisions: dict[tuple, str] = dataclasses.field(default_factory=dict)  # and its precision

    @property
    def work(self) -> float:
        return sum(self.seconds.values())

    def priority(self, *job) -> float:
        """The job's rank as Snakemake's priority (0 for a job the config does not imply), to the
        millisecond: short jobs of a tiny config still come in order."""
        return round(self.ranks.get(job, 0.0), 3)

    def threads(self, cores: int, *job) -> int:
        """Threads for the job on a run of ``cores`` cores: its share of the work, 1 to ``cores``."""
        work = self.work
        if cores <= 1 or work <= 0 or job not in self.seconds:
            return 1
        return max(1, min(cores, round(cores * self.seconds[job] / work)))


def training_specs(config: dict) -> dict[tuple, dict]:
    jobs = {("train", e, p, None, s): pass_settings(config, e, p) for e, p, s in pass_jobs(config)}
    for e, p, pt in every_point(config):
        for s in seeds(config, e, p):
            jobs[("train", e, p, pt, s)] = point_settings(config, e, p, pt)
    return jobs


def plan(config: dict) -> Plan:
    """Every job's estimated seconds and its rank: own seconds plus the largest rank among the jobs
    that read its output (trainings, then features, arrays, downloads)."""
    seconds: dict[tuple, float] = {}
    ranks: dict[tuple, float] = {}
    below: dict[tuple, float] = {}  # job -> the largest rank among the jobs that read its output

    def feeds(job: tuple, rank: float) -> None:
        below[job] = max(below.get(job, 0.0), rank)

    data_set: dict[str, str] = {}  # arrays or features key -> its data set
    source: dict[str, str] = {}  # features key -> the arrays key it is computed from
    per_image: dict[str, float] = {}  # features key -> seconds per image of its representation
    backends: dict[tuple, str] = {}
    chosen: dict[tuple, str] = {}
    for job, spec in training_specs(config).items():
        backends[job] = job_backend(config, spec)
        label = f"{job[1]}/{job[2]}"
        chosen[job] = job_precision(config, spec, label, backends[job])
        ratio = precisions.speed_ratio(spec, label, backends[job], chosen[job],
                                       config["datasets"][spec["input"]["dataset"]])
        seconds[job] = ranks[job] = train_seconds(config, spec, backends[job], ratio)
        key = arrays_key(config, spec["input"])
        data_set[key] = spec["input"]["dataset"]
        if feature := features_key(config, spec["input"]):
            feeds(("features", feature), ranks[job])
            data_set[feature] = data_set[key]
            source[feature] = key
            per_image[feature] = representation(spec["input"]["representation"]).seconds_per_image
        else:
            feeds(("arrays", key), ranks[job])
    for job in [j for j in below if j[0] == "features"]:
        seconds[job] = per_image[job[1]] * _images(config, data_set[job[1]])
        ranks[job] = seconds[job] + below[job]
        feeds(("arrays", source[job[1]]), ranks[job])
    for job in [j for j in below if j[0] == "arrays"]:
        name = data_set[job[1]]
        if config["datasets"][name]["family"] == "image_folder":
            seconds[job] = DECODE_SECONDS_PER_IMAGE * _images(config, name)
        ranks[job] = seconds.get(job, ARRAYS_SECONDS) + below[job]
        feeds(("download", name), ranks[job])
    for job in [j for j in below if j[0] == "download"]:
        ranks[job] = DOWNLOAD_SECONDS + below[job]
    return Plan(seconds, ranks, backends, chosen)
