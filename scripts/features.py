"""Cache one representation's features of every image of a data set's arrays (lab04/features/)."""

import importlib
import time

from lab04.atomic import load_npz, save_npz
from lab04.features.representations import representation
from lab04.logs import job_logger
from lab04.usage import Usage

usage = Usage()
log = job_logger(snakemake.log.log)
p = snakemake.params
data = load_npz(snakemake.input[0])
started = time.perf_counter()
compute = importlib.import_module(representation(p.representation).compute).compute
features = {f"x_{split}": compute(data[f"x_{split}"], p.settings, snakemake.threads)
            for split in ("train", "val", "test") if f"x_{split}" in data}
log.info("%s %s: %s features per image, %.1f s on %d processes", p.representation, p.settings,
         features["x_train"].shape[1], time.perf_counter() - started, snakemake.threads)
save_npz(snakemake.output[0], **features)
usage.write(snakemake.log.usage)
