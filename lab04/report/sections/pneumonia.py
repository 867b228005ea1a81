"""Section: the pneumonia passes, with metrics on val and test, the validation-chosen threshold,
ROC and the false-negative analysis; a pass trained on several seeds adds each seed and their ensemble."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from lab04.analysis.pneumonia import ENSEMBLE, chosen_on_test, confusion_2x2, model_name, plot_labels
from lab04.analysis.stats import BOOTSTRAP_RESAMPLES
from lab04.config import passes, sections_of
from lab04.pass_inputs import image_folder_inputs
from lab04.paths import data_record, plot_file, table_file
from lab04.report import alt
from lab04.report.format import figure_values
from lab04.report.passes import pass_context
from lab04.report.run import Run

TEMPLATE = "pneumonia.html.j2"
SECTION = "pneumonia"
SPREAD = ("accuracy", "recall", "specificity", "auc")
ROC_COLUMNS = {"model": "Model", "threshold": "Threshold", "fpr": "1 − specificity", "tpr": "Sensitivity"}


def inputs(config: dict) -> dict:
    """The pneumonia analysis and its figures (rules/aggregate.smk and plots.smk), and what decoding found
    in each image-folder input; none when no experiment is in this section."""
    if not passes(config, SECTION):
        return {}
    return {"metrics": table_file("pneumonia_metrics"), "summary": table_file("pneumonia_summary", "json"),
            "roc": plot_file("pneumonia/roc"), "sweep": plot_file("pneumonia/sweep"),
            "roc_points": table_file("pneumonia_roc"),
            "data": [data_record(key) for key in image_folder_inputs(config, SECTION)]}


def load(files: dict, _params: dict) -> dict | None:
    if not files:
        return None
    return {"metrics": pd.read_csv(files["metrics"]),
            "summaries": {(s["experiment"], s["pass"], s["model"]): s
                          for s in json.loads(Path(files["summary"]).read_text())},
            "roc_points": pd.read_csv(files["roc_points"]),
            "roc": files["roc"], "sweep": files["sweep"],
            "data": [json.loads(Path(f).read_text()) for f in files["data"]]}


def models_at_threshold(rows) -> dict:
    """Each model's test scores at its validation-chosen threshold, and the seeds' mean and std."""
    chosen = chosen_on_test(rows)
    seeds = chosen[chosen["model"] != ENSEMBLE]
    return {"rows": chosen.to_dict("records"), "seeds": len(seeds),
            "mean": {m: float(seeds[m].mean()) for m in SPREAD},
            "std": {m: float(np.std(seeds[m], ddof=1)) for m in SPREAD}}


def binary_pass(run: Run, experiment: str, pass_name: str) -> dict:
    ctx = pass_context(run, experiment, pass_name)
    pn = run.loaded(__name__)
    metrics = pn["metrics"]
    own = metrics[(metrics["experiment"] == experiment) & (metrics["pass"] == pass_name)]
    primary = model_name(run.primary_seed)
    rows = own[own["model"] == primary].to_dict("records")
    ctx.update(label=f"{experiment}/{pass_name}", metrics=rows, data_key=ctx["input"]["arrays_key"],
               analysis=pn["summaries"][experiment, pass_name, primary],
               confusions=[(f"{r['split']}, threshold {r['threshold']:.3g}", confusion_2x2(r)) for r in rows],
               models=models_at_threshold(own) if own["model"].nunique() > 1 else None)
    return ctx


def roc_values(pn: dict, primary_seed: int) -> dict:
    """The test-set ROC points of every curve the figure draws, labelled as its legend labels them."""
    labels = plot_labels(list(pn["summaries"].values()), primary_seed)
    roc = pn["roc_points"]
    roc = roc[roc["split"] == "test"]
    keys = list(zip(roc["experiment"], roc["pass"], roc["model"], strict=True))
    drawn = roc[[k in labels for k in keys]].assign(model=[labels[k] for k in keys if k in labels])
    return figure_values(drawn, ROC_COLUMNS)


def chapters(run: Run) -> list[dict]:
    names, pn = sections_of(run.texts, SECTION), run.loaded(__name__)
    if not names or pn is None:
        return []
    chapter = [binary_pass(run, e, p) for e in names for p in run.texts[e]["passes"]]
    classes = chapter[0]["input"]["classes"]
    return [{"title": run.texts[names[0]].get("title", "Pneumonia"), "anchor": "pneumonia",
             "toc": [(f"pneumonia-{p['experiment']}-{p['name']}", p["title"]) for p in chapter],
             "passes": chapter, "data": pn["data"], "resamples": BOOTSTRAP_RESAMPLES,
             "settings": run.settings["pneumonia"],
             "roc": pn["roc"], "sweep": pn["sweep"], "classes": classes,
             "roc_values": roc_values(pn, run.primary_seed),
             "roc_alt": alt.roc(pn["metrics"], model_name(run.primary_seed)),
             "sweep_alt": alt.threshold_sweep(pn["metrics"], model_name(run.primary_seed))}]
