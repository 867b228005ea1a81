"""Build the configured pass and its shallower variant; record their Keras parameter counts."""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from lab04.atomic import write_text  # noqa: E402
from lab04.logs import job_logger  # noqa: E402

log = job_logger(snakemake.log[0])

from lab04.train.depth import depth_example  # noqa: E402

p = snakemake.params
result = depth_example(p.input_shape, p.layers, p.drop, input_name=p.input_name)
result.update(experiment=p.experiment, pass_name=p.pass_name)
log.info("configured %d parameters, without %s: %d", result["configured"]["params"], p.drop,
         result["shallower"]["params"])
write_text(snakemake.output[0], json.dumps(result, indent=2, default=str))
