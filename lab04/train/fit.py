"""Train one pass: seed, build, fit with per-epoch logging, evaluate on the test split."""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from lab04.atomic import load_npz
from lab04.features.representations import representation
from lab04.predictions import confusion, hard_labels
from lab04.train.backend import describe
from lab04.train.input_pipeline import steady_input_pipeline
from lab04.train.layer_table import layer_table
from lab04.train.losses import build_loss, loss_name
from lab04.train.models import POLICIES, ConfigError, build_layer, build_model, build_optimizer


def configure_runtime(seed: int, threads: int, deterministic: bool = True, shards: int = 1) -> str:
    """Size the engine's threads, make every random draw follow ``seed``, and say where training runs.

    The engine is Keras' backend, chosen before Keras was imported (lab04/train/backend.py). On
    TensorFlow, with gradient shards (``shards`` > 1, lab04/train/shards.py) every kernel runs on one
    thread and the job's ``threads`` run kernels side by side, so the thread count changes no result;
    with one shard each kernel splits its work over ``threads``, and results depend on that count. Op
    determinism makes reductions order-stable (cuDNN included), so a fixed seed gives the same
    metrics on the same machine; without it only the random draws follow the seed. A GPU TensorFlow
    can see is used as is; its memory grows on demand, so several jobs can share one. Batches reach a
    TensorFlow model without tf.data's autotuning (lab04/train/input_pipeline.py). JAX took its
    thread count from NPROC when it loaded, and XLA's CPU kernels are deterministic; its compiled programs are
    kept per kind of machine (lab04/train/xla_cache.py). Must run before
    the engine executes its first op.
    """
    backend = keras.config.backend()
    engine = describe(backend)
    plural = "s" if threads > 1 else ""
    if backend == "jax":
        import jax

        keras.utils.set_random_seed(seed)
        devices = jax.devices()
        if devices[0].platform == "gpu":
            return f"GPU ({', '.join(d.device_kind for d in devices)}), {engine}"
        return f"CPU, {threads} XLA thread{plural}, {engine}"
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
        keras.utils.set_random_seed(seed)
        if torch.cuda.is_available():
            return f"GPU ({torch.cuda.get_device_name()}), {engine}"
        return f"CPU, {threads} PyTorch thread{plural}, {engine}"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1 if shards > 1 else threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        for gpu in gpus:
            tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError:  # already initialised in this process (tests); the seed still applies
        pass
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    steady_input_pipeline()
    if not gpus:
        return (f"CPU, {threads} TensorFlow thread{plural}" + (f", {shards} gradient shards" if shards > 1 else "")
                + f", {engine}")
    names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
    return f"GPU ({', '.join(names)}), {engine}"


def encode_labels(y: np.ndarray, loss, n_classes: int) -> np.ndarray:
    """One-hot for categorical cross-entropy (the notebooks' ``to_categorical``), else as is."""
    if loss_name(loss) == "categorical_crossentropy":
        return keras.utils.to_categorical(y, n_classes)
    return y.astype(np.float32)


class EpochLog(keras.callbacks.Callback):
    """One log line per epoch, so a long job shows its progress in its log file."""

    def __init__(self, log: logging.Logger, epochs: int):
        super().__init__()
        self.log, self.epochs = log, epochs

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        metrics = " ".join(f"{k}={v:.4f}" for k, v in (logs or {}).items())
        self.log.info("epoch %d/%d %s (%.1f s)", epoch + 1, self.epochs, metrics,
                      time.perf_counter() - self.started)


class SelectEpoch(keras.callbacks.EarlyStopping):
    """Keeps the weights of the epoch with the best ``monitor`` (``select_epoch``) and restores them when
    training ends; never stops early. A metric the model does not log is named after the first epoch."""

    def __init__(self, monitor: str, mode: str, epochs: int):
        super().__init__(monitor=monitor, mode=mode, patience=epochs + 1, restore_best_weights=True)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor not in (logs or {}):
            raise ConfigError(f"select_epoch: the model logs no {self.monitor!r}; it logs {sorted(logs or {})}. "
                              "Add the metric to `metrics` (e.g. auc for val_auc) or monitor one of those.")
        super().on_epoch_end(epoch, logs)


