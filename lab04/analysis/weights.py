"""The weight calculation of a model written out per layer, checked against Keras' counts.

Works from the layer table a training job saved (`layers.csv`, lab04/train/layer_table.py), so rendering
needs no TensorFlow. Each layer's formula uses its input shape (older tables without that column: the
previous layer's output, as in a plain stack). Layers of a block (a residual block, or a block of a
keras.applications model) are grouped, and consecutive blocks with the same arithmetic are written once.
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass, field

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
    block: str = ""

    @property
    def short_name(self) -> str:
        """The layer's name inside its block (conv2_block1_1_conv: 1_conv)."""
        prefix = f"{self.block}_"
        return self.layer[len(prefix):] if self.block and self.layer.startswith(prefix) else self.layer


@dataclass
class WeightGroup:
    """One layer outside any block (``block`` empty), or a block's lines, ``repeat`` times in a row."""
    block: str
    lines: list[WeightLine]
    repeat: int = 1
    names: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def label(self) -> str:
        if self.repeat == 1:
            return self.block
        return f"{self.names[0]} to {self.names[-1]}: {self.repeat} blocks with the same arithmetic, each"

    @property
    def total(self) -> int:
        return self.repeat * self.count

    @property
    def term(self) -> str:
        return f"{self.repeat} × {fmt(self.count)}" if self.repeat > 1 else fmt(self.count)


def _shape(text) -> tuple:
    if not isinstance(text, str) or not text:
        return ()
    value = ast.literal_eval(text)
    if isinstance(value, list):  # several inputs (Add): the first
        return tuple(value[0]) if value else ()
    return tuple(value)


def _kernel(text) -> tuple[int, ...]:
    return tuple(ast.literal_eval(text)) if isinstance(text, str) and text else ()


def _weights(row: pd.Series) -> list[tuple[str, tuple[int, ...]]]:
    text = row.get("weights")
    return [(name, tuple(shape)) for name, shape, _ in json.loads(text)] if isinstance(text, str) and text else []


def _times(dims) -> str:
    return " × ".join(fmt(d) for d in dims)


def _generic(weights: list[tuple[str, tuple[int, ...]]]) -> tuple[str, int]:
    """'kernel 7 × 7 × 1 × 96 + bias 96 = 4,800' from the shapes of a layer's weights."""
    total = sum(math.prod(shape) for _, shape in weights)
    return " + ".join(f"{name} {_times(shape)}" for name, shape in weights) + f" = {fmt(total)}", total


def _biased(product: str, weights: int, biases: int, params: int, what: str = "weights") -> tuple[str, int]:
    if params == weights:
        return f"{product} = {fmt(weights)} {what} (no biases)", weights
    return f"{product} = {fmt(weights)} {what} + {fmt(biases)} biases = {fmt(weights + biases)}", weights + biases


def layer_formula(row: pd.Series, in_shape: tuple) -> tuple[str, int]:
    """Human-readable arithmetic for one layer and the count it gives."""
    layer, params = row["type"], int(row["params"])
    out_shape, weights = _shape(row["output_shape"]), _weights(row)
    kernel_shape = dict(weights).get("kernel")
    if params == 0:
        return "no weights", 0
    if layer == "Dense":
        n_in, units = in_shape[-1], out_shape[-1]
        if params == n_in * units:
            return f"{fmt(n_in)} × {fmt(units)} = {fmt(n_in * units)} weights (no biases)", n_in * units
        return (f"{fmt(n_in)} × {fmt(units)} = {fmt(n_in * units)} weights + {fmt(units)} biases = "
                f"{fmt(n_in * units + units)}", n_in * units + units)
    if layer in ("Conv1D", "Conv2D", "Conv3D"):
        kernel = _kernel(row["kernel_size"])
        # a grouped convolution's kernel sees input channels / groups (ConvNeXt's depthwise 7x7)
        channels, filters = (kernel_shape[-2] if kernel_shape else in_shape[-1]), out_shape[-1]
        taps = " × ".join(str(k) for k in kernel)
        per_filter = math.prod(kernel) * channels
        if params == per_filter * filters:
            return f"{taps} × {channels} × {filters} = {fmt(per_filter * filters)} (no biases)", \
                per_filter * filters
        return f"({taps} × {channels} + 1) × {filters} = {fmt((per_filter + 1) * filters)}", \
            (per_filter + 1) * filters
    if layer == "DepthwiseConv2D" and kernel_shape:
        taps = math.prod(kernel_shape)
        return _biased(f"{_times(kernel_shape[:2])} × {fmt(kernel_shape[2])} channels"
                       + (f" × {kernel_shape[3]}" if kernel_shape[3] != 1 else ""), taps,
                       out_shape[-1], params, "weights (one filter per channel)")
    if layer == "BatchNormalization" and params == 4 * in_shape[-1]:
        n = in_shape[-1]
        return (f"4 × {fmt(n)} = {fmt(4 * n)} (γ and β trainable: 2 × {fmt(n)} = {fmt(2 * n)}; "
                f"moving mean and variance, not trainable: {fmt(2 * n)})", 4 * n)
    if layer == "LayerNormalization" and params == 2 * in_shape[-1]:
        n = in_shape[-1]
        return f"2 × {fmt(n)} = {fmt(2 * n)} (γ and β)", 2 * n
    if weights:
        return _generic(weights)
    return f"{fmt(params)} (as counted by Keras)", params


def weight_lines(layers: pd.DataFrame) -> list[WeightLine]:
    """One line per layer (a nested model's own layers, not the model); raises if any line disagrees
    with Keras' own count."""
    lines, previous = [], ()
    has_inputs = "input_shape" in layers.columns
    for _, row in layers.iterrows():
        if bool(row.get("nested", False)):
            continue
        in_shape = _shape(row["input_shape"]) if has_inputs and isinstance(row["input_shape"], str) else previous
        formula, count = layer_formula(row, in_shape)
        if count != int(row["params"]):
            raise AssertionError(
                f"weight arithmetic for layer {row['name']} ({row['type']}) gives {count}, "
                f"Keras counts {int(row['params'])}"
            )
        block = row.get("block")
        lines.append(WeightLine(row["name"], row["type"], formula, count, int(row["trainable"]),
                                int(row["non_trainable"]), block if isinstance(block, str) else ""))
        previous = _shape(row["output_shape"])
    return lines


def weight_groups(lines: list[WeightLine]) -> list[WeightGroup]:
    """Lines with weights in runs of one block; consecutive blocks whose arithmetic is the same become
    one group."""
    groups: list[WeightGroup] = []
    for line in (x for x in lines if x.count):  # layers without weights neither show nor split a block
        if line.block and groups and groups[-1].block == line.block:
            groups[-1].lines.append(line)
        else:
            groups.append(WeightGroup(line.block, [line], names=[line.block]))
    merged: list[WeightGroup] = []
    for group in groups:
        last = merged[-1] if merged else None
        if (group.block and last and last.block and
                [(x.type, x.formula) for x in last.lines] == [(x.type, x.formula) for x in group.lines]):
            last.repeat += 1
            last.names.append(group.block)
        else:
            merged.append(group)
    return merged


def total_line(lines: list[WeightLine], keras_total: int) -> str:
    """'401,920 + 5,130 = 407,050' (a repeated block as '3 × 70,400'), asserted equal to
    ``model.count_params()``."""
    groups = [g for g in weight_groups(lines) if g.count]
    total = sum(g.total for g in groups)
    if total != keras_total:
        raise AssertionError(f"per-layer weights sum to {total}, Keras counts {keras_total}")
    return " + ".join(g.term for g in groups) + f" = {fmt(total)}"
