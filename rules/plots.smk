# Plots: SVG figures under results/plots/ (curves and confusion per pass, the comparison chart, the
# typeset equations, the pneumonia ROC and threshold sweep).


rule plot_pass:
    input:
        history=f"results/{{experiment}}/{{pass_name}}/seed{PRIMARY_SEED}/history.csv",
        confusion=f"results/{{experiment}}/{{pass_name}}/seed{PRIMARY_SEED}/confusion.csv",
    output:
        curves=report(
            "results/plots/{experiment}/{pass_name}/curves.svg",
            caption="../templates/captions/curves.rst",
            category="Training curves",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "pass": "{pass_name}"},
        ),
        confusion=report(
            "results/plots/{experiment}/{pass_name}/confusion.svg",
            caption="../templates/captions/confusion.rst",
            category="Confusion matrices",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "pass": "{pass_name}"},
        ),
    log:
        "results/logs/plots/{experiment}/{pass_name}.log",
    benchmark:
        "results/benchmarks/plots/{experiment}/{pass_name}.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("plot_pass.py"),
        title=lambda wc: f"{wc.experiment}/{wc.pass_name}",
        classes=lambda wc: pass_inputs()[f"{wc.experiment}/{wc.pass_name}"]["classes"],
    script:
        "../scripts/plot_pass.py"


rule plot_comparison:
    input:
        "results/tables/pass_summary.csv",
    output:
        report(
            "results/plots/comparison/{dataset}.svg",
            caption="../templates/captions/comparison.rst",
            category="Comparison",
        ),
    log:
        "results/logs/plots/comparison/{dataset}.log",
    benchmark:
        "results/benchmarks/plots/comparison/{dataset}.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("plot_comparison.py"),
        passes=lambda wc: chapter_passes()[wc.dataset],
    script:
        "../scripts/plot_comparison.py"


rule equations:
    output:
        rmsprop="results/plots/equations/rmsprop.svg",
        adam="results/plots/equations/adam.svg",
        cross_entropy="results/plots/equations/cross_entropy.svg",
        binary_cross_entropy="results/plots/equations/binary_cross_entropy.svg",
    log:
        "results/logs/plots/equations.log",
    benchmark:
        "results/benchmarks/plots/equations.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("equations.py"),
    script:
        "../scripts/equations.py"


rule plot_pneumonia:
    input:
        metrics="results/tables/pneumonia_metrics.csv",
        roc="results/tables/pneumonia_roc.csv",
        sweep="results/tables/pneumonia_sweep.csv",
        summary="results/tables/pneumonia_summary.json",
    output:
        roc=report("results/plots/pneumonia/roc.svg", caption="../templates/captions/roc.rst", category="Pneumonia"),
        sweep=report(
            "results/plots/pneumonia/sweep.svg", caption="../templates/captions/sweep.rst", category="Pneumonia"
        ),
    log:
        "results/logs/plots/pneumonia.log",
    benchmark:
        "results/benchmarks/plots/pneumonia.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("plot_pneumonia.py"),
        primary_seed=PRIMARY_SEED,
    script:
        "../scripts/plot_pneumonia.py"


rule plot_sweep:
    input:
        "results/tables/sweeps.csv",
    output:
        report(
            "results/plots/sweeps/{experiment}/{pass_name}.svg",
            caption="../templates/captions/sweep_points.rst",
            category="Sweeps",
            labels={"experiment": "{experiment}", "pass": "{pass_name}"},
        ),
    log:
        "results/logs/plots/sweeps/{experiment}/{pass_name}.log",
    benchmark:
        "results/benchmarks/plots/sweeps/{experiment}/{pass_name}.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("plot_sweep.py"),
    script:
        "../scripts/plot_sweep.py"


rule plot_timeline:
    # When each training, feature and decoding job ran and on how many cores (the provenance appendix).
    input:
        "results/tables/runtimes.csv",
    output:
        report("results/plots/timeline.svg", caption="../templates/captions/timeline.rst", category="Provenance"),
    log:
        "results/logs/plots/timeline.log",
    benchmark:
        "results/benchmarks/plots/timeline.tsv"
    conda:
        "../envs/lab04.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    params:
        code=code("plot_timeline.py"),
    script:
        "../scripts/plot_timeline.py"
