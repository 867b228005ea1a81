"""A built model's layers as a table (``layers.csv``): what the report's summary and weight arithmetic read.

Nested models (a keras.applications model in a layer list) are opened: their own layers follow the row of
the model itself, one level deeper, so the arithmetic can be written per layer while the summary shows the
model as Keras does. Each row names its block (a residual block here, or a keras.applications block such
as ``conv2_block1``), its input shape and the shape of each of its weights.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import keras

# conv2_block1 (ResNet), block2a (EfficientNet), ..._stage_0_block_1 (ConvNeXt), expanded_conv_3
# (MobileNetV3), residual2 (a Residual block of the config)
BLOCK = re.compile(r"^(.*?(?:block_?\d+[a-z]?|expanded_conv(?:_\d+)?|residual\d+))(?:_|$)")


def block_of(name: str) -> str:
    match = BLOCK.match(name)
    return match.group(1) if match else ""


def _shape_text(tensor: Any) -> str:
    if isinstance(tensor, list | tuple):
        return str([tuple(t.shape) for t in tensor])
    return str(tuple(tensor.shape))


def _row(layer: keras.layers.Layer, depth: int, parent: str) -> dict[str, Any]:
    trainable = sum(math.prod(w.shape) for w in layer.trainable_weights)
    frozen = sum(math.prod(w.shape) for w in layer.non_trainable_weights)
    config = layer.get_config()
    nested = isinstance(layer, keras.Model)
    own = [] if nested else [[w.path.split("/")[-1], list(w.shape), bool(w.trainable)] for w in layer.weights]
    try:
        input_shape = _shape_text(layer.input)
    except (AttributeError, ValueError):
        input_shape = ""
    return {
        "name": layer.name,
        "type": type(layer).__name__,
        "output_shape": _shape_text(layer.output) if hasattr(layer, "output") else "",
        "input_shape": input_shape,
        "params": layer.count_params(),
        "trainable": trainable,
        "non_trainable": frozen,
        "units": config.get("units", config.get("filters")),
        "kernel_size": str(tuple(config["kernel_size"])) if "kernel_size" in config else "",
        "activation": config.get("activation", "") if isinstance(config.get("activation"), str) else "",
        "rate": config.get("rate"),
        "pool_size": str(tuple(config["pool_size"])) if "pool_size" in config else "",
        "depth": depth,
        "model": parent,
        "nested": nested,
        "block": "" if nested else block_of(layer.name),
        "weights": json.dumps(own),
    }


def layers_in_order(model: keras.Model, depth: int = 0, parent: str = ""):
    """(layer, depth, parent model's name) of every layer, each nested model followed by its own layers
    (a nested model's own input left out: its row above already gives the shape)."""
    for layer in model.layers:
        if depth and isinstance(layer, keras.layers.InputLayer):
            continue
        yield layer, depth, parent
        if isinstance(layer, keras.Model):
            yield from layers_in_order(layer, depth + 1, layer.name)


def layer_table(model: keras.Model) -> list[dict[str, Any]]:
    """One row per layer, as Keras' summary shows it, then the layers of each nested model below it."""
    return [_row(layer, depth, parent) for layer, depth, parent in layers_in_order(model)]
