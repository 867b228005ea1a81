"""Section: what changed since an earlier run (`make diff BASE=...`); none without a base."""

from __future__ import annotations

import pandas as pd

from lab04.report.format import count, number
from lab04.report.run import Run

TEMPLATE = "run_diff.html.j2"


def _signed(value, digits: int = 4) -> str:
    return number(value, digits) if pd.isna(value) else f"{value:+.{digits}f}"


def diff_rows(diff: pd.DataFrame) -> list[dict]:
    return [{"name": f"{r['experiment']}/{r['pass']}", "seed": int(r["seed"]), "status": r["status"],
             "base": number(r["base_test_accuracy"]), "current": number(r["test_accuracy"]),
             "accuracy": _signed(r["delta_test_accuracy"]), "loss": _signed(r["delta_test_loss"]),
             "params": count(r["delta_params"]) if pd.isna(r["delta_params"]) else f"{int(r['delta_params']):+,}",
             "seconds": _signed(r["delta_train_seconds"], 1),
             "mcnemar": None if pd.isna(r["p_value"]) else
             {"base_only": int(r["base_only"]), "current_only": int(r["current_only"]), "p": f"{r['p_value']:.3g}"},
             "settings": [s for s in str(r["settings"]).split("; ") if s and s != "nan"]}
            for _, r in diff.iterrows()]


def chapters(run: Run) -> list[dict]:
    if run.diff is None:
        return []
    rows = diff_rows(run.diff["table"])
    return [{"title": "Changes since the base run", "anchor": "diff", "toc": [], "base": run.diff["base"],
             "rows": rows, "changed": sum(r["status"] != "same" for r in rows),
             # several seeds of one pass (global or its own repeats): each row names its seed
             "seeds": len({r["seed"] for r in rows}) > 1}]
