"""Aggregate per-pass outputs into pandas tables (no TensorFlow)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd

from lab04.analysis import timeline
from lab04.analysis.stats import accuracy_interval, class_errors, mcnemar_exact
from lab04.predictions import mean_prediction

KEYS = ["experiment", "pass", "seed"]
METRIC_COLUMNS = [
    *KEYS, "dataset", "representation", "orientations", "pixels_per_cell", "test_loss", "test_accuracy", "params",
    "trainable_params", "non_trainable_params", "epochs", "batch_size", "train_seconds", "backend", "engine",
    "precision",
]


def read_scores(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def metrics_table(score_files: list[str]) -> pd.DataFrame:
    """One row per (experiment, pass, seed), in the order of config."""
    table = pd.DataFrame([read_scores(p) for p in score_files])
    for col in ("orientations", "pixels_per_cell"):
        table[col] = table[col].astype("Int64")
    # trained before the engine was recorded: on TensorFlow, its version not recorded
    table["backend"] = table.get("backend", pd.Series(index=table.index, dtype=object)).fillna("tensorflow")
    table["engine"] = table.get("engine", pd.Series(index=table.index, dtype=object)).fillna("TensorFlow")
    # trained before the precision was recorded: in float32
    table["precision"] = table.get("precision", pd.Series(index=table.index, dtype=object)).fillna("float32")
    return table[METRIC_COLUMNS]


@functools.cache
def _labels(path: str) -> pd.DataFrame:
    """A predictions file's true and predicted classes, read once per job: the comparisons and the accuracy
    intervals both use them."""
    return pd.read_csv(path, usecols=["y_true", "y_pred"])


def accuracy_intervals(prediction_files: list[str], scores: list[dict], seed: int = 0) -> pd.DataFrame:
    """Each pass's 95 % percentile-bootstrap interval of test accuracy over its test images, every seed's
    predictions of the same images together (lab04/analysis/stats.py): experiment, pass, low, high."""
    correct: dict[tuple, list] = {}
    for path, s in zip(prediction_files, scores, strict=True):
        p = _labels(path)
        correct.setdefault((s["experiment"], s["pass"]), []).append((p["y_true"] == p["y_pred"]).to_numpy())
    rows = []
    for (experiment, pass_name), columns in correct.items():
        low, high = accuracy_interval(np.column_stack(columns), seed=seed)
        rows.append({"experiment": experiment, "pass": pass_name, "test_accuracy_low": low,
                     "test_accuracy_high": high})
    return pd.DataFrame(rows, columns=["experiment", "pass", "test_accuracy_low", "test_accuracy_high"])


ENSEMBLE_COLUMNS = ["experiment", "pass", "ensemble_members", "ensemble_accuracy", "ensemble_accuracy_low",
                    "ensemble_accuracy_high"]


def seed_ensembles(prediction_files: list[str], scores: list[dict], seed: int = 0) -> pd.DataFrame:
    """Each pass trained on several seeds as one model: the mean of its seeds' predicted probabilities on
    the same test images, its class the most probable one (a single sigmoid output: at least 0.5), with
    the accuracy's bootstrap interval. Passes with one seed have no row."""
    files: dict[tuple, list[str]] = {}
    for path, s in zip(prediction_files, scores, strict=True):
        files.setdefault((s["experiment"], s["pass"]), []).append(path)
    rows = []
    for (experiment, pass_name), paths in files.items():
        if len(paths) < 2:
            continue
        mean = mean_prediction([pd.read_csv(path) for path in paths], f"the seeds of {experiment}/{pass_name}")
        correct = (mean["y_pred"] == mean["y_true"]).to_numpy()
        low, high = accuracy_interval(correct, seed=seed)
        rows.append({"experiment": experiment, "pass": pass_name, "ensemble_members": len(paths),
                     "ensemble_accuracy": float(correct.mean()), "ensemble_accuracy_low": low,
                     "ensemble_accuracy_high": high})
    return pd.DataFrame(rows, columns=ENSEMBLE_COLUMNS)


