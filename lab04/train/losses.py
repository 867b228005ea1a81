"""A pass's loss: a Keras name (``categorical_crossentropy``) or a keras.losses class with arguments
(``{CategoricalCrossentropy: {label_smoothing: 0.1}}``), as layers and optimizers are written.

``loss_name`` needs no Keras, so the workflow can plan with it (the output width a loss needs, the
label encoding) without importing TensorFlow.
"""

from __future__ import annotations

import re
from typing import Any

from lab04.errors import ConfigError


def snake_case(name: str) -> str:
    """``CategoricalCrossentropy`` -> ``categorical_crossentropy``, ``BatchNormalization`` ->
    ``batch_normalization``: Keras' function and layer-name spelling of a class name."""
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", name).lower()


def loss_name(spec: Any) -> str:
    """The loss function's name: ``{BinaryCrossentropy: {...}}`` -> ``binary_crossentropy``."""
    if isinstance(spec, dict) and len(spec) == 1:
        (cls, _), = spec.items()
        return snake_case(cls)
    return str(spec)


def loss_arguments(spec: Any) -> dict:
    """The arguments a loss was given (none for a plain name)."""
    if isinstance(spec, dict) and len(spec) == 1:
        (_, args), = spec.items()
        return dict(args or {})
    return {}


def loss_label(spec: Any) -> str:
    """'categorical_crossentropy (label_smoothing 0.1)' for the report."""
    args = ", ".join(f"{k} {v}" for k, v in loss_arguments(spec).items())
    return f"{loss_name(spec)} ({args})" if args else loss_name(spec)


def build_loss(spec: Any):
    """What ``compile`` takes: a name as is, a one-key mapping as that keras.losses class."""
    import keras

    if not isinstance(spec, dict):
        try:
            keras.losses.get(spec)
        except ValueError:
            raise ConfigError(f"loss: {spec!r} is not a Keras loss (e.g. categorical_crossentropy, "
                              "or a keras.losses class with arguments)") from None
        return spec
    if len(spec) != 1:
        raise ConfigError(f"loss: expected a name or a one-key mapping like "
                          f"{{CategoricalCrossentropy: {{label_smoothing: 0.1}}}}, got {spec!r}")
    (cls_name, args), = spec.items()
    cls = getattr(keras.losses, cls_name, None)
    if not (isinstance(cls, type) and issubclass(cls, keras.losses.Loss)):
        raise ConfigError(f"loss: {cls_name!r} is not a keras.losses class (e.g. CategoricalCrossentropy)")
    try:
        return cls(**dict(args or {}))
    except (TypeError, ValueError) as err:
        raise ConfigError(f"loss: cannot build {cls_name}({args}): {err}") from err
