rule metrics:
    input:
        pass_outputs("scores.json"),
    output:
        report("results/metrics.csv", caption="../templates/captions/metrics.rst", category="Tables"),
    params:
        code=code("metrics.py"),
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/aggregate/metrics.log",
    benchmark:
        "results/benchmarks/aggregate/metrics.tsv"
    script:
        "../scripts/metrics.py"


rule tables:
    input:
        metrics="results/metrics.csv",
        scores=pass_outputs("scores.json"),
        confusion=pass_outputs("confusion.csv"),
        history=pass_outputs("history.csv"),
        predictions=pass_outputs("predictions.csv"),
        benchmarks=list(benchmark_jobs()),
    output:
        **{
            name: report(f"results/tables/{name}.csv", caption="../templates/captions/tables.rst", category="Tables")
            for name in TABLES
        },
    params:
        code=code("tables.py"),
        top_k=config["report"]["top_confusions"],
        jobs=list(benchmark_jobs().values()),
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/aggregate/tables.log",
    benchmark:
        "results/benchmarks/aggregate/tables.tsv"
    script:
        "../scripts/tables.py"
