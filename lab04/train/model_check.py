"""Build every pass's model while the workflow is planned, so a misspelt layer, a layer list that does
not fit its input, or a last layer whose width is not the data set's class count stops the run, naming
the pass, before any training job starts (dry-runs included).

Building takes Keras, and the Snakefile must not import TensorFlow (every dry-run would pay for it):
the builds run in a child process, and each pass that builds is remembered by a hash of its input
shape, layers and the Keras version, so only a new or changed layer list pays again. The file kept
holds the model's cost read off the build (weights, multiply-adds, activations): a layer list with a
keras.applications model is sized from it (lab04/train/resources.py cannot walk such a model).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path


def _key(spec: dict) -> str:
    text = json.dumps({"keras": version("keras"), **spec}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def planned_models(config: dict) -> dict[str, dict]:
    """What ``check_models`` builds: every pass and every sweep point of config, by name."""
    from lab04.config import pass_settings, passes
    from lab04.data.datasets import dataset
    from lab04.inputs import input_shape
    from lab04.sweeps import every_point, point_settings

    named = [*((f"{e}/{p}", pass_settings(config, e, p)) for e, p in passes(config)),
             *((f"{e}/{p} sweep point {pt}", point_settings(config, e, p, pt)) for e, p, pt in every_point(config))]
    return {name: {"input_shape": list(input_shape(config, spec["input"])), "layers": spec["layers"],
                   "input_name": spec.get("input_name"), "dataset": spec["input"]["dataset"],
                   "n_classes": dataset(config, spec["input"]["dataset"]).n_classes, "loss": spec["loss"]}
            for name, spec in named}


def check_models(models: dict[str, dict], cache_dir: str | os.PathLike) -> None:
    """``models``: ``{"experiment/pass": {"input_shape": [...], "layers": [...], "input_name": ...,
    "n_classes": 10, "loss": "categorical_crossentropy", "dataset": "mnist"}}``.

    Raises ``ValueError`` listing every pass whose model Keras cannot build or whose output does not fit
    its data set's classes and loss.
    """
    from lab04.train.resources import has_application, remember_cost

    cache = Path(cache_dir)
    measured = {name: spec for name, spec in models.items() if has_application(spec["layers"])}
    todo = {name: spec for name, spec in models.items() if not (cache / _key(spec)).exists()}
    errors = _build_in_child(todo, cache) if todo else {}
    for name, spec in measured.items():
        if name not in errors:
            remember_cost(spec["input_shape"], spec["layers"], json.loads((cache / _key(spec)).read_text()))
    if errors:
        lines = "\n".join(f"  - pass {name}: {message}" for name, message in errors.items())
        raise ValueError("these passes' models cannot be built or do not fit their data, so no training was "
                         f"started:\n{lines}\n"
                         "Fix their `layers:` in config (Keras class names and arguments, see docs/configuration.md).")


def _build_in_child(todo: dict[str, dict], cache: Path) -> dict[str, str]:
    """Build ``todo`` in a child process; each model that builds leaves a file in ``cache`` (its measured
    cost, as JSON). Returns the errors by pass."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-m", "lab04.train.model_check"], input=json.dumps(todo), text=True,
                          capture_output=True, env=env)
    try:
        answer = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise RuntimeError(f"could not check the models with Keras:\n{proc.stderr[-3000:]}") from None
    cache.mkdir(parents=True, exist_ok=True)
    for name, spec in todo.items():
        if name not in answer["errors"]:
            (cache / _key(spec)).write_text(json.dumps(answer["costs"][name]))
    return answer["errors"]


def expected_outputs(n_classes: int, loss) -> int:
    """The width of the last layer a loss needs: one sigmoid unit for a binary loss, else one unit per class."""
    from lab04.train.losses import loss_name

    return 1 if loss_name(loss).startswith("binary_") and n_classes == 2 else n_classes


def output_mismatch(output_shape: tuple, spec: dict) -> str | None:
    """Why a built model's output does not fit its data set and loss (None when it does)."""
    if "n_classes" not in spec:
        return None
    from lab04.train.losses import loss_label

    want, got = expected_outputs(spec["n_classes"], spec["loss"]), output_shape[1:]
    if tuple(got) == (want,):
        return None
    last = f"layers[{len(spec['layers']) - 1}]"
    fix = ("Dense: {units: 1, activation: sigmoid}" if want == 1
           else f"Dense: {{units: {want}, activation: softmax}}")
    return (f"the model's output has shape {tuple(got)}, but {spec.get('dataset', 'its data set')} has "
            f"{spec['n_classes']} classes and the loss {loss_label(spec['loss'])} needs ({want},): make the last layer "
            f"({last}) {fix}")


def _build_all(models: dict[str, dict]) -> dict[str, str]:
    from lab04.train.losses import build_loss
    from lab04.train.models import ConfigError, build_model

    errors, costs = {}, {}
    for name, spec in models.items():
        try:
            build_loss(spec["loss"])
            model = build_model(spec["input_shape"], spec["layers"], name=name.replace("/", "_"),
                                input_name=spec.get("input_name"))
        except ConfigError as err:
            errors[name] = str(err)
            continue
        if mismatch := output_mismatch(model.output_shape, spec):
            errors[name] = mismatch
        costs[name] = built_cost(model)
    return {"errors": errors, "costs": costs}


def built_cost(model) -> dict:
    """What lab04/train/resources.py's walk estimates, read off a built model: weights, multiply-adds per
    sample (each kernel once per output position) and activation values per sample."""
    import math

    import keras

    from lab04.train.layer_table import layers_in_order

    multiply_adds = activations = 0
    for layer, _, _ in layers_in_order(model):
        out = tuple(layer.output.shape[1:]) if not isinstance(layer.output, list) else ()
        if isinstance(layer, keras.Model) or not all(out):
            continue
        activations += math.prod(out)
        kernel = next((w for w in layer.weights if w.path.endswith("kernel")), None)
        if kernel is not None:
            multiply_adds += math.prod(out[:-1]) * math.prod(kernel.shape)
    return {"params": model.count_params(), "multiply_adds": int(multiply_adds), "activations": int(activations),
            "inputs": math.prod(model.input_shape[1:])}


if __name__ == "__main__":
    print(json.dumps(_build_all(json.load(sys.stdin))))
