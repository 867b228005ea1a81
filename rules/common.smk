from snakemake.utils import validate

import functools
import math
import re

import yaml

from lab04.atomic import check_writable
from lab04.config import (check_config, check_config_files, check_schema, pass_settings, passes, report_texts,
                          seeds)
from lab04.data.datasets import dataset, datasets_of_family
from lab04.data.sources import image_folder_source
from lab04.fingerprint import code_fingerprint, content_digest
from lab04.inputs import arrays_key, describe, features_key, input_shape
from lab04.train.model_check import check_models
from lab04.train.resources import model_cost, train_resources


check_config_files(workflow.configfiles)
check_schema(config, yaml.safe_load((Path(workflow.basedir) / "schemas" / "config.schema.yaml").read_text()))
validate(config, "../schemas/config.schema.yaml")  # fills in the schema's defaults
check_config(config)
check_writable("results")
check_models(
    {f"{e}/{p}": {"input_shape": list(input_shape(config, spec["input"])), "layers": spec["layers"],
                  "input_name": spec.get("input_name")}
     for e, p in passes(config) for spec in [pass_settings(config, e, p)]},
    ".snakemake/lab04/models",
)


wildcard_constraints:
    experiment=r"[A-Za-z0-9_]+",
    pass_name=r"[A-Za-z0-9_-]+",
    seed=r"\d+",
    orientations=r"\d+",
    ppc=r"\d+",
    size=r"\d+",
    val=r"official|carve[0-9.]+",


PASS_DIR = "results/{experiment}/{pass_name}/seed{seed}"


def one_of(names):
    """A wildcard constraint matching exactly these names (none: matches nothing)."""
    return "|".join(re.escape(n) for n in names) or "(?!)"


# Data sets whose files the generic `download` rule fetches (their family lists them).
DOWNLOADED = [name for name in config["datasets"] if dataset(config, name).files()]


def idx_downloads(wildcards):
    """The four downloaded IDX files of an idx data set, by role (train_images, ...)."""
    files = config["datasets"][wildcards.dataset]["files"]
    return {role: f"results/downloads/{wildcards.dataset}/{f['name']}" for role, f in files.items()}


def train_inputs(wildcards):
    """The cached files one pass reads: its data set's arrays and, if its representation needs them,
    cached features (lab04/inputs.py)."""
    spec = pass_settings(config, wildcards.experiment, wildcards.pass_name)["input"]
    inputs = {"arrays": f"results/data/{arrays_key(config, spec)}.npz"}
    if key := features_key(config, spec):
        inputs["features"] = f"results/features/{key}.npz"
    return inputs


def code(script):
    """Fingerprint of the lab04 modules a rule's script runs. Rules take it as a param, so editing
    package code reruns exactly the rules that run it (Snakemake's own code trigger sees the script only)."""
    return code_fingerprint(Path(workflow.basedir) / "scripts" / script)


# Per-file digests survive between runs here, so planning rereads only files that changed.
DIGEST_CACHE = ".snakemake/lab04/content-digests.json"


def image_folder_location(name):
    """('local', path) or ('url', address) of an image-folder data set (lab04/data/sources.py)."""
    return image_folder_source(config["datasets"][name], config.get("data_mirror"))


@functools.cache
def image_folder_content(name):
    """Digest of a local image folder or zip: its content, not its path, decides whether the decoded
    arrays are stale. None when the images come by URL (the download rule tracks those)."""
    where, location = image_folder_location(name)
    if where != "local" or not Path(location).exists():
        return None  # the job itself reports a missing source, with the fix
    return content_digest(location, DIGEST_CACHE)


@functools.cache
def _train_estimate(experiment, pass_name):
    spec = pass_settings(config, experiment, pass_name)
    cost = model_cost(input_shape(config, spec["input"]), spec["layers"])
    samples = dataset(config, spec["input"]["dataset"]).train_samples()
    return cost, samples, spec["epochs"], spec["batch_size"]


def gpu_resources():
    """The SLURM plugin's gpu request of a training job, when config asks for GPUs."""
    gpu = config.get("gpu", {})
    if not gpu.get("count"):
        return {}
    return {"gpu": gpu["count"], **({"gpu_model": gpu["model"]} if gpu.get("model") else {})}


def train_threads(wildcards):
    """The pass's TensorFlow threads: what Snakemake reserves (and SLURM's --cpus-per-task) for the job."""
    return pass_settings(config, wildcards.experiment, wildcards.pass_name)["threads"]


def image_folder_download(wildcards):
    """The archive to download first, when an image-folder data set is only reachable by URL."""
    where, _ = image_folder_location(wildcards.dataset)
    return [f"results/downloads/{wildcards.dataset}/archive.zip"] if where == "url" else []


