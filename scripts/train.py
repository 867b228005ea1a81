"""Train one experiment pass and write its model, history, scores, predictions and tables."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Keras imports scikit-learn (its estimator wrappers) and matplotlib (its image plots) wherever it finds them; a
# training uses neither: a second of every job's start-up on this kind of machine (bench/RESULTS.md)
for unused in ("sklearn", "matplotlib"):
    sys.modules.setdefault(unused, None)

from lab04.logs import end_job, job_logger  # noqa: E402
from lab04.train import backend  # noqa: E402

log = job_logger(snakemake.log[0])

# a float32 precision is left out of the params (lab04/config.py trained_settings): it is the default
settings, seed = {"precision": "float32", **snakemake.params.settings}, snakemake.params.seed
wc = snakemake.wildcards
# With gradient shards: what Snakemake reserved (no result depends on it; the settings do not even carry
# it). With one shard the thread count moves the last digits: a pinned count whatever was reserved, or one.
shards = settings["shards"]
threads = snakemake.threads if shards > 1 else 1 if settings["threads"] == "auto" else settings["threads"]
backend.select(settings["backend"], threads)  # before Keras is imported

from lab04.train.fit import configure_runtime, load_pass_data, train_pass  # noqa: E402
from lab04.train.isa import instruction_set  # noqa: E402
from lab04.train.outputs import write_pass_outputs  # noqa: E402

device = configure_runtime(seed, threads, settings["deterministic"], shards)
isa = instruction_set(settings["backend"])  # its own engine's kernels'
if snakemake.threads < threads:  # --cores below the setting: same numbers, just slower
    log.warning("%d threads (the pass's setting) on %d reserved cores", threads, snakemake.threads)
elif snakemake.threads > threads:  # --set-threads above what the pass uses (the plan's note says so too)
    log.warning("%d cores reserved, training on %d thread%s (threads: %s, %d gradient shard%s): the others stay idle",
                snakemake.threads, threads, "s" if threads > 1 else "", settings["threads"], shards,
                "s" if shards > 1 else "")
data = load_pass_data(snakemake.input.arrays, snakemake.input.get("features"), settings["input"])
log.info("%s/%s seed %d on %s (instruction set: %s): %d train, %d test samples, input %s", wc.experiment, wc.pass_name,
         seed, device, isa, len(data.x_train), len(data.x_test), data.x_train.shape[1:])
result = train_pass(data.x_train, data.y_train, data.x_test, data.y_test, settings,
                    n_classes=snakemake.params.n_classes, log=log, name=f"{wc.experiment}_{wc.pass_name}",
                    x_val=data.x_val, y_val=data.y_val)
write_pass_outputs(result, snakemake.output, settings=settings, seed=seed,
                   experiment=wc.experiment, pass_name=wc.pass_name, y_test=data.y_test, device=device,
                   threads=threads, instruction_set=isa)
end_job()  # every output is in place: the interpreter's teardown of Keras' engine would only cost time
