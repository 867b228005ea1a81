"""Rename a MedMNIST archive's splits to the x_/y_ arrays every pass reads, checking the labels."""

from lab04.atomic import save_npz
from lab04.data.idx_arrays import medmnist_splits
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
arrays = medmnist_splits(snakemake.input[0], snakemake.params.n_classes)
log.info("%s", {k: v.shape for k, v in arrays.items()})
save_npz(snakemake.output[0], **arrays)
