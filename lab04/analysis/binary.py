"""Binary (normal / pneumonia) evaluation: metrics at a threshold, ROC, threshold choice, false negatives."""

from __future__ import annotations

import numpy as np
import pandas as pd


def metrics_at(y: np.ndarray, p: np.ndarray, threshold: float = 0.5) -> dict:
    """Confusion counts and the usual rates; positive class = pneumonia (label 1)."""
    from sklearn.metrics import confusion_matrix, roc_auc_score  # slow imports, only where a job computes

    pred = (p >= threshold).astype(int)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y, pred, labels=[0, 1]).ravel())
    def ratio(a, b):
        return a / b if b else float("nan")
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    return {
        "threshold": float(threshold), "n": len(y), "tp": tp, "fp": fp, "tn": tn, "fn": fn,
        "accuracy": ratio(tp + tn, len(y)), "precision": precision, "recall": recall,
        "specificity": ratio(tn, tn + fp),
        "f1": ratio(2 * precision * recall, precision + recall) if tp else 0.0,
        "auc": float(roc_auc_score(y, p)) if len(set(y.tolist())) == 2 else float("nan"),
    }


def roc_table(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    from sklearn.metrics import roc_curve

    fpr, tpr, thresholds = roc_curve(y, p)
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": np.minimum(thresholds, 1.0)})


def threshold_sweep(y: np.ndarray, p: np.ndarray, thresholds=None) -> pd.DataFrame:
    thresholds = np.round(np.linspace(0.05, 0.95, 19), 2) if thresholds is None else thresholds
    return pd.DataFrame([metrics_at(y, p, t) for t in thresholds])


def threshold_for_sensitivity(y: np.ndarray, p: np.ndarray, target: float) -> float:
    """The highest threshold whose sensitivity on (y, p) still reaches ``target``.

    Highest, because every lower threshold only adds false positives. Candidates are the scores
    themselves, so the choice is exact on this split (and only as reliable as the split is large).
    """
    positives = np.sort(p[y == 1])
    if len(positives) == 0:
        raise ValueError("no positive cases: cannot choose a threshold for sensitivity")
    allowed_misses = int(np.floor((1 - target) * len(positives) + 1e-9))
    return float(positives[allowed_misses])


def false_negative_analysis(m: dict, population: int, prevalence: float) -> dict:
    """The report's arithmetic and the corrected one, side by side.

    * share of all tested: FN / n. Scaling it to a population assumes the population is ill as
      often as the test set (here most of it), which is what the original report did.
    * miss rate: FN / (TP + FN), the share of sick people the model sends home. Scaled by the
      number of people with pneumonia, population x prevalence, it counts the missed patients.
    """
    share = m["fn"] / m["n"]
    miss_rate = m["fn"] / (m["tp"] + m["fn"])
    test_prevalence = (m["tp"] + m["fn"]) / m["n"]
    sick = population * prevalence
    return {
        "fn": m["fn"], "n": m["n"], "positives": m["tp"] + m["fn"], "share_of_tested": share,
        "miss_rate": miss_rate, "test_prevalence": test_prevalence, "population": population,
        "prevalence": prevalence, "naive_extrapolation": share * population, "sick": sick,
        "missed_sick": miss_rate * sick,
    }
