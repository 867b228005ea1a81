from snakemake.utils import validate

from lab04.config import check_config, hog_key, pass_settings, passes, seeds


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
