"""Gantt chart of the training, feature and decoding jobs per core of the run's latest invocation, from
runtimes.csv (jobs an earlier invocation made would stretch the axis over the time between the two)."""

import pandas as pd

from lab04.analysis.plots import timeline_chart
from lab04.analysis.timeline import latest_invocation
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
table = pd.read_csv(snakemake.input[0])
table = table[table["source"] == "ran"].dropna(subset=["start_seconds", "end_seconds"])  # not fetched from --cache
spans = pd.DataFrame({"job": table["job"], "rule": table["job"].str.split(" ").str[0],
                      "start": table["start_seconds"], "end": table["end_seconds"], "threads": table["threads"],
                      "invocation": table["invocation"]})
latest, earlier = latest_invocation(spans)
timeline_chart(latest, snakemake.output[0])
log.info("%d of %d jobs on the chart: the latest invocation's (%d ran in earlier ones; the others have no Snakemake "
         "record here)", len(latest), len(table), earlier)
