"""Write what one training job produced into its results/<experiment>/<pass>/seed<N>/ files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd


def write_pass_outputs(result, outputs, *, settings: dict, seed: int, experiment: str,
                       pass_name: str, y_test: np.ndarray) -> None:
    """``outputs`` maps model, history, scores, predictions, confusion, layers and summary to paths."""
    result.model.save(outputs["model"])
    result.history.to_csv(outputs["history"], index=False)

    n_classes = result.confusion.shape[0]
    probs = result.probabilities.reshape(len(y_test), -1)
    pred = pd.DataFrame({"y_true": y_test.astype(int), "y_pred": result.predictions.astype(int)})
    for k in range(probs.shape[1]):
        pred[f"p_{k}"] = probs[:, k]
    pred.to_csv(outputs["predictions"], index_label="index", float_format="%.6g")

    labels = list(range(n_classes))
    pd.DataFrame(result.confusion, index=pd.Index(labels, name="true"), columns=labels).to_csv(
        outputs["confusion"])
    pd.DataFrame(result.layers).to_csv(outputs["layers"], index=False)
    Path(outputs["summary"]).write_text(result.summary)

    scores = {
        "experiment": experiment,
        "pass": pass_name,
        "seed": seed,
        "input_kind": settings["input"]["kind"],
        "orientations": settings["input"].get("orientations"),
        "pixels_per_cell": settings["input"].get("pixels_per_cell"),
        "input_shape": list(result.model.input_shape[1:]),
        "test_loss": result.test_loss,
        "test_accuracy": result.test_accuracy,
        **result.params,
        "epochs": int(settings["epochs"]),
        "epochs_run": int(len(result.history)),
        "batch_size": int(settings["batch_size"]),
        "train_seconds": round(result.train_seconds, 3),
        "optimizer": result.optimizer,
        "loss": settings["loss"],
    }
    Path(outputs["scores"]).write_text(json.dumps(scores, indent=2) + "\n")
