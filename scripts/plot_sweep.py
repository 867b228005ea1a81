"""Accuracy and generalisation gap against the parameter count of one sweep."""

import pandas as pd

from lab04.analysis.plots import sweep_plot
from lab04.analysis.sweeps import sweep_summary
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
table = pd.read_csv(snakemake.input[0])
wc = snakemake.wildcards
own = table[(table["experiment"] == wc.experiment) & (table["pass"] == wc.pass_name)]
sweep_plot(sweep_summary(own), f"{wc.experiment}/{wc.pass_name}", snakemake.output[0])
log.info("sweep plot of %s/%s: %d points", wc.experiment, wc.pass_name, own["point"].nunique())
