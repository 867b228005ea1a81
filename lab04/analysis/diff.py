"""Two runs compared pass by pass: Δ test accuracy, loss, parameters and training time, McNemar's exact
test between their test predictions, and which settings differ (from each run's saved settings).

``python -m lab04.analysis.diff results/tables/diff.csv`` prints the short terminal table.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from lab04.analysis.stats import BOOTSTRAP_RESAMPLES, accuracy_interval, binary_intervals, mcnemar_exact
from lab04.config import threads_change_results
from lab04.keys import JobKey
from lab04.report.format import signed
from lab04.train.isa import recorded_by

# the figures compared, each as base_<name>, <name> and delta_<name> in the diff table
NUMBERS = ("test_accuracy", "test_loss", "params", "train_seconds")
# a binary pass (one sigmoid output) is also compared by these, at threshold 0.5, with their intervals
BINARY = {"recall": "sensitivity", "specificity": "specificity", "auc": "AUC"}


def binary_scores(predictions: pd.DataFrame | None) -> dict[str, float]:
    """Sensitivity, specificity and AUC at threshold 0.5 with their 95 % bootstrap intervals, for a binary
    pass's test predictions (one probability column); empty for any other pass."""
    if predictions is None or "p_0" not in predictions or "p_1" in predictions:
        return {}
    from lab04.analysis.binary import metrics_at

    y, p = predictions["y_true"].to_numpy(), predictions["p_0"].to_numpy()
    at = metrics_at(y, p, 0.5)
    return {**{name: at[name] for name in BINARY}, **binary_intervals(y, p, 0.5)}


def flatten(value, prefix: str = "") -> dict[str, object]:
    """Nested settings as {path: value}, paths written as a sweep names them ('layers[0].Dense.units')."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
        return out or {prefix: []}
    return {prefix: value}


# what scores.json held before it kept every setting: a run that old is compared on these
OLD_SCORE_SETTINGS = ("input", "epochs", "batch_size", "optimizer", "loss")


def saved_settings(base_scores: dict, current_scores: dict) -> tuple[dict, dict]:
    """The settings both runs saved (all of them, or the few older runs kept in scores.json), with the
    TensorFlow threads each job ran on where that moves the last digits (one gradient shard)."""
    if "settings" in base_scores and "settings" in current_scores:
        # a run from before the engine (the precision) was a setting trained on TensorFlow (in float32)
        pair = tuple({"backend": "tensorflow", "precision": "float32", **s["settings"]}
                     for s in (base_scores, current_scores))
    else:
        pair = tuple({k: s[k] for k in OLD_SCORE_SETTINGS if k in s} for s in (base_scores, current_scores))
    if base_scores.get("threads") and current_scores.get("threads") and any(
            threads_change_results(p) for p in pair):
        pair = tuple({**p, "threads_used": s["threads"]} for p, s in zip(pair, (base_scores, current_scores),
                                                                             strict=True))
    return pair


def _brief(item) -> str:
    """A list entry in one line: ``Dropout(rate=0.25)`` for a layer, its JSON otherwise."""
    if isinstance(item, dict) and len(item) == 1:
        (name, args), = item.items()
        if isinstance(args, dict):
            return f"{name}({', '.join(f'{k}={v}' for k, v in args.items())})"
    return json.dumps(item)


def _list_changes(key: str, a: list, b: list) -> list[str]:
    """Entries added to, removed from or changed in a list (a layer list), aligned as a text diff aligns lines,
    so one inserted layer reads as one change, not as every later layer shifting by one."""
    out = []
    matcher = difflib.SequenceMatcher(a=[json.dumps(x, sort_keys=True) for x in a],
                                      b=[json.dumps(x, sort_keys=True) for x in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                out += _flat_changes({f"{key}[{j}]": a[i]}, {f"{key}[{j}]": b[j]})
        elif op != "equal":
            out += [f"{key}[{i}] removed: {_brief(a[i])}" for i in range(i1, i2)]
            out += [f"{key}[{j}] added: {_brief(b[j])}" for j in range(j1, j2)]
    return out


def _flat_changes(base: dict, current: dict) -> list[str]:
    a, b = flatten(base), flatten(current)
    missing = "(unset)"
    return [f"{k}: {a.get(k, missing)} → {b.get(k, missing)}" for k in dict.fromkeys([*a, *b])
            if a.get(k, missing) != b.get(k, missing)]


def settings_changes(base: dict, current: dict) -> list[str]:
    """'epochs: 3 → 5' for every setting that differs; 'layers[9] added: Dropout(rate=0.25)' for a list entry
    added or removed."""
    out = []
    for key in dict.fromkeys([*base, *current]):
        a, b = base.get(key), current.get(key)
        if a == b:
            continue
        if isinstance(a, list) and isinstance(b, list):
            out += _list_changes(key, a, b)
        else:
            out += _flat_changes({key: a} if key in base else {}, {key: b} if key in current else {})
    return out


def machine_changes(base_scores: dict, current_scores: dict) -> list[str]:
    """What the two trainings ran on that identical results need and no setting holds, where it could change
    the pass's numbers: the instruction set its engine's kernels were compiled for, when both trainings ran on
    the same engine and each recorded that engine's own (an older JAX training recorded oneDNN's, which it never
    used), and the engine's version."""
    out = []
    backend = current_scores.get("backend", "tensorflow")
    a, b = base_scores.get("instruction_set"), current_scores.get("instruction_set")
    if a and b and a != b and base_scores.get("backend", "tensorflow") == backend and \
            recorded_by(a) == recorded_by(b) == backend:
        out.append(f"instruction set (not a setting, but identical results need the same one): {a} → {b}")
    a, b = base_scores.get("engine"), current_scores.get("engine")
    if a and b and a != b and base_scores.get("backend") == current_scores.get("backend"):
        out.append(f"engine version (a package, but identical results need the same one): {a} → {b}")
    return out


