"""Aggregate every pass into the CSV tables under results/tables/."""

import pandas as pd

from lab04.analysis import tables
from lab04.atomic import write_csv
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
inp, out = snakemake.input, snakemake.output
scores = [tables.read_scores(p) for p in inp.scores]
long = tables.confusion_long(list(inp.confusion), scores)
results = {
    "pass_summary": tables.pass_summary(
        pd.read_csv(inp.metrics),
        tables.accuracy_intervals(list(inp.predictions), scores, snakemake.params.seed),
        tables.seed_ensembles(list(inp.predictions), scores, snakemake.params.seed),
    ),
    "confusion_long": long,
    "class_errors": tables.class_error_table(long),
    "confused_pairs": tables.confused_pairs(long, snakemake.params.top_k),
    "histories": tables.histories(list(inp.history), scores),
    "comparisons": tables.comparisons(list(inp.predictions), scores),
}
for name, table in results.items():
    write_csv(table, out[name], index=False)
    log.info("%s: %d rows", name, len(table))
