from snakemake.utils import validate

from lab04.config import check_config, hog_key, pass_settings, passes, seeds
from lab04.shapes import input_shape


validate(config, "../schemas/config.schema.yaml")
check_config(config)


wildcard_constraints:
    experiment=r"[A-Za-z0-9_]+",
    pass_name=r"[A-Za-z0-9_-]+",
    seed=r"\d+",
    orientations=r"\d+",
    ppc=r"\d+",


MNIST_NPZ = "results/data/mnist.npz"
PASS_DIR = "results/{experiment}/{pass_name}/seed{seed}"


def mnist_download(key):
    return f"results/downloads/mnist/{config['mnist']['files'][key]['name']}"


def hog_path(orientations, ppc):
    return f"results/features/hog_o{orientations}_p{ppc}.npz"


def train_inputs(wildcards):
    """The arrays one pass reads: MNIST always (labels), plus its cached HOG file if it uses one."""
    inputs = {"mnist": MNIST_NPZ}
    key = hog_key(pass_settings(config, wildcards.experiment, wildcards.pass_name)["input"])
    if key:
        inputs["features"] = hog_path(*key)
    return inputs


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


def benchmark_jobs():
    """Benchmark files of the training and feature jobs, with a label for each."""
    jobs = {
        f"{PASS_DIR}/benchmark.tsv".format(experiment=e, pass_name=p, seed=s): f"train {e}/{p} seed {s}"
        for e, p in passes(config)
        for s in seeds(config)
    }
    for o, c in hog_settings():
        jobs[f"results/benchmarks/features/hog_o{o}_p{c}.tsv"] = f"hog_features o={o} ppc={c}"
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
            "passes": {p: {k: v for k, v in spec.items() if k in keep} for p, spec in exp["passes"].items()},
        }
        for name, exp in config["experiments"].items()
    }
