"""The experiments sections: one chapter per data set, every pass with its scores, confusion matrix,
curves and generated observations, then the best pass of each experiment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab04.analysis.stats import BOOTSTRAP_RESAMPLES, class_errors, overfitting, top_confusions
from lab04.analysis.tables import matrix_of
from lab04.config import DEFAULT_SECTION, chapter_experiments
from lab04.paths import plot_file
from lab04.report import alt
from lab04.report.format import markdown, number
from lab04.report.passes import pass_context
from lab04.report.run import Run

TEMPLATE = "experiments.html.j2"
SECTION = DEFAULT_SECTION  # experiments whose `section` is this (the default) appear here


def comparison_plot(dataset: str) -> str:
    """The chart of one chapter's passes side by side (rules/plots.smk, plot_comparison)."""
    return plot_file(f"comparison/{dataset}")


def params(config: dict) -> dict:
    """Data set -> the experiments of its chapter (lab04/config.py, chapter_experiments), and the published
    results quoted under its table of all passes (report.published)."""
    chapters = chapter_experiments(config)
    # check_config refuses a data set of report.published that no chapter shows
    return {"chapters": chapters, "published": config["report"].get("published", {})}


def inputs(config: dict) -> dict:
    return {"comparisons": [comparison_plot(d) for d in chapter_experiments(config)]}


def load(files: dict, params: dict) -> dict:
    return {"chapters": params["chapters"], "published": params["published"],
            "plots": dict(zip(params["chapters"], files.get("comparisons", []), strict=True))}


def observations(confusion: np.ndarray, history: pd.DataFrame, top_k: int, classes: list[str]) -> list[str]:
    """Generated remarks on one pass: which classes fail, the worst confusions, overfitting."""
    support = confusion.sum(axis=1)
    errors = class_errors(confusion)
    worst, best = int(np.argmax(errors)), int(np.argmin(errors))
    notes = [
        f"Class {classes[worst]} is misclassified most often: {errors[worst]} of its {support[worst]} test images "
        f"({errors[worst] / support[worst]:.1%}). Class {classes[best]} the least: {errors[best]} of "
        f"{support[best]}.",
    ]
    pairs = top_confusions(confusion, top_k)
    if pairs:
        notes.append("Largest confusions (true → predicted): "
                     + ", ".join(f"{classes[t]} → {classes[p]} ({n})" for t, p, n in pairs) + ".")
    of = overfitting(history)
    if of["rose"]:
        notes.append(
            f"Validation loss was lowest at epoch {of['best_epoch']} ({of['best_val_loss']:.4f}) and rose to "
            f"{of['last_val_loss']:.4f} by epoch {of['last_epoch']}: the model overfits after epoch "
            f"{of['best_epoch']}.")
    elif of["last_epoch"] > 1:
        notes.append(
            f"Validation loss reached {of['best_val_loss']:.4f} at epoch {of['best_epoch']} of "
            f"{of['last_epoch']} and did not rise noticeably afterwards: no sign of overfitting.")
    return notes


def comparison_text(row: pd.Series | None) -> str | None:
    """'This pass is better than pass1 ...' with McNemar's exact p-value."""
    if row is None:
        return None
    diff = row["accuracy"] - row["previous_accuracy"]
    verdict = "better than" if diff > 0 else ("worse than" if diff < 0 else "as accurate as")
    significance = ("significant at the 5 % level" if row["p_value"] < 0.05
                    else "not significant at the 5 % level")
    return (f"This pass is {verdict} {row['previous']}: test accuracy {number(row['accuracy'])} against "
            f"{number(row['previous_accuracy'])} ({diff * 100:+.2f} points). Of the test images on which the two "
            f"disagree in correctness, {int(row['b_only'])} are right only here and {int(row['a_only'])} only "
            f"in {row['previous']}; McNemar's exact test gives p = {row['p_value']:.3g}, {significance}.")


def classified_pass(run: Run, experiment: str, pass_name: str) -> dict:
    """A pass of a multi-class experiment: the common context plus its confusion matrix and remarks."""
    ctx = pass_context(run, experiment, pass_name)
    classes = ctx["input"]["classes"]
    top_k = run.settings["top_confusions"]
    matrix = matrix_of(run.rows("confusion_long", experiment, pass_name))
    comparison = run.rows("comparisons", experiment, pass_name)
    ctx.update(
        classes=classes,
        confusion=matrix.tolist(),
        confusion_alt=alt.confusion(f"{experiment}/{pass_name}", matrix, classes),
        hot=[[t, q] for t, q, _ in top_confusions(matrix, top_k)],
        observations=observations(matrix, run.rows("histories", experiment, pass_name), top_k, classes),
        comparison=comparison_text(comparison.iloc[0] if len(comparison) else None),
    )
    return ctx


def experiment_context(run: Run, name: str) -> dict:
    text = run.texts[name]
    passes = [classified_pass(run, name, p) for p in text["passes"]]
    best = max(passes, key=lambda p: p["accuracy_mean"])
    return {"name": name, "title": text.get("title", name), "discussion": markdown(text.get("discussion")),
            "passes": passes, "best": best["name"], "best_title": best["title"], "best_accuracy": best["accuracy"]}


def chapters(run: Run) -> list[dict]:
    """One chapter per data set, in config order, each ending with a comparison of its passes."""
    loaded = run.loaded(__name__)
    out = []
    for dataset, names in loaded["chapters"].items():
        first = run.texts[names[0]]["passes"]
        title = run.inputs[f"{names[0]}/{next(iter(first))}"]["dataset_title"]
        experiments = [experiment_context(run, n) for n in names]
        toc = [(e["name"], e["title"]) for e in experiments]
        summary = run.tables["pass_summary"].set_index(["experiment", "pass"])
        keys = [(e["name"], p["name"]) for e in experiments for p in e["passes"]]
        toc.append((f"all-passes-{dataset}", f"All passes on {title}"))
        rows = summary.loc[keys].reset_index().to_dict("records")
        augmented = {(e["name"], p["name"]): p["tta"] for e in experiments for p in e["passes"]}
        for r in rows:
            r["tta"] = augmented[r["experiment"], r["pass"]]
            # the engine's name in the narrow table column; its version is in the provenance appendix
            r["engine"] = ", ".join(e.rsplit(" ", 1)[0] for e in str(r.get("engines", "TensorFlow")).split(", "))
            r.setdefault("precisions", "float32")  # tables from before the precision was recorded
        chapter = {"title": f"Experiments: {title}", "anchor": f"experiments-{dataset}", "experiments": experiments,
                   "all_passes": {"anchor": f"all-passes-{dataset}", "title": title,
                                  "plot": loaded["plots"][dataset], "rows": rows,
                                  "plot_alt": alt.comparison(title, rows), "resamples": BOOTSTRAP_RESAMPLES,
                                  "published": loaded["published"].get(dataset, [])},
                   # passes trained on another number of seeds than the run's repeats
                   "own_repeats": [f"{e['name']}/{p['name']}" for e in experiments for p in e["passes"]
                                   if max(len(p["seeds"]), 1) != run.repeats]}
        splits = [p["validation_split"] for e in experiments for p in e["passes"] if p["validation_split"]]
        # the most common split, the first pass's on a tie
        chapter["validation_split"] = max(dict.fromkeys(splits), key=splits.count) if splits else None
        out.append({**chapter, "toc": toc})
    return out
