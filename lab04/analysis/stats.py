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
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, 200):  # 200 resamples of every image at a time: bounded memory
        draws = rng.integers(0, len(correct), size=(min(200, resamples - start), len(correct)), dtype=np.int32)
        means[start:start + len(draws)] = correct[draws].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


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
