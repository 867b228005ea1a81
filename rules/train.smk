# Train: one job per (experiment, pass, seed), writing results/<experiment>/<pass>/seed<N>/.

rule train:
    # One job per (experiment, pass, seed). `settings` holds only that pass's plain values, so
    # editing one pass in config reruns that pass alone.
    input:
        unpack(train_inputs),
    output:
        model=f"{PASS_DIR}/model.keras",
        history=f"{PASS_DIR}/history.csv",
        scores=f"{PASS_DIR}/scores.json",
        predictions=f"{PASS_DIR}/predictions.csv",
        val_predictions=f"{PASS_DIR}/val_predictions.csv",
        confusion=f"{PASS_DIR}/confusion.csv",
        layers=f"{PASS_DIR}/layers.csv",
        summary=f"{PASS_DIR}/summary.txt",
    params:
        code=code("train.py"),
        settings=lambda wc: pass_settings(config, wc.experiment, wc.pass_name),
        seed=lambda wc: int(wc.seed),
        n_classes=lambda wc: dataset(config, pass_settings(config, wc.experiment, wc.pass_name)["input"]["dataset"]).n_classes,
    threads: train_threads
    # longest first (the 7x7 CNN alone is ~45 % of the work): short jobs then fill the other cores
    priority: lambda wc: train_requests(wc.experiment, wc.pass_name)["runtime"]
    resources:
        # estimated from the pass (samples, epochs, layer sizes): see lab04/train/resources.py;
        # a retry asks for more of both
        mem_mb=lambda wc, attempt: train_requests(wc.experiment, wc.pass_name, attempt)["mem_mb"],
        runtime=lambda wc, attempt: train_requests(wc.experiment, wc.pass_name, attempt)["runtime"],
        **gpu_resources(),
    conda:
        "../envs/lab04.yaml"
    log:
        f"{PASS_DIR}/train.log",
    benchmark:
        f"{PASS_DIR}/benchmark.tsv"
    script:
        "../scripts/train.py"
