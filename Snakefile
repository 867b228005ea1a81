# lab04: from the MNIST and chest X-ray data to the lab report, one job per experiment pass.
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


rule all:
    input:
        "results/metrics.csv",
        "results/report.pdf",
    default_target: True
