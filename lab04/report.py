"""Assemble the report's context from this run's outputs and render it to PDF.

Every number shown comes from the files a run wrote; templates only lay them out.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from markdown_it import MarkdownIt

from lab04.analysis.pneumonia import confusion_2x2
from lab04.analysis.stats import overfitting, top_confusions
from lab04.analysis.weights import fmt, total_line, weight_lines
from lab04.atomic import atomic_path

PACKAGES = ["snakemake", "tensorflow-cpu", "tensorflow", "keras", "numpy", "scikit-image", "scikit-learn",
            "scipy", "pandas", "matplotlib", "jinja2", "weasyprint"]
OPTIMIZER_KEYS = ["learning_rate", "rho", "momentum", "epsilon", "centered", "weight_decay", "beta_1",
                  "beta_2", "amsgrad", "clipnorm", "clipvalue", "global_clipnorm", "use_ema"]


def readable_bytes(n_params: int) -> str:
    """Keras' summary figure: float32 weights, 1024-based units."""
    size = n_params * 4.0
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return ""


def mean_std(mean: float, std: float, runs: int, digits: int = 4) -> str:
    text = f"{mean:.{digits}f}"
    return text + (f" ± {std:.{digits}f} ({runs} seeds)" if runs > 1 else "")


def _dims(text) -> str:
    """'(2, 2)' -> '2×2'."""
    return "×".join(part.strip() for part in str(text).strip("()").split(",") if part.strip())


def layer_description(row: dict) -> str:
    """'Dense, 512 units, relu' / 'Conv2D, 32 filters of 2×2, relu' from a layer-table row."""
    kind = row["type"]
    act = row.get("activation")
    act = f", {act}" if isinstance(act, str) and act else ""
    if kind == "Dense":
        return f"Dense, {int(row['units'])} units{act}"
    if kind.startswith("Conv"):
        return f"{kind}, {int(row['units'])} filters of {_dims(row['kernel_size'])}{act}"
    if kind == "Dropout" and pd.notna(row.get("rate")):
        return f"Dropout {row['rate']:g}"
    if kind.startswith("MaxPooling") and isinstance(row.get("pool_size"), str) and row["pool_size"]:
        return f"{kind} {_dims(row['pool_size'])}"
    return kind


def optimizer_brief(opt: dict) -> str:
    """'RMSprop, learning_rate 0.001, weight_decay 0.0001': the settings that differ from zero."""
    cfg = opt["config"]
    parts = [f"learning_rate {float(cfg['learning_rate']):.4g}"] if "learning_rate" in cfg else []
    parts += [f"{k} {float(cfg[k]):.4g}" for k in ("momentum", "weight_decay") if cfg.get(k)]
    return ", ".join([opt["class_name"], *parts])


def optimizer_table(configs: list[dict]) -> dict:
    """One row per optimizer argument, one column per distinct configuration used."""
    keys = list(dict.fromkeys(k for c in configs for k in c["config"]))
    rows = [(k, [_value(c["config"].get(k)) for c in configs]) for k in keys]
    return {"columns": configs, "rows": rows}


def _value(v) -> str:
    if v is None:
        return "None"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


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


def observations(confusion: np.ndarray, history: pd.DataFrame, top_k: int) -> list[str]:
    """Generated remarks on one pass: which classes fail, the worst confusions, overfitting."""
    support = confusion.sum(axis=1)
    errors = support - np.diag(confusion)
    worst, best = int(np.argmax(errors)), int(np.argmin(errors))
    notes = [
        f"Class {worst} is misclassified most often: {errors[worst]} of its {support[worst]} test images "
        f"({errors[worst] / support[worst]:.1%}). Class {best} the least: {errors[best]} of {support[best]}.",
    ]
    pairs = top_confusions(confusion, top_k)
    if pairs:
        notes.append("Largest confusions (true → predicted): "
                     + ", ".join(f"{t} → {p} ({n})" for t, p, n in pairs) + ".")
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
    """'Pass 2 is better than pass 1 ...' with McNemar's exact p-value."""
    if row is None:
        return None
    diff = row["accuracy"] - row["previous_accuracy"]
    verdict = "better than" if diff > 0 else ("worse than" if diff < 0 else "as accurate as")
    significance = ("significant at the 5 % level" if row["p_value"] < 0.05
                    else "not significant at the 5 % level")
    return (f"This pass is {verdict} {row['previous']}: test accuracy {row['accuracy']:.4f} against "
            f"{row['previous_accuracy']:.4f} ({diff * 100:+.2f} points). Of the test images on which the two "
            f"disagree in correctness, {int(row['b_only'])} are right only here and {int(row['a_only'])} only "
            f"in {row['previous']}; McNemar's exact test gives p = {row['p_value']:.3g}, {significance}.")


