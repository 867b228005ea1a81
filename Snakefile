# lab04: from the data sets (MNIST, chest X-rays, ...) to the lab report, one job per experiment pass.
# Run `make report` (or `snakemake --cores all`); see README.md for configuration and profiles.

from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


# Relative to the Snakefile, so `--directory` elsewhere (tests, scratch runs) finds it too.
# Overlays given with --configfile are merged on top, key by key.
configfile: Path(workflow.basedir) / "config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/features.smk"
include: "rules/train.smk"
include: "rules/aggregate.smk"
include: "rules/plots.smk"
include: "rules/report.smk"


# Seconds of work each: on a cluster they run beside Snakemake instead of waiting in the queue.
# Downloads too, since compute nodes often have no way out.
localrules:
    all,
    download,
    download_image_folder,
    idx_arrays,
    medmnist_arrays,
    metrics,
    tables,
    runtimes,
    plot_pass,
    plot_comparison,
    equations,
    depth_example,
    pneumonia_analysis,
    plot_pneumonia,
    sweep_table,
    plot_sweep,
    plot_timeline,
    diff,
    report,


rule all:
    default_target: True
    # Every pass's own files are targets too, not only the report built from them: a deleted or
    # interrupted pass output is then redone by the next run instead of hidden by the newer report.
    input:
        "results/metrics.csv",
        "results/report.pdf",
        rules.report.input,
        every_pass_output(),