def diff_base(config: dict) -> str | None:
    """The earlier run's results/ this one is compared with (``diff_base``, make diff BASE=...), absolute;
    None without one."""
    if not config.get("diff_base"):
        return None
    base = str(Path(config["diff_base"]).resolve())
    if not Path(base, "metrics.csv").is_file():
        raise ValueError(f"diff_base: {base} has no metrics.csv. Give the results/ directory of a finished run, "
                         "or a git revision through make diff BASE=<revision>.")
    return base


def base_metrics(base: str | None) -> str:
    """The base run's metrics.csv: an input of the diff, so a rebuilt base redoes the comparison."""
    if not base:
        raise ValueError("results/tables/diff.csv compares with an earlier run: make diff BASE=<results directory "
                         "or git revision>, or set diff_base in config")
    return f"{base}/metrics.csv"


def run_results(score_files: list[str], prediction_files: list[str], keys: list[JobKey]) -> dict[JobKey, dict]:
    """A run's passes: scores and the test predictions file (compared only where it exists)."""
    return {key: {"scores": json.loads(Path(s).read_text()), "predictions": Path(p)}
            for key, s, p in zip(keys, score_files, prediction_files, strict=True)}


def results_directory(results: str | Path) -> dict[JobKey, dict]:
    """The passes of an earlier run's results/ directory, as its metrics.csv lists them."""
    results = Path(results)
    if not (results / "metrics.csv").is_file():
        raise FileNotFoundError(f"{results} has no metrics.csv: give the results/ directory of a finished run "
                                "(make report) or a git revision (make diff BASE=<revision>)")
    metrics = pd.read_csv(results / "metrics.csv")
    keys = [JobKey(e, p, int(s)) for e, p, s in zip(metrics["experiment"], metrics["pass"], metrics["seed"],
                                                     strict=True)]
    return run_results([k.file("scores.json", results) for k in keys],
                       [k.file("predictions.csv", results) for k in keys], keys)


