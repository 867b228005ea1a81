"""Every training and data job's measured run time and memory beside what it requested."""

from lab04.analysis.tables import runtimes
from lab04.atomic import write_csv
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
table = runtimes(snakemake.params.jobs)
write_csv(table, snakemake.output[0], index=False)
log.info("%d jobs, %.0f s of wall time", len(table), table["wall_seconds"].sum())
