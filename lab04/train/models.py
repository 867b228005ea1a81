"""Build Keras models from the declarative layer lists in config.

A layer is a one-key mapping from a ``keras.layers`` class name to its arguments, e.g.
``{Dense: {units: 512, activation: relu, kernel_regularizer: {L2: {l2: 0.001}}}}``. Any nested
one-key mapping whose key is capitalised (regularizers, initializers, constraints) is handed to
Keras' own deserialisation, so every Keras argument is available without code here.

Beyond single layers, a list may hold a residual block, ``{Residual: {layers: [...], projection: auto,
activation: relu, repeat: 2}}`` (the layers' output added to the block's input), and a
``keras.applications`` model built from scratch, ``{ResNet50V2: {include_top: false, pooling: avg}}``,
called on the chain's current shape like a layer.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

import keras

from lab04.errors import ConfigError
from lab04.train.applications import APPLICATIONS
from lab04.train.losses import snake_case

# Keras' dtype policy of each precision a job trains in (lab04/train/precision.py resolves which, while
# planning; it lives there, out of the trainings' code, so that planning's edits retrain nothing)
POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}


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


def _layer_class(name: str, where: str) -> type | None:
    """The keras.layers class called ``name``; None for a keras.applications name; else a ConfigError."""
    cls = getattr(keras.layers, name, None)
    if isinstance(cls, type) and issubclass(cls, keras.layers.Layer):
        return cls
    if name in APPLICATIONS:
        return None
    known = [n for n in dir(keras.layers) if n[:1].isupper()] + sorted(APPLICATIONS) + ["Residual"]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "e.g. Dense, Conv2D, Dropout, Residual or ResNet50V2"
    raise ConfigError(f"{where}: {name!r} is neither a keras.layers class, a Residual block nor a "
                      f"keras.applications model ({hint})")


def build_layer(spec: Any, where: str, name: str | None = None) -> keras.layers.Layer:
    """One keras.layers layer from ``{Class: {args}}``; ``name`` names it unless the config does."""
    cls_name, args = _one_key(spec, where)
    cls = _layer_class(cls_name, where)
    if cls is None:
        raise ConfigError(f"{where}: {cls_name} is a whole model; use it in a pass's layer list, not in a block")
    args = {k: _keras_objects(v) for k, v in args.items()}
    if name is not None:
        args["name"] = f"{name}_{args['name']}" if "name" in args else name
    try:
        return cls(**args)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: cannot build {cls_name}({args}): {err}") from err


def _call(layer, x, where: str):
    try:
        return layer(x)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: {type(layer).__name__} does not fit input {x.shape}: {err}") from err


def _projection(x, shape: tuple, block: str, where: str):
    """The shortcut of a block whose output shape differs from its input: a 1x1 convolution (strided
    when the block shrinks the image) and batch normalisation, as in ResNet; a Dense layer for vectors."""
    if len(shape) == 2:
        return _call(keras.layers.Dense(shape[-1], use_bias=False, name=f"{block}_projection"), x, where)
    strides = tuple(max(1, math.ceil(int(a) / int(b))) for a, b in zip(x.shape[1:-1], shape[1:-1], strict=True))
    y = _call(keras.layers.Conv2D(shape[-1], 1, strides=strides, padding="same", use_bias=False,
                                  name=f"{block}_projection"), x, where)
    return _call(keras.layers.BatchNormalization(name=f"{block}_projection_bn"), y, where)


RESIDUAL_KEYS = {"layers", "projection", "activation", "repeat"}


def _residual(x, args: dict, where: str, counter: list[int]):
    """``{Residual: {layers: [...], projection: auto, activation: relu, repeat: 2}}``: the layers' output
    added to the block's input (through a projection when their shapes differ, or always with
    ``projection: true``), then the activation; ``repeat`` stacks that many such blocks."""
    unknown = set(args) - RESIDUAL_KEYS
    if unknown or not isinstance(args.get("layers"), list) or not args["layers"]:
        raise ConfigError(f"{where}: a Residual block takes {sorted(RESIDUAL_KEYS)} with a non-empty "
                          f"`layers` list, got {sorted(args)}")
    projection = args.get("projection", "auto")
    if projection not in ("auto", True, False):
        raise ConfigError(f"{where}: Residual projection must be auto, true or false, got {projection!r}")
    repeat = args.get("repeat", 1)
    if not isinstance(repeat, int) or repeat < 1:
        raise ConfigError(f"{where}: Residual repeat must be a whole number of at least 1, got {repeat!r}")
    for _ in range(repeat):
        counter[0] += 1
        block = f"residual{counter[0]}"
        y = x
        for j, spec in enumerate(args["layers"], start=1):
            inner = f"{where}.layers[{j - 1}]"
            y = _call(build_layer(spec, inner, name=f"{block}_{j}_{snake_case(next(iter(spec)))}"), y, inner)
        if projection is True or tuple(y.shape) != tuple(x.shape):
            if projection is False:
                raise ConfigError(f"{where}: the block's layers give shape {tuple(y.shape)[1:]} from input "
                                  f"{tuple(x.shape)[1:]}, so they cannot be added: set projection: auto or "
                                  "make the shapes match (padding: same, as many filters as the input)")
            shortcut = _projection(x, tuple(y.shape), block, where)
            if tuple(shortcut.shape) != tuple(y.shape):
                raise ConfigError(f"{where}: no 1x1 projection maps input {tuple(x.shape)[1:]} to the block's "
                                  f"output {tuple(y.shape)[1:]}; use padding: same in the block's layers")
        else:
            shortcut = x
        x = keras.layers.Add(name=f"{block}_add")([shortcut, y])
        if args.get("activation"):
            x = _call(keras.layers.Activation(args["activation"], name=f"{block}_out"), x, where)
    return x


def _application(x, cls_name: str, args: dict, where: str):
    """A keras.applications model built from scratch (no pretrained weights) on the chain's current
    shape and called as one layer; its own layers appear in the layer table and weight arithmetic."""
    if args.get("weights") is not None:
        raise ConfigError(f"{where}: {cls_name} weights {args['weights']!r}: models here are trained from "
                          "scratch, so pretrained weights are not fetched; set weights: null or leave it out")
    for key in ("input_shape", "input_tensor"):
        if key in args:
            raise ConfigError(f"{where}: {cls_name} takes its input from the layer before it; remove {key}")
    args = {k: _keras_objects(v) for k, v in args.items() if k != "weights"}
    try:
        model = getattr(keras.applications, cls_name)(weights=None, input_shape=tuple(x.shape[1:]), **args)
    except (TypeError, ValueError) as err:
        hint = " (a Resizing layer before it gives it a larger image)" if "at least" in str(err) else ""
        raise ConfigError(f"{where}: cannot build {cls_name}({args}) on input {tuple(x.shape)[1:]}: "
                          f"{err}{hint}") from err
    return _call(model, x, where)


def _convolves(cls_name: str) -> bool:
    """A convolution: a keras.layers Conv/SeparableConv/DepthwiseConv class, a Residual block or an
    application (both made of convolutions)."""
    return cls_name == "Residual" or cls_name in APPLICATIONS or "Conv" in cls_name


def float32_head(layers: list) -> int:
    """Where the layers that compute in float32 under bfloat16 begin: after the last convolution (the
    model's head: pooling, flattening, the dense layers and the output), at the last layer of a model
    without convolutions or ending in one. Measured on cnn/pass3 (bench/RESULTS.md): with its dense layers
    in bfloat16 it lost accuracy beyond float32's seed spread; with them in float32 it kept it at the same
    speed (the convolutions hold nearly all of its arithmetic)."""
    names = [next(iter(spec)) if isinstance(spec, dict) and len(spec) == 1 else "" for spec in layers]
    last = max((i for i, name in enumerate(names) if _convolves(str(name))), default=len(layers) - 2)
    return min(last + 1, len(layers) - 1)


def build_model(input_shape: tuple[int, ...], layers: list, name: str = "model",
                input_name: str | None = None) -> keras.Model:
    """Chain the configured layers on an Input of ``input_shape`` (functional API). An entry is a
    keras.layers class, a ``Residual`` block, or a keras.applications model built from scratch.

    Under a mixed dtype policy (lab04/train/precision.py) the plain layers of the model's head compute in
    float32 (``float32_head``): probabilities and loss stay float32, as Keras' mixed-precision guide advises
    for the output, and so do the dense layers that read the convolutions' features."""
    inputs = keras.Input(shape=tuple(input_shape), name=input_name)
    x, counter = inputs, [0]
    mixed = keras.config.dtype_policy().compute_dtype != keras.config.dtype_policy().variable_dtype
    head = float32_head(layers) if mixed else len(layers)
    for i, spec in enumerate(layers):
        where = f"{name}: layers[{i}]"
        cls_name, args = _one_key(spec, where)
        if cls_name == "Residual":
            x = _residual(x, args, where, counter)
        elif _layer_class(cls_name, where) is None:
            x = _application(x, cls_name, args, where)
        else:
            if i >= head and "dtype" not in args:
                spec = {cls_name: {**args, "dtype": "float32"}}
            x = _call(build_layer(spec, where), x, where)
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
