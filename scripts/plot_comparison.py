"""Accuracy and size of every pass of one data set's chapter side by side."""

import pandas as pd

from lab04.analysis.plots import comparison_chart
from lab04.keys import pass_keys
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
summary = pd.read_csv(snakemake.input[0]).set_index(["experiment", "pass"])
keys = pass_keys(snakemake.params.passes)
comparison_chart(summary.loc[keys].reset_index(), snakemake.output[0])
