"""Decode the four IDX files into results/data/mnist.npz (optionally only the first N images)."""

from lab04.logs import job_logger
from lab04.mnist import load_split, save_npz, subset

log = job_logger(snakemake.log[0])
inp, params = snakemake.input, snakemake.params
x_train, y_train = subset(*load_split(inp.train_images, inp.train_labels, "train"), params.limit_train)
x_test, y_test = subset(*load_split(inp.test_images, inp.test_labels, "test"), params.limit_test)
log.info("%d train samples, %d test samples", len(x_train), len(x_test))
save_npz(snakemake.output[0], x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