def _predictions(entry: dict) -> pd.DataFrame | None:
    path = entry["predictions"]
    return pd.read_csv(path) if Path(path).is_file() else None


def compare_runs(base: dict[JobKey, dict], current: dict[JobKey, dict]) -> pd.DataFrame:
    """One row per pass of either run: status (same, changed, new, removed), both runs' figures, the Δs,
    McNemar's exact test where both kept test predictions, and the settings that differ."""
    rows = []
    for key in dict.fromkeys([*current, *base]):
        a, b = base.get(key), current.get(key)
        row = {"experiment": key[0], "pass": key[1], "seed": key[2]}
        for name in NUMBERS:
            row[f"base_{name}"] = a["scores"][name] if a else np.nan
            row[name] = b["scores"][name] if b else np.nan
            row[f"delta_{name}"] = row[name] - row[f"base_{name}"]
        row.update(base_only=np.nan, current_only=np.nan, p_value=np.nan, settings="")
        pa, pb = (_predictions(a) if a else None), (_predictions(b) if b else None)
        for prefix, p in (("base_", pa), ("", pb)):  # each run's 95 % bootstrap interval, where it kept predictions
            low, high = (np.nan, np.nan) if p is None else accuracy_interval(p["y_true"] == p["y_pred"])
            row[f"{prefix}test_accuracy_low"], row[f"{prefix}test_accuracy_high"] = low, high
            row.update({f"{prefix}{name}": value for name, value in binary_scores(p).items()})
        if a and b:
            row["settings"] = "; ".join([*settings_changes(*saved_settings(a["scores"], b["scores"])),
                                         *machine_changes(a["scores"], b["scores"])])
            if pa is not None and pb is not None and pa["y_true"].equals(pb["y_true"]):
                test = mcnemar_exact(pa["y_true"].to_numpy(), pa["y_pred"].to_numpy(), pb["y_pred"].to_numpy())
                row.update(base_only=test["a_only"], current_only=test["b_only"], p_value=test["p_value"])
        row["status"] = "new" if a is None else "removed" if b is None else (
            "changed" if row["settings"] or row["delta_test_accuracy"] or row["delta_test_loss"]
            or row["delta_params"] or row["base_only"] or row["current_only"] else "same")
        rows.append(row)
    return pd.DataFrame(rows)


def terminal_table(diff: pd.DataFrame) -> str:
    """The diff as a short fixed-width table: one line per pass, the settings that differ below it."""
    several = diff["seed"].nunique() > 1
    names = [f"{r['experiment']}/{r['pass']}" + (f" s{r['seed']}" if several else "") for _, r in diff.iterrows()]
    width = max([24, *map(len, names)])
    lines = [f"{'pass':<{width}} {'status':<8} {'accuracy':>17} {'Δ loss':>9} {'Δ params':>9} {'Δ s':>7} "
             f"{'McNemar p':>9}"]
    for name, (_, r) in zip(names, diff.iterrows(), strict=True):
        acc = (f"{r['base_test_accuracy']:.4f}→{r['test_accuracy']:.4f}" if r["status"] in ("same", "changed")
               else f"{r['test_accuracy'] if r['status'] == 'new' else r['base_test_accuracy']:.4f}")
        p = "" if pd.isna(r["p_value"]) else f"{r['p_value']:.3g}"
        deltas = [signed(r[f"delta_{column}"], spec, "") for column, spec in
                  (("test_loss", ".4f"), ("params", ".0f"), ("train_seconds", ".1f"))]
        lines.append(f"{name:<{width}} {r['status']:<8} {acc:>17} {deltas[0]:>9} {deltas[1]:>9} {deltas[2]:>7} {p:>9}")
        if binary := binary_line(r):
            lines.append(f"{'':<4}{binary}")
        if isinstance(r["settings"], str) and r["settings"]:
            lines.extend(f"{'':<4}{change}" for change in r["settings"].split("; "))
    changed = diff["status"].ne("same").sum()
    lines.append(f"{changed} of {len(diff)} {'trainings (pass and seed)' if several else 'passes'} differ")
    return "\n".join(lines)


