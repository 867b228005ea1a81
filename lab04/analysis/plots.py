"""Figures of the report (matplotlib, written as SVG so they stay sharp in the PDF)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lab04.analysis.pneumonia import ENSEMBLE  # noqa: E402
from lab04.analysis.sweeps import point_values  # noqa: E402
from lab04.atomic import atomic_path  # noqa: E402

WIDTH = 6.7  # inches: the text width of an A4 page with 2 cm margins
plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 8, "axes.titlesize": 9,
                     "svg.hashsalt": "lab04", "svg.fonttype": "path"})


def _save(fig, dest) -> None:
    with atomic_path(dest) as tmp:
        fig.savefig(tmp, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)


def training_curves(history: pd.DataFrame, title: str, dest) -> None:
    """Loss and accuracy per epoch, training against the validation split."""
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 2.4))
    epochs = history["epoch"]
    for ax, metric, label in ((axes[0], "loss", "Loss"), (axes[1], "accuracy", "Accuracy")):
        ax.plot(epochs, history[metric], marker="o", ms=3, label="training")
        ax.plot(epochs, history[f"val_{metric}"], marker="s", ms=3, label="validation")
        ax.set(xlabel="epoch", ylabel=label.lower(), title=f"{label} — {title}")
        ax.grid(alpha=0.3)
        ax.legend(frameon=False)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=10, integer=True))
    best = int(np.argmin(history["val_loss"]))
    axes[0].axvline(epochs.iloc[best], color="grey", ls=":", lw=1)
    fig.tight_layout()
    _save(fig, dest)


def confusion_heatmaps(matrix: np.ndarray, title: str, dest, classes: list[str] | None = None) -> None:
    """Counts in the cells, and the same matrix normalised per true class beside it; axes name the classes."""
    labels = list(range(matrix.shape[0]))
    names = classes or [str(i) for i in labels]
    long_names = max(len(n) for n in names) > 2
    rows = matrix.sum(axis=1, keepdims=True)
    normalised = np.divide(matrix, rows, out=np.zeros_like(matrix, dtype=float), where=rows > 0)
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 3.3))
    for ax, data, name in ((axes[0], matrix, "counts"), (axes[1], normalised, "share of true class")):
        shown = np.log1p(data) if name == "counts" else data
        ax.imshow(shown, cmap="Blues")
        for i in labels:
            for j in labels:
                value = data[i, j]
                text = f"{int(value)}" if name == "counts" else (f"{value:.0%}" if value >= 0.005 else "")
                dark = shown[i, j] > 0.6 * shown.max()
                ax.text(j, i, text, ha="center", va="center", fontsize=5.5 if len(labels) > 5 else 8,
                        color="white" if dark else "black")
        ax.set(xticks=labels, yticks=labels, xlabel="predicted", ylabel="true", title=f"{title} ({name})")
        ax.set_xticklabels(names, rotation=45 if long_names else 0, ha="right" if long_names else "center",
                           fontsize=6 if long_names else None)
        ax.set_yticklabels(names, fontsize=6 if long_names else None)
    fig.tight_layout()
    _save(fig, dest)


def comparison_chart(summary: pd.DataFrame, dest) -> None:
    """Test accuracy and parameter count of every pass; the whiskers are the 95 % bootstrap interval of the
    accuracy over the test images (the spread over seeds where a summary has no interval)."""
    labels = [f"{e}/{p}" for e, p in zip(summary["experiment"], summary["pass"], strict=True)]
    y = np.arange(len(labels))[::-1]
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 0.28 * len(labels) + 0.9), sharey=True)
    colors = [f"C{list(dict.fromkeys(summary['experiment'])).index(e)}" for e in summary["experiment"]]
    acc = summary["test_accuracy_mean"]
    if "test_accuracy_low" in summary and summary["test_accuracy_low"].notna().all():
        starts, ends = summary["test_accuracy_low"], summary["test_accuracy_high"]
    else:
        starts, ends = acc - summary["test_accuracy_std"], acc + summary["test_accuracy_std"]
    whiskers = np.vstack([acc - starts, ends - acc]).clip(0)
    axes[0].barh(y, acc, xerr=whiskers, color=colors, error_kw={"capsize": 2, "elinewidth": 0.8})
    ends = np.maximum(ends, acc)  # the label after the whisker
    starts = np.minimum(starts, acc)
    low = max(0.0, float(np.min(starts)) - 0.02)
    span = float(np.max(ends)) - low
    axes[0].set(xlim=(low, float(np.max(ends)) + 0.3 * span), xlabel="test accuracy", yticks=y, yticklabels=labels)
    for yi, a, end in zip(y, acc, ends, strict=True):
        axes[0].text(end, yi, f" {a:.4f}", va="center", fontsize=6.5)
    axes[1].barh(y, summary["params"], color=colors)
    axes[1].set(xscale="log", xlabel="parameters (log scale)",
                xlim=(summary["params"].min() / 2, summary["params"].max() * 8))
    axes[1].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    for yi, p in zip(y, summary["params"], strict=True):
        axes[1].text(p, yi, f" {int(p):,}", va="center", fontsize=6.5)
    for ax in axes:
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    _save(fig, dest)


def equation(tex_lines: list[str], dest, fontsize: int = 15) -> None:
    """Typeset mathtext lines to an SVG image (no LaTeX installation needed)."""
    fig = plt.figure(figsize=(WIDTH, 0.75 * len(tex_lines)))
    for i, line in enumerate(tex_lines):
        fig.text(0.02, 1 - (i + 0.5) / len(tex_lines), line, fontsize=fontsize, va="center")
    _save(fig, dest)


RMSPROP = [
    r"$v_t = \rho\, v_{t-1} + (1-\rho)\, g_t^{2}, \qquad g_t = \dfrac{\partial L}{\partial w}$",
    r"$w_t = w_{t-1} - \dfrac{\eta}{\sqrt{v_t + \epsilon}}\; g_t$",
]
ADAM = [
    r"$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^{2}$",
    r"$w_t = w_{t-1} - \eta\, \dfrac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}, \qquad"
    r" \hat m_t = \dfrac{m_t}{1-\beta_1^{\,t}},\; \hat v_t = \dfrac{v_t}{1-\beta_2^{\,t}}$",
]
CROSS_ENTROPY = [
    r"$L = -\dfrac{1}{N} \sum_{n=1}^{N} \; \sum_{i=1}^{C} t_{n,i}\, \log\, s_{n,i}$",
]
BINARY_CROSS_ENTROPY = [
    r"$L = -\dfrac{1}{N} \sum_{n=1}^{N} \left[\, t_n \log p_n + (1 - t_n) \log (1 - p_n) \,\right]$",
]


def roc_curves(roc: pd.DataFrame, chosen: dict[tuple, tuple[float, float]], labels: dict[tuple, str], dest) -> None:
    """Test-set ROC of each pneumonia pass (one colour per pass; its seed ensemble dashed); the marker
    is the validation-chosen threshold. ``chosen`` and ``labels`` are keyed by (experiment, pass, model)."""
    fig, ax = plt.subplots(figsize=(WIDTH / 2, WIDTH / 2))
    test = roc[roc["split"] == "test"]
    for i, (_, group) in enumerate(test.groupby(["experiment", "pass"], sort=False)):
        for key, curve in group.groupby(["experiment", "pass", "model"], sort=False):
            if key not in labels:
                continue
            ls = "--" if key[2] == ENSEMBLE else "-"
            ax.plot(curve["fpr"], curve["tpr"], color=f"C{i}", ls=ls, label=labels[key])
            if key in chosen:
                ax.plot(*chosen[key], "o" if ls == "-" else "s", color=f"C{i}", ms=5)
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1)
    ax.set(xlabel="1 − specificity (false-positive rate)", ylabel="sensitivity (true-positive rate)",
           title="ROC on the test set", xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(frameon=False, loc="lower right", fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    _save(fig, dest)


def threshold_sweep_plot(sweep: pd.DataFrame, labels: dict[tuple, str], dest) -> None:
    """Sensitivity, specificity and F1 on the test set as the decision threshold moves: one panel per
    model in ``labels`` ((experiment, pass, model) -> title)."""
    fig, axes = plt.subplots(1, len(labels), figsize=(WIDTH, 2.4), sharey=True, squeeze=False)
    for ax, (key, title) in zip(axes[0], labels.items(), strict=True):
        s = sweep[(sweep["experiment"] == key[0]) & (sweep["pass"] == key[1]) & (sweep["model"] == key[2])]
        for col, label in (("recall", "sensitivity"), ("specificity", "specificity"), ("f1", "F1")):
            ax.plot(s["threshold"], s[col], marker=".", label=label)
        ax.set(xlabel="threshold", title=title, ylim=(0, 1.02))
        ax.title.set_fontsize("small")
        ax.grid(alpha=0.3)
    axes[0][0].legend(frameon=False, loc="lower left")
    fig.tight_layout()
    _save(fig, dest)


def sweep_plot(summary: pd.DataFrame, title: str, dest) -> None:
    """Test and validation accuracy, and the train - validation gap, against the parameter count (log axis),
    with ± one standard deviation over seeds."""
    summary = summary.sort_values("params")
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 2.6))
    x = summary["params"]
    for measure, label, marker in (("test_accuracy", "test", "o"), ("val_accuracy", "validation", "s")):
        axes[0].errorbar(x, summary[f"{measure}_mean"], yerr=summary[f"{measure}_std"], marker=marker, ms=3,
                         capsize=2, label=label)
    axes[0].set(ylabel="accuracy", title=f"Accuracy — {title}")
    axes[0].legend(frameon=False)
    axes[1].errorbar(x, summary["gap_mean"], yerr=summary["gap_std"], marker="o", ms=3, capsize=2, color="C3")
    axes[1].axhline(0, color="grey", lw=0.8)
    axes[1].set(ylabel="train − validation accuracy", title="Generalisation gap (last epoch)")
    for ax in axes:
        ax.set(xscale="log", xlabel="parameters (log scale)")
        ax.grid(alpha=0.3)
        values = [point_values(p) for p in summary["point"]]
        if all(len(v) == 1 for v in values):  # one swept setting: label each point with its value
            for xi, (value,) in zip(x, values, strict=True):
                ax.annotate(value, (xi, 0.02), xycoords=("data", "axes fraction"),
                            fontsize=5.5, ha="center", va="bottom", color="grey")
    fig.tight_layout()
    _save(fig, dest)


def timeline_chart(spans: pd.DataFrame, dest, cores: int | None = None, title: str = "") -> None:
    """Gantt chart of a run's jobs per core: one row per core, each job a bar on as many rows as it
    had threads, coloured by rule (``spans``: job, rule, start, end, threads; lab04/analysis/timeline.py)."""
    from lab04.analysis.timeline import lanes  # noqa: PLC0415

    if spans.empty:  # a run copied without Snakemake's records
        fig, ax = plt.subplots(figsize=(WIDTH, 0.6))
        ax.text(0.5, 0.5, "No record of when the jobs ran (Snakemake's .snakemake/metadata).", ha="center")
        ax.axis("off")
        _save(fig, dest)
        return
    spans = spans.sort_values(["start", "job"], ignore_index=True)
    placed = lanes(spans, cores)
    rows = max([cores or 0, *(max(lane) + 1 for lane in placed)])
    fig, ax = plt.subplots(figsize=(WIDTH, 1.2 + 0.3 * rows))
    colours = {rule: plt.cm.tab20(i % 20) for i, rule in enumerate(dict.fromkeys(spans["rule"]))}
    length = float(spans["end"].max()) or 1.0
    for span, lane in zip(spans.itertuples(), placed, strict=True):
        for row in lane:
            ax.broken_barh([(span.start, max(span.end - span.start, length / 500))], (row - 0.4, 0.8),
                           facecolors=colours[span.rule], edgecolor="white", linewidth=0.5)
        if span.end - span.start > 0.1 * length:  # name the long jobs
            label = str(span.job).removeprefix(f"{span.rule} ").split(" seed ")[0]
            ax.text((span.start + span.end) / 2, lane[0], label,
                    ha="center", va="center", fontsize=6, clip_on=True)
    ax.set(xlabel="seconds since the first job started", yticks=range(rows), xlim=(0, length * 1.01),
           yticklabels=[f"core {i + 1}" for i in range(rows)], ylim=(rows - 0.5, -0.5), title=title)
    ax.legend(handles=[matplotlib.patches.Patch(color=c, label=r) for r, c in colours.items()], frameon=False,
              ncol=min(5, len(colours)), loc="upper center", bbox_to_anchor=(0.5, -0.25 if rows > 3 else -0.45))
    ax.grid(axis="x", alpha=0.3)
    _save(fig, dest)