def git_commit(directory: str | Path) -> str:
    try:
        head = subprocess.run(["git", "-C", str(directory), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_versions() -> list[tuple[str, str]]:
    out = []
    for name in PACKAGES:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return out


def provenance(config: dict, workflow_dir: str | Path, runtimes: pd.DataFrame, seed: int,
               devices: list[str] | None = None) -> dict:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "git": git_commit(workflow_dir),
        "config_hash": hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest(),
        "seed": seed,
        "machine": f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "devices": sorted(set(devices or [])),
        "python": platform.python_version(),
        "packages": package_versions(),
        "runtimes": runtimes.to_dict("records"),
        "total_seconds": float(runtimes["wall_seconds"].sum()),
    }


def _by_pass(files: list[str]) -> dict[tuple[str, str, int], str]:
    """Map (experiment, pass, seed) to a per-pass file, from its results/<e>/<p>/seed<N>/ path."""
    out = {}
    for f in files:
        parts = Path(f).parts
        out[parts[-4], parts[-3], int(parts[-2].removeprefix("seed"))] = f
    return out


def pass_context(exp_name: str, pass_name: str, text: dict, score: dict, layers: pd.DataFrame, plots: Path,
                 md: MarkdownIt) -> dict:
    """What every pass shows: settings, topology, Keras summary and the weight arithmetic."""
    lines = weight_lines(layers)
    records = layers.to_dict("records")
    return {
        "name": pass_name,
        "title": text.get("title", pass_name),
        "note": text.get("note"),
        "discussion": md.render(text["discussion"]) if text.get("discussion") else None,
        "scores": score,
        "inputs": " × ".join(str(d) for d in score["input_shape"]),
        "n_inputs": int(np.prod(score["input_shape"])),
        "hidden": [layer_description(r) for r in records[1:-1]],
        "output": layer_description(records[-1]),
        "layers": records,
        "weights": lines,
        "weights_total": total_line(lines, score["params"]),
        "sizes": {k: readable_bytes(score[k]) for k in ("params", "trainable_params", "non_trainable_params")},
        "optimizer": optimizer_brief(score["optimizer"]),
        "curves": str(plots / exp_name / pass_name / "curves.svg"),
        "confusion_plot": str(plots / exp_name / pass_name / "confusion.svg"),
    }


def build_context(inputs, params, workflow_dir: str | Path, config: dict | None = None) -> dict:
    tables = {Path(p).stem: pd.read_csv(p) for p in inputs.tables}
    scores = [json.loads(Path(p).read_text()) for p in inputs.scores]
    layer_files = _by_pass(list(inputs.layers))
    summary = tables["pass_summary"].set_index(["experiment", "pass"])
    hist, long, comps = tables["histories"], tables["confusion_long"], tables["comparisons"]
    seed = params.primary_seed
    top_k = params.report["top_confusions"]
    md = MarkdownIt("commonmark")
    plots = Path(inputs.comparison).parent

    def rows_of(frame, exp_name, pass_name):
        return frame[(frame["experiment"] == exp_name) & (frame["pass"] == pass_name) & (frame["seed"] == seed)]

    experiments, pneumonia_passes = [], []
    for exp_name, exp_text in params.texts.items():
        passes = []
        for pass_name, text in exp_text["passes"].items():
            score = next(x for x in scores if (x["experiment"], x["pass"], x["seed"]) == (exp_name, pass_name, seed))
            ctx = pass_context(exp_name, pass_name, text, score, pd.read_csv(layer_files[exp_name, pass_name, seed]),
                               plots, md)
            ctx["input"] = params.inputs[f"{exp_name}/{pass_name}"]
            row = summary.loc[(exp_name, pass_name)]
            ctx["accuracy"] = mean_std(row["test_accuracy_mean"], row["test_accuracy_std"], int(row["runs"]))
            ctx["loss"] = mean_std(row["test_loss_mean"], row["test_loss_std"], int(row["runs"]))
            if exp_text["section"] == "pneumonia":
                pneumonia_passes.append(ctx)
                continue
            matrix = rows_of(long, exp_name, pass_name).pivot(index="true", columns="predicted",
                                                              values="count").to_numpy()
            comp = rows_of(comps, exp_name, pass_name)
            ctx.update(
                confusion=matrix.tolist(),
                hot=[[t, q] for t, q, _ in top_confusions(matrix, top_k)],
                observations=observations(matrix, rows_of(hist, exp_name, pass_name), top_k),
                comparison=comparison_text(comp.iloc[0] if len(comp) else None),
            )
            passes.append(ctx)
        if not passes:
            continue
        best = max(passes, key=lambda p: summary.loc[(exp_name, p["name"]), "test_accuracy_mean"])
        experiments.append({"name": exp_name, "title": exp_text.get("title", exp_name),
                            "discussion": md.render(exp_text["discussion"]) if exp_text.get("discussion") else None,
                            "passes": passes, "best": best["name"], "best_title": best["title"],
                            "best_accuracy": best["accuracy"]})

    depth = json.loads(Path(inputs.depth).read_text())
    return {
        "report": params.report,
        "repeats": params.repeats,
        "seed": params.seed,
        "equations": {Path(p).stem: str(p) for p in inputs.equations},
        "losses": sorted({s["loss"] for s in scores if s["experiment"] in {e["name"] for e in experiments}}),
        "optimizers": optimizer_table(optimizer_rows(scores)),
        "experiments": experiments,
        "summary": tables["pass_summary"].to_dict("records"),
        "comparison_plot": str(inputs.comparison),
        "depth": depth_context(depth),
        "pneumonia": pneumonia_context(pneumonia_passes, list(inputs.pneumonia), params.pneumonia, params.texts)
        if pneumonia_passes else None,
        "provenance": provenance(config or {}, workflow_dir, tables["runtimes"], params.seed,
                                 [s["device"] for s in scores if s.get("device")]),
    }


def pneumonia_context(passes: list[dict], files: list[str], settings: dict, texts: dict) -> dict:
    """Section 4: per-pass metrics on val and test, thresholds, ROC, and the false-negative analysis."""
    by_name = {Path(f).name: f for f in files}
    metrics = pd.read_csv(by_name["pneumonia_metrics.csv"])
    summaries = {s["pass"]: s for s in json.loads(Path(by_name["pneumonia_summary.json"]).read_text())}
    data = [json.loads(Path(f).read_text()) for f in files if Path(f).parent.name == "data"]
    for p in passes:
        rows = metrics[metrics["pass"] == p["name"]].to_dict("records")
        p["metrics"] = rows
        p["analysis"] = summaries[p["name"]]
        p["data_key"] = p["input"]["arrays_key"]
        p["confusions"] = [(f"{r['split']}, threshold {r['threshold']:.3g}", confusion_2x2(r)) for r in rows]
    title = next((t.get("title") for t in texts.values() if t["section"] == "pneumonia"), "Pneumonia")
    return {"title": title, "passes": passes, "data": data, "settings": settings,
            "roc": next(f for f in files if f.endswith("roc.svg")),
            "sweep": next(f for f in files if f.endswith("sweep.svg"))}


def depth_context(depth: dict) -> dict:
    """Layer-by-layer weights of the configured model and its shallower variant."""
    def rows(model):
        table = pd.DataFrame(model["layers"])
        return weight_lines(table), table
    full_lines, _ = rows(depth["configured"])
    short_lines, _ = rows(depth["shallower"])
    full, short = depth["configured"]["params"], depth["shallower"]["params"]
    removed = [line for line in full_lines if line.layer in depth["remove"]]
    changed = [(a, b) for a in full_lines for b in short_lines
               if a.layer == b.layer and a.count != b.count]
    return {**depth, "full_lines": full_lines, "short_lines": short_lines, "full": full, "short": short,
            "difference": full - short, "removed": removed, "changed": changed,
            "full_total": total_line(full_lines, full), "short_total": total_line(short_lines, short)}


def render_html(context: dict, template: str | Path, style: str | Path) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(template).parent)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = fmt
    return env.get_template(Path(template).name).render(**context, css=Path(style).read_text())


def render_pdf(context: dict, template, style, dest) -> int:
    """Write the PDF atomically; return its page count."""
    from weasyprint import HTML  # slow import, only where a PDF is made

    html = render_html(context, template, style)
    document = HTML(string=html, base_url=str(Path.cwd())).render()
    with atomic_path(dest, suffix=".pdf") as tmp:
        document.write_pdf(tmp)
    return len(document.pages)
