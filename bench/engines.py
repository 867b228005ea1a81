"""Each MNIST pass on each Keras backend: the table `backend: auto` reads, and what the engines train.

    python bench/engines.py                     # seconds per epoch, pass x backend (about 5 minutes)
    python bench/engines.py --seeds 3           # also 3 full trainings per engine of each pass auto moves
    python bench/engines.py --no-timing --seeds 3   # only those (about 20 minutes on 2 cores)
    python bench/engines.py --passes raw/pass3,cnn/pass1 --backends tensorflow,jax
    python bench/engines.py --config my.yaml --passes mine/pass1   # a pass of your own overlay

Seconds per epoch: every pass of the default config trained on MNIST, on each backend installed, with
one thread (as the workflow runs a job with `threads: auto` and one gradient shard), on the first
--samples training images for --epochs epochs; the mean of the epochs after the first (which compiles)
is scaled to Keras' full epoch of 54,000 images. Children run side by side, one per core, not pinned:
pinned to one core (taskset), TensorFlow's CNN epochs took up to 1.8x as long, its runtime threads
queueing behind the one doing the work, which is not how the workflow runs a job. The rows replace
those of the same pass, engine and instruction set in lab04/train/engines.csv (the planner's table,
lab04/train/engines.py); every other row stays.

--seeds N: each pass whose engine `auto` now picks is not TensorFlow, trained in full (the report's own
settings) on both engines with seeds 42, 43, ...: the test accuracies, to hold against the seed-to-seed
spread. The tables go to bench/RESULTS.md, each between its markers in the notes (bench/run.py keeps them).
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

from lab04.config import deep_merge, pass_settings, passes  # noqa: E402
from lab04.inputs import arrays_key, features_key, input_shape  # noqa: E402
from lab04.keys import PassKey  # noqa: E402
from lab04.paths import arrays_file, features_file  # noqa: E402
from lab04.train import engines  # noqa: E402
from lab04.train.backend import installed, select  # noqa: E402
from lab04.train.resources import shard_count  # noqa: E402

# bench/run.py rewrites the results file above this line and keeps what is below it: notes, and the tables of
# bench/engines.py, bench/precision.py and bench/simulate.py
NOTES_MARKER = "<!-- notes below are kept when bench/run.py rewrites this file -->"
FULL_EPOCH = 54000  # MNIST's training images less Keras' 10 % validation tail


def load_config(overlays: list[str] = ()) -> dict:
    """config.yaml with the overlays (`make report CONFIG=...` files) merged over it."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    for path in overlays:
        config = deep_merge(config, yaml.safe_load(Path(path).read_text()) or {})
    return config


def settings_of(config: dict, key: str, backend: str | None = None, precision: str = "float32") -> dict:
    """A pass's settings as its job resolves them, on ``backend`` (the config's own setting when None) in
    ``precision``."""
    settings = pass_settings(config, *PassKey.parse(key))
    settings = {**settings, "backend": backend or settings.get("backend", "auto"), "precision": precision}
    return {**settings, "shards": shard_count(input_shape(config, settings["input"]), settings)}


def child(job: dict) -> dict:
    """In a fresh process: one pass on one backend, timed (``samples``, ``epochs``) or trained in full."""
    select(job["backend"], 1)
    import keras

    from lab04.train.fit import configure_runtime, encode_labels, load_pass_data, train_pass
    from lab04.train.losses import build_loss
    from lab04.train.models import POLICIES, build_model, build_optimizer

    config = load_config(job["overlays"])
    settings = settings_of(config, job["pass"], job["backend"], job.get("precision", "float32"))
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
                            logging.getLogger("bench"), x_val=data.x_val, y_val=data.y_val)
        return {"test_accuracy": result.test_accuracy, "train_seconds": result.train_seconds}
    if settings["shards"] > 1:
        from lab04.train.shards import ShardedStep
    keras.config.set_dtype_policy(POLICIES[settings["precision"]])
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

    n = min(job["samples"], len(data.x_train))
    clock = Clock()
    trainer.fit(data.x_train[:n], encode_labels(data.y_train[:n], settings["loss"], n_classes),
                batch_size=settings["batch_size"], epochs=job["epochs"], verbose=0,
                validation_split=settings["validation_split"], callbacks=[clock])
    trained = n - int(n * settings["validation_split"])
    later = statistics.mean(clock.seconds[1:])
    return {"epoch_seconds": later * FULL_EPOCH / trained, "first_epoch_extra_seconds": clock.seconds[0] - later}


