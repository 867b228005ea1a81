import logging

import numpy as np
import pytest

pytest.importorskip("tensorflow")
from lab04.training import configure_runtime, prepare_inputs, train_pass  # noqa: E402

SETTINGS = {
    "layers": [{"Dense": {"units": 16, "activation": "relu"}},
               {"Dense": {"units": 10, "activation": "softmax"}}],
    "optimizer": {"RMSprop": {}}, "loss": "categorical_crossentropy", "metrics": ["accuracy"],
    "batch_size": 32, "epochs": 2, "validation_split": 0.1,
}


def tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (200, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 200).astype(np.uint8)
    return prepare_inputs("raw", x[:150]), y[:150], prepare_inputs("raw", x[150:]), y[150:]


def run(seed, caplog):
    configure_runtime(seed, threads=1)
    with caplog.at_level(logging.INFO):
        return train_pass(*tiny_data(), SETTINGS, n_classes=10, log=logging.getLogger("t"))


def test_same_seed_same_metrics(caplog):
    a, b = run(7, caplog), run(7, caplog)
    np.testing.assert_array_equal(a.history.to_numpy(), b.history.to_numpy())
    assert a.test_loss == b.test_loss and a.test_accuracy == b.test_accuracy


def test_result_shapes_and_epoch_log(caplog):
    r = run(1, caplog)
    assert list(r.history.columns) == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert r.confusion.shape == (10, 10) and r.confusion.sum() == 50
    assert r.params == {"params": 784 * 16 + 16 + 170, "trainable_params": 12730, "non_trainable_params": 0}
    assert sum("epoch 2/2" in m for m in caplog.messages) == 1


def test_input_shapes():
    x = np.zeros((3, 28, 28), np.uint8)
    assert prepare_inputs("raw", x).shape == (3, 784)
    assert prepare_inputs("image", x).shape == (3, 28, 28, 1)
    with pytest.raises(ValueError, match="unknown input kind"):
        prepare_inputs("pixels", x)
