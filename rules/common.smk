from snakemake.utils import validate

import functools
import math
import re
import sys

from lab04.atomic import check_writable, lock_note
from lab04.config import (
    DEFAULT_SECTION,
    check_config,
    check_config_files,
    check_schema,
    deep_merge,
    own_config_read,
    pass_jobs,
    pass_settings,
    passes,
    read_yaml,
    reading_order,
    report_texts,
    seeds,
    trained_settings,
)
from lab04.data.datasets import dataset, datasets_of_family
from lab04.data.sources import image_folder_source
from lab04.fingerprint import code_fingerprint, content_digest
from lab04.inputs import arrays_key, describe, features_key, input_shape
from lab04.paths import PASS_DIR, POINT_DIR, arrays_file, features_file
from lab04.schedule import plan
from lab04.sweeps import check_sweeps, every_point, point_settings, sweep_points, sweep_spec, sweeps
from lab04.train.model_check import check_models
from lab04.train.resources import model_cost, shard_count, train_resources

check_config_files(workflow.configfiles)
# workflow.configfiles lists the --configfile overlays before the workflow's own config.yaml
OWN_CONFIG = str(WORKFLOW_DIR / "config.yaml")
CONFIG_FILES = [OWN_CONFIG, *(str(f) for f in workflow.configfiles if str(f) != OWN_CONFIG)]
if not own_config_read(OWN_CONFIG, workflow.configfiles):
    # Used as a module: the caller's `config:` is an overlay on this workflow's defaults.
    config = deep_merge(read_yaml(OWN_CONFIG), config)
reading_order(config, CONFIG_FILES)
check_schema(config, read_yaml(WORKFLOW_DIR / "schemas" / "config.schema.yaml"), CONFIG_FILES)
validate(config, "../schemas/config.schema.yaml")  # fills in the schema's defaults
check_config(config)
check_sweeps(config)
check_writable("results")
if workflow.is_main_process and (note := lock_note()):
    print(note, file=sys.stderr)
