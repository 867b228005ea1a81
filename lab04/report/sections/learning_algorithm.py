"""Section 1: the optimizers the passes used (update rules, their arguments) and the losses."""

from __future__ import annotations

import json

from lab04.keys import PassKey
from lab04.paths import plot_file
from lab04.report import alt
from lab04.report.format import plain_value
from lab04.report.run import Run

TEMPLATE = "learning_algorithm.html.j2"
# the typeset update rules and losses (rules/plots.smk, equations), by name
EQUATIONS = ("rmsprop", "adam", "cross_entropy", "binary_cross_entropy")
# optimizer arguments worth a row, in reading order (Keras also stores names and flags of no interest)
OPTIMIZER_KEYS = ["learning_rate", "rho", "momentum", "epsilon", "centered", "weight_decay", "beta_1",
                  "beta_2", "amsgrad", "clipnorm", "clipvalue", "global_clipnorm", "use_ema"]


def inputs(_config: dict) -> dict[str, str]:
    return {name: plot_file(f"equations/{name}") for name in EQUATIONS}


def optimizer_rows(scores: list[dict]) -> list[dict]:
    """Distinct optimizer configurations actually used, with the passes that used each."""
    groups: dict[str, dict] = {}
    for s in scores:
        opt = s["optimizer"]
        cfg = {k: opt["config"][k] for k in OPTIMIZER_KEYS if k in opt["config"]}
        key = json.dumps([opt["class_name"], cfg], sort_keys=True)
        entry = groups.setdefault(key, {"class_name": opt["class_name"], "config": cfg, "passes": []})
        label = f"{s['experiment']}/{s['pass']}"
        if label not in entry["passes"]:
            entry["passes"].append(label)
    return list(groups.values())


def optimizer_table(configs: list[dict]) -> dict:
    """One row per optimizer argument, one column per distinct configuration used."""
    keys = list(dict.fromkeys(k for c in configs for k in c["config"]))
    rows = [(k, [plain_value(c["config"].get(k)) for c in configs]) for k in keys]
    return {"columns": configs, "rows": rows}


def losses(run: Run) -> list[dict]:
    """Each loss used, with its passes and, for categorical cross-entropy, the class count C."""
    out: dict[str, dict] = {}
    for (e, p, seed), s in run.scores.items():
        if seed != run.primary_seed:
            continue
        entry = out.setdefault(s["loss"], {"name": s["loss"], "passes": [], "classes": set()})
        label = PassKey(e, p).label
        entry["passes"].append(label)
        entry["classes"].add(len(run.inputs[label]["classes"]))
    return [{**v, "classes": sorted(v["classes"])} for v in out.values()]


def chapters(run: Run) -> list[dict]:
    scores = [s for (_, _, seed), s in run.scores.items() if seed == run.primary_seed]
    rows = optimizer_rows(scores)
    return [{
        "title": "Learning algorithm and parameters", "anchor": "algorithm", "toc": [],
        "optimizer_names": list(dict.fromkeys(r["class_name"] for r in rows)),
        "optimizers": optimizer_table(rows),
        "losses": losses(run),
        "equations": run.loaded(__name__),
        "equations_alt": alt.EQUATIONS,
    }]
