"""The jobs a config plans, as plain values, for the rules files (rules/train.smk, aggregate.smk): every
training job of a pass or a sweep point with its settings, inputs, output files and cluster requests,
and the timed jobs the runtimes table shows.

Functions of a training job take Snakemake's wildcards (``experiment``, ``pass_name``, ``seed`` and, for
a sweep point, ``point``) or the same names as arguments. No TensorFlow: all of this runs while planning.
"""

from __future__ import annotations

from lab04.config import pass_jobs, pass_settings, seeds
from lab04.data.datasets import dataset
from lab04.inputs import arrays_key, features_key, input_shape
from lab04.keys import JobKey, PointKey
from lab04.pass_inputs import feature_jobs, image_folder_inputs
from lab04.paths import arrays_file, features_file
from lab04.schedule import job_backend, job_precision
from lab04.sweeps import every_point, point_settings, sweep_points
from lab04.train.resources import (
    FEATURES_RESOURCES,
    MAX_GAINING_THREADS,
    decoding_resources,
    model_cost,
    shard_count,
    train_resources,
)

# What one training job writes, by name (the keys scripts/train.py reads from snakemake.output).
PASS_FILES = {
    "model": "model.keras",
    "history": "history.csv",
    "scores": "scores.json",
    "predictions": "predictions.csv",
    "val_predictions": "val_predictions.csv",
    "confusion": "confusion.csv",
    "layers": "layers.csv",
    "summary": "summary.txt",
}


def job_files(directory: str) -> dict[str, str]:
    """The files of one training job in ``directory`` (PASS_DIR or POINT_DIR), by name."""
    return {name: f"{directory}/{file}" for name, file in PASS_FILES.items()}


def pass_job_keys(config: dict, section: str | None = None) -> list[JobKey]:
    """Every training job of a pass (of one report section), in config order."""
    return [JobKey(e, p, s) for e, p, s in pass_jobs(config, section)]


def point_job_keys(config: dict) -> list[PointKey]:
    """Every training job of a sweep point, every seed, in config order."""
    return [PointKey(e, p, pt, s) for e, p, pt in every_point(config) for s in seeds(config, e, p)]


def pass_outputs(config: dict, name: str, section: str | None = None) -> list[str]:
    """One output file of every pass's training jobs (of one report section)."""
    return [key.file(name) for key in pass_job_keys(config, section)]


def sweep_outputs(config: dict, name: str) -> list[str]:
    """One output file of every sweep point's training jobs."""
    return [key.file(name) for key in point_job_keys(config)]


def every_job_output(config: dict) -> list[str]:
    """Every file each training job writes: targets of `all`, so a deleted or interrupted pass output
    is redone by the next run even when the report downstream of it still exists."""
    return [f for name in PASS_FILES.values() for f in pass_outputs(config, name) + sweep_outputs(config, name)]


def _point(wildcards) -> str | None:
    """The sweep point of a training job's wildcards (None for a pass's own job)."""
    return getattr(wildcards, "point", None)


def job_settings(config: dict, wildcards) -> dict:
    """What one training job trains with: its pass's settings, or those of one point of its sweep, with
    `backend: auto` (lab04/train/engines.py), `precision: auto` (lab04/train/precision.py) and `shards: auto`
    (lab04/train/resources.py) resolved, so a run records the engine, precision and count it trained with, and
    a change of any retrains the job."""
    return _settings(config, wildcards.experiment, wildcards.pass_name, _point(wildcards))


def _settings(config: dict, experiment: str, pass_name: str, point: str | None) -> dict:
    settings = (point_settings(config, experiment, pass_name, point) if point
                else pass_settings(config, experiment, pass_name))
    backend = job_backend(config, settings)
    precision = job_precision(config, settings, f"{experiment}/{pass_name}", backend)
    settings = {**settings, "backend": backend, "precision": precision}
    return {**settings, "shards": shard_count(input_shape(config, settings["input"]), settings)}


def train_inputs(config: dict, wildcards) -> dict[str, str]:
    """The cached files one job reads: its data set's arrays and, if its representation needs them,
    cached features (lab04/inputs.py)."""
    spec = job_settings(config, wildcards)["input"]
    inputs = {"arrays": arrays_file(arrays_key(config, spec))}
    if key := features_key(config, spec):
        inputs["features"] = features_file(key)
    return inputs


def train_classes(config: dict, wildcards) -> int:
    return dataset(config, job_settings(config, wildcards)["input"]["dataset"]).n_classes


def schedule_name(wildcards) -> tuple:
    """The training job of these wildcards as lab04/schedule.py names it."""
    return ("train", wildcards.experiment, wildcards.pass_name, _point(wildcards), int(wildcards.seed))


def train_threads(config: dict, wildcards, share: int) -> int:
    """What Snakemake reserves for the job (SLURM's --cpus-per-task), and what scripts/train.py gives
    TensorFlow: a pinned `threads` setting, or with `auto` the job's ``share`` of the run's cores
    (lab04/schedule.py), at most one per gradient shard (a job cannot run more slices side by side than it
    has; with one shard, one thread keeps its numbers the same on any machine's size)."""
    settings = job_settings(config, wildcards)
    if settings["threads"] != "auto":
        return settings["threads"]
    return min(share, settings["shards"])


