MNIST_SHA256 = {spec["name"]: spec["sha256"] for spec in config["mnist"]["files"].values()}


# Downloads take no code fingerprint: a pinned checksum, not the code that fetched it, decides what a
# download holds, so a change in lab04/download.py must not redo them and retrain every pass.


rule download_mnist:
    # The mirror list is deliberately not a param: where a file came from is not a setting, its
    # pinned checksum is. Switching DATA_MIRROR must not re-download or retrain anything.
    output:
        "results/downloads/mnist/{filename}",
    wildcard_constraints:
        filename="|".join(MNIST_SHA256),
    params:
        sha256=lambda wc: MNIST_SHA256[wc.filename],
    resources:
        mem_mb=500,
        runtime=10,
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/download/{filename}.log",
    benchmark:
        "results/benchmarks/download/{filename}.tsv"
    script:
        "../scripts/download_mnist.py"


rule mnist_arrays:
    input:
        train_images=mnist_download("train_images"),
        train_labels=mnist_download("train_labels"),
        test_images=mnist_download("test_images"),
        test_labels=mnist_download("test_labels"),
    output:
        MNIST_NPZ,
    params:
        code=code("mnist_arrays.py"),
        limit_train=config["mnist"].get("limit_train"),
        limit_test=config["mnist"].get("limit_test"),
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/data/mnist_arrays.log",
    benchmark:
        "results/benchmarks/data/mnist_arrays.tsv"
    script:
        "../scripts/mnist_arrays.py"


rule download_pneumoniamnist:
    output:
        PNEUMONIAMNIST,
    params:
        checksums=config["pneumoniamnist"]["checksums"],
    resources:
        mem_mb=500,
        runtime=10,
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/download/pneumoniamnist.log",
    benchmark:
        "results/benchmarks/download/pneumoniamnist.tsv"
    script:
        "../scripts/download_pneumoniamnist.py"


rule download_chest_xray:
    # Only planned when the images are reachable by URL alone (no local folder, zip or mirror).
    output:
        f"results/downloads/chest_xray/{config['chest_xray']['archive_name']}",
    params:
        sha256=config["chest_xray"].get("sha256"),
        # with no pinned checksum the address is all that identifies the archive
        url=lambda wc: None if config["chest_xray"].get("sha256") else chest_xray_source(config)[1],
    resources:
        mem_mb=500,
        runtime=60,
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/download/chest_xray.log",
    benchmark:
        "results/benchmarks/download/chest_xray.tsv"
    script:
        "../scripts/download_chest_xray.py"


rule chest_xray_arrays:
    # Decode, check and resize the JPEGs once; every pass at this size reads the cached arrays.
    input:
        chest_xray_download,
    output:
        arrays="results/data/chest_xray_{size}px_{val}.npz",
        info="results/data/chest_xray_{size}px_{val}.json",
    params:
        code=code("chest_xray_arrays.py"),
        source=lambda wc: chest_xray_content(),
        size=lambda wc: int(wc.size),
        val_fraction=lambda wc: float(wc.val.removeprefix("carve")) if wc.val != "official" else None,
        seed=config["seed"],
        limit_per_class=config["chest_xray"].get("limit_per_class"),
    # a minute of work that many training jobs wait for
    priority: FEEDER_PRIORITY
    threads: config["threads"]["hog"]
    resources:
        mem_mb=lambda wc: xray_resources(wc.size)["mem_mb"],
        runtime=lambda wc: xray_resources(wc.size)["runtime"],
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/data/chest_xray_{size}px_{val}.log",
    benchmark:
        "results/benchmarks/data/chest_xray_{size}px_{val}.tsv"
    script:
        "../scripts/chest_xray_arrays.py"
