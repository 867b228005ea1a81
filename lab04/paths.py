"""Where the workflow keeps what several parts read: the rules, the benchmark script and the tests take
these patterns from here instead of spelling the paths again. Relative to the working directory."""

# One training job: one (experiment, pass, seed).
PASS_DIR = "results/{experiment}/{pass_name}/seed{seed}"

# One point of a pass's sweep (lab04/sweeps.py): the same files as a pass, one level down.
POINT_DIR = "results/{experiment}/{pass_name}/sweep/{point}/seed{seed}"


# What a server said of an unpinned archive's content when it was last downloaded (lab04/data/sources.py).
REMOTE_IDENTITIES = ".snakemake/lab04/remote-identities.json"


def download_file(dataset: str, name: str) -> str:
    """One downloaded file of a data set (checksummed, as fetched)."""
    return f"results/downloads/{dataset}/{name}"


def arrays_file(key: str) -> str:
    """A data set's cached arrays (lab04/inputs.py, ``arrays_key``)."""
    return f"results/data/{key}.npz"


def features_file(key: str) -> str:
    """Cached features of one representation setting (lab04/inputs.py, ``features_key``)."""
    return f"results/features/{key}.npz"



def data_record(key: str) -> str:
    """What decoding an image-folder data set found (counts, sizes, skipped files), beside its arrays."""
    return f"results/data/{key}.json"


def table_file(name: str, ext: str = "csv") -> str:
    """An aggregate table (or summary) under results/tables/."""
    return f"results/tables/{name}.{ext}"


def plot_file(name: str) -> str:
    """A figure under results/plots/ (``name`` may hold folders: ``pneumonia/roc``)."""
    return f"results/plots/{name}.svg"