def run_children(jobs: list[dict], workers: int) -> list[dict]:
    """Each job in a process of its own, ``workers`` side by side (one per core, as the workflow runs one-thread
    jobs; not pinned to a core: a job's Python, data and runtime threads share the machine as they do there)."""

    def one(job: dict) -> dict:
        proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(job)], capture_output=True, text=True,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)})
        if proc.returncode:
            sys.exit(f"{job['pass']} on {job['backend']} failed:\n{proc.stderr[-3000:]}")
        out = {**job, **json.loads(proc.stdout.strip().splitlines()[-1])}
        print(f"  {job['pass']} {job['backend']} {job.get('precision', '')} seed {job['seed']}: "
              + ", ".join(f"{k} {v:.4g}" for k, v in out.items() if isinstance(v, float)), flush=True)
        return out

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, jobs))


def prepare_data(config: dict, keys: list[str], mirror: str, workdir: Path, overlays: list[str]) -> None:
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
                    "--cores", "all", *sorted(files), *(["--configfile", *overlays] if overlays else []),
                    "--config", f"data_mirror={mirror}"],
                   check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def replace_rows(new: pd.DataFrame, path: Path, key: list[str], order: list[str], **read) -> pd.DataFrame:
    """The table at ``path`` (read with ``read``) with ``new`` in place of its rows of the same ``key``, every
    other row kept, sorted by ``order``: how each measured table (engines, precision) takes a new measurement."""
    old = pd.read_csv(path, **read) if path.exists() else pd.DataFrame(columns=new.columns)
    kept = old[~old.set_index(key).index.isin(new.set_index(key).index)]
    return pd.concat([frame for frame in (kept, new) if len(frame)]).sort_values(order)


def write_table(rows: list[dict], path: Path) -> None:
    """The measured rows replace those of the same pass, engine and instruction set; every other row stays."""
    new = pd.DataFrame([{c: r[c] for c in engines.TABLE_COLUMNS} for r in rows]).astype({"epoch_seconds": float})
    table = replace_rows(new, path, ["isa", "pass", "backend"], ["isa", "family", "pass", "backend"])
    table.to_csv(path, index=False, float_format="%.3f")


def markdown(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False, floatfmt=".3f")


def write_results(sections: list[str], path: Path, name: str = "engines") -> None:
    """``sections`` in place of the block between ``<!-- name -->`` and ``<!-- /name -->`` in the results file
    (appended the first time, below the notes marker, where bench/run.py keeps it when it rewrites the file)."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if NOTES_MARKER not in text:
        text = text.rstrip("\n") + f"\n\n{NOTES_MARKER}\n"
    block = f"{start}\n" + "\n".join(sections) + f"\n{end}"
    if start in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def measuring_arguments(parser: argparse.ArgumentParser, table: Path, what: str) -> None:
    """The options every per-pass measurement takes (this script's and bench/precision.py's): overlays, the
    timed runs' size, the workers, where the data is, and the table and results file written."""
    parser.add_argument("--config", action="append", default=[], help="a config overlay (a pass of your own)")
    parser.add_argument("--samples", type=int, default=12800, help="training images in the timed runs")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the timed runs (the first is left out)")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--workdir", default=str(ROOT), help="where the workflow keeps the data (its results/)")
    parser.add_argument("--table", default=str(table), help=f"the {what} table to update")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"), help="the results file to update")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--passes", help="experiment/pass,... (default: every MNIST pass)")
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--seeds", type=int, default=0, help="full trainings per engine of each pass auto moves")
    parser.add_argument("--no-timing", action="store_true", help="leave the table as it is (with --seeds)")
    measuring_arguments(parser, engines.TABLE, "engines")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    overlays = [str(Path(path).resolve()) for path in args.config]
    config = load_config(overlays)
    keys = args.passes.split(",") if args.passes else [
        PassKey(e, p).label for e, p in passes(config) if pass_settings(config, e, p)["input"]["dataset"] == "mnist"]
    backends = [b for b in args.backends.split(",") if installed(b)]
    mirror = os.environ.get("DATA_MIRROR") or str(ROOT.parent / "shared" / "data")
    workdir = Path(args.workdir).resolve()
    prepare_data(config, keys, mirror, workdir, overlays)
    isa = engines.cpu_isa()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    stamp = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, commit {commit.strip()}, {isa}"
    table_path = Path(args.table).resolve()
    if not args.no_timing:
        print(f"seconds per epoch, {len(keys)} passes x {', '.join(backends)} ({isa}):", flush=True)
        timed = run_children([{"pass": k, "backend": b, "seed": 42, "mode": "time", "samples": args.samples,
                               "epochs": args.epochs, "workdir": str(workdir), "overlays": overlays}
                              for k in keys for b in backends], args.workers)
        for row in timed:
            layers = pass_settings(config, *PassKey.parse(row["pass"]))["layers"]
            row.update(isa=isa, family=engines.model_family(layers))
        write_table(timed, table_path)
        engines.measured.cache_clear()
        write_results(timing_section(timed, isa, stamp, args, engines.measured(str(table_path))), Path(args.out))
    if args.seeds:
        table = engines.measured(str(table_path))

        def pick(key: str) -> str:
            return engines.auto_backend(engines.model_family(pass_settings(config, *PassKey.parse(key))["layers"]),
                                        isa, table)

        moved = [k for k in keys if pick(k) != "tensorflow"]
        print(f"{args.seeds} seeds of {', '.join(moved)} on tensorflow and their auto engine:", flush=True)
        jobs = [{"pass": k, "backend": b, "seed": 42 + s, "mode": "train", "workdir": str(workdir),
                 "overlays": overlays} for k in moved for b in ("tensorflow", pick(k)) for s in range(args.seeds)]
        write_results(seeds_section(pd.DataFrame(run_children(jobs, args.workers)), stamp, args.seeds),
                      Path(args.out), "engine-seeds")
    text = Path(args.out).read_text()
    print(text[text.index("<!-- engines -->"):] if "<!-- engines -->" in text else text)


