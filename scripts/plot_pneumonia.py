"""ROC curves and threshold sweeps of the pneumonia passes (each pass's primary seed and seed ensemble)."""

import json

import pandas as pd

from lab04.analysis.plots import roc_curves, threshold_sweep_plot
from lab04.analysis.pneumonia import ENSEMBLE, chosen_on_test, plot_labels
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
metrics = pd.read_csv(snakemake.input.metrics)
with open(snakemake.input.summary) as fh:
    labels = plot_labels(json.load(fh), snakemake.params.primary_seed)
chosen = {(r["experiment"], r["pass"], r["model"]): (1 - r["specificity"], r["recall"])
          for _, r in chosen_on_test(metrics).iterrows()}
roc_curves(pd.read_csv(snakemake.input.roc), chosen, labels, snakemake.output.roc)
threshold_sweep_plot(pd.read_csv(snakemake.input.sweep), {k: v for k, v in labels.items() if k[2] != ENSEMBLE},
                     snakemake.output.sweep)
