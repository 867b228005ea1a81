# Plots: SVG figures under results/plots/ (curves and confusion per pass, the comparison chart, the
# typeset equations, the pneumonia ROC and threshold sweep).

from lab04.config import chapter_passes, passes
from lab04.pass_inputs import described_inputs
from lab04.keys import JobKey, PassKey
from lab04.paths import plot_file, table_file
from lab04.report.sections.experiments import comparison_plot
from lab04.report.sections.learning_algorithm import EQUATIONS

# "experiment/pass" -> its data set, classes and input in words (the report's too)
PASS_INPUTS = described_inputs(config)
# data set -> the passes ("experiment/pass") of its chapter in the experiments section
CHAPTER_PASSES = chapter_passes(config)


# one plot (curves or confusion) of every pass, in config order
PASS_PLOTS = {plot: [plot_file(f"{e}/{p}/{plot}") for e, p in passes(config)] for plot in ("curves", "confusion")}


rule plot_pass:
    input:
        history=lambda wc: JobKey(wc.experiment, wc.pass_name, PRIMARY_SEED).file("history.csv"),
        confusion=lambda wc: JobKey(wc.experiment, wc.pass_name, PRIMARY_SEED).file("confusion.csv"),
    output:
        curves=report(
            plot_file("{experiment}/{pass_name}/curves"),
            caption="../templates/captions/curves.rst",
            category="Training curves",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "pass": "{pass_name}"},
        ),
        confusion=report(
            plot_file("{experiment}/{pass_name}/confusion"),
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
        ENV
    resources:
        **SMALL_JOB,
    params:
        code=code("plot_pass.py"),
        title=lambda wc: PassKey(wc.experiment, wc.pass_name).label,
        classes=lambda wc: PASS_INPUTS[PassKey(wc.experiment, wc.pass_name).label]["classes"],
    script:
        "../scripts/plot_pass.py"


rule plot_comparison:
    input:
        table_file("pass_summary"),
    output:
        report(
            comparison_plot("{dataset}"),
            caption="../templates/captions/comparison.rst",
            category="Comparison",
        ),
    log:
        "results/logs/plots/comparison/{dataset}.log",
    benchmark:
        "results/benchmarks/plots/comparison/{dataset}.tsv"
    conda:
        ENV
    resources:
        **SMALL_JOB,
    params:
        code=code("plot_comparison.py"),
        passes=lambda wc: CHAPTER_PASSES[wc.dataset],
    script:
        "../scripts/plot_comparison.py"


rule equations:
    output:
        **{name: plot_file(f"equations/{name}") for name in EQUATIONS},
    log:
        "results/logs/plots/equations.log",
    benchmark:
        "results/benchmarks/plots/equations.tsv"
    conda:
        ENV
    resources:
        **SMALL_JOB,
    params:
        code=code("equations.py"),
    script:
        "../scripts/equations.py"


rule plot_pneumonia:
    input:
        metrics=table_file("pneumonia_metrics"),
        roc=table_file("pneumonia_roc"),
        sweep=table_file("pneumonia_sweep"),
        summary=table_file("pneumonia_summary", "json"),
    output:
        roc=report(plot_file("pneumonia/roc"), caption="../templates/captions/roc.rst", category="Pneumonia"),
        sweep=report(plot_file("pneumonia/sweep"), caption="../templates/captions/sweep.rst", category="Pneumonia"),
    log:
        "results/logs/plots/pneumonia.log",
    benchmark:
        "results/benchmarks/plots/pneumonia.tsv"
    conda:
        ENV
    resources:
        **SMALL_JOB,
    params:
        code=code("plot_pneumonia.py"),
        primary_seed=PRIMARY_SEED,
    script:
        "../scripts/plot_pneumonia.py"


rule plot_sweep:
    input:
        table_file("sweeps"),
    output:
        report(
            plot_file("sweeps/{experiment}/{pass_name}"),
            caption="../templates/captions/sweep_points.rst",
            category="Sweeps",
            labels={"experiment": "{experiment}", "pass": "{pass_name}"},
        ),
    log:
        "results/logs/plots/sweeps/{experiment}/{pass_name}.log",
    benchmark:
        "results/benchmarks/plots/sweeps/{experiment}/{pass_name}.tsv"
    conda:
        ENV
    resources:
        **SMALL_JOB,
    params:
        code=code("plot_sweep.py"),
    script:
        "../scripts/plot_sweep.py"


rule plot_timeline:
    # When each training, feature and decoding job ran and on how many cores (the provenance appendix).
    input:
        table_file("runtimes"),
    output:
        report(plot_file("timeline"), caption="../templates/captions/timeline.rst", category="Provenance"),
    log:
        "results/logs/plots/timeline.log",
    benchmark:
        "results/benchmarks/plots/timeline.tsv"
    conda:
        ENV
    resources:
        **SMALL_JOB,
    params:
        code=code("plot_timeline.py"),
    script:
        "../scripts/plot_timeline.py"
