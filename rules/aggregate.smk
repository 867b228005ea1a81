rule metrics:
    input:
        pass_outputs("scores.json"),
    output:
        "results/metrics.csv",
    conda:
        "../envs/lab04.yaml"
    log:
        "results/logs/aggregate/metrics.log",
    script:
        "../scripts/metrics.py"
