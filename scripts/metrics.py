"""Collect every pass's scores into results/metrics.csv."""

from lab04.analysis.tables import metrics_table
from lab04.atomic import write_csv
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
table = metrics_table(list(snakemake.input))
write_csv(table, snakemake.output[0], index=False)
log.info("%d rows\n%s", len(table), table.to_string(index=False))
