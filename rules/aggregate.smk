rule metrics:
    input:
        pass_outputs("scores.json"),
    output:
        report("results/metrics.csv", caption="../templates/captions/metrics.rst", category="Tables"),
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/aggregate/metrics.log",
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
        top_k=config["report"]["top_confusions"],
        jobs=list(benchmark_jobs().values()),
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/aggregate/tables.log",
    script:
        "../scripts/tables.py"
