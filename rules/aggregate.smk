# Aggregate: every pass's outputs into pandas tables under results/tables/ (metrics, summaries,
# confusion, histories, runtimes, McNemar comparisons), the depth example and the pneumonia analysis.


rule metrics:
    input:
        pass_outputs("scores.json"),
    output:
        report("results/metrics.csv", caption="../templates/captions/metrics.rst", category="Tables"),
    log:
        "results/logs/aggregate/metrics.log",
    benchmark:
        "results/benchmarks/aggregate/metrics.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("metrics.py"),
    script:
        "../scripts/metrics.py"


rule tables:
    input:
        metrics="results/metrics.csv",
        scores=pass_outputs("scores.json"),
        confusion=pass_outputs("confusion.csv"),
        history=pass_outputs("history.csv"),
        predictions=pass_outputs("predictions.csv"),
    output:
        **{
            name: report(f"results/tables/{name}.csv", caption="../templates/captions/tables.rst", category="Tables")
            for name in TABLES
        },
    log:
        "results/logs/aggregate/tables.log",
    benchmark:
        "results/benchmarks/aggregate/tables.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("tables.py"),
        top_k=config["report"]["top_confusions"],
        seed=config["seed"],  # of the bootstrap intervals
    script:
        "../scripts/tables.py"


rule runtimes:
    # Wall time, CPU time and peak memory of every training (sweep points included) and data job,
    # beside what it asked the scheduler for.
    input:
        list(benchmark_jobs()),
    output:
        report("results/tables/runtimes.csv", caption="../templates/captions/tables.rst", category="Tables"),
    log:
        "results/logs/aggregate/runtimes.log",
    benchmark:
        "results/benchmarks/aggregate/runtimes.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("runtimes.py"),
        jobs=list(benchmark_jobs().values()),
    script:
        "../scripts/runtimes.py"


DEPTH = config["report"]["depth_example"]
DEPTH_SETTINGS = pass_settings(config, DEPTH["experiment"], DEPTH["pass"])


rule depth_example:
    # Builds (never trains) the pass with and without some layers to count their weights.
    output:
        "results/tables/depth_example.json",
    log:
        "results/logs/report/depth_example.log",
    benchmark:
        "results/benchmarks/report/depth_example.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=1500,
        runtime=5,
    params:
        code=code("depth_example.py"),
        experiment=DEPTH["experiment"],
        pass_name=DEPTH["pass"],
        drop=DEPTH["remove"],
        layers=DEPTH_SETTINGS["layers"],
        input_shape=list(input_shape(config, DEPTH_SETTINGS["input"])),
        input_name=DEPTH_SETTINGS.get("input_name"),
    script:
        "../scripts/depth_example.py"


rule pneumonia_analysis:
    input:
        val=[
            f"{PASS_DIR}/val_predictions.csv".format(experiment=e, pass_name=p, seed=s)
            for e, p, s in pass_jobs(config, "pneumonia")
        ],
        test=[
            f"{PASS_DIR}/predictions.csv".format(experiment=e, pass_name=p, seed=s)
            for e, p, s in pass_jobs(config, "pneumonia")
        ],
    output:
        metrics="results/tables/pneumonia_metrics.csv",
        roc="results/tables/pneumonia_roc.csv",
        sweep="results/tables/pneumonia_sweep.csv",
        summary="results/tables/pneumonia_summary.json",
    log:
        "results/logs/report/pneumonia_analysis.log",
    benchmark:
        "results/benchmarks/report/pneumonia_analysis.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("pneumonia_analysis.py"),
        pass_keys=[f"{e}/{p}/{s}" for e, p, s in pass_jobs(config, "pneumonia")],
        target=config["report"]["pneumonia"]["target_sensitivity"],
        population=config["report"]["pneumonia"]["population"],
    script:
        "../scripts/pneumonia_analysis.py"


rule sweep_table:
    input:
        scores=sweep_outputs("scores.json"),
        history=sweep_outputs("history.csv"),
    output:
        report("results/tables/sweeps.csv", caption="../templates/captions/tables.rst", category="Tables"),
    log:
        "results/logs/aggregate/sweep_table.log",
    benchmark:
        "results/benchmarks/aggregate/sweep_table.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("sweep_table.py"),
        points=sweep_jobs(),
    script:
        "../scripts/sweep_table.py"


rule diff:
    # This run against an earlier one (make diff BASE=...); the base's metrics.csv is an input, so a
    # rebuilt base redoes the comparison.
    input:
        scores=pass_outputs("scores.json"),
        predictions=pass_outputs("predictions.csv"),
        base=diff_base_metrics,
    output:
        table="results/tables/diff.csv",
        markdown="results/tables/diff.md",
    log:
        "results/logs/aggregate/diff.log",
    benchmark:
        "results/benchmarks/aggregate/diff.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("diff.py"),
        pass_keys=PASS_KEYS,
    script:
        "../scripts/diff.py"
