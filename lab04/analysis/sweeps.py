"""A sweep's points as tables: accuracy and the train/validation gap against the parameter count."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

MEASURES = ["test_accuracy", "val_accuracy", "gap"]


def point_values(point: str) -> list[str]:
    """'hidden~16_lr~0.001' (a Paramspace instance) -> ['16', '0.001'], as written in its job's path."""
    return [part.split("~", 1)[1] for part in point.split("_")]


def sweep_table(points: list[dict], score_files: list[str], history_files: list[str]) -> pd.DataFrame:
    """One row per (sweep point, seed): the point's values, its parameter count, test accuracy and loss,
    and the last epoch's validation accuracy and train - validation accuracy gap.

    ``points`` holds each job's keys and swept values (experiment, pass, point, seed, <name>: value),
    in the order of the score and history files.
    """
    rows = []
    for point, scores_path, history_path in zip(points, score_files, history_files, strict=True):
        scores = json.loads(Path(scores_path).read_text())
        last = pd.read_csv(history_path).iloc[-1]
        rows.append({**point, "params": scores["params"], "test_accuracy": scores["test_accuracy"],
                     "test_loss": scores["test_loss"], "train_accuracy": float(last["accuracy"]),
                     "val_accuracy": float(last["val_accuracy"]),
                     "gap": float(last["accuracy"] - last["val_accuracy"])})
    return pd.DataFrame(rows)


def sweep_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of each point (std 0 for one seed), in sweep order."""
    grouped = table.groupby(["experiment", "pass", "point"], sort=False)
    out = grouped.agg(runs=("seed", "size"), params=("params", "first"),
                      **{f"{m}_{f}": (m, f) for m in MEASURES for f in ("mean", "std")}).reset_index()
    return out.fillna({f"{m}_std": 0.0 for m in MEASURES})
