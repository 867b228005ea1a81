"""Every sweep point's scores and last epoch into results/tables/sweeps.csv."""

from lab04.analysis.sweeps import sweep_table
from lab04.atomic import write_csv
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
table = sweep_table(snakemake.params.points, list(snakemake.input.scores), list(snakemake.input.history))
write_csv(table, snakemake.output[0], index=False)
log.info("%d sweep points\n%s", len(table), table.to_string(index=False))
