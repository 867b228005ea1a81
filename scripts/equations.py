"""Typeset the RMSprop update and the cross-entropy loss with matplotlib mathtext."""

from lab04.analysis.plots import CROSS_ENTROPY, RMSPROP, equation
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
equation(RMSPROP, snakemake.output.rmsprop)
equation(CROSS_ENTROPY, snakemake.output.cross_entropy)
