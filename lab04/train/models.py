"""Build Keras models from the declarative layer lists in config.

A layer is a one-key mapping from a ``keras.layers`` class name to its arguments, e.g.
``{Dense: {units: 512, activation: relu, kernel_regularizer: {L2: {l2: 0.001}}}}``. Any nested
one-key mapping whose key is capitalised (regularizers, initializers, constraints) is handed to
Keras' own deserialisation, so every Keras argument is available without code here.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

import keras


class ConfigError(ValueError):
    """A layer or optimizer specification that Keras cannot build."""


def _one_key(spec: Any, where: str) -> tuple[str, dict]:
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ConfigError(f"{where}: expected a one-key mapping like {{Dense: {{units: 64}}}}, got {spec!r}")
    (name, args), = spec.items()
    return name, dict(args or {})


def _keras_objects(value: Any) -> Any:
    """Turn ``{L2: {l2: 0.001}}`` into the ``{class_name, config}`` form Keras deserialises."""
    if isinstance(value, dict) and len(value) == 1:
        (key, args), = value.items()
        if isinstance(key, str) and key[:1].isupper():
            return {"class_name": key, "config": dict(args or {})}
    return value


def build_layer(spec: Any, where: str) -> keras.layers.Layer:
    name, args = _one_key(spec, where)
    cls = getattr(keras.layers, name, None)
    if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)):
        close = difflib.get_close_matches(name, dir(keras.layers), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "e.g. Dense, Conv2D, Dropout"
        raise ConfigError(f"{where}: {name!r} is not a keras.layers class ({hint})")
    args = {k: _keras_objects(v) for k, v in args.items()}
    try:
        return cls(**args)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: cannot build {name}({args}): {err}") from err


def build_model(input_shape: tuple[int, ...], layers: list, name: str = "model",
                input_name: str | None = None) -> keras.Model:
    """Chain the configured layers on an Input of ``input_shape`` (functional API)."""
    inputs = keras.Input(shape=tuple(input_shape), name=input_name)
    x = inputs
    for i, spec in enumerate(layers):
        where = f"{name}: layers[{i}]"
        layer = build_layer(spec, where)
        try:
            x = layer(x)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"{where}: {type(layer).__name__} does not fit input {x.shape}: {err}") from err
    return keras.Model(inputs, x, name=name)


def _schedule(value: Any) -> Any:
    """``{CosineDecay: {initial_learning_rate: 0.003, decay_steps: 6000}}`` -> that Keras learning-rate schedule."""
    spec = _keras_objects(value)
    if spec is value:
        return value
    try:
        return keras.optimizers.schedules.deserialize(spec)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"optimizer: cannot build the schedule {value}: {err} (a keras.optimizers.schedules "
                          "class, e.g. CosineDecay, ExponentialDecay, PiecewiseConstantDecay)") from err


def build_optimizer(spec: Any) -> keras.optimizers.Optimizer:
    """``{RMSprop: {weight_decay: 1e-4}}`` -> keras.optimizers.RMSprop(weight_decay=1e-4); a learning rate
    may be a schedule, ``{Adam: {learning_rate: {CosineDecay: {...}}}}``."""
    name, args = _one_key(spec, "optimizer")
    cls = getattr(keras.optimizers, name, None)
    if not (isinstance(cls, type) and issubclass(cls, keras.optimizers.Optimizer)):
        raise ConfigError(f"optimizer: {name!r} is not a keras.optimizers class (e.g. RMSprop, Adam)")
    args = {k: _schedule(v) for k, v in args.items()}
    try:
        return cls(**args)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"optimizer: cannot build {name}({args}): {err}") from err


def layer_table(model: keras.Model) -> list[dict[str, Any]]:
    """One row per layer, as Keras' summary shows it, with trainable and frozen counts split."""
    rows = []
    for layer in model.layers:
        trainable = sum(math.prod(w.shape) for w in layer.trainable_weights)
        frozen = sum(math.prod(w.shape) for w in layer.non_trainable_weights)
        shape = layer.output.shape if hasattr(layer, "output") else None
        config = layer.get_config()
        rows.append({
            "name": layer.name,
            "type": type(layer).__name__,
            "output_shape": str(tuple(shape)) if shape is not None else "",
            "params": layer.count_params(),
            "trainable": trainable,
            "non_trainable": frozen,
            "units": config.get("units", config.get("filters")),
            "kernel_size": str(tuple(config["kernel_size"])) if "kernel_size" in config else "",
            "activation": config.get("activation", "") if isinstance(config.get("activation"), str) else "",
            "rate": config.get("rate"),
            "pool_size": str(tuple(config["pool_size"])) if "pool_size" in config else "",
        })
    return rows
