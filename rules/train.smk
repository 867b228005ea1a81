# Train: one job per (experiment, pass, seed), writing results/<experiment>/<pass>/seed<N>/, and one
# per point of a pass's sweep, writing results/<experiment>/<pass>/sweep/<point>/seed<N>/.

from lab04.config import trained_settings
from lab04.jobs import (
    every_job_output,
    gpu_resources,
    job_files,
    job_settings,
    pass_job_keys,
    pass_outputs,
    schedule_name,
    sweep_outputs,
    train_classes,
    train_inputs,
    train_requests,
    train_threads,
    unused_cores,
)
from lab04.keys import JobKey, PassKey
from lab04.paths import PASS_DIR, POINT_DIR
from lab04.train.engine_plan import check_engines, engine_notes

# Every training's engine is known now (SCHEDULE): one that is not installed stops the run here, and a pass
# that trained on another engine last time says so before it retrains (lab04/train/engine_plan.py). Cores
# that --set-threads reserves for trainings that cannot use them are named too.
with plain_errors():
    check_engines(SCHEDULE)
    if workflow.is_main_process:
        for line in engine_notes(config, SCHEDULE):
            print(line, file=sys.stderr)
        if note := unused_cores(config, workflow.resource_settings.overwrite_threads.get("train")):
            print(note, file=sys.stderr)

# "experiment/pass/seed" of every pass's training job (lab04/keys.py), in the order of pass_outputs():
# rules that read per-pass files take these as params, so no key is parsed back out of a path.
PASS_KEYS = [key.label for key in pass_job_keys(config)]


rule train:
    # `settings` holds only that job's plain values, so editing one pass in config reruns that pass
    # alone (and a sweep point only when its own settings change). With gradient shards the thread
    # count is a resource, not a setting: a new --cores reruns nothing.
    input:
        unpack(lambda wc: train_inputs(config, wc)),
    output:
        **job_files(PASS_DIR),
    log:
        f"{PASS_DIR}/train.log",
    benchmark:
        f"{PASS_DIR}/benchmark.tsv"
    # longest first (the 7x7 CNN alone is ~40 % of the work): short jobs then fill the other cores
    priority: lambda wc: SCHEDULE.priority(*schedule_name(wc))
    conda:
        ENV
    threads: lambda wc: train_threads(config, wc, SCHEDULE.threads(run_cores(), *schedule_name(wc)))
    resources:
        **gpu_resources(config),
        # estimated from the pass (samples, epochs, layer sizes): see lab04/train/resources.py;
        # a retry asks for more of both
        mem_mb=lambda wc, attempt: train_requests(config, wc.experiment, wc.pass_name, attempt, wc.get("point"))[
            "mem_mb"
        ],
        runtime=lambda wc, attempt, threads: train_requests(
            config, wc.experiment, wc.pass_name, attempt, wc.get("point"), threads
        )["runtime"],
    params:
        code=code("train.py"),
        settings=lambda wc: trained_settings(job_settings(config, wc)),
        seed=lambda wc: int(wc.seed),
        n_classes=lambda wc: train_classes(config, wc),
    script:
        "../scripts/train.py"


# A sweep point (a Paramspace instance, lab04/sweeps.py) is trained by the same rule in its own directory.
use rule train as train_sweep with:
    output:
        **job_files(POINT_DIR),
    log:
        f"{POINT_DIR}/train.log",
    benchmark:
        f"{POINT_DIR}/benchmark.tsv"
