from snakemake.utils import validate

from lab04.config import check_config, hog_key, pass_settings, passes, seeds, xray_key
from lab04.shapes import input_shape
from lab04.sources import chest_xray_source


validate(config, "../schemas/config.schema.yaml")
check_config(config)


wildcard_constraints:
    experiment=r"[A-Za-z0-9_]+",
    pass_name=r"[A-Za-z0-9_-]+",
    seed=r"\d+",
    orientations=r"\d+",
    ppc=r"\d+",
    size=r"\d+",
    val=r"official|carve[0-9.]+",


MNIST_NPZ = "results/data/mnist.npz"
PASS_DIR = "results/{experiment}/{pass_name}/seed{seed}"


def mnist_download(key):
    return f"results/downloads/mnist/{config['mnist']['files'][key]['name']}"


def hog_path(orientations, ppc):
    return f"results/features/hog_o{orientations}_p{ppc}.npz"


PNEUMONIAMNIST = f"results/downloads/pneumoniamnist/{config['pneumoniamnist']['name']}"


def train_inputs(wildcards):
    """The arrays one pass reads: MNIST (plus its cached HOG file), chest X-rays or PneumoniaMNIST."""
    spec = pass_settings(config, wildcards.experiment, wildcards.pass_name)["input"]
    if spec["kind"] == "xray":
        return {"xray": f"results/data/{xray_key(spec)}.npz"}
    if spec["kind"] == "pneumoniamnist":
        return {"pneumoniamnist": PNEUMONIAMNIST}
    inputs = {"mnist": MNIST_NPZ}
    key = hog_key(spec)
    if key:
        inputs["features"] = hog_path(*key)
    return inputs


def train_threads(wildcards):
    """An experiment's own thread count, else the global one (a resource, not a setting: no reruns)."""
    return config["experiments"][wildcards.experiment].get("threads", config["threads"]["train"])


def chest_xray_download(wildcards):
    """The archive to download first, when the chest X-rays are only reachable by URL."""
    kind, _ = chest_xray_source(config)
    return [f"results/downloads/chest_xray/{config['chest_xray']['archive_name']}"] if kind == "url" else []


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


def hog_settings():
    """Every distinct (orientations, pixels per cell) some pass uses."""
    keys = (hog_key(pass_settings(config, e, p)["input"]) for e, p in passes(config))
    return list(dict.fromkeys(k for k in keys if k))


def xray_keys(section=None):
    """Every distinct cached chest X-ray array file (see xray_key) some pass uses."""
    keys = (xray_key(pass_settings(config, e, p)["input"]) for e, p in passes(config, section))
    return list(dict.fromkeys(k for k in keys if k))


def benchmark_jobs():
    """Benchmark files of the training and feature jobs, with a label for each."""
    jobs = {
        f"{PASS_DIR}/benchmark.tsv".format(experiment=e, pass_name=p, seed=s): f"train {e}/{p} seed {s}"
        for e, p in passes(config)
        for s in seeds(config)
    }
    for o, c in hog_settings():
        jobs[f"results/benchmarks/features/hog_o{o}_p{c}.tsv"] = f"hog_features o={o} ppc={c}"
    for key in xray_keys():
        jobs[f"results/benchmarks/data/{key}.tsv"] = f"chest_xray_arrays {key}"
    return jobs


def plot_files():
    return [
        f"results/plots/{e}/{p}/{kind}.svg" for e, p in passes(config) for kind in ("curves", "confusion")
    ]


def report_texts():
    """Titles, notes and discussions: report-only text, so editing them reruns the report alone."""
    keep = ("title", "discussion", "note")
    return {
        name: {
            **{k: exp[k] for k in keep if k in exp},
            "section": exp.get("section", "digits"),
            "passes": {p: {k: v for k, v in spec.items() if k in keep} for p, spec in exp["passes"].items()},
        }
        for name, exp in config["experiments"].items()
    }


PNEUMONIA_PASSES = passes(config, "pneumonia")


def pneumonia_report_inputs():
    """The pneumonia section's tables and figures, and the data records of its chest X-ray inputs."""
    if not PNEUMONIA_PASSES:
        return []
    return [
        "results/tables/pneumonia_metrics.csv",
        "results/tables/pneumonia_summary.json",
        "results/plots/pneumonia/roc.svg",
        "results/plots/pneumonia/sweep.svg",
        *(f"results/data/{k}.json" for k in xray_keys("pneumonia")),
    ]
