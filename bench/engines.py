"""Each MNIST pass on each Keras backend: the table `backend: auto` reads, and what the engines train.

    python bench/engines.py                     # seconds per epoch, pass x backend (about 5 minutes)
    python bench/engines.py --seeds 3           # also 3 full trainings per engine of each pass auto moves
    python bench/engines.py --passes raw/pass3,cnn/pass1 --backends tensorflow,jax

Seconds per epoch: every pass of the default config trained on MNIST, on each backend installed, one
thread in a process pinned to one core (as the workflow runs a job with `threads: auto` and one
gradient shard), on the first --samples training images for --epochs epochs; the mean of the epochs
after the first (which compiles) is scaled to Keras' full epoch of 54,000 images. Children run side by
side, one per core. The rows replace this instruction set's rows in lab04/train/engines.csv (the planner's
table, lab04/train/engines.py); other machines' rows stay.

--seeds N: each pass whose engine `auto` now picks is not TensorFlow, trained in full (the report's own
settings) on both engines with seeds 42, 43, ...: the test accuracies, to hold against the seed-to-seed
spread. The tables go to bench/RESULTS.md, between the engines markers in its notes.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab04.config import pass_settings, passes  # noqa: E402
from lab04.inputs import arrays_key, features_key, input_shape  # noqa: E402
from lab04.keys import PassKey  # noqa: E402
from lab04.paths import arrays_file, features_file  # noqa: E402
from lab04.train import engines  # noqa: E402
from lab04.train.resources import shard_count  # noqa: E402

FULL_EPOCH = 54000  # MNIST's training images less Keras' 10 % validation tail


def load_config() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def settings_of(config: dict, key: str, backend: str) -> dict:
    """A pass's settings as its job resolves them, on ``backend``."""
    settings = {**pass_settings(config, *PassKey.parse(key)), "backend": backend}
    return {**settings, "shards": shard_count(input_shape(config, settings["input"]), settings)}


def child(job: dict) -> dict:
    """In a fresh process: one pass on one backend, timed (``samples``, ``epochs``) or trained in full."""
    engines.select(job["backend"], 1)
    import keras

    from lab04.train.fit import configure_runtime, encode_labels, load_pass_data, train_pass
    from lab04.train.losses import build_loss
    from lab04.train.models import build_model, build_optimizer

    config = load_config()
    settings = settings_of(config, job["pass"], job["backend"])
    spec = settings["input"]
    key = features_key(config, spec)
    workdir = Path(job["workdir"])
    data = load_pass_data(str(workdir / arrays_file(arrays_key(config, spec))),
                          str(workdir / features_file(key)) if key else None, spec)
    configure_runtime(job["seed"], 1, settings["deterministic"], settings["shards"])
    n_classes = int(data.y_train.max()) + 1
    if job["mode"] == "train":
        import logging

        result = train_pass(data.x_train, data.y_train, data.x_test, data.y_test, settings, n_classes,
                            logging.getLogger("bench"))
        return {"test_accuracy": result.test_accuracy, "train_seconds": result.train_seconds}
    if settings["shards"] > 1:
        from lab04.train.shards import ShardedStep
    model = build_model(data.x_train.shape[1:], settings["layers"])
    trainer = ShardedStep(model, settings["shards"]) if settings["shards"] > 1 else model
    trainer.compile(optimizer=build_optimizer(settings["optimizer"]), loss=build_loss(settings["loss"]),
                    metrics=list(settings["metrics"]), jit_compile="auto" if job["backend"] != "tensorflow" else False)

    class Clock(keras.callbacks.Callback):
        seconds: list = []

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.started)

    n = job["samples"]
    clock = Clock()
    trainer.fit(data.x_train[:n], encode_labels(data.y_train[:n], settings["loss"], n_classes),
                batch_size=settings["batch_size"], epochs=job["epochs"], verbose=0,
                validation_split=settings["validation_split"], callbacks=[clock])
    trained = n - int(n * settings["validation_split"])
    later = statistics.mean(clock.seconds[1:])
    return {"epoch_seconds": later * FULL_EPOCH / trained, "first_epoch_extra_seconds": clock.seconds[0] - later}


def run_children(jobs: list[dict], workers: int) -> list[dict]:
    """Each job in its own process pinned to one core, ``workers`` at a time, each on a core of its own."""
    cores = sorted(os.sched_getaffinity(0))
    free = list(cores[:workers])

    def one(job: dict) -> dict:
        core = free.pop()
        try:
            proc = subprocess.run(["taskset", "-c", str(core), sys.executable, __file__, "--child", json.dumps(job)],
                                  capture_output=True, text=True,
                                  env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)})
        finally:
            free.append(core)
        if proc.returncode:
            sys.exit(f"{job['pass']} on {job['backend']} failed:\n{proc.stderr[-3000:]}")
        out = {**job, **json.loads(proc.stdout.strip().splitlines()[-1])}
        print(f"  {job['pass']} {job['backend']} seed {job['seed']}: "
              + ", ".join(f"{k} {v:.4g}" for k, v in out.items() if isinstance(v, float)), flush=True)
        return out

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, jobs))


