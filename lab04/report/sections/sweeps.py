"""Section: model complexity. Each sweep's points against their parameter count (none: no section)."""

from __future__ import annotations

import pandas as pd

from lab04.analysis.sweeps import MEASURES, point_values, sweep_summary
from lab04.keys import PassKey
from lab04.paths import plot_file, table_file
from lab04.report import alt
from lab04.report.format import number
from lab04.report.run import Run
from lab04.sweeps import sweep_spec, sweeps

TEMPLATE = "sweeps.html.j2"


def inputs(config: dict) -> dict:
    """The sweep table and one plot per sweep (rules/aggregate.smk and plots.smk); none without sweeps."""
    if not sweeps(config):
        return {}
    return {"table": table_file("sweeps"), "plots": [plot_file(f"sweeps/{e}/{p}") for e, p in sweeps(config)]}


def params(config: dict) -> dict:
    return {"settings": {PassKey(e, p).label: sweep_spec(config, e, p) for e, p in sweeps(config)}}


def load(files: dict, params: dict) -> dict | None:
    if not files:
        return None
    return {"table": pd.read_csv(files["table"]), "settings": params["settings"],
            "plots": dict(zip(params["settings"], files["plots"], strict=True))}


def _spread(mean: float, std: float, runs: int) -> str:
    return number(mean) + (f" ± {number(std)}" if runs > 1 else "")


def sweep_context(loaded: dict, run: Run, experiment: str, pass_name: str) -> dict:
    table = loaded["table"]
    own = table[(table["experiment"] == experiment) & (table["pass"] == pass_name)]
    summary = sweep_summary(own)
    label = PassKey(experiment, pass_name).label
    settings = loaded["settings"][label]
    rows = [{"point": r["point"], "values": point_values(r["point"]), "params": int(r["params"]),
             **{m: _spread(r[f"{m}_mean"], r[f"{m}_std"], int(r["runs"])) for m in MEASURES}}
            for _, r in summary.iterrows()]
    best = summary.loc[summary["test_accuracy_mean"].idxmax()]
    text = run.texts[experiment]["passes"][pass_name]
    return {"experiment": experiment, "pass": pass_name, "anchor": f"sweep-{experiment}-{pass_name}",
            "title": f"{text.get('title', pass_name)} ({experiment}/{pass_name})", "settings": settings,
            "rows": rows, "plot": loaded["plots"][label],
            "plot_alt": alt.sweep(f"{experiment}/{pass_name}", rows),
            "best_point": best["point"], "best_params": int(best["params"]),
            "best_accuracy": float(best["test_accuracy_mean"]), "runs": int(summary["runs"].max())}


def chapters(run: Run) -> list[dict]:
    loaded = run.loaded(__name__)
    if not loaded:
        return []
    contexts = [sweep_context(loaded, run, *PassKey.parse(label)) for label in loaded["settings"]]
    return [{"title": "Model complexity", "anchor": "sweeps", "sweeps": contexts,
             "toc": [(s["anchor"], s["title"]) for s in contexts]}]
