"""The weight calculation of a model written out per layer, checked against Keras' counts.

Works from the layer table a training job saved (`layers.csv`), so rendering needs no TensorFlow.
Layers form a chain (the config's layer lists), so each layer's input is the previous output.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

import pandas as pd


def fmt(n: int) -> str:
    return f"{int(n):,}"


@dataclass
class WeightLine:
    layer: str
    type: str
    formula: str
    count: int
    trainable: int
    non_trainable: int


def _shape(text: str) -> tuple:
    return tuple(ast.literal_eval(text)) if isinstance(text, str) and text else ()


def _kernel(text) -> tuple[int, ...]:
    return tuple(ast.literal_eval(text)) if isinstance(text, str) and text else ()


def layer_formula(row: pd.Series, in_shape: tuple) -> tuple[str, int]:
    """Human-readable arithmetic for one layer and the count it gives."""
    layer, params = row["type"], int(row["params"])
    out_shape = _shape(row["output_shape"])
    if layer == "Dense":
        n_in, units = in_shape[-1], out_shape[-1]
        weights = n_in * units
        if params == weights:
            return f"{fmt(n_in)} × {fmt(units)} = {fmt(weights)} weights (no biases)", weights
        return (f"{fmt(n_in)} × {fmt(units)} = {fmt(weights)} weights + {fmt(units)} biases = "
                f"{fmt(weights + units)}", weights + units)
    if layer in ("Conv1D", "Conv2D", "Conv3D"):
        kernel, channels, filters = _kernel(row["kernel_size"]), in_shape[-1], out_shape[-1]
        taps = " × ".join(str(k) for k in kernel)
        per_filter = math.prod(kernel) * channels
        if params == per_filter * filters:
            return f"{taps} × {channels} × {filters} = {fmt(per_filter * filters)} (no biases)", \
                per_filter * filters
        return f"({taps} × {channels} + 1) × {filters} = {fmt((per_filter + 1) * filters)}", \
            (per_filter + 1) * filters
    if layer == "BatchNormalization":
        n = in_shape[-1]
        return (f"4 × {fmt(n)} = {fmt(4 * n)} (γ and β trainable: 2 × {fmt(n)} = {fmt(2 * n)}; "
                f"moving mean and variance, not trainable: {fmt(2 * n)})", 4 * n)
    if params == 0:
        return "no weights", 0
    return f"{fmt(params)} (as counted by Keras)", params


def weight_lines(layers: pd.DataFrame) -> list[WeightLine]:
    """One line per layer; raises if any line disagrees with Keras' own count."""
    lines, previous = [], ()
    for _, row in layers.iterrows():
        formula, count = layer_formula(row, previous)
        if count != int(row["params"]):
            raise AssertionError(
                f"weight arithmetic for layer {row['name']} ({row['type']}) gives {count}, "
                f"Keras counts {int(row['params'])}"
            )
        lines.append(WeightLine(row["name"], row["type"], formula, count, int(row["trainable"]),
                                int(row["non_trainable"])))
        previous = _shape(row["output_shape"])
    return lines


def total_line(lines: list[WeightLine], keras_total: int) -> str:
    """'401,920 + 5,130 = 407,050', asserted equal to ``model.count_params()``."""
    counts = [line.count for line in lines if line.count]
    total = sum(counts)
    if total != keras_total:
        raise AssertionError(f"per-layer weights sum to {total}, Keras counts {keras_total}")
    return " + ".join(fmt(c) for c in counts) + f" = {fmt(total)}"
