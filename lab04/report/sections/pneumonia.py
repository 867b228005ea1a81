"""Section: the pneumonia passes, with metrics on val and test, the validation-chosen threshold,
ROC and the false-negative analysis."""

from __future__ import annotations

from lab04.analysis.pneumonia import confusion_2x2
from lab04.config import sections_of
from lab04.report.passes import pass_context
from lab04.report.run import Run

TEMPLATE = "pneumonia.html.j2"
SECTION = "pneumonia"


def binary_pass(run: Run, experiment: str, pass_name: str) -> dict:
    ctx = pass_context(run, experiment, pass_name)
    pn = run.pneumonia
    rows = pn["metrics"][pn["metrics"]["pass"] == pass_name].to_dict("records")
    ctx.update(metrics=rows, analysis=pn["summaries"][pass_name], data_key=ctx["input"]["arrays_key"],
               confusions=[(f"{r['split']}, threshold {r['threshold']:.3g}", confusion_2x2(r)) for r in rows])
    return ctx


def chapters(run: Run) -> list[dict]:
    names = sections_of(run.texts, SECTION)
    if not names or run.pneumonia is None:
        return []
    passes = [binary_pass(run, e, p) for e in names for p in run.texts[e]["passes"]]
    classes = passes[0]["input"]["classes"]
    return [{"title": run.texts[names[0]].get("title", "Pneumonia"), "anchor": "pneumonia",
             "toc": [(f"pneumonia-{p['name']}", p["title"]) for p in passes],
             "passes": passes, "data": run.pneumonia["data"], "settings": run.settings["pneumonia"],
             "roc": run.pneumonia["roc"], "sweep": run.pneumonia["sweep"], "classes": classes}]