def augmented_scores(model: keras.Model, x: np.ndarray, y_encoded: np.ndarray, labels: np.ndarray, loss,
                     settings: dict, plain: np.ndarray) -> dict:
    """Test-time augmentation: the mean prediction over the plain images (``plain``, already predicted)
    and ``views`` randomly transformed copies, drawn from the job's seed, scored like the plain ones."""
    tta = settings["test_time_augmentation"]
    layers = [build_layer(spec, f"test_time_augmentation.layers[{i}]") for i, spec in enumerate(tta["layers"])]
    total = plain.astype(np.float64)
    for _ in range(tta["views"]):
        views = []
        for start in range(0, len(x), settings["batch_size"]):
            batch = x[start:start + settings["batch_size"]]
            for layer in layers:
                batch = layer(batch, training=True)
            views.append(keras.ops.convert_to_numpy(batch))
        total += model.predict(np.concatenate(views), batch_size=settings["batch_size"], verbose=0)
    probabilities = (total / (tta["views"] + 1)).astype(np.float32)
    test_loss, test_accuracy = test_scores(model, loss, y_encoded, probabilities, hard_labels(probabilities), labels)
    return {"views": int(tta["views"]), "test_loss": test_loss, "test_accuracy": test_accuracy}


@dataclass
class PassResult:
    model: keras.Model
    val_labels: np.ndarray
    val_probabilities: np.ndarray
    val_predictions: np.ndarray
    history: pd.DataFrame
    test_loss: float
    test_accuracy: float
    probabilities: np.ndarray
    predictions: np.ndarray
    confusion: np.ndarray
    layers: list[dict]
    summary: str
    optimizer: dict
    train_seconds: float
    params: dict
    selected_epoch: int | None = None
    tta: dict | None = None


def model_summary(model: keras.Model) -> str:
    buf = io.StringIO()
    model.summary(line_length=100, print_fn=lambda line, **_: buf.write(line + "\n"))
    return buf.getvalue()


def keras_validation_tail(n: int, fraction: float) -> slice:
    """The samples Keras' ``validation_split`` holds out: the last ones, split at ceil(n * (1 - f))."""
    return slice(int(np.ceil(n * (1 - fraction))), n)


