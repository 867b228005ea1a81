"""Gantt chart of the run's training, feature and decoding jobs per core, from runtimes.csv."""

import pandas as pd

from lab04.analysis.plots import timeline_chart
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
table = pd.read_csv(snakemake.input[0])
table = table[table["source"] == "ran"].dropna(subset=["start_seconds", "end_seconds"])  # not fetched from --cache
spans = pd.DataFrame({"job": table["job"], "rule": table["job"].str.split(" ").str[0],
                      "start": table["start_seconds"], "end": table["end_seconds"], "threads": table["threads"]})
timeline_chart(spans, snakemake.output[0])
log.info("%d of %d jobs on the chart (the others have no Snakemake record here)", len(spans), len(table))