def unused_cores(config: dict, reserved: int | None) -> str | None:
    """A note when ``--set-threads train=N`` reserves more cores than trainings can use: a pass with
    ``threads: auto`` trains on one thread per gradient shard at most (so that its numbers are the same on
    any machine), and the rest of what Snakemake reserved for it would stay idle without a word."""
    reserved = getattr(reserved, "value", reserved)  # as Snakemake holds it: a Resource
    if not isinstance(reserved, int) or reserved <= 1:
        return None
    idle = {}
    # each pass and sweep point once: its seeds train alike
    jobs = dict.fromkeys([(e, p, None) for e, p, _ in pass_jobs(config)] + every_point(config))
    for experiment, pass_name, point in jobs:
        settings = _settings(config, experiment, pass_name, point)  # as the job trains: shards resolved
        uses = settings["threads"] if settings["threads"] != "auto" else min(reserved, settings["shards"])
        if uses < reserved:
            idle.setdefault(uses, []).append(f"{experiment}/{pass_name}" + (f" ({point})" if point else ""))
    if not idle:
        return None
    lines = []
    for uses, names in sorted(idle.items()):
        listed = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        lines.append(
            f"note: --set-threads train={reserved} reserves {reserved} cores for each training, but "
            f"{len(names)} pass{'es' if len(names) != 1 else ''} train{'s' if len(names) == 1 else ''} on {uses} "
            f"thread{'s' if uses != 1 else ''} ({listed}): with threads: auto a pass uses one thread per gradient "
            f"shard, so that its numbers are the same on any machine, and the rest of its cores stay idle. To use "
            f"them, set training.shards: {reserved} (TensorFlow; the numbers stay independent of the thread count) "
            f"or threads: {reserved} (the numbers then depend on it), or leave --set-threads out.")
    return "\n".join(lines)


def train_requests(config: dict, experiment: str, pass_name: str, attempt: int = 1,
                   point: str | None = None, threads: int = 1) -> dict:
    """Memory (MB) and wall time (minutes) a training job on ``threads`` threads asks for
    (lab04/train/resources.py); a retry (``attempt``) asks for more of both."""
    return train_resources(*_training_size(config, experiment, pass_name, point), attempt=attempt, threads=threads)


def _training_size(config: dict, experiment: str, pass_name: str, point: str | None) -> tuple:
    """What a training job's requests are estimated from: its model's cost, samples, epochs, batch size."""
    spec = _settings(config, experiment, pass_name, point)
    cost = model_cost(input_shape(config, spec["input"]), spec["layers"])
    return cost, dataset(config, spec["input"]["dataset"]).train_samples(), spec["epochs"], spec["batch_size"]


def gpu_resources(config: dict) -> dict:
    """The SLURM plugin's gpu request of a training job, when config asks for GPUs."""
    gpu = config.get("gpu", {})
    if not gpu.get("count"):
        return {}
    return {"gpu": gpu["count"], **({"gpu_model": gpu["model"]} if gpu.get("model") else {})}


def sweep_jobs(config: dict) -> list[dict]:
    """Each sweep job's keys and swept values, in the order of sweep_outputs()."""
    return [{"experiment": k.experiment, "pass": k.pass_name, "point": k.point, "seed": k.seed,
             **sweep_points(config, k.experiment, k.pass_name)[k.point]} for k in point_job_keys(config)]


def _requests_by_threads(config: dict, experiment: str, pass_name: str, point: str | None = None) -> dict:
    """A training job's memory request, and its time request for each thread count it may get (the
    same from MAX_GAINING_THREADS on): the runtimes table shows the one of the threads the job ran on."""
    size = _training_size(config, experiment, pass_name, point)
    runtime = {n: train_resources(*size, threads=n)["runtime"] for n in range(1, MAX_GAINING_THREADS + 1)}
    return {"mem_mb": train_resources(*size)["mem_mb"], "runtime": runtime}


def timed_jobs(config: dict) -> dict[str, dict]:
    """The training, feature and decoding jobs the runtimes table shows, keyed by the file that marks each
    one done, with a label, what it asked for and its benchmark record: a training job's benchmark.tsv; a
    helper job's own record (lab04/usage.py), which a job fetched from the --cache does not write."""
    jobs = {}
    for key in pass_job_keys(config):
        jobs[key.file("benchmark.tsv")] = {"job": f"train {key.pass_key.label} seed {key.seed}",
                                           "output": key.file("scores.json"), "record": key.file("benchmark.tsv"),
                                           **_requests_by_threads(config, key.experiment, key.pass_name)}
    for key in point_job_keys(config):
        jobs[key.file("benchmark.tsv")] = {"job": f"train {key.label}", "output": key.file("scores.json"),
                                           "record": key.file("benchmark.tsv"),
                                           **_requests_by_threads(config, key.experiment, key.pass_name, key.point)}
    for key in feature_jobs(config):
        jobs[features_file(key)] = {"job": f"features {key}", "output": features_file(key),
                                    "record": f"results/benchmarks/features/{key}.tsv", **FEATURES_RESOURCES}
    for key, spec in image_folder_inputs(config).items():
        jobs[arrays_file(key)] = {"job": f"image_folder_arrays {key}", "output": arrays_file(key),
                                  "record": f"results/benchmarks/data/{key}.tsv", **decoding_resources(spec["size"])}
    return jobs