def predict_labels(model: keras.Model, x: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and hard labels (argmax, or >= 0.5 for a single sigmoid output)."""
    probabilities = model.predict(x, batch_size=batch_size, verbose=0)
    return probabilities, hard_labels(probabilities)


def test_scores(model: keras.Model, loss, y_encoded: np.ndarray, probabilities: np.ndarray,
                predictions: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Loss and accuracy as ``model.evaluate`` reports them, from probabilities already predicted:
    the mean of the compiled loss plus the layers' regularisation penalties, and the share of right labels."""
    if y_encoded.ndim < probabilities.ndim:  # one sigmoid output: labels (n,) against probabilities (n, 1)
        y_encoded = y_encoded.reshape(probabilities.shape)
    loss = build_loss(loss)
    function = keras.losses.get(loss) if isinstance(loss, str) else loss  # a Loss object averages itself
    per_sample = function(y_encoded, probabilities)
    penalty = sum(float(keras.ops.convert_to_numpy(term)) for term in model.losses)
    return float(np.mean(keras.ops.convert_to_numpy(per_sample))) + penalty, float(np.mean(predictions == labels))


def train_pass(x_train, y_train, x_test, y_test, settings: dict, n_classes: int,
               log: logging.Logger, name: str = "model", x_val=None, y_val=None) -> PassResult:
    """Fit one configured model and evaluate it; ``configure_runtime`` must have run first.

    With ``x_val`` the model validates on that split; otherwise Keras holds out the configured
    ``validation_split`` tail of the training data, as the MNIST notebooks do.
    """
    # every layer built from here on computes in the job's precision (its weights stay float32)
    precision = settings.get("precision", "float32")
    if precision not in POLICIES:  # auto is resolved while planning (lab04/jobs.py job_settings)
        raise ConfigError(f"precision: {precision!r} is not one of {', '.join(POLICIES)}; a job trains with the "
                          "precision planning resolved (auto: lab04/train/precision.py)")
    keras.config.set_dtype_policy(POLICIES[precision])
    model = build_model(x_train.shape[1:], settings["layers"], name=name,
                        input_name=settings.get("input_name"))
    optimizer = build_optimizer(settings["optimizer"])
    shards = settings.get("shards", 1)
    if not isinstance(shards, int):  # auto is resolved while planning, from the model's cost
        raise ConfigError(f"shards: {shards!r}: a job trains with the count planning resolved (auto: "
                          "lab04/train/resources.py shard_count, applied in lab04/jobs.py job_settings)")
    if shards > 1:
        from lab04.train.shards import ShardedStep  # TensorFlow's step

        trainer = ShardedStep(model, shards)
    else:
        trainer = model
    # No XLA on TensorFlow: on CPU it trained these MLPs 4-6x slower (bench/RESULTS.md), and on a GPU it
    # has no deterministic MaxPool gradient, so op determinism would make fit fail. JAX always compiles.
    jit = "auto" if keras.config.backend() != "tensorflow" else False
    trainer.compile(optimizer=optimizer, loss=build_loss(settings["loss"]), metrics=list(settings["metrics"]),
                    jit_compile=jit)
    summary = model_summary(model)
    log.info("model %s: %d parameters\n%s", name, model.count_params(), summary)

    fit_args = {}
    if settings.get("class_weight") == "balanced":
        counts = np.bincount(y_train.astype(int), minlength=n_classes)
        fit_args["class_weight"] = {i: len(y_train) / (n_classes * c) for i, c in enumerate(counts) if c}
        log.info("class weights %s", fit_args["class_weight"])
    if x_val is not None:
        fit_args["validation_data"] = (x_val, encode_labels(y_val, settings["loss"], n_classes))
    else:
        fit_args["validation_split"] = settings["validation_split"]
        tail = keras_validation_tail(len(x_train), settings["validation_split"])
        x_val, y_val = x_train[tail], y_train[tail]
    callbacks = [EpochLog(log, settings["epochs"])]
    if select := settings.get("select_epoch"):
        callbacks.append(SelectEpoch(select["monitor"], select.get("mode", "auto"), settings["epochs"]))
    started = time.perf_counter()
    history = trainer.fit(
        x_train, encode_labels(y_train, settings["loss"], n_classes),
        batch_size=settings["batch_size"], epochs=settings["epochs"], verbose=0,
        callbacks=callbacks, **fit_args,
    )
    train_seconds = time.perf_counter() - started
    selected_epoch = None
    if select:
        selected_epoch = int(callbacks[-1].best_epoch) + 1
        log.info("kept the weights of epoch %d (best %s %.4f)", selected_epoch, select["monitor"],
                 float(callbacks[-1].best))

    # One pass over the unshuffled test set gives the predictions and, from them, the scores:
    # labels and predictions stay aligned, and the test set is not read a second time by `evaluate`.
    probabilities, predictions = predict_labels(model, x_test, settings["batch_size"])
    test_loss, test_accuracy = test_scores(model, settings["loss"], encode_labels(y_test, settings["loss"], n_classes),
                                           probabilities, predictions, y_test)
    tta = None
    if settings.get("test_time_augmentation"):
        tta = augmented_scores(model, x_test, encode_labels(y_test, settings["loss"], n_classes), y_test,
                               settings["loss"], settings, probabilities)
        log.info("test accuracy %.4f with test-time augmentation (%d views)", tta["test_accuracy"], tta["views"])
    val_probabilities, val_predictions = predict_labels(model, x_val, settings["batch_size"])
    counts = confusion(y_test, predictions, n_classes)
    log.info("test loss %.4f, test accuracy %.4f, %.1f s training", test_loss, test_accuracy, train_seconds)

    hist = pd.DataFrame(history.history)
    hist.insert(0, "epoch", np.arange(1, len(hist) + 1))
    table = layer_table(model)
    return PassResult(
        model=model, val_labels=np.asarray(y_val), val_probabilities=val_probabilities,
        val_predictions=val_predictions, history=hist,
        test_loss=float(test_loss), test_accuracy=float(test_accuracy),
        probabilities=probabilities, predictions=predictions, confusion=counts, layers=table,
        summary=summary, optimizer=keras.optimizers.serialize(optimizer), train_seconds=train_seconds,
        params={
            "params": model.count_params(),
            "trainable_params": sum(r["trainable"] for r in table),
            "non_trainable_params": sum(r["non_trainable"] for r in table),
        },
        selected_epoch=selected_epoch, tta=tta,
    )


@dataclass
class PassData:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None


def load_pass_data(arrays: str, features: str | None, input_spec: dict) -> PassData:
    """The splits a pass trains on: labels from its data set's cached arrays, inputs from those arrays or
    the cached features, prepared by its representation. A val split is used where the data set has one."""
    prepare = representation(input_spec["representation"]).prepare
    labelled = load_npz(arrays)
    source = load_npz(features) if features else labelled
    splits = {s: (prepare(source[f"x_{s}"], input_spec), labelled[f"y_{s}"].reshape(-1))
              for s in ("train", "val", "test") if f"y_{s}" in labelled}
    val = splits.get("val", (None, None))
    return PassData(*splits["train"], *splits["test"], x_val=val[0], y_val=val[1])
