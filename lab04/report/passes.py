"""What every pass shows, whatever its section: settings, topology, Keras summary, weight arithmetic."""

from __future__ import annotations

import numpy as np

from lab04.analysis.weights import total_line, weight_groups, weight_lines
from lab04.keys import PassKey
from lab04.report import alt
from lab04.report.format import (
    figure_values,
    hidden_layers,
    layer_description,
    markdown,
    mean_std,
    number,
    optimizer_brief,
    readable_bytes,
)
from lab04.report.run import Run

# Compact detail sets the Keras summary beside the weight arithmetic when both are short: side by side they
# stay together on one page (WeasyPrint cannot break two columns across a page cleanly), so a block of at
# most a third of a page moves whole to the next page, not two thirds under a stranded heading. A longer
# model's tables come one after the other, full width, and break between rows.
SIDE_BY_SIDE_MAX_LAYERS = 8


def interval_text(summary) -> str | None:
    """'0.9712–0.9801', the bootstrap interval of the pass's test accuracy (None in a table without it)."""
    low, high = summary.get("test_accuracy_low"), summary.get("test_accuracy_high")
    if low is None or high is None or low != low:
        return None
    return f"{number(low)}–{number(high)}"


def ensemble_text(summary) -> dict | None:
    """The seed ensemble's members, accuracy and interval (None for a pass with one seed)."""
    members = summary.get("ensemble_members")
    if members is None or members != members:
        return None
    return {"members": int(members), "accuracy": number(summary["ensemble_accuracy"]),
            "interval": f"{number(summary['ensemble_accuracy_low'])}–{number(summary['ensemble_accuracy_high'])}"}


def augmented(run: Run, experiment: str, pass_name: str) -> dict | None:
    """Test-time augmentation's scores over the pass's seeds: views, and accuracy as mean ± sd."""
    found = [s["test_time_augmentation"] for (e, p, _), s in sorted(run.scores.items())
             if (e, p) == (experiment, pass_name) and s.get("test_time_augmentation")]
    if not found:
        return None
    accuracy = np.array([f["test_accuracy"] for f in found])
    return {"views": found[0]["views"], "accuracy": mean_std(accuracy.mean(), accuracy.std(ddof=1) if len(found) > 1
                                                               else 0.0, len(found))}


# a training curve's columns in lab04's histories table, and how the web page's table beside the plot heads them
CURVE_COLUMNS = {"epoch": "Epoch", "loss": "Training loss", "val_loss": "Validation loss",
                 "accuracy": "Training accuracy", "val_accuracy": "Validation accuracy"}


def pass_context(run: Run, experiment: str, pass_name: str) -> dict:
    text = run.texts[experiment]["passes"][pass_name]
    history = run.rows("histories", experiment, pass_name)
    score = run.score(experiment, pass_name)
    layers = run.layers[experiment, pass_name, run.primary_seed]
    lines = weight_lines(layers)
    records = layers.to_dict("records")
    top = [r for r in records if not r.get("depth")]  # Keras' summary: a nested model is one row
    summary = run.tables["pass_summary"].set_index(["experiment", "pass"]).loc[(experiment, pass_name)]
    return {
        "experiment": experiment,
        "name": pass_name,
        "title": text.get("title", pass_name),
        "note": text.get("note"),
        "discussion": markdown(text.get("discussion")),
        "input": run.inputs[PassKey(experiment, pass_name).label],
        "scores": score,
        # the share of the training images Keras held out (None: a validation split of its own, or unknown)
        "validation_split": (score.get("settings") or {}).get("validation_split"),
        "inputs": " × ".join(str(d) for d in score["input_shape"]),
        "n_inputs": int(np.prod(score["input_shape"])),
        "hidden": hidden_layers(records),
        "output": layer_description(top[-1]),
        "binary_output": top[-1].get("units") == 1,
        "layers": top,
        "side_by_side": len(top) <= SIDE_BY_SIDE_MAX_LAYERS and len(lines) <= SIDE_BY_SIDE_MAX_LAYERS,
        "weights": lines,
        "weight_groups": weight_groups(lines),
        "weights_total": total_line(lines, score["params"]),
        "sizes": {k: readable_bytes(score[k]) for k in ("params", "trainable_params", "non_trainable_params")},
        "optimizer": optimizer_brief(score["optimizer"]),
        "accuracy_mean": float(summary["test_accuracy_mean"]),
        "accuracy": mean_std(summary["test_accuracy_mean"], summary["test_accuracy_std"], int(summary["runs"])),
        "loss": mean_std(summary["test_loss_mean"], summary["test_loss_std"], int(summary["runs"])),
        "interval": interval_text(summary),
        # training time of a seed: the mean over seeds where the pass was trained more than once
        "train_seconds": float(summary["train_seconds_mean"]),
        "engine": summary["engines"],  # the Keras backend and its version (of every seed)
        "precision": summary.get("precisions", "float32"),  # the arithmetic of every seed (lab04/train/precision.py)
        "ensemble": ensemble_text(summary),
        "tta": augmented(run, experiment, pass_name),
        # every seed's test accuracy and training time when the pass was trained more than once
        "seeds": [{"seed": s, "accuracy": run.scores[e, p, s]["test_accuracy"],
                   "train_seconds": run.scores[e, p, s]["train_seconds"]}
                  for e, p, s in sorted(run.scores) if (e, p) == (experiment, pass_name)]
        if int(summary["runs"]) > 1 else [],
        "curves": run.plots[experiment, pass_name]["curves"],
        "curves_alt": alt.curves(f"{experiment}/{pass_name}", history),
        "curve_values": figure_values(history, CURVE_COLUMNS),
        "confusion_plot": run.plots[experiment, pass_name]["confusion"],
    }
