"""Cache the HOG descriptors of every image of a data set's arrays for one (orientations, pixels per cell)."""

import time

from lab04.atomic import load_npz, save_npz
from lab04.features.hog import hog_features
from lab04.logs import job_logger
from lab04.usage import Usage

usage = Usage()
log = job_logger(snakemake.log.log)
o, p = snakemake.params.orientations, snakemake.params.pixels_per_cell
data = load_npz(snakemake.input[0])
started = time.perf_counter()
features = {
    f"x_{split}": hog_features(data[f"x_{split}"], o, p, workers=snakemake.threads)
    for split in ("train", "val", "test") if f"x_{split}" in data
}
log.info("HOG o=%d ppc=%d: %s features per image, %.1f s on %d processes", o, p,
         features["x_train"].shape[1], time.perf_counter() - started, snakemake.threads)
save_npz(snakemake.output[0], **features)
usage.write(snakemake.log.usage)