check_models(
    {
        name: {
            "input_shape": list(input_shape(config, spec["input"])),
            "layers": spec["layers"],
            "input_name": spec.get("input_name"),
            "dataset": spec["input"]["dataset"],
            "n_classes": dataset(config, spec["input"]["dataset"]).n_classes,
            "loss": spec["loss"],
        }
        for name, spec in [
            *((f"{e}/{p}", pass_settings(config, e, p)) for e, p in passes(config)),
            *((f"{e}/{p} sweep point {pt}", point_settings(config, e, p, pt)) for e, p, pt in every_point(config)),
        ]
    },
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
    point=r"[A-Za-z0-9.~_+-]+",


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


def job_files(directory):
    """The files of one training job in ``directory`` (PASS_DIR or POINT_DIR), by name."""
    return {name: f"{directory}/{file}" for name, file in PASS_FILES.items()}


def job_settings(wildcards):
    """What one training job trains with: its pass's settings, or those of one point of its sweep, with
    `shards: auto` resolved (lab04/train/resources.py), so a run records the count it trained with."""
    if "point" in wildcards.keys():
        settings = point_settings(config, wildcards.experiment, wildcards.pass_name, wildcards.point)
    else:
        settings = pass_settings(config, wildcards.experiment, wildcards.pass_name)
    return {**settings, "shards": shard_count(input_shape(config, settings["input"]), settings)}


def cached(mode=True):
    """A rule's `cache:` value: ``mode`` when the run has --cache (README, "A shared cache"), else off, so
    that runs without it do not print Snakemake's notice about every rule eligible for caching."""
    return mode if workflow.enable_cache else False


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
    spec = job_settings(wildcards)["input"]
    inputs = {"arrays": arrays_file(arrays_key(config, spec))}
    if key := features_key(config, spec):
        inputs["features"] = features_file(key)
    return inputs


def code(script):
    """Fingerprint of the lab04 modules a rule's script runs. Rules take it as a param, so editing
    package code reruns exactly the rules that run it (Snakemake's own code trigger sees the script only)."""
    return code_fingerprint(WORKFLOW_DIR / "scripts" / script)


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
def _train_estimate(experiment, pass_name, point=None):
    spec = (
        point_settings(config, experiment, pass_name, point) if point else pass_settings(config, experiment, pass_name)
    )
    cost = model_cost(input_shape(config, spec["input"]), spec["layers"])
    samples = dataset(config, spec["input"]["dataset"]).train_samples()
    return cost, samples, spec["epochs"], spec["batch_size"]


def gpu_resources():
    """The SLURM plugin's gpu request of a training job, when config asks for GPUs."""
    gpu = config.get("gpu", {})
    if not gpu.get("count"):
        return {}
    return {"gpu": gpu["count"], **({"gpu_model": gpu["model"]} if gpu.get("model") else {})}


# Every job's estimated work and rank (lab04/schedule.py): priorities put the longest chain first,
# and `threads: auto` takes a share of the run's cores by work.
SCHEDULE = plan(config)


def run_cores():
    """The cores a job's share is taken of: --cores, at most --max-threads (a cluster node's size)."""
    cores = workflow.global_resources["_cores"]
    cores = getattr(cores, "value", cores) or 1
    return min(cores, workflow.resource_settings.max_threads or cores)


def train_job(wildcards):
    """The training job of these wildcards as lab04/schedule.py names it."""
    return ("train", wildcards.experiment, wildcards.pass_name, wildcards.get("point"), int(wildcards.seed))


def train_threads(wildcards):
    """What Snakemake reserves for the job (SLURM's --cpus-per-task), and what scripts/train.py gives
    TensorFlow: a pinned `threads` setting, or with `auto` the job's share of the run's cores, at most
    one per gradient shard (a job cannot run more slices side by side than it has; with one shard, one
    thread keeps its numbers the same on any machine's size)."""
    settings = job_settings(wildcards)
    if settings["threads"] != "auto":
        return settings["threads"]
    return min(SCHEDULE.threads(run_cores(), *train_job(wildcards)), settings["shards"])


def helper_threads(*job):
    """Processes of a HOG features or decoding job: `threads.hog`, or with `auto` the job's share."""
    threads = config["threads"]["hog"]
    return SCHEDULE.threads(run_cores(), *job) if threads == "auto" else threads


def train_classes(wildcards):
    return dataset(config, job_settings(wildcards)["input"]["dataset"]).n_classes


def job_requests(wildcards, attempt=1):
    """Memory and minutes of one training job, a pass's or a sweep point's."""
    return train_requests(wildcards.experiment, wildcards.pass_name, attempt, wildcards.get("point"))


def image_folder_download(wildcards):
    """The archive to download first, when an image-folder data set is only reachable by URL."""
    where, _ = image_folder_location(wildcards.dataset)
    return [f"results/downloads/{wildcards.dataset}/archive.zip"] if where == "url" else []


def every_pass_output():
    """Every file each training job writes: targets of `all`, so a deleted or interrupted pass output
    is redone by the next run even when the report downstream of it still exists."""
    return [f for name in PASS_FILES.values() for f in pass_outputs(name) + sweep_outputs(name)]


def pass_outputs(name):
    """One output file of every (experiment, pass, seed) job."""
    return [f"{PASS_DIR}/{name}".format(experiment=e, pass_name=p, seed=s) for e, p, s in pass_jobs(config)]


# "experiment/pass/seed" of every training job, in the order of pass_outputs(): rules that read
# per-pass files take these as params, so no key is parsed back out of a path.
PASS_KEYS = [f"{e}/{p}/{s}" for e, p, s in pass_jobs(config)]
# Every pass trains this seed; tables and figures show it when a pass has several.
PRIMARY_SEED = seeds(config)[0]
# The tables rule's outputs; runtimes.csv has its own rule, so a new sweep point redoes only that one.
TABLES = ["pass_summary", "class_errors", "confused_pairs", "confusion_long", "histories", "comparisons"]


def feature_files():
    """Every distinct cached features file (its key) some pass reads."""
    keys = (features_key(config, pass_settings(config, e, p)["input"]) for e, p in passes(config))
    return list(dict.fromkeys(k for k in keys if k))


def image_folder_inputs(section=None):
    """Every distinct decoded image-folder arrays file (its key) some pass reads, with its input spec."""
    specs = (pass_settings(config, e, p)["input"] for e, p in passes(config, section))
    return {
        arrays_key(config, spec): spec
        for spec in specs
        if config["datasets"][spec["dataset"]]["family"] == "image_folder"
    }


def train_requests(experiment, pass_name, attempt=1, point=None):
    """Memory (MB) and wall time (minutes) a training job asks for, from its pass (lab04/train/resources.py)."""
    return train_resources(*_train_estimate(experiment, pass_name, point), attempt=attempt)


# Measured on the full data (results/tables/runtimes.csv): HOG of 70,000 images at most 45 s and
# 500 MB with 2 processes; decoding 5,856 X-rays at 128 px 6 s and 300 MB. Padded for slower nodes.
HOG_RESOURCES = {"mem_mb": 1000, "runtime": 15}


def image_folder_resources(size):
    """Decoding scales with the pixels kept: 5,856 images of size x size bytes, a few copies."""
    return {"mem_mb": 1000 + 100 * math.ceil(6000 * int(size) ** 2 * 4 / 1e8), "runtime": 20}


def benchmark_jobs():
    """The training, feature and decoding jobs the runtimes table shows, keyed by the file that marks each
    one done, with a label, what it asked for and its benchmark record: a training job's benchmark.tsv; a
    helper job's own record (lab04/usage.py), which a job fetched from the --cache does not write."""
    jobs = {}
    for e, p, s in pass_jobs(config):
        bench = f"{PASS_DIR}/benchmark.tsv".format(experiment=e, pass_name=p, seed=s)
        jobs[bench] = {
            "job": f"train {e}/{p} seed {s}",
            "output": f"{PASS_DIR}/scores.json".format(experiment=e, pass_name=p, seed=s),
            "record": bench,
            **train_requests(e, p),
        }
    for job in sweep_jobs():
        e, p, pt, s = job["experiment"], job["pass"], job["point"], job["seed"]
        bench = f"{POINT_DIR}/benchmark.tsv".format(experiment=e, pass_name=p, point=pt, seed=s)
        jobs[bench] = {
            "job": f"train {e}/{p} {pt} seed {s}",
            "output": f"{POINT_DIR}/scores.json".format(experiment=e, pass_name=p, point=pt, seed=s),
            "record": bench,
            **train_requests(e, p, point=pt),
        }
    for key in feature_files():
        jobs[features_file(key)] = {
            "job": f"hog_features {key}",
            "output": features_file(key),
            "record": f"results/benchmarks/features/{key}.tsv",
            **HOG_RESOURCES,
        }
    for key, spec in image_folder_inputs().items():
        jobs[arrays_file(key)] = {
            "job": f"image_folder_arrays {key}",
            "output": arrays_file(key),
            "record": f"results/benchmarks/data/{key}.tsv",
            **image_folder_resources(spec["size"]),
        }
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
        out[f"{e}/{p}"] = {
            "dataset": data.name,
            "dataset_title": data.title,
            "classes": data.classes,
            "description": describe(config, spec),
            "arrays_key": arrays_key(config, spec),
        }
    return out


PNEUMONIA_PASSES = passes(config, "pneumonia")


def chapter_passes():
    """Data set -> its passes ("experiment/pass") in the experiments section: one chapter and one
    comparison chart each. An experiment belongs to the data set of its first pass, as in the report."""
    out = {}
    for experiment, spec in config["experiments"].items():
        if spec.get("section", DEFAULT_SECTION) != DEFAULT_SECTION:
            continue
        names = list(spec["passes"])
        data = pass_settings(config, experiment, names[0])["input"]["dataset"]
        out.setdefault(data, []).extend(f"{experiment}/{p}" for p in names)
    return out


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


def sweep_outputs(name):
    """One output file of every sweep point's job, every seed, in config order."""
    return [
        f"{POINT_DIR}/{name}".format(experiment=e, pass_name=p, point=pt, seed=s)
        for e, p, pt in every_point(config)
        for s in seeds(config, e, p)
    ]


def sweep_jobs():
    """Each sweep job's keys and swept values, in the order of sweep_outputs()."""
    return [
        {"experiment": e, "pass": p, "point": pt, "seed": s, **sweep_points(config, e, p)[pt]}
        for e, p, pt in every_point(config)
        for s in seeds(config, e, p)
    ]


SWEEPS = sweeps(config)
# An earlier run's results/ to compare this one with (make diff BASE=...), absolute; None without one.
DIFF_BASE = str(Path(config["diff_base"]).resolve()) if config.get("diff_base") else None
if DIFF_BASE and not Path(DIFF_BASE, "metrics.csv").is_file():
    raise ValueError(
        f"diff_base: {DIFF_BASE} has no metrics.csv. Give the results/ directory of a finished run, "
        "or a git revision through make diff BASE=<revision>."
    )


def sweep_report_inputs():
    """The sweep table and one plot per sweep, by name (empty when no pass declares a sweep)."""
    if not SWEEPS:
        return {}
    return {
        "sweeps": "results/tables/sweeps.csv",
        "sweep_plots": [f"results/plots/sweeps/{e}/{p}.svg" for e, p in SWEEPS],
    }


def diff_base_metrics(_wildcards):
    if not DIFF_BASE:
        raise ValueError(
            "results/tables/diff.csv compares with an earlier run: make diff BASE=<results directory "
            "or git revision>, or set diff_base in config"
        )
    return f"{DIFF_BASE}/metrics.csv"


def diff_report_inputs():
    """The comparison with the base run, by name (empty without diff_base)."""
    return {"diff": "results/tables/diff.csv"} if DIFF_BASE else {}