def pass_summary(metrics: pd.DataFrame, intervals: pd.DataFrame | None = None,
                 ensembles: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mean and standard deviation over seeds of each pass (std is 0 for a single seed), and, given
    ``intervals`` (accuracy_intervals), the bootstrap interval of its test accuracy; given ``ensembles``
    (seed_ensembles), the seed ensemble's accuracy and interval (empty for a pass with one seed)."""
    if "engine" not in metrics:  # a metrics table from before the engine was recorded: TensorFlow's
        metrics = metrics.assign(engine="TensorFlow")
    if "precision" not in metrics:  # from before the precision was recorded: float32
        metrics = metrics.assign(precision="float32")
    grouped = metrics.groupby(["experiment", "pass"], sort=False)
    out = grouped.agg(
        runs=("seed", "size"),
        test_accuracy_mean=("test_accuracy", "mean"), test_accuracy_std=("test_accuracy", "std"),
        test_loss_mean=("test_loss", "mean"), test_loss_std=("test_loss", "std"),
        params=("params", "first"), train_seconds_mean=("train_seconds", "mean"),
        # `engine` is a keyword of agg itself: the engines of the pass's seeds, each once
        engines=("engine", lambda engines: ", ".join(dict.fromkeys(engines))),
        precisions=("precision", lambda precisions: ", ".join(dict.fromkeys(precisions))),
    ).reset_index()
    for extra in (intervals, ensembles):
        if extra is not None:
            out = out.merge(extra, on=["experiment", "pass"], how="left")
    return out.fillna({"test_accuracy_std": 0.0, "test_loss_std": 0.0})


def _keyed(frame: pd.DataFrame, scores: dict) -> pd.DataFrame:
    for i, key in enumerate(KEYS):
        frame.insert(i, key, scores[key])
    return frame


def confusion_long(confusion_files: list[str], scores: list[dict]) -> pd.DataFrame:
    """Every confusion-matrix cell as a row: experiment, pass, seed, true, predicted, count."""
    frames = []
    for path, s in zip(confusion_files, scores, strict=True):
        matrix = pd.read_csv(path, index_col=0)
        long = matrix.stack().reset_index()
        long.columns = ["true", "predicted", "count"]
        long["predicted"] = long["predicted"].astype(int)
        frames.append(_keyed(long, s))
    return pd.concat(frames, ignore_index=True)


def matrix_of(long: pd.DataFrame) -> np.ndarray:
    """Back from long form to the square matrix (rows: true class)."""
    return long.pivot(index="true", columns="predicted", values="count").to_numpy()


def class_error_table(long: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (exp, name, seed), group in long.groupby(KEYS, sort=False):
        m = matrix_of(group)
        errors = class_errors(m)
        for cls, (support, err) in enumerate(zip(m.sum(axis=1), errors, strict=True)):
            rows.append({"experiment": exp, "pass": name, "seed": seed, "class": cls,
                         "support": int(support), "errors": int(err),
                         "error_rate": float(err / support) if support else 0.0})
    return pd.DataFrame(rows)


def confused_pairs(long: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """The k largest off-diagonal cells of each pass, e.g. 4 -> 9."""
    off = long[long["true"] != long["predicted"]]
    off = off[off["count"] > 0].sort_values(KEYS[:2] + ["seed", "count"], ascending=[True, True, True, False],
                                            kind="stable")
    top = off.groupby(KEYS, sort=False).head(k).copy()
    top["rank"] = top.groupby(KEYS, sort=False).cumcount() + 1
    order = long[KEYS].drop_duplicates().reset_index(drop=True).reset_index()
    return top.merge(order, on=KEYS).sort_values(["index", "rank"]).drop(columns="index").reset_index(drop=True)


def histories(history_files: list[str], scores: list[dict]) -> pd.DataFrame:
    return pd.concat([_keyed(pd.read_csv(p), s) for p, s in zip(history_files, scores, strict=True)],
                     ignore_index=True)


def job_threads(scores: dict, wall_seconds: float, cpu_seconds: float) -> int:
    """Cores a job ran on: a training job's TensorFlow threads (its ``scores``, training_scores), else its CPU
    time over its wall time (HOG and decoding jobs use that many processes)."""
    if scores.get("threads"):
        return int(scores["threads"])
    if wall_seconds > 0 and cpu_seconds == cpu_seconds:  # not NaN
        return max(1, round(cpu_seconds / wall_seconds))
    return 1


def training_scores(output: str) -> dict:
    """A training job's scores.json (empty for any other job)."""
    return json.loads(Path(output).read_text()) if output.endswith("scores.json") and Path(output).is_file() else {}


def requested_minutes(job: dict, threads: int = 1) -> int:
    """The time a job asked for: one figure, or (a training job) the one for its thread count, where
    ``runtime`` maps thread counts to minutes and the largest count stands for any beyond it."""
    runtime = job["runtime"]
    return runtime[min(max(1, threads), max(runtime))] if isinstance(runtime, dict) else runtime


def runtimes(jobs: list[dict], workdir: str | Path = ".") -> pd.DataFrame:
    """Wall time, CPU time and peak memory of each job from its benchmark record, beside what the job
    asked a cluster for (``jobs``: ``{job, output, record, mem_mb, runtime}``, ``runtime`` in minutes or by
    thread count: ``requested_minutes``), with its cores, its
    start and end in seconds since the first of these jobs started (Snakemake's record of ``output``;
    empty when there is none) and the Snakemake invocation that ran it (lab04/analysis/timeline.py). A job
    whose outputs came from the shared cache (--cache) ran elsewhere: its record is missing or empty, and its
    row says so in ``source``."""
    frames = []
    for job in jobs:
        record = Path(job["record"])
        if not record.is_file() or record.stat().st_size == 0:  # Snakemake leaves a fetched job's logs empty
            frames.append(pd.DataFrame([{"job": job["job"], "s": np.nan, "cpu_time": np.nan, "max_rss": np.nan,
                                         "requested_mem_mb": job["mem_mb"], "requested_minutes": requested_minutes(job),
                                         "threads": 0, "source": "cache"}]))
            continue
        bench = pd.read_csv(record, sep="\t").tail(1)  # the last run of the job
        bench.insert(0, "job", job["job"])
        # a training job measures its own CPU seconds (lab04/train/outputs.py, process_seconds: the benchmark's samples
        # miss up to 30 s of them)
        scores = training_scores(job["output"])
        if own := scores.get("job_seconds"):
            bench["cpu_time"] = own["cpu"]
        threads = job_threads(scores, float(bench["s"].iloc[0]), float(bench["cpu_time"].iloc[0]))
        bench["requested_mem_mb"], bench["requested_minutes"] = job["mem_mb"], requested_minutes(job, threads)
        bench["threads"] = threads
        bench["source"] = "ran"
        frames.append(bench)
    table = pd.concat(frames, ignore_index=True).rename(columns={"s": "wall_seconds", "max_rss": "max_rss_mb"})
    spans = timeline.from_metadata(
        [{"job": j["job"], "output": j["output"]} for j in jobs], workdir).set_index("job")
    table["start_seconds"] = table["job"].map(spans["start"])
    table["end_seconds"] = table["job"].map(spans["end"])
    table["invocation"] = table["job"].map(spans["invocation"]).astype("Int64")
    return table[["job", "wall_seconds", "cpu_time", "max_rss_mb", "requested_mem_mb", "requested_minutes",
                  "threads", "start_seconds", "end_seconds", "invocation", "source"]]


def comparisons(prediction_files: list[str], scores: list[dict]) -> pd.DataFrame:
    """McNemar's exact test between consecutive passes of each experiment, seed by seed.

    Only passes evaluated on the same test images are paired (e.g. not a PneumoniaMNIST pass with
    a chest X-ray pass).
    """
    preds = {(s["experiment"], s["pass"], s["seed"]): p for p, s in zip(prediction_files, scores, strict=True)}
    rows = []
    keys = list(preds)
    for exp in dict.fromkeys(k[0] for k in keys):
        names = list(dict.fromkeys(k[1] for k in keys if k[0] == exp))
        for prev, cur in zip(names, names[1:], strict=False):
            # the seeds both passes were trained on (a pass may have its own repeats)
            seeds = {k[2] for k in keys if k[:2] == (exp, prev)} & {k[2] for k in keys if k[:2] == (exp, cur)}
            for seed in sorted(seeds):
                a, b = _labels(preds[exp, prev, seed]), _labels(preds[exp, cur, seed])
                if not np.array_equal(a["y_true"], b["y_true"]):
                    continue
                test = mcnemar_exact(a["y_true"].to_numpy(), a["y_pred"].to_numpy(), b["y_pred"].to_numpy())
                rows.append({"experiment": exp, "previous": prev, "pass": cur, "seed": seed,
                             "previous_accuracy": float((a["y_true"] == a["y_pred"]).mean()),
                             "accuracy": float((b["y_true"] == b["y_pred"]).mean()), **test})
    return pd.DataFrame(rows, columns=["experiment", "previous", "pass", "seed", "previous_accuracy",
                                       "accuracy", "a_only", "b_only", "p_value"])
