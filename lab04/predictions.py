"""A model's test predictions as predictions.csv holds them (``y_true``, ``y_pred`` and one ``p_<class>``
column per output): the class read off probabilities, and the mean prediction of several seeds' models.
NumPy and pandas only, so training and the aggregation jobs share one rule."""

from __future__ import annotations

import numpy as np
import pandas as pd


def hard_labels(probabilities: np.ndarray) -> np.ndarray:
    """The class of each row: the most probable one, or for a single sigmoid output 1 at 0.5 and above."""
    if probabilities.shape[-1] == 1:
        return (probabilities[:, 0] >= 0.5).astype(int)
    return probabilities.argmax(axis=-1)


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of (true class, predicted class) over ``n_classes`` classes: rows true, columns predicted, as
    scikit-learn's ``confusion_matrix`` with ``labels=range(n_classes)`` (a training job does not load it)."""
    pairs = np.asarray(y_true, dtype=np.int64) * n_classes + np.asarray(y_pred, dtype=np.int64)
    return np.bincount(pairs, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def mean_prediction(frames: list[pd.DataFrame], name: str = "the seeds") -> pd.DataFrame:
    """The seed ensemble of ``frames`` (predictions of the same images in the same order): each ``p_``
    column averaged over the frames, ``y_pred`` read off the mean; the other columns from the first frame."""
    first = frames[0]
    truth = first["y_true"].to_numpy()
    if any(not np.array_equal(f["y_true"].to_numpy(), truth) for f in frames[1:]):
        raise ValueError(f"the predictions of {name} are not of the same images in the same order; rerun their "
                         "training jobs on one data file")
    columns = [c for c in first.columns if c.startswith("p_")]
    mean = np.mean([f[columns].to_numpy() for f in frames], axis=0)
    return first.assign(**dict(zip(columns, mean.T, strict=True)), y_pred=hard_labels(mean))
