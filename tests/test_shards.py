"""Gradient shards (lab04/train/shards.py): the same weights on 1, 2 and 4 threads for each model family,
the batch's gradient as Keras' own step computes it, and a model that learns."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import ROOT

from lab04.train.models import build_model
from lab04.train.shards import ShardedStep

# one of each family the report trains: an MLP with batch normalisation and dropout on pixels, an MLP on
# HOG-sized features, a CNN with both kernel sizes of the report (2x2 and 7x7)
FAMILIES = {
    "mlp": ((28, 28, 1), [{"Flatten": {}}, {"Dense": {"units": 64, "activation": "relu"}},
                          {"BatchNormalization": {}}, {"Dropout": {"rate": 0.2}},
                          {"Dense": {"units": 10, "activation": "softmax"}}]),
    "hog_mlp": ((144,), [{"Dense": {"units": 32, "activation": "relu"}},
                         {"Dense": {"units": 10, "activation": "softmax"}}]),
    "cnn": ((28, 28, 1), [{"Conv2D": {"filters": 8, "kernel_size": 7, "padding": "same", "activation": "relu"}},
                          {"MaxPooling2D": {}},
                          {"Conv2D": {"filters": 8, "kernel_size": 2, "activation": "relu"}},
                          {"MaxPooling2D": {}}, {"Flatten": {}},
                          {"Dense": {"units": 10, "activation": "softmax"}}]),
}

# 4 batches of 64 and a last one of 2: smaller than the 4 shards, so two slices are empty
CHILD = r"""
import hashlib, json, sys
import numpy as np
from lab04.train.fit import configure_runtime
from lab04.train.models import build_model
from lab04.train.shards import ShardedStep
shape, layers, threads = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
configure_runtime(3, threads, shards=4)
rng = np.random.default_rng(0)
x = rng.random((258, *shape), dtype=np.float32)
y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 258)]
trainer = ShardedStep(build_model(tuple(shape), layers), 4)
trainer.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
history = trainer.fit(x, y, batch_size=64, epochs=2, verbose=0)
weights = np.concatenate([w.numpy().ravel() for w in trainer.inner.weights])
print(json.dumps({"weights": hashlib.sha256(weights.tobytes()).hexdigest(), "loss": history.history["loss"],
                  "finite": bool(np.isfinite(weights).all())}))
"""


def train_in_child(family: str, threads: int) -> dict:
    shape, layers = FAMILIES[family]
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(shape), json.dumps(layers), str(threads)],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("family", FAMILIES)
def test_the_same_weights_on_1_2_and_4_threads(family):
    """Weights and losses after two epochs (moving averages of batch normalisation included) are the same bit
    for bit whatever the thread count, and finite although the last batch is smaller than the shard count."""
    runs = {threads: train_in_child(family, threads) for threads in (1, 2, 4)}
    assert runs[1]["finite"]
    assert runs[2] == runs[1] and runs[4] == runs[1], runs


def test_the_sharded_gradient_is_the_batch_gradient():
    """Without batch statistics or dropout, one sharded step (a batch of 10 in 4 uneven slices, and one of 3
    with an empty slice) moves the weights as Keras' own step does, up to rounding, class weights included."""
    shape, layers = FAMILIES["hog_mlp"]
    rng = np.random.default_rng(1)
    x = rng.random((13, *shape), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 13)]
    weights = rng.random(13).astype(np.float32)
    trained = {}
    for shards in (1, 4):
        keras.utils.set_random_seed(5)
        model = build_model(shape, layers)
        trainer = ShardedStep(model, shards) if shards > 1 else model
        trainer.compile(optimizer=keras.optimizers.SGD(0.5), loss="categorical_crossentropy")
        trainer.train_on_batch(x[:10], y[:10], sample_weight=weights[:10])
        trainer.train_on_batch(x[10:], y[10:], sample_weight=weights[10:])
        trained[shards] = [w.numpy() for w in model.weights]
    for plain, sharded in zip(trained[1], trained[4], strict=True):
        np.testing.assert_allclose(sharded, plain, rtol=1e-5, atol=1e-6)
    assert not np.allclose(trained[1][0], build_model(shape, layers).weights[0].numpy())


def test_a_sharded_model_learns():
    """Two linearly separable classes: a sharded MLP with batch normalisation reaches 90 % on held-out points
    (chance: 50 %; Keras' own step: 95 %)."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1200, 20)).astype(np.float32)
    labels = (x[:, :3].sum(axis=1) > 0).astype(int)
    y = np.eye(2, dtype=np.float32)[labels]
    keras.utils.set_random_seed(0)
    model = build_model((20,), [{"Dense": {"units": 16, "activation": "relu"}}, {"BatchNormalization": {}},
                                {"Dense": {"units": 2, "activation": "softmax"}}])
    trainer = ShardedStep(model, 4)
    trainer.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy")
    trainer.fit(x[:1000], y[:1000], batch_size=50, epochs=20, verbose=0)
    accuracy = np.mean(model.predict(x[1000:], verbose=0).argmax(axis=1) == labels[1000:])
    assert accuracy > 0.9, accuracy


def test_shards_below_one_are_refused():
    with pytest.raises(ValueError, match="training.shards"):
        ShardedStep(build_model((4,), [{"Dense": {"units": 2}}]), 0)
