"""Accuracy and size of every pass side by side."""

import pandas as pd

from lab04.analysis.plots import comparison_chart
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
comparison_chart(pd.read_csv(snakemake.input[0]), snakemake.output[0])
