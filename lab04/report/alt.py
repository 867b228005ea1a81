"""Alternative text of the report's figures, written from the data each figure draws: what a reader who
cannot see the figure needs to know (the tagged PDF carries it as each figure's /Alt)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab04.analysis.pneumonia import chosen_on_test
from lab04.analysis.stats import overfitting, top_confusions

# The typeset equations (lab04/analysis/plots.py), read aloud.
EQUATIONS = {
    "rmsprop": "RMSprop update: v_t = rho times v_(t-1) plus (1 - rho) times g_t squared, where g_t is the "
               "gradient of the loss L with respect to the weight w; then w_t = w_(t-1) minus eta divided by "
               "the square root of (v_t + epsilon), times g_t.",
    "adam": "Adam update: m_t = beta_1 times m_(t-1) plus (1 - beta_1) times g_t; v_t = beta_2 times v_(t-1) "
            "plus (1 - beta_2) times g_t squared; w_t = w_(t-1) minus eta times m-hat_t divided by (the square "
            "root of v-hat_t plus epsilon), with m-hat_t = m_t / (1 - beta_1 to the power t) and "
            "v-hat_t = v_t / (1 - beta_2 to the power t).",
    "cross_entropy": "Categorical cross-entropy: L = minus 1 over N times the sum over the N samples n and the "
                     "C classes i of t_(n,i) times log s_(n,i), with t the one-hot target and s the softmax "
                     "output.",
    "binary_cross_entropy": "Binary cross-entropy: L = minus 1 over N times the sum over the N samples n of "
                            "t_n log p_n plus (1 - t_n) log (1 - p_n), with t_n the target (0 or 1) and p_n "
                            "the predicted probability of class 1.",
}


def _pct(share: float) -> str:
    return f"{100 * share:.1f} %"


def confusion(label: str, matrix, classes: list[str]) -> str:
    """'Confusion matrix of raw/pass1 on 10,000 test images: 97.6 % on the diagonal; largest confusion
    9 → 4, 23 images.'"""
    matrix = np.asarray(matrix)
    total = int(matrix.sum())
    text = (f"Confusion matrix of {label} on {total:,} test images: "
            f"{_pct(np.trace(matrix) / total if total else 0.0)} on the diagonal")
    pairs = top_confusions(matrix, 2)
    if not pairs:
        return text + "; no image confused."
    worst = "; ".join(f"{classes[t]} → {classes[p]}, {n:,} image{'s' if n != 1 else ''}" for t, p, n in pairs)
    return f"{text}; largest confusion{'s' if len(pairs) > 1 else ''} {worst}."


def curves(label: str, history: pd.DataFrame) -> str:
    """Training curves in words: accuracy at the first and last epoch, and where validation loss bottomed."""
    if history.empty:
        return f"Training curves of {label}: no epochs recorded."
    first, last = history.iloc[0], history.iloc[-1]
    epochs = len(history)
    # accuracy where the pass recorded it (metrics: [accuracy], the default), loss otherwise
    measure = "accuracy" if {"accuracy", "val_accuracy"} <= set(history.columns) else "loss"
    digits = 3 if measure == "accuracy" else 4
    if epochs == 1:
        trend = (f"one epoch: training {measure} {last[measure]:.{digits}f}, validation {measure} "
                 f"{last['val_' + measure]:.{digits}f}, validation loss {last['val_loss']:.4f}.")
    else:
        of = overfitting(history)
        lowest = (f"at the last epoch ({of['best_val_loss']:.4f})" if of["best_epoch"] == epochs else
                  f"at epoch {of['best_epoch']} ({of['best_val_loss']:.4f}), {of['last_val_loss']:.4f} at the last")
        trend = (f"{epochs} epochs: training {measure} from {first[measure]:.{digits}f} to "
                 f"{last[measure]:.{digits}f}, validation {measure} from {first['val_' + measure]:.{digits}f} to "
                 f"{last['val_' + measure]:.{digits}f}; validation loss lowest {lowest}.")
    return f"Training curves of {label}, loss{' and accuracy' if measure == 'accuracy' else ''} per epoch over {trend}"


def comparison(title: str, rows: list[dict]) -> str:
    """The comparison chart of one data set's passes: the best and the worst, with their weights."""
    ranked = sorted(rows, key=lambda r: r["test_accuracy_mean"], reverse=True)
    best, worst = ranked[0], ranked[-1]

    def one(r: dict) -> str:
        return f"{r['experiment']}/{r['pass']}, {_pct(r['test_accuracy_mean'])} with {int(r['params']):,} parameters"

    text = f"Test accuracy and parameter count of the {len(rows)} passes on {title}: highest {one(best)}"
    return text + (f"; lowest {one(worst)}." if len(rows) > 1 else ".")


def roc(metrics: pd.DataFrame, model: str) -> str:
    """The pneumonia ROC chart: each pass's test AUC and its operating point at the chosen threshold."""
    chosen = chosen_on_test(metrics, model)
    parts = [f"{r['experiment']}/{r['pass']} AUC {r['auc']:.3f}, sensitivity {r['recall']:.3f} at specificity "
             f"{r['specificity']:.3f}" for _, r in chosen.iterrows()]
    return "ROC curves on the test set: " + "; ".join(parts) + " (at each pass's validation-chosen threshold)."


def threshold_sweep(metrics: pd.DataFrame, model: str) -> str:
    """The threshold chart: where each pass's validation-chosen threshold lies and what it gives on test."""
    chosen = chosen_on_test(metrics, model)
    parts = [f"{r['experiment']}/{r['pass']} threshold {r['threshold']:.3g}: sensitivity {r['recall']:.3f}, "
             f"specificity {r['specificity']:.3f}, F1 {r['f1']:.3f}" for _, r in chosen.iterrows()]
    return ("Sensitivity, specificity and F1 on the test set as the decision threshold moves from 0 to 1; "
            + "; ".join(parts) + ".")


def sweep(label: str, rows: list[dict]) -> str:
    """A sweep chart: accuracy against parameter count, from the smallest model to the largest."""
    by_size = sorted(rows, key=lambda r: r["params"])
    small, large = by_size[0], by_size[-1]
    return (f"Test and validation accuracy and their gap to training accuracy against the parameter count for "
            f"the {len(rows)} points of {label}: from {small['params']:,} parameters (test accuracy "
            f"{small['test_accuracy']}) to {large['params']:,} (test accuracy {large['test_accuracy']}).")


def timeline(runtimes: pd.DataFrame) -> str:
    """The run's Gantt chart (the jobs it draws: those of the latest invocation): how many jobs, the longest,
    and the core-seconds they took."""
    jobs = runtimes.dropna(subset=["wall_seconds"]).sort_values("wall_seconds", ascending=False)
    if jobs.empty:
        return "Timeline of the run's jobs per core: no jobs recorded."
    longest = jobs.iloc[0]
    return (f"Timeline of the {len(jobs)} jobs of the run's latest invocation per core: the longest, "
            f"{longest['job']}, ran "
            f"{longest['wall_seconds']:.0f} s; the jobs' wall times add up to {jobs['wall_seconds'].sum():.0f} s.")
