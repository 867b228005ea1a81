"""Aggregate per-pass outputs into pandas tables (no TensorFlow)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

METRIC_COLUMNS = [
    "experiment", "pass", "seed", "input_kind", "orientations", "pixels_per_cell", "test_loss",
    "test_accuracy", "params", "trainable_params", "non_trainable_params", "epochs", "batch_size",
    "train_seconds",
]


def metrics_table(score_files: list[str]) -> pd.DataFrame:
    """One row per (experiment, pass, seed), in the order of config."""
    rows = [json.loads(Path(path).read_text()) for path in score_files]
    table = pd.DataFrame(rows)
    for col in ("orientations", "pixels_per_cell"):
        table[col] = table[col].astype("Int64")
    return table[METRIC_COLUMNS]
