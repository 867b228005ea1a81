"""Where the workflow keeps what several parts read: the rules, the benchmark script and the tests take
these patterns from here instead of spelling the paths again. Relative to the working directory."""

# One training job: one (experiment, pass, seed).
PASS_DIR = "results/{experiment}/{pass_name}/seed{seed}"

# One point of a pass's sweep (lab04/sweeps.py): the same files as a pass, one level down.
POINT_DIR = "results/{experiment}/{pass_name}/sweep/{point}/seed{seed}"


def arrays_file(key: str) -> str:
    """A data set's cached arrays (lab04/inputs.py, ``arrays_key``)."""
    return f"results/data/{key}.npz"


def features_file(key: str) -> str:
    """Cached features of one representation setting (lab04/inputs.py, ``features_key``)."""
    return f"results/features/{key}.npz"


def job_keys(labels: list[str]) -> list[tuple[str, str, int]]:
    """'experiment/pass/seed' labels (the rules' ``pass_keys`` params) as (experiment, pass, seed)."""
    return [(e, p, int(s)) for e, p, s in (label.split("/") for label in labels)]
