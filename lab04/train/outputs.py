"""Write what one training job produced into its results/<experiment>/<pass>/seed<N>/ files."""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lab04.atomic import atomic_paths
from lab04.train.backend import describe
from lab04.train.losses import loss_label, loss_name

# The files of one training job, by the names the rule's outputs carry.
OUTPUT_NAMES = ("model", "history", "scores", "predictions", "val_predictions", "confusion", "layers", "summary")


def process_seconds() -> dict[str, float]:
    """This process's wall seconds since it started and its CPU seconds so far (its own threads and its
    finished children), exact where Snakemake's ``benchmark:`` samples: that one reads the CPU time every half
    second for 15 s, then every 30 s, so a job of 15 to 45 s is recorded with about 15 s of CPU, and a longer
    one without its last interval (lab04/analysis/tables.py's runtimes prefers this). ``waited``: the seconds its
    main thread (the Python that loads, compiles, dispatches and writes) was ready to run but had no core
    (Linux's schedstat; absent elsewhere, as is ``main_cpu``, that thread's CPU seconds): of the seconds it did not
    compute, those it waited for a core rather than slept (input, output, locks, the engine's threads)."""
    import psutil

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    out = {"wall": round(time.time() - psutil.Process().create_time(), 3), "cpu": round(cpu, 3)}
    if main := main_thread_seconds():
        out["main_cpu"], out["waited"] = round(main[0], 3), round(main[1], 3)
    return out


def main_thread_seconds() -> tuple[float, float] | None:
    """(seconds on a core, seconds ready to run without one) of this process's main thread, from the first two
    fields of its /proc schedstat; None where the kernel does not keep them. The main thread's alone: summed over
    the engine's threads the wait would also count those that wait for one another on the job's own cores."""
    try:
        with open(f"/proc/self/task/{os.getpid()}/schedstat") as fh:
            ran, waited = fh.read().split()[:2]
        return int(ran) / 1e9, int(waited) / 1e9
    except (OSError, ValueError):
        return None


def prediction_table(y_true: np.ndarray, y_pred: np.ndarray, probabilities: np.ndarray) -> pd.DataFrame:
    """Label, predicted label and class probabilities (one column, p_0, for a sigmoid output)."""
    probs = probabilities.reshape(len(y_true), -1)
    table = pd.DataFrame({"y_true": np.asarray(y_true).astype(int), "y_pred": np.asarray(y_pred).astype(int)})
    for k in range(probs.shape[1]):
        table[f"p_{k}"] = probs[:, k]
    return table


def write_pass_outputs(result, outputs, *, settings: dict, seed: int, experiment: str,
                       pass_name: str, y_test: np.ndarray, device: str = "", threads: int | None = None,
                       instruction_set: str = "") -> None:
    """``outputs`` maps model, history, scores, predictions, confusion, layers and summary to paths.

    Every file is written beside its place under a temporary name and moved there only when all are
    written: a full disk or a kill leaves none of them, never a truncated model.
    """
    with atomic_paths({name: outputs[name] for name in OUTPUT_NAMES}) as tmp:
        _write(result, tmp, settings=settings, seed=seed, experiment=experiment, pass_name=pass_name,
               y_test=y_test, device=device, threads=threads, instruction_set=instruction_set)


def _write(result, outputs, *, settings, seed, experiment, pass_name, y_test, device, threads,
           instruction_set) -> None:
    backend = settings.get("backend", "tensorflow")
    result.model.save(outputs["model"])
    result.history.to_csv(outputs["history"], index=False)

    n_classes = result.confusion.shape[0]
    prediction_table(y_test, result.predictions, result.probabilities).to_csv(
        outputs["predictions"], index_label="index", float_format="%.6g")
    prediction_table(result.val_labels, result.val_predictions, result.val_probabilities).to_csv(
        outputs["val_predictions"], index_label="index", float_format="%.6g")

    labels = list(range(n_classes))
    pd.DataFrame(result.confusion, index=pd.Index(labels, name="true"), columns=labels).to_csv(
        outputs["confusion"])
    pd.DataFrame(result.layers).to_csv(outputs["layers"], index=False)
    Path(outputs["summary"]).write_text(result.summary)

    scores = {
        "experiment": experiment,
        "pass": pass_name,
        "seed": seed,
        "dataset": settings["input"]["dataset"],
        "representation": settings["input"]["representation"],
        "input": settings["input"],
        "orientations": settings["input"].get("orientations"),
        "pixels_per_cell": settings["input"].get("pixels_per_cell"),
        "input_shape": list(result.model.input_shape[1:]),
        "test_loss": result.test_loss,
        "test_accuracy": result.test_accuracy,
        **result.params,
        "epochs": int(settings["epochs"]),
        "epochs_run": int(len(result.history)),
        "selected_epoch": result.selected_epoch,  # select_epoch: the epoch whose weights were kept
        "test_time_augmentation": result.tta,  # its views' test loss and accuracy, beside the plain ones
        "batch_size": int(settings["batch_size"]),
        "train_seconds": round(result.train_seconds, 3),
        "device": device,
        "backend": backend,  # the Keras backend (lab04/train/engines.py)
        "engine": describe(backend),  # with its version: identical results need the same one
        "precision": settings.get("precision", "float32"),  # the arithmetic (lab04/train/precision.py)
        "instruction_set": instruction_set,  # oneDNN's (lab04/train/isa.py): identical results need the same
        "threads": threads,  # TensorFlow's thread pools: with threads auto, the cores the job was given
        # the job's wall and CPU seconds from its start to here (what it used of the cores it reserved), and the
        # seconds it waited for a core
        "job_seconds": process_seconds(),
        "optimizer": result.optimizer,
        "loss": loss_name(settings["loss"]),
        "loss_label": loss_label(settings["loss"]),
        "settings": settings,  # everything the job trained with: what a comparison of two runs reads
    }
    Path(outputs["scores"]).write_text(json.dumps(scores, indent=2) + "\n")