def timing_section(timed: list[dict], isa: str, stamp: str, args, table: tuple[dict, ...]) -> list[str]:
    wide = pd.DataFrame(timed).pivot_table(index=["pass", "family"], columns="backend", values="epoch_seconds")
    wide = wide.reset_index().rename_axis(columns=None)
    picks = {f: engines.auto_backend(f, isa, table) for f in ("dense", "convolutional")}
    wide["auto"] = [picks[f] for f in wide["family"]]
    return [f"## Engines per pass ({stamp})", "",
            f"`python bench/engines.py`: seconds per epoch of 54,000 images, one thread, a job per core side by "
            f"side, the mean of epochs 2-{args.epochs} on the first {args.samples:,} images, scaled. `auto` picks "
            "per family the engine with the least seconds over the family's passes (lab04/train/engines.csv).", "",
            markdown(wide), ""]


def seeds_section(trained: pd.DataFrame, stamp: str, seeds: int) -> list[str]:
    """Per pass: each engine's test accuracies over the seeds, and whether the other engine's mean lies within
    TensorFlow's seed-to-seed spread (max - min) of TensorFlow's mean."""
    rows = []
    for key, group in trained.groupby("pass", sort=False):
        tf = group[group["backend"] == "tensorflow"].sort_values("seed")
        other = group[group["backend"] != "tensorflow"].sort_values("seed")
        spread = tf["test_accuracy"].max() - tf["test_accuracy"].min()
        delta = other["test_accuracy"].mean() - tf["test_accuracy"].mean()
        rows.append({"pass": key, "engine": other["backend"].iloc[0],
                     "tensorflow": " ".join(f"{a:.4f}" for a in tf["test_accuracy"]),
                     "engine's": " ".join(f"{a:.4f}" for a in other["test_accuracy"]),
                     "mean difference": delta, "tensorflow spread": spread, "within": abs(delta) <= spread})
    return [f"## The passes auto moves, {seeds} seeds on each engine ({stamp})", "",
            f"`python bench/engines.py --no-timing --seeds {seeds}`: each pass trained in full (the report's "
            f"settings) with seeds 42-{41 + seeds} on TensorFlow and on its `auto` engine, one thread each; test "
            "accuracy per seed, the difference of the means, TensorFlow's seed-to-seed spread (max - min) and "
            "whether the difference lies within it (seconds: the table above and the whole report).", "",
            pd.DataFrame(rows).to_markdown(index=False, floatfmt=".4f"), ""]


if __name__ == "__main__":
    main()
