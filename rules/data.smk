# Data: every data set a pass uses becomes one cached arrays file, results/data/<arrays key>.npz
# (x_/y_ per split), by the rules of its family (lab04/data/datasets.py). A new data set of a known
# family is a config entry only; a new family adds its rules here and its entry in FAMILIES.

# Downloads and arrays may come from Snakemake's between-workflow cache (`cache:`, used with --cache and
# SNAKEMAKE_OUTPUT_CACHE; docs/clusters.md, "A shared cache"), so these rules have no `benchmark:` (Snakemake
# refuses both on one rule); the decoding job writes its own record (lab04/usage.py).

# Downloads take no code fingerprint: a pinned checksum, not the code that fetched it, decides what a
# download holds, so a change in lab04/data/download.py must not redo them and retrain every pass.

from lab04.data.datasets import carve_fraction, carve_groups, dataset, datasets_of_family
from lab04.data.sources import (
    archive_identity,
    idx_downloads,
    image_folder_archive,
    image_folder_digest,
)
from lab04.paths import download_file
from lab04.train.resources import decoding_resources

# Data sets whose files the generic `download` rule fetches (their family lists them).
DOWNLOADED = [name for name in config["datasets"] if dataset(config, name).files()]
# Per-file digests survive between runs here, so planning rereads only files that changed.
DIGEST_CACHE = ".snakemake/lab04/content-digests.json"


rule download:
    # One checksummed file of an idx or medmnist data set. The mirror list is deliberately not a
    # param: where a file came from is not a setting, its pinned checksum is. Switching DATA_MIRROR
    # must not re-download or retrain anything.
    output:
        download_file("{dataset}", "{filename}"),
    log:
        "results/logs/download/{dataset}/{filename}.log",
    wildcard_constraints:
        dataset=one_of(DOWNLOADED),
    # --cache: shared between checkouts (docs/clusters.md, "A shared cache"); the checksum decides, not the software
    cache: cached("omit-software")
    # a download is ranked by the longest chain of work behind it (lab04/schedule.py)
    priority: lambda wc: SCHEDULE.priority("download", wc.dataset)
    conda:
        ENV
    resources:
        mem_mb=500,
        runtime=10,
    params:
        checksums=lambda wc: dataset(config, wc.dataset).files()[wc.filename],
    script:
        "../scripts/download.py"


rule idx_arrays:
    # The four IDX files of MNIST, Fashion-MNIST and the like, checked and optionally subset.
    input:
        unpack(lambda wc: idx_downloads(wc.dataset, config["datasets"][wc.dataset])),
    output:
        "results/data/{dataset}.npz",
    log:
        "results/logs/data/{dataset}.log",
    wildcard_constraints:
        dataset=one_of(datasets_of_family(config, "idx")),
    cache: cached()
    priority: lambda wc: SCHEDULE.priority("arrays", wc.dataset)
    conda:
        ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("idx_arrays.py"),
        n_classes=lambda wc: dataset(config, wc.dataset).n_classes,
        image_shape=lambda wc: config["datasets"][wc.dataset]["image_shape"],
        limit_train=lambda wc: config["datasets"][wc.dataset].get("limit_train"),
        limit_test=lambda wc: config["datasets"][wc.dataset].get("limit_test"),
    script:
        "../scripts/idx_arrays.py"


rule medmnist_arrays:
    # MedMNIST's train/val/test_images and _labels under the x_/y_ names every pass reads.
    input:
        lambda wc: download_file(wc.dataset, config["datasets"][wc.dataset]["name"]),
    output:
        "results/data/{dataset}.npz",
    log:
        "results/logs/data/{dataset}.log",
    wildcard_constraints:
        dataset=one_of(datasets_of_family(config, "medmnist")),
    cache: cached()
    priority: lambda wc: SCHEDULE.priority("arrays", wc.dataset)
    conda:
        ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("medmnist_arrays.py"),
        n_classes=lambda wc: dataset(config, wc.dataset).n_classes,
    script:
        "../scripts/medmnist_arrays.py"


rule download_image_folder:
    # Only planned when the images are reachable by URL alone (no local folder, zip or mirror).
    output:
        download_file("{dataset}", "archive.zip"),
    log:
        "results/logs/download/{dataset}.log",
    wildcard_constraints:
        dataset=one_of(datasets_of_family(config, "image_folder")),
    cache: cached("omit-software")
    priority: lambda wc: SCHEDULE.priority("download", wc.dataset)
    conda:
        ENV
    resources:
        mem_mb=500,
        runtime=60,
    params:
        sha256=lambda wc: config["datasets"][wc.dataset].get("sha256"),
        # with no pinned checksum, what the server says of the content (never its address) identifies it
        content=lambda wc: archive_identity(
            wc.dataset,
            config["datasets"][wc.dataset],
            config.get("data_mirror"),
            config["download_timeout"],
        ),
    script:
        "../scripts/download_image_folder.py"


rule image_folder_arrays:
    # Decode, check and resize the images once; every pass at this size reads the cached arrays.
    input:
        lambda wc: image_folder_archive(wc.dataset, config["datasets"][wc.dataset], config.get("data_mirror")),
    output:
        # one prefix, so that --cache can keep both files of the job
        multiext("results/data/{dataset}_{size}px_{val}", arrays=".npz", info=".json"),
    log:
        log="results/logs/data/{dataset}_{size}px_{val}.log",
        # the job's own benchmark record (lab04/usage.py): a rule that --cache may skip has no benchmark:
        usage="results/benchmarks/data/{dataset}_{size}px_{val}.tsv",
    wildcard_constraints:
        dataset=one_of(datasets_of_family(config, "image_folder")),
    cache: cached()
    # ranked by the longest chain of work behind it (lab04/schedule.py)
    priority: lambda wc: SCHEDULE.priority("arrays", f"{wc.dataset}_{wc.size}px_{wc.val}")
    conda:
        ENV
    threads: lambda wc: helper_threads("arrays", f"{wc.dataset}_{wc.size}px_{wc.val}")
    resources:
        mem_mb=lambda wc: decoding_resources(wc.size)["mem_mb"],
        runtime=lambda wc: decoding_resources(wc.size)["runtime"],
    params:
        code=code("image_folder_arrays.py"),
        source=lambda wc: image_folder_digest(config["datasets"][wc.dataset], config.get("data_mirror"), DIGEST_CACHE),
        classes=lambda wc: dataset(config, wc.dataset).classes,
        size=lambda wc: int(wc.size),
        val_fraction=lambda wc: carve_fraction(wc.val),
        group_pattern=lambda wc: carve_groups(config["datasets"][wc.dataset], wc.val),
        seed=config["seed"],
        limit_per_class=lambda wc: config["datasets"][wc.dataset].get("limit_per_class"),
    script:
        "../scripts/image_folder_arrays.py"
