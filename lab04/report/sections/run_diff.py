"""Section: what changed since an earlier run (`make diff BASE=...`); none without a base."""

from __future__ import annotations

import pandas as pd

from lab04.analysis.diff import diff_base
from lab04.paths import table_file
from lab04.report.format import number, signed
from lab04.report.run import Run

TEMPLATE = "run_diff.html.j2"


def inputs(config: dict) -> dict[str, str]:
    """The comparison with the base run (rules/aggregate.smk, diff); nothing without diff_base."""
    return {"table": table_file("diff")} if diff_base(config) else {}


def params(config: dict) -> dict:
    return {"base": diff_base(config)}


def load(files: dict, params: dict) -> dict | None:
    return {"base": params["base"], "table": pd.read_csv(files["table"])} if files else None


def diff_rows(diff: pd.DataFrame) -> list[dict]:
    return [{"name": f"{r['experiment']}/{r['pass']}", "seed": int(r["seed"]), "status": r["status"],
             "base": number(r["base_test_accuracy"]), "current": number(r["test_accuracy"]),
             "accuracy": signed(r["delta_test_accuracy"]), "loss": signed(r["delta_test_loss"]),
             "params": signed(r["delta_params"], ",.0f"),
             "seconds": signed(r["delta_train_seconds"], ".1f"),
             "mcnemar": None if pd.isna(r["p_value"]) else
             {"base_only": int(r["base_only"]), "current_only": int(r["current_only"]), "p": f"{r['p_value']:.3g}"},
             "settings": [s for s in str(r["settings"]).split("; ") if s and s != "nan"]}
            for _, r in diff.iterrows()]


def chapters(run: Run) -> list[dict]:
    diff = run.loaded(__name__)
    if diff is None:
        return []
    rows = diff_rows(diff["table"])
    return [{"title": "Changes since the base run", "anchor": "diff", "toc": [], "base": diff["base"],
             "rows": rows, "changed": sum(r["status"] != "same" for r in rows),
             # several seeds of one pass (global or its own repeats): each row names its seed
             "seeds": len({r["seed"] for r in rows}) > 1}]
