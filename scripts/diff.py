"""This run against an earlier one, pass by pass, into results/tables/diff.csv."""

from pathlib import Path

from lab04.analysis.diff import compare_runs, results_directory, run_results, terminal_table
from lab04.atomic import write_csv
from lab04.logs import job_logger
from lab04.paths import job_keys

log = job_logger(snakemake.log[0])
keys = job_keys(snakemake.params.pass_keys)
table = compare_runs(results_directory(Path(snakemake.input.base).parent),
                     run_results(list(snakemake.input.scores), list(snakemake.input.predictions), keys))
write_csv(table, snakemake.output[0], index=False)
log.info("against %s\n%s", Path(snakemake.input.base).parent, terminal_table(table))
