"""ROC curves and threshold sweeps of the pneumonia passes."""

import pandas as pd

from lab04.analysis.plots import roc_curves, threshold_sweep_plot
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
metrics = pd.read_csv(snakemake.input.metrics)
chosen_rows = metrics[(metrics["split"] == "test") & (metrics["rule"] != "0.5")]
chosen = {r["pass"]: (1 - r["specificity"], r["recall"]) for _, r in chosen_rows.iterrows()}
roc_curves(pd.read_csv(snakemake.input.roc), chosen, snakemake.output.roc)
threshold_sweep_plot(pd.read_csv(snakemake.input.sweep), snakemake.output.sweep)
