"""Training curves and confusion heatmaps of one pass."""

import pandas as pd

from lab04.analysis.plots import confusion_heatmaps, training_curves
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
title = snakemake.params.title
training_curves(pd.read_csv(snakemake.input.history), title, snakemake.output.curves)
confusion_heatmaps(pd.read_csv(snakemake.input.confusion, index_col=0).to_numpy(), title,
                   snakemake.output.confusion, classes=snakemake.params.classes)
log.info("plots of %s written", title)
