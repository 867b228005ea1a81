"""Decode a data set's four IDX files into results/data/<data set>.npz (optionally only the first N images)."""

from lab04.atomic import save_npz
from lab04.data.idx_arrays import load_split, subset
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
inp, params = snakemake.input, snakemake.params
shape, n_classes = tuple(params.image_shape), params.n_classes
x_train, y_train = subset(*load_split(inp.train_images, inp.train_labels, "train", shape, n_classes),
                          params.limit_train)
x_test, y_test = subset(*load_split(inp.test_images, inp.test_labels, "test", shape, n_classes), params.limit_test)
log.info("%d train samples, %d test samples", len(x_train), len(x_test))
save_npz(snakemake.output[0], x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
