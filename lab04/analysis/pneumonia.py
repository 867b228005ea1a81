"""The pneumonia section's numbers: metrics on val and test, ROC, a validation-chosen threshold, FN analysis."""

from __future__ import annotations

import pandas as pd

from lab04.analysis.binary import (
    false_negative_analysis,
    metrics_at,
    roc_table,
    threshold_for_sensitivity,
    threshold_sweep,
)


def analyse_pass(name: str, val: pd.DataFrame, test: pd.DataFrame, target: float, population: int,
                 prevalence: float) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Everything the report says about one pass, from its unshuffled val and test predictions."""
    yv, pv = val["y_true"].to_numpy(), val["p_0"].to_numpy()
    yt, pt = test["y_true"].to_numpy(), test["p_0"].to_numpy()
    chosen = threshold_for_sensitivity(yv, pv, target)
    rows = [
        {"pass": name, "split": "val", "rule": "0.5", **metrics_at(yv, pv, 0.5)},
        {"pass": name, "split": "test", "rule": "0.5", **metrics_at(yt, pt, 0.5)},
        {"pass": name, "split": "val", "rule": f"val sensitivity ≥ {target:g}", **metrics_at(yv, pv, chosen)},
        {"pass": name, "split": "test", "rule": f"val sensitivity ≥ {target:g}", **metrics_at(yt, pt, chosen)},
    ]
    summary = {
        "pass": name, "threshold": chosen, "target": target, "val_n": len(yv),
        "val_positives": int(yv.sum()), "val_negatives": int(len(yv) - yv.sum()),
        "fn_default": false_negative_analysis(rows[1], population, prevalence),
        "fn_chosen": false_negative_analysis(rows[3], population, prevalence),
    }
    tables = {
        "metrics": pd.DataFrame(rows),
        "roc": pd.concat([roc_table(yt, pt).assign(split="test"), roc_table(yv, pv).assign(split="val")])
        .assign(**{"pass": name}),
        "sweep": threshold_sweep(yt, pt).assign(**{"pass": name, "split": "test"}),
    }
    return summary, tables


def confusion_2x2(m: dict) -> list[list[int]]:
    """Rows true normal / pneumonia, columns predicted normal / pneumonia."""
    return [[m["tn"], m["fp"]], [m["fn"], m["tp"]]]