def every_pass_output():
    """Every file each training job writes: targets of `all`, so a deleted or interrupted pass output
    is redone by the next run even when the report downstream of it still exists."""
    names = [Path(f).name for f in rules.train.output]
    return [f for name in names for f in pass_outputs(name)]


def pass_outputs(name):
    """One output file of every (experiment, pass, seed) job."""
    return [
        f"{PASS_DIR}/{name}".format(experiment=e, pass_name=p, seed=s)
        for e, p in passes(config)
        for s in seeds(config)
    ]


PRIMARY_SEED = seeds(config)[0]
TABLES = ["pass_summary", "class_errors", "confused_pairs", "confusion_long", "histories", "runtimes",
          "comparisons"]


def feature_files():
    """Every distinct cached features file (its key) some pass reads."""
    keys = (features_key(config, pass_settings(config, e, p)["input"]) for e, p in passes(config))
    return list(dict.fromkeys(k for k in keys if k))


def image_folder_inputs(section=None):
    """Every distinct decoded image-folder arrays file (its key) some pass reads, with its input spec."""
    specs = (pass_settings(config, e, p)["input"] for e, p in passes(config, section))
    return {arrays_key(config, spec): spec for spec in specs
            if config["datasets"][spec["dataset"]]["family"] == "image_folder"}


def train_requests(experiment, pass_name, attempt=1):
    """Memory (MB) and wall time (minutes) a training job asks for, from its pass (lab04/train/resources.py)."""
    return train_resources(*_train_estimate(experiment, pass_name), attempt=attempt)


# Measured on the full data (results/tables/runtimes.csv): HOG of 70,000 images at most 45 s and
# 500 MB with 2 processes; decoding 5,856 X-rays at 128 px 6 s and 300 MB. Padded for slower nodes.
HOG_RESOURCES = {"mem_mb": 1000, "runtime": 15}
# Above every training job's priority (its estimated minutes): features and arrays come first.
FEEDER_PRIORITY = 10_000


def image_folder_resources(size):
    """Decoding scales with the pixels kept: 5,856 images of size x size bytes, a few copies."""
    return {"mem_mb": 1000 + 100 * math.ceil(6000 * int(size) ** 2 * 4 / 1e8), "runtime": 20}


def benchmark_jobs():
    """Benchmark files of the training and feature jobs, each with a label and what the job asked for."""
    jobs = {
        f"{PASS_DIR}/benchmark.tsv".format(experiment=e, pass_name=p, seed=s): {
            "job": f"train {e}/{p} seed {s}", **train_requests(e, p)}
        for e, p in passes(config)
        for s in seeds(config)
    }
    for key in feature_files():
        jobs[f"results/benchmarks/features/{key}.tsv"] = {"job": f"hog_features {key}", **HOG_RESOURCES}
    for key, spec in image_folder_inputs().items():
        jobs[f"results/benchmarks/data/{key}.tsv"] = {"job": f"image_folder_arrays {key}",
                                                      **image_folder_resources(spec["size"])}
    return jobs


def plot_files(plot):
    """One plot (curves or confusion) of every pass, in config order."""
    return [f"results/plots/{e}/{p}/{plot}.svg" for e, p in passes(config)]


def template_files():
    """The section partials and macros: inputs of the report, so editing one re-renders it."""
    return sorted(str(p) for p in TEMPLATES.rglob("*.j2"))


@functools.cache
def pass_inputs():
    """What each pass reads, in words and names, for the report: plain values, so a changed class
    name or description re-renders the report without retraining."""
    out = {}
    for e, p in passes(config):
        spec = pass_settings(config, e, p)["input"]
        data = dataset(config, spec["dataset"])
        out[f"{e}/{p}"] = {"dataset": data.name, "dataset_title": data.title, "classes": data.classes,
                           "description": describe(config, spec), "arrays_key": arrays_key(config, spec)}
    return out


PNEUMONIA_PASSES = passes(config, "pneumonia")


def pneumonia_report_inputs():
    """The pneumonia section's tables and figures, and the data records of its image-folder inputs,
    by name (empty when no experiment is in that section)."""
    if not PNEUMONIA_PASSES:
        return {}
    return {
        "pneumonia_metrics": "results/tables/pneumonia_metrics.csv",
        "pneumonia_summary": "results/tables/pneumonia_summary.json",
        "pneumonia_roc": "results/plots/pneumonia/roc.svg",
        "pneumonia_sweep": "results/plots/pneumonia/sweep.svg",
        "pneumonia_data": [f"results/data/{k}.json" for k in image_folder_inputs("pneumonia")],
    }