def prepare_data(config: dict, keys: list[str], mirror: str, workdir: Path) -> None:
    """The cached arrays and features the passes read, made by the workflow in ``workdir`` (nothing when they
    are there)."""
    files = set()
    for key in keys:
        spec = pass_settings(config, *PassKey.parse(key))["input"]
        files.add(arrays_file(arrays_key(config, spec)))
        if fk := features_key(config, spec):
            files.add(features_file(fk))
    if all((workdir / f).exists() for f in files):
        return
    mirror = mirror if "://" in mirror else str(Path(mirror).resolve())
    subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
                    "--cores", "all", *sorted(files), "--config", f"data_mirror={mirror}"],
                   check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def write_table(rows: list[dict], isa: str, path: Path) -> None:
    """This instruction set's rows replace its old ones; other machines' rows stay."""
    old = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=list(engines.TABLE_COLUMNS))
    new = pd.DataFrame([{c: r[c] for c in engines.TABLE_COLUMNS} for r in rows]).astype({"epoch_seconds": float})
    table = pd.concat([frame for frame in (old[old["isa"] != isa], new) if len(frame)])
    table = table.sort_values(["isa", "family", "pass", "backend"])
    table.to_csv(path, index=False, float_format="%.3f")


def markdown(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False, floatfmt=".3f")


def write_results(sections: list[str], path: Path, name: str = "engines") -> None:
    """``sections`` in place of the block between ``<!-- name -->`` and ``<!-- /name -->`` in the results file
    (appended the first time; bench/run.py keeps it, below its notes marker)."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    block = f"{start}\n" + "\n".join(sections) + f"\n{end}"
    if start in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--passes", help="experiment/pass,... (default: every MNIST pass)")
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--samples", type=int, default=12800, help="training images in the timed runs")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the timed runs (the first is left out)")
    parser.add_argument("--seeds", type=int, default=0, help="full trainings per engine of each pass auto moves")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--workdir", default=str(ROOT), help="where the workflow keeps the data (its results/)")
    parser.add_argument("--table", default=str(engines.TABLE), help="the engines table to update")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"), help="the results file to update")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    config = load_config()
    keys = args.passes.split(",") if args.passes else [
        PassKey(e, p).label for e, p in passes(config) if pass_settings(config, e, p)["input"]["dataset"] == "mnist"]
    backends = [b for b in args.backends.split(",") if engines.installed(b)]
    mirror = os.environ.get("DATA_MIRROR") or str(ROOT.parent / "shared" / "data")
    workdir = Path(args.workdir).resolve()
    prepare_data(config, keys, mirror, workdir)
    isa = engines.cpu_isa()
    started = datetime.datetime.now(datetime.UTC)
    print(f"seconds per epoch, {len(keys)} passes x {', '.join(backends)} ({isa}):", flush=True)
    timed = run_children([{"pass": k, "backend": b, "seed": 42, "mode": "time", "samples": args.samples,
                           "epochs": args.epochs, "workdir": str(workdir)} for k in keys for b in backends],
                         args.workers)
    for row in timed:
        row.update(isa=isa, family=engines.model_family(pass_settings(config, *PassKey.parse(row["pass"]))["layers"]))
    write_table(timed, isa, Path(args.table))
    engines.measured.cache_clear()
    wide = pd.DataFrame(timed).pivot_table(index=["pass", "family"], columns="backend", values="epoch_seconds")
    wide = wide.reset_index().rename_axis(columns=None)
    table = engines.measured(str(Path(args.table).resolve()))
    picks = {f: engines.auto_backend(f, isa, table) for f in ("dense", "convolutional")}
    wide["auto"] = [picks[f] for f in wide["family"]]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    sections = [
        f"## Engines per pass ({started:%Y-%m-%d %H:%M} UTC, commit {commit.strip()}, {isa})", "",
        f"`python bench/engines.py`: seconds per epoch of 54,000 images, one thread pinned to one core, the mean of "
        f"epochs 2-{args.epochs} on the first {args.samples:,} images, scaled. `auto` picks per family the engine "
        "with the least seconds over the family's passes (lab04/train/engines.csv).", "", markdown(wide), ""]
    if args.seeds:
        def pick(key: str) -> str:
            return picks[engines.model_family(pass_settings(config, *PassKey.parse(key))["layers"])]

        moved = [k for k in keys if pick(k) != "tensorflow"]
        print(f"{args.seeds} seeds of {', '.join(moved)} on tensorflow and their auto engine:", flush=True)
        jobs = [{"pass": k, "backend": b, "seed": 42 + s, "mode": "train", "workdir": str(workdir)}
                for k in moved for b in ("tensorflow", pick(k)) for s in range(args.seeds)]
        trained = pd.DataFrame(run_children(jobs, args.workers))
        rows = []
        for (key, backend), group in trained.groupby(["pass", "backend"], sort=False):
            rows.append({"pass": key, "backend": backend,
                         **{f"seed {s}": a for s, a in zip(group["seed"], group["test_accuracy"], strict=True)},
                         "mean": group["test_accuracy"].mean(), "spread (max-min)": group["test_accuracy"].max()
                         - group["test_accuracy"].min(), "train_seconds (mean)": group["train_seconds"].mean()})
        sections += [f"Test accuracy of {args.seeds} seeds per engine, the report's settings in full "
                     f"(`python bench/engines.py --seeds {args.seeds}`):", "",
                     pd.DataFrame(rows).to_markdown(index=False, floatfmt=".4f"), ""]
    write_results(sections, Path(args.out))
    print("\n".join(sections))


if __name__ == "__main__":
    main()
