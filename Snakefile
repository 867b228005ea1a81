# lab04: from the data sets (MNIST, chest X-rays, ...) to the lab report, one job per experiment pass.
# Run `make report` (or `snakemake --cores all`); see README.md and docs/ for configuration and profiles.

from pathlib import Path

from snakemake.utils import min_version

from lab04.progress.state import expect

min_version("9.0")


# This workflow's own files (config.yaml, schemas/, scripts/, templates/) are found relative to this
# Snakefile, never to the working directory or to a workflow that uses this one as a module.
if not workflow.current_basedir.is_local:  # a remote Snakefile: github(...), a URL
    raise ValueError(
        f"lab04 runs from a local copy, not from {workflow.current_basedir}: it reads its own config, "
        "templates and code and imports its package. Clone it (git clone ...; make env) and give the "
        "clone's Snakefile as the module's `snakefile:` (docs/clusters.md, 'Use it from your own workflow')."
    )
WORKFLOW_DIR = Path(workflow.current_basedir.get_path_or_uri(secret_free=True))


# Overlays given with --configfile are merged on top, key by key. Used as a module with `config:`,
# Snakemake skips this line; rules/common.smk then lays the given config over these defaults.
configfile: WORKFLOW_DIR / "config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/features.smk"
include: "rules/train.smk"
include: "rules/aggregate.smk"
include: "rules/plots.smk"
include: "rules/report.smk"


# The jobs this run will execute and their expected seconds, for the progress display (`make report`,
# `--logger lab04`: lab04/progress/state.py), before the first one starts.
onstart:
    expect(workflow.dag, SCHEDULE, run_cores())


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
    report_html,


rule all:
    default_target: True
    # Every pass's own files are targets too, not only the report built from them: a deleted or
    # interrupted pass output is then redone by the next run instead of hidden by the newer report.
    input:
        "results/metrics.csv",
        "results/report.pdf",
        "results/report.html",
        rules.report.input,
        every_job_output(config),
        # with diff_base (make diff): the comparison as Markdown too, for a pull request
        [table_file("diff", "md")] if DIFF_BASE else [],
