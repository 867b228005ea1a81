"""This run against an earlier one, pass by pass, into results/tables/diff.csv and, for a pull request,
only what changed into diff.md."""

from pathlib import Path

from lab04.analysis.diff import compare_runs, markdown_table, results_directory, run_results, terminal_table
from lab04.atomic import write_csv, write_text
from lab04.keys import job_keys
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
keys = job_keys(snakemake.params.pass_keys)
table = compare_runs(results_directory(Path(snakemake.input.base).parent),
                     run_results(list(snakemake.input.scores), list(snakemake.input.predictions), keys))
base = Path(snakemake.input.base).parent
write_csv(table, snakemake.output.table, index=False)
write_text(snakemake.output.markdown, markdown_table(table, str(base)))
log.info("against %s\n%s", base, terminal_table(table))
