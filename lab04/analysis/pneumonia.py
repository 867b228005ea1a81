"""The pneumonia section's numbers: metrics on val and test, ROC, a validation-chosen threshold, FN analysis.

Each seed's model of a pass is analysed on its own. A pass trained on several seeds (``repeats``) is
also analysed as their ensemble: the mean predicted probability of its seeds' models, with its own
threshold chosen on the same validation split, so no test image decides anything.
"""

from __future__ import annotations

import pandas as pd

from lab04.analysis.binary import (
    false_negative_analysis,
    metrics_at,
    roc_table,
    threshold_for_sensitivity,
    threshold_sweep,
)
from lab04.analysis.stats import binary_intervals
from lab04.predictions import mean_prediction

ENSEMBLE = "ensemble"


def model_name(seed: int) -> str:
    return f"seed {seed}"


def analyse_model(key: dict, val: pd.DataFrame, test: pd.DataFrame, target: float, population: int,
                  prevalence: float) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Everything the report says about one model (``key``: experiment, pass, model), from its
    unshuffled val and test predictions."""
    yv, pv = val["y_true"].to_numpy(), val["p_0"].to_numpy()
    yt, pt = test["y_true"].to_numpy(), test["p_0"].to_numpy()
    chosen = threshold_for_sensitivity(yv, pv, target)
    # test rows carry 95 % bootstrap intervals of sensitivity, specificity and AUC over the test images
    rows = [
        {**key, "split": "val", "rule": "0.5", **metrics_at(yv, pv, 0.5)},
        {**key, "split": "test", "rule": "0.5", **metrics_at(yt, pt, 0.5), **binary_intervals(yt, pt, 0.5)},
        {**key, "split": "val", "rule": f"val sensitivity ≥ {target:g}", **metrics_at(yv, pv, chosen)},
        {**key, "split": "test", "rule": f"val sensitivity ≥ {target:g}", **metrics_at(yt, pt, chosen),
         **binary_intervals(yt, pt, chosen)},
    ]
    summary = {
        **key, "threshold": chosen, "target": target, "val_n": len(yv),
        "val_positives": int(yv.sum()), "val_negatives": int(len(yv) - yv.sum()),
        "fn_default": false_negative_analysis(rows[1], population, prevalence),
        "fn_chosen": false_negative_analysis(rows[3], population, prevalence),
    }
    tables = {
        "metrics": pd.DataFrame(rows),
        "roc": pd.concat([roc_table(yt, pt).assign(split="test"), roc_table(yv, pv).assign(split="val")])
        .assign(**key),
        "sweep": threshold_sweep(yt, pt).assign(**key, split="test"),
    }
    return summary, tables


def analyse_passes(jobs: list[tuple[str, str, int, pd.DataFrame, pd.DataFrame]], target: float, population: int,
                   prevalence: float) -> tuple[list[dict], dict[str, pd.DataFrame]]:
    """Every (experiment, pass, seed, val predictions, test predictions): each seed's model, and the
    ensemble of each pass trained on more than one seed. Returns the summaries and the joined tables."""
    models: dict[tuple[str, str], list[tuple[str, pd.DataFrame, pd.DataFrame]]] = {}
    for experiment, pass_name, seed, val, test in jobs:
        models.setdefault((experiment, pass_name), []).append((model_name(seed), val, test))
    summaries, tables = [], {"metrics": [], "roc": [], "sweep": []}
    for (experiment, pass_name), own in models.items():
        if len(own) > 1:
            seeds = f"the seeds of {experiment}/{pass_name}"
            own = [*own, (ENSEMBLE, mean_prediction([v for _, v, _ in own], seeds),
                          mean_prediction([t for _, _, t in own], seeds))]
        for model, val, test in own:
            key = {"experiment": experiment, "pass": pass_name, "model": model, "members": 1 if model != ENSEMBLE
                   else len(own) - 1}
            summary, t = analyse_model(key, val, test, target, population, prevalence)
            summaries.append(summary)
            for name, frame in t.items():
                tables[name].append(frame)
    return summaries, {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}


def plot_labels(summaries: list[dict], primary_seed: int) -> dict[tuple[str, str, str], str]:
    """The models the plots show, (experiment, pass, model) -> label: each pass's primary seed and its
    seed ensemble when it has one, named by the pass (experiment/pass where two share a pass name)."""
    pairs = list(dict.fromkeys((s["experiment"], s["pass"]) for s in summaries))
    names = [p for _, p in pairs]
    out = {}
    for e, p in pairs:
        name = p if names.count(p) == 1 else f"{e}/{p}"
        out[e, p, model_name(primary_seed)] = name
        for s in summaries:
            if (s["experiment"], s["pass"], s["model"]) == (e, p, ENSEMBLE):
                out[e, p, ENSEMBLE] = f"{name}, ensemble of {s['members']}"
    return out


def chosen_on_test(metrics: pd.DataFrame, model: str | None = None) -> pd.DataFrame:
    """The test-set rows at each model's validation-chosen threshold (not the plain 0.5 rows), of one
    ``model`` or of all."""
    rows = metrics[(metrics["split"] == "test") & (metrics["rule"] != "0.5")]
    return rows if model is None else rows[rows["model"] == model]


def confusion_2x2(m: dict) -> list[list[int]]:
    """Rows true normal / pneumonia, columns predicted normal / pneumonia."""
    return [[m["tn"], m["fp"]], [m["fn"], m["tp"]]]
