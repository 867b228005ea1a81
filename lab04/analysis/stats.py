"""Statistics over paired predictions and confusion matrices."""

from __future__ import annotations

import numpy as np


def mcnemar_exact(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> dict:
    """McNemar's exact test on paired predictions of the same test images.

    ``b``: images A gets right and B gets wrong; ``c``: the reverse. Under the null hypothesis
    that both models err equally often, b ~ Binomial(b + c, 1/2).
    """
    from scipy.stats import binomtest  # slow import (1.5 s): the report's sections are read while planning

    right_a, right_b = pred_a == y_true, pred_b == y_true
    b, c = int(np.sum(right_a & ~right_b)), int(np.sum(~right_a & right_b))
    p = 1.0 if b + c == 0 else float(binomtest(b, b + c, 0.5).pvalue)
    return {"a_only": b, "b_only": c, "p_value": p}


BOOTSTRAP_RESAMPLES = 2000


def accuracy_interval(correct: np.ndarray, level: float = 0.95, resamples: int = BOOTSTRAP_RESAMPLES,
                      seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of test accuracy over the test images: ``correct`` is one row per
    image (one column per seed of the pass, each 1 where that seed's model was right), the images are
    drawn with replacement ``resamples`` times, and the interval holds the middle ``level`` of the
    resampled mean accuracies. Seeded: the same predictions give the same interval."""
    correct = np.asarray(correct, dtype=float).reshape(len(correct), -1).mean(axis=1)
    means = np.concatenate([correct[draws].mean(axis=1) for draws in _resampled(len(correct), resamples, seed)])
    return _percentiles(means, level)


def _resampled(n: int, resamples: int, seed: int):
    """Index draws of ``n`` test images with replacement, 200 resamples at a time (bounded memory)."""
    rng = np.random.default_rng(seed)
    for start in range(0, resamples, 200):
        yield rng.integers(0, n, size=(min(200, resamples - start), n), dtype=np.int32)


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _auc_rows(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """AUC of each row of resampled labels ``y`` and probabilities ``p`` (Mann-Whitney U with mid-ranks,
    which is what roc_auc_score computes); NaN where a resample holds only one class."""
    from scipy.stats import rankdata

    ranks = rankdata(p, axis=1)
    positives = y.sum(axis=1)
    negatives = y.shape[1] - positives
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((ranks * y).sum(axis=1) - positives * (positives + 1) / 2) / (positives * negatives)


def binary_intervals(y: np.ndarray, p: np.ndarray, threshold: float, level: float = 0.95,
                     resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> dict[str, float]:
    """Percentile bootstrap intervals of sensitivity, specificity (at ``threshold``) and AUC over the test
    images: ``y`` the true labels (1 = positive), ``p`` the predicted probabilities; the images are drawn
    with replacement ``resamples`` times and each interval holds the middle ``level`` of the resampled
    values. Seeded: the same predictions give the same intervals. Keys ``recall_low``, ``recall_high``,
    ``specificity_low``, ... as the metric tables name the measures."""
    y, p = np.asarray(y).astype(int), np.asarray(p, dtype=float)
    hit = (p >= threshold).astype(int)
    values = {"recall": [], "specificity": [], "auc": []}
    for draws in _resampled(len(y), resamples, seed):
        yd, hd = y[draws], hit[draws]
        with np.errstate(invalid="ignore", divide="ignore"):
            values["recall"].append((yd * hd).sum(axis=1) / yd.sum(axis=1))
            values["specificity"].append(((1 - yd) * (1 - hd)).sum(axis=1) / (1 - yd).sum(axis=1))
        values["auc"].append(_auc_rows(yd, p[draws]))
    out = {}
    for name, chunks in values.items():
        out[f"{name}_low"], out[f"{name}_high"] = _percentiles(np.concatenate(chunks), level)
    return out


def class_errors(confusion: np.ndarray) -> np.ndarray:
    """Misclassified images per true class (row sum minus diagonal)."""
    return confusion.sum(axis=1) - np.diag(confusion)


def top_confusions(confusion: np.ndarray, k: int = 5) -> list[tuple[int, int, int]]:
    """The k largest off-diagonal cells as (true, predicted, count), largest first."""
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None, kind="stable")[::-1][:k]
    return [(int(i), int(j), int(off[i, j])) for i, j in zip(*np.unravel_index(order, off.shape), strict=True)
            if off[i, j] > 0]


def overfitting(history) -> dict:
    """Where validation loss bottomed out and how far it rose by the last epoch.

    It counts as overfitting when the minimum lies well before the end (in the first 90 % of the
    epochs) and the last value is more than 5 % above it: epoch-to-epoch noise near the end of a
    long run is not reported.
    """
    val = np.asarray(history["val_loss"], dtype=float)
    best = int(np.argmin(val))
    rise = float(val[-1] - val[best])
    return {"best_epoch": best + 1, "best_val_loss": float(val[best]), "last_epoch": len(val),
            "last_val_loss": float(val[-1]), "rise": rise,
            "rose": bool(best + 1 <= 0.9 * len(val) and rise > 0.05 * val[best])}
