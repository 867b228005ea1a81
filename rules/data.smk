MNIST_SHA256 = {spec["name"]: spec["sha256"] for spec in config["mnist"]["files"].values()}


rule download_mnist:
    # The mirror list is deliberately not a param: where a file came from is not a setting, its
    # pinned checksum is. Switching DATA_MIRROR must not re-download or retrain anything.
    output:
        "results/downloads/mnist/{filename}",
    wildcard_constraints:
        filename="|".join(MNIST_SHA256),
    params:
        sha256=lambda wc: MNIST_SHA256[wc.filename],
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/download/{filename}.log",
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
        limit_train=config["mnist"].get("limit_train"),
        limit_test=config["mnist"].get("limit_test"),
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/data/mnist_arrays.log",
    script:
        "../scripts/mnist_arrays.py"
