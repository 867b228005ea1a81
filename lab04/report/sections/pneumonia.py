"""Section: the pneumonia passes, with metrics on val and test, the validation-chosen threshold,
ROC and the false-negative analysis; a pass trained on several seeds adds each seed and their ensemble."""

from __future__ import annotations

import numpy as np

from lab04.analysis.pneumonia import ENSEMBLE, chosen_on_test, confusion_2x2, model_name
from lab04.config import sections_of
from lab04.report import alt
from lab04.report.passes import pass_context
from lab04.report.run import Run

TEMPLATE = "pneumonia.html.j2"
SECTION = "pneumonia"
SPREAD = ("recall", "specificity", "auc")


def models_at_threshold(rows) -> dict:
    """Each model's test scores at its validation-chosen threshold, and the seeds' mean and std."""
    chosen = chosen_on_test(rows)
    seeds = chosen[chosen["model"] != ENSEMBLE]
    return {"rows": chosen.to_dict("records"),
            "mean": {m: float(seeds[m].mean()) for m in SPREAD},
            "std": {m: float(np.std(seeds[m], ddof=1)) for m in SPREAD}}


def binary_pass(run: Run, experiment: str, pass_name: str) -> dict:
    ctx = pass_context(run, experiment, pass_name)
    pn = run.pneumonia
    metrics = pn["metrics"]
    own = metrics[(metrics["experiment"] == experiment) & (metrics["pass"] == pass_name)]
    primary = model_name(run.primary_seed)
    rows = own[own["model"] == primary].to_dict("records")
    ctx.update(label=f"{experiment}/{pass_name}", metrics=rows, data_key=ctx["input"]["arrays_key"],
               analysis=pn["summaries"][experiment, pass_name, primary],
               confusions=[(f"{r['split']}, threshold {r['threshold']:.3g}", confusion_2x2(r)) for r in rows],
               models=models_at_threshold(own) if own["model"].nunique() > 1 else None)
    return ctx


def chapters(run: Run) -> list[dict]:
    names = sections_of(run.texts, SECTION)
    if not names or run.pneumonia is None:
        return []
    passes = [binary_pass(run, e, p) for e in names for p in run.texts[e]["passes"]]
    classes = passes[0]["input"]["classes"]
    return [{"title": run.texts[names[0]].get("title", "Pneumonia"), "anchor": "pneumonia",
             "toc": [(f"pneumonia-{p['experiment']}-{p['name']}", p["title"]) for p in passes],
             "passes": passes, "data": run.pneumonia["data"], "settings": run.settings["pneumonia"],
             "roc": run.pneumonia["roc"], "sweep": run.pneumonia["sweep"], "classes": classes,
             "roc_alt": alt.roc(run.pneumonia["metrics"], model_name(run.primary_seed)),
             "sweep_alt": alt.threshold_sweep(run.pneumonia["metrics"], model_name(run.primary_seed))}]
