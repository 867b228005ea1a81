# Train: one job per (experiment, pass, seed), writing results/<experiment>/<pass>/seed<N>/, and one
# per point of a pass's sweep, writing results/<experiment>/<pass>/sweep/<point>/seed<N>/.


rule train:
    # `settings` holds only that job's plain values, so editing one pass in config reruns that pass
    # alone (and a sweep point only when its own settings change). With gradient shards the thread
    # count is a resource, not a setting: a new --cores reruns nothing.
    input:
        unpack(train_inputs),
    output:
        **job_files(PASS_DIR),
    log:
        f"{PASS_DIR}/train.log",
    benchmark:
        f"{PASS_DIR}/benchmark.tsv"
    # longest first (the 7x7 CNN alone is ~40 % of the work): short jobs then fill the other cores
    priority: lambda wc: SCHEDULE.priority(*train_job(wc))
    conda:
        "../envs/lab04.yaml"
    threads: train_threads
    resources:
        **gpu_resources(),
        # estimated from the pass (samples, epochs, layer sizes): see lab04/train/resources.py;
        # a retry asks for more of both
        mem_mb=lambda wc, attempt: job_requests(wc, attempt)["mem_mb"],
        runtime=lambda wc, attempt: job_requests(wc, attempt)["runtime"],
    params:
        code=code("train.py"),
        settings=lambda wc: trained_settings(job_settings(wc)),
        seed=lambda wc: int(wc.seed),
        n_classes=train_classes,
    script:
        "../scripts/train.py"


# A sweep point (a Paramspace instance, lab04/sweeps.py) is trained by the same rule in its own directory.
use rule train as train_sweep with:
    output:
        **job_files(POINT_DIR),
    log:
        f"{POINT_DIR}/train.log",
    benchmark:
        f"{POINT_DIR}/benchmark.tsv"
