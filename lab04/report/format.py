"""How numbers and layers read in the report. Templates only lay out what these return."""

from __future__ import annotations

import math
import numbers
import re

import pandas as pd
from markdown_it import MarkdownIt

from lab04.analysis.weights import fmt

UNDEFINED = "—"  # a metric with no defined value (e.g. precision with no positive prediction)

_MD = MarkdownIt("commonmark")


def markdown(text: str | None) -> str | None:
    return _MD.render(text) if text else None


def number(value, digits: int = 4) -> str:
    """``value`` to ``digits`` decimals, or an em dash where it is undefined (NaN, None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return UNDEFINED
    return f"{float(value):.{digits}f}"


def count(value) -> str:
    """Thousands separated; an em dash where undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return UNDEFINED
    return fmt(value)


def signed(value, spec: str = ".4f", missing: str = UNDEFINED) -> str:
    """A difference with its sign (``+0.0012``), formatted by ``spec``; ``missing`` where undefined."""
    return missing if pd.isna(value) else format(value, "+" + spec)


def readable_bytes(n_params: int) -> str:
    """Keras' summary figure: float32 weights, 1024-based units."""
    size = n_params * 4.0
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return ""


def mean_std(mean: float, std: float, runs: int, digits: int = 4) -> str:
    text = number(mean, digits)
    return text + (f" ± {number(std, digits)} ({runs} seeds)" if runs > 1 else "")


def _dims(text) -> str:
    """'(2, 2)' -> '2×2'."""
    return "×".join(part.strip() for part in str(text).strip("()").split(",") if part.strip())


def layer_description(row: dict) -> str:
    """'Dense, 512 units, relu' / 'Conv2D, 32 filters of 2×2, relu' from a layer-table row."""
    layer = row["type"]
    act = row.get("activation")
    act = f", {act}" if isinstance(act, str) and act else ""
    if layer == "Dense":
        units = int(row["units"])
        return f"Dense, {units} unit{'s' if units != 1 else ''}{act}"
    if layer.startswith("Conv"):
        return f"{layer}, {int(row['units'])} filters of {_dims(row['kernel_size'])}{act}"
    if layer == "Dropout" and pd.notna(row.get("rate")):
        return f"Dropout {row['rate']:g}"
    if layer.startswith("MaxPooling") and isinstance(row.get("pool_size"), str) and row["pool_size"]:
        return f"{layer} {_dims(row['pool_size'])}"
    return layer


def _residual_description(block: str, rows: list[dict]) -> str:
    """'residual block residual1: Conv2D, 16 filters of 3×3 → BatchNormalization, added to its input
    (through a 1×1 projection), then relu'."""
    inner = [r for r in rows if re.match(rf"{re.escape(block)}_\d+_", r["name"])]
    projected = any(r["name"] == f"{block}_projection" for r in rows)
    out = [r for r in rows if r["name"] == f"{block}_out"]
    text = f"residual block {block}: " + " → ".join(layer_description(r) for r in inner)
    text += ", added to its input" + (" through a 1×1 projection" if projected else "")
    return text + (f", then {out[0].get('activation') or 'an activation'}" if out else "")


def hidden_layers(records: list[dict]) -> list[str]:
    """The topology's hidden layers from a layer table's top-level rows (input and output left out): one
    line per layer, one per residual block, one per nested model (a keras.applications model)."""
    top = [r for r in records if not r.get("depth")][1:-1]
    out = []
    for i, row in enumerate(top):
        block = row.get("block") if isinstance(row.get("block"), str) else ""
        if row.get("nested"):
            inner = sum(1 for r in records if r.get("model") == row["name"])
            out.append(f"{row['name']} ({row['type']}, {inner} layers, built from scratch)")
        elif not block:
            out.append(layer_description(row))
        elif i == 0 or top[i - 1].get("block") != block:
            out.append(_residual_description(block, [r for r in top if r.get("block") == block]))
    return out


def optimizer_brief(opt: dict) -> str:
    """'RMSprop, learning_rate 0.001, weight_decay 0.0001': the settings that differ from zero."""
    cfg = opt["config"]
    parts = [f"learning_rate {plain_value(cfg['learning_rate'])}"] if "learning_rate" in cfg else []
    parts += [f"{k} {float(cfg[k]):.4g}" for k in ("momentum", "weight_decay") if cfg.get(k)]
    return ", ".join([opt["class_name"], *parts])


def plain_value(v) -> str:
    if isinstance(v, dict) and "class_name" in v:  # a Keras object, e.g. a learning-rate schedule
        args = [f"{k} {plain_value(x)}" for k, x in v.get("config", {}).items()
                if k != "name" and x not in (None, 0, False)]
        return f"{v['class_name']}({', '.join(args)})"
    if v is None:
        return "None"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def figure_values(frame: pd.DataFrame, columns: dict[str, str], digits: int = 4) -> dict:
    """The numbers a figure draws, as the web page's table beside it shows them: ``columns`` maps the frame's
    columns to their headers; integers stay integers, an infinite threshold reads ∞."""

    def cell(v) -> str:
        if isinstance(v, numbers.Integral):
            return fmt(int(v))
        if isinstance(v, float):
            return "∞" if math.isinf(v) else number(v, digits)
        return str(v)

    present = {c: h for c, h in columns.items() if c in frame.columns}
    return {"header": list(present.values()),
            "numeric": [pd.api.types.is_numeric_dtype(frame[c]) for c in present],
            "rows": [[cell(v) for v in row] for row in frame[list(present)].itertuples(index=False)]}
