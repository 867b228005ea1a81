"""Typeset the optimizers' update rules and the losses with matplotlib mathtext."""

from lab04.analysis.plots import ADAM, BINARY_CROSS_ENTROPY, CROSS_ENTROPY, RMSPROP, equation
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
for lines, dest in ((RMSPROP, snakemake.output.rmsprop), (ADAM, snakemake.output.adam),
                    (CROSS_ENTROPY, snakemake.output.cross_entropy),
                    (BINARY_CROSS_ENTROPY, snakemake.output.binary_cross_entropy)):
    equation(lines, dest)
    log.info("%s written", dest)