def binary_line(row) -> str:
    """'sensitivity 0.990 [0.977, 0.997] → 0.995 [0.985, 1.000]; specificity …; AUC …' for a binary pass."""
    def one(prefix: str, name: str) -> str | None:
        value = row.get(f"{prefix}{name}", np.nan)
        if pd.isna(value):
            return None
        return f"{value:.3f} [{row[f'{prefix}{name}_low']:.3f}, {row[f'{prefix}{name}_high']:.3f}]"

    parts = []
    for name, label in BINARY.items():
        values = [v for v in (one("base_", name), one("", name)) if v]
        if values:
            parts.append(f"{label} {' → '.join(values)}")
    return "; ".join(parts) + (" (threshold 0.5)" if parts else "")


def _with_interval(row, prefix: str) -> str:
    """'0.9754 [0.9723, 0.9784]': one run's accuracy with its 95 % interval where it has one."""
    text = f"{row[f'{prefix}test_accuracy']:.4f}"
    low, high = row.get(f"{prefix}test_accuracy_low", np.nan), row.get(f"{prefix}test_accuracy_high", np.nan)
    return text if pd.isna(low) else f"{text} [{low:.4f}, {high:.4f}]"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(diff: pd.DataFrame, base: str) -> str:
    """The diff as Markdown for a pull request: only the passes that changed, were added or were removed,
    with McNemar's test and the settings that differ; identical passes are counted, not listed."""
    several = diff["seed"].nunique() > 1
    changed = diff[diff["status"] != "same"]
    lines = [f"### Changes against `{base}`", ""]
    if changed.empty:
        lines.append(f"All {len(diff)} {'trainings' if several else 'passes'} are identical: the same settings, "
                     "scores and test predictions.")
        return "\n".join(lines) + "\n"
    lines += ["| Pass | Status | Test accuracy [95 % interval] | Δ accuracy | Δ loss | Δ params "
              "| McNemar p (right only in base / here) | Settings that differ |",
              "|---|---|---:|---:|---:|---:|---:|---|"]
    for _, r in changed.iterrows():
        name = f"{r['experiment']}/{r['pass']}" + (f" (seed {r['seed']})" if several else "")
        before, after = _with_interval(r, "base_"), _with_interval(r, "")
        accuracy = (f"{before} → {after}" if r["status"] == "changed"
                    else after if r["status"] == "new" else before)
        delta_acc = "" if pd.isna(r["delta_test_accuracy"]) else f"{100 * r['delta_test_accuracy']:+.2f} points"
        mcnemar = ("" if pd.isna(r["p_value"])
                   else f"{r['p_value']:.3g} ({int(r['base_only'])} / {int(r['current_only'])})")
        settings = "<br>".join(map(_cell, r["settings"].split("; "))) if isinstance(r["settings"], str) else ""
        loss, params = signed(r["delta_test_loss"], ".4f", ""), signed(r["delta_params"], ",.0f", "")
        binary = binary_line(r)
        lines.append(f"| `{name}` | {r['status']} | {accuracy}{'<br>' + _cell(binary) if binary else ''} "
                     f"| {delta_acc} | {loss} | {params} | {mcnemar} | {settings} |")
    same = len(diff) - len(changed)
    lines += ["", f"{len(changed)} of {len(diff)} {'trainings (pass and seed)' if several else 'passes'} differ"
              + (f"; the other {same} are identical (settings, scores and test predictions)." if same else "."),
              "Intervals: percentile bootstrap of the test accuracy (and of a binary pass's sensitivity, "
              f"specificity and AUC) over the test images ({BOOTSTRAP_RESAMPLES:,} resamples)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    # an empty settings column reads as floats (NaN): read it as text
    print(terminal_table(pd.read_csv(sys.argv[1], dtype={"settings": "string"}).fillna({"settings": ""})))
