# Aggregate: every pass's outputs into pandas tables under results/tables/ (metrics, summaries,
# confusion, histories, runtimes, McNemar comparisons), the depth example and the pneumonia analysis.

from lab04.analysis.diff import base_metrics, diff_base
from lab04.config import pass_settings
from lab04.inputs import input_shape
from lab04.jobs import sweep_jobs, timed_jobs
from lab04.paths import table_file
from lab04.report.sections.depth_question import DEPTH_FILE

# The tables rule's outputs; runtimes.csv has its own rule, so a new sweep point redoes only that one.
TABLES = ["pass_summary", "class_errors", "confused_pairs", "confusion_long", "histories", "comparisons"]
# An earlier run's results/ to compare this one with (make diff BASE=...), absolute; None without one.
DIFF_BASE = diff_base(config)
# The training, features and decoding jobs of the runtimes table, by the file that marks each one done.
TIMED_JOBS = timed_jobs(config)


rule metrics:
    input:
        pass_outputs(config, "scores.json"),
    output:
        report("results/metrics.csv", caption="../templates/captions/metrics.rst", category="Tables"),
    log:
        "results/logs/aggregate/metrics.log",
    benchmark:
        "results/benchmarks/aggregate/metrics.tsv"
    conda:
        ENV
    resources:
        **SMALL_JOB,
    params:
        code=code("metrics.py"),
    script:
        "../scripts/metrics.py"


rule tables:
    input:
        metrics="results/metrics.csv",
        scores=pass_outputs(config, "scores.json"),
        confusion=pass_outputs(config, "confusion.csv"),
        history=pass_outputs(config, "history.csv"),
        predictions=pass_outputs(config, "predictions.csv"),
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
        ENV
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
        list(TIMED_JOBS),
    output:
        report("results/tables/runtimes.csv", caption="../templates/captions/tables.rst", category="Tables"),
    log:
        "results/logs/aggregate/runtimes.log",
    benchmark:
        "results/benchmarks/aggregate/runtimes.tsv"
    conda:
        ENV
    resources:
        **SMALL_JOB,
    params:
        code=code("runtimes.py"),
        jobs=list(TIMED_JOBS.values()),
    script:
        "../scripts/runtimes.py"


DEPTH = config["report"]["depth_example"]
DEPTH_SETTINGS = pass_settings(config, DEPTH["experiment"], DEPTH["pass"])


rule depth_example:
    # Builds (never trains) the pass with and without some layers to count their weights.
    output:
        DEPTH_FILE,
    log:
        "results/logs/report/depth_example.log",
    benchmark:
        "results/benchmarks/report/depth_example.tsv"
    conda:
        ENV
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
        val=pass_outputs(config, "val_predictions.csv", "pneumonia"),
        test=pass_outputs(config, "predictions.csv", "pneumonia"),
    output:
        metrics=table_file("pneumonia_metrics"),
        roc=table_file("pneumonia_roc"),
        sweep=table_file("pneumonia_sweep"),
        summary=table_file("pneumonia_summary", "json"),
    log:
        "results/logs/report/pneumonia_analysis.log",
    benchmark:
        "results/benchmarks/report/pneumonia_analysis.tsv"
    conda:
        ENV
    resources:
        **SMALL_JOB,
    params:
        code=code("pneumonia_analysis.py"),
        pass_keys=[key.label for key in pass_job_keys(config, "pneumonia")],
        target=config["report"]["pneumonia"]["target_sensitivity"],
        population=config["report"]["pneumonia"]["population"],
    script:
        "../scripts/pneumonia_analysis.py"


rule sweep_table:
    input:
        scores=sweep_outputs(config, "scores.json"),
        history=sweep_outputs(config, "history.csv"),
    output:
        report("results/tables/sweeps.csv", caption="../templates/captions/tables.rst", category="Tables"),
    log:
        "results/logs/aggregate/sweep_table.log",
    benchmark:
        "results/benchmarks/aggregate/sweep_table.tsv"
    conda:
        ENV
    resources:
        **SMALL_JOB,
    params:
        code=code("sweep_table.py"),
        points=sweep_jobs(config),
    script:
        "../scripts/sweep_table.py"


rule diff:
    # This run against an earlier one (make diff BASE=...); the base's metrics.csv is an input, so a
    # rebuilt base redoes the comparison.
    input:
        scores=pass_outputs(config, "scores.json"),
        predictions=pass_outputs(config, "predictions.csv"),
        base=lambda wc: base_metrics(DIFF_BASE),
    output:
        table="results/tables/diff.csv",
        markdown="results/tables/diff.md",
    log:
        "results/logs/aggregate/diff.log",
    benchmark:
        "results/benchmarks/aggregate/diff.tsv"
    conda:
        ENV
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("diff.py"),
        pass_keys=PASS_KEYS,
    script:
        "../scripts/diff.py"
