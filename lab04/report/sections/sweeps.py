"""Section: model complexity. Each sweep's points against their parameter count (none: no section)."""

from __future__ import annotations

from lab04.analysis.sweeps import MEASURES, point_values, sweep_summary
from lab04.report import alt
from lab04.report.format import number
from lab04.report.run import Run

TEMPLATE = "sweeps.html.j2"


def _spread(mean: float, std: float, runs: int) -> str:
    return number(mean) + (f" ± {number(std)}" if runs > 1 else "")


def sweep_context(run: Run, experiment: str, pass_name: str) -> dict:
    table = run.sweeps["table"]
    own = table[(table["experiment"] == experiment) & (table["pass"] == pass_name)]
    summary = sweep_summary(own)
    settings = run.sweeps["settings"][f"{experiment}/{pass_name}"]
    rows = [{"point": r["point"], "values": point_values(r["point"]), "params": int(r["params"]),
             **{m: _spread(r[f"{m}_mean"], r[f"{m}_std"], int(r["runs"])) for m in MEASURES}}
            for _, r in summary.iterrows()]
    best = summary.loc[summary["test_accuracy_mean"].idxmax()]
    text = run.texts[experiment]["passes"][pass_name]
    return {"experiment": experiment, "pass": pass_name, "anchor": f"sweep-{experiment}-{pass_name}",
            "title": f"{text.get('title', pass_name)} ({experiment}/{pass_name})", "settings": settings,
            "rows": rows, "plot": run.sweeps["plots"][f"{experiment}/{pass_name}"],
            "plot_alt": alt.sweep(f"{experiment}/{pass_name}", rows),
            "best_point": best["point"], "best_params": int(best["params"]),
            "best_accuracy": float(best["test_accuracy_mean"]), "runs": int(summary["runs"].max())}


def chapters(run: Run) -> list[dict]:
    if not run.sweeps:
        return []
    sweeps = [sweep_context(run, *key.split("/")) for key in run.sweeps["settings"]]
    return [{"title": "Model complexity", "anchor": "sweeps", "sweeps": sweeps,
             "toc": [(s["anchor"], s["title"]) for s in sweeps]}]
