import errno
import logging
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
from lab04.features.representations import representation  # noqa: E402
from lab04.train.fit import configure_runtime, load_pass_data, train_pass  # noqa: E402

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
    flat = representation("flat").prepare
    return flat(x[:150], {}), y[:150], flat(x[150:], {}), y[150:]


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


def test_load_pass_data_prepares_each_representation(tmp_path):
    from lab04.atomic import save_npz

    images = np.full((4, 28, 28), 255, np.uint8)
    labels = np.arange(4, dtype=np.uint8)
    save_npz(tmp_path / "a.npz", x_train=images, y_train=labels, x_test=images[:2], y_test=labels[:2])
    flat = load_pass_data(tmp_path / "a.npz", None, {"representation": "flat"})
    assert flat.x_train.shape == (4, 784) and flat.x_train.max() == 1.0 and flat.x_val is None
    kept = load_pass_data(tmp_path / "a.npz", None, {"representation": "image", "rescale": False})
    assert kept.x_test.shape == (2, 28, 28, 1) and kept.x_test.max() == 255.0
    save_npz(tmp_path / "f.npz", x_train=np.ones((4, 7)), x_test=np.ones((2, 7)))
    hog = load_pass_data(tmp_path / "a.npz", tmp_path / "f.npz", {"representation": "hog"})
    assert hog.x_train.shape == (4, 7) and hog.x_train.dtype == np.float32 and list(hog.y_test) == [0, 1]
    save_npz(tmp_path / "v.npz", x_train=images, y_train=labels, x_val=images[:1], y_val=labels[:1],
             x_test=images[:2], y_test=labels[:2])
    assert load_pass_data(tmp_path / "v.npz", None, {"representation": "image"}).x_val.shape == (1, 28, 28, 1)


@pytest.mark.parametrize("loss, units, activation, regularizer", [
    ("categorical_crossentropy", 10, "softmax", {"L2": {"l2": 1.0e-3}}),
    ("binary_crossentropy", 1, "sigmoid", None),
])
def test_scores_from_predictions_equal_keras_evaluate(loss, units, activation, regularizer):
    import keras

    from lab04.train.fit import encode_labels, predict_labels, test_scores
    from lab04.train.models import build_model

    configure_runtime(3, threads=1)
    x_train, y_train, x_test, y_test = tiny_data()
    if units == 1:
        y_train, y_test = y_train % 2, y_test % 2
    hidden = {"units": 16, "activation": "relu", **({"kernel_regularizer": regularizer} if regularizer else {})}
    model = build_model(x_train.shape[1:], [{"Dense": hidden}, {"Dense": {"units": units, "activation": activation}}])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss=loss, metrics=["accuracy"])
    model.fit(x_train, encode_labels(y_train, loss, 10), epochs=1, verbose=0)
    y_enc = encode_labels(y_test, loss, 10)
    expected_loss, expected_accuracy = model.evaluate(x_test, y_enc, batch_size=16, verbose=0)
    probabilities, predictions = predict_labels(model, x_test, 16)
    loss_value, accuracy = test_scores(model, loss, y_enc, probabilities, predictions, y_test)
    assert loss_value == pytest.approx(expected_loss, rel=1e-5)
    assert accuracy == pytest.approx(expected_accuracy, abs=1e-7)
    if regularizer:
        assert model.losses  # the penalty is part of the loss, as in evaluate


@pytest.mark.parametrize("deterministic", [True, False])
def test_the_determinism_setting_reaches_tensorflow(deterministic):
    import subprocess
    import sys

    code = ("from tensorflow.python.framework.config import is_op_determinism_enabled\n"
            "from lab04.train.fit import configure_runtime\n"
            f"print(configure_runtime(1, 1, {deterministic}), is_op_determinism_enabled())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == str(deterministic)
    assert out.stdout.startswith("CPU, 1 TensorFlow thread, TensorFlow ")


def test_a_damaged_cache_file_is_named_and_removed(tmp_path):
    from lab04.atomic import DamagedCacheError, save_npz

    path = tmp_path / "mnist.npz"
    save_npz(path, x_train=np.zeros((100, 28, 28), np.uint8), y_train=np.zeros(100, np.uint8),
             x_test=np.zeros((10, 28, 28), np.uint8), y_test=np.zeros(10, np.uint8))
    path.write_bytes(path.read_bytes()[:40_000])  # cut short inside the first array
    with pytest.raises(DamagedCacheError, match=rf"{path} is damaged .* It has been removed"):
        load_pass_data(path, None, {"representation": "flat"})
    assert not path.exists()
    # a job beside it that meets the file gone: one line that says why, not a bare FileNotFoundError
    with pytest.raises(DamagedCacheError, match=rf"{path} was removed .* another job of this run found it damaged"):
        load_pass_data(path, None, {"representation": "flat"})


def test_a_damaged_shared_cache_entry_behind_a_link_is_removed_with_the_link(tmp_path, monkeypatch):
    from lab04.atomic import DamagedCacheError, load_npz, save_npz

    cache, results = tmp_path / "cache", tmp_path / "results"
    cache.mkdir()
    results.mkdir()
    entry, link = cache / "0a1b2c", results / "mnist.npz"
    save_npz(entry.with_suffix(".npz"), x=np.arange(20_000))
    entry.with_suffix(".npz").rename(entry)  # the cache names its entries by hash, without extension
    entry.write_bytes(entry.read_bytes()[:5_000])
    link.symlink_to(entry)
    with pytest.raises(DamagedCacheError, match=rf"links to the shared cache's entry {entry}, .* The entry and the "
                                                r"link have been removed"):
        load_npz(link)
    assert not entry.exists() and not link.is_symlink()
    # read-only cache: the entry stays, named, with who can remove it and how to do without
    save_npz(entry.with_suffix(".npz"), x=np.arange(20_000))
    entry.with_suffix(".npz").rename(entry)
    entry.write_bytes(entry.read_bytes()[:5_000])
    link.symlink_to(entry)
    real_unlink = Path.unlink

    def read_only_cache(self, *args, **kwargs):  # what a cache mounted read-only answers, root included
        if self.parent == cache:
            raise PermissionError(errno.EROFS, "Read-only file system", str(self))
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", read_only_cache)
    with pytest.raises(DamagedCacheError, match=rf"cannot remove that entry \(Read-only file system\).* ask whoever "
                                                rf"keeps {cache} to delete it, or run once without the cache"):
        load_npz(link)
    assert entry.exists()


def test_outputs_are_written_together_or_not_at_all(tmp_path):
    from lab04.atomic import atomic_paths

    dests = {"a": tmp_path / "a.csv", "b": tmp_path / "b.keras"}
    with pytest.raises(RuntimeError), atomic_paths(dests) as tmp:
        tmp["a"].write_text("written")
        raise RuntimeError("the second writer failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    (tmp_path / ".a.csv.x1.part.csv").write_text("a killed writer's leftover")
    with atomic_paths(dests) as tmp:
        assert tmp["b"].suffix == ".keras"
        for path in tmp.values():
            path.write_text("ok")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.keras"]


STEADY_PIPELINE = """
import hashlib, os, sys
os.environ["KERAS_BACKEND"] = "tensorflow"
import numpy as np, keras, tensorflow as tf
from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
from lab04.train.fit import configure_runtime, train_pass
import lab04.train.fit as fit
from test_training import SETTINGS, tiny_data
if sys.argv[1] == "autotuned":
    fit.steady_input_pipeline = lambda: None  # the pipeline as Keras builds it
configure_runtime(7, threads=1)
adapter = ArrayDataAdapter(np.zeros((8, 2)), batch_size=4, shuffle=True)
print("autotune", adapter.get_tf_dataset().options().autotune.enabled)
settings = {**SETTINGS, "layers": [{"Conv2D": {"filters": 4, "kernel_size": 3, "activation": "relu"}},
                                   {"Flatten": {}}, {"Dense": {"units": 10, "activation": "softmax"}}]}
x, y, xt, yt = tiny_data()
result = train_pass(x.reshape(-1, 28, 28, 1), y, xt.reshape(-1, 28, 28, 1), yt, settings, n_classes=10,
                    log=__import__("logging").getLogger("t"))
weights = b"".join(np.ascontiguousarray(w).tobytes() for w in result.model.get_weights())
print("weights", hashlib.sha256(weights + result.probabilities.tobytes()).hexdigest())
"""


def test_batches_reach_tensorflow_without_autotuning_and_train_the_same_weights():
    """tf.data's autotuning off (lab04/train/input_pipeline.py) changes how batches are fetched, not which samples
    form them nor their order: a CNN with a shuffled epoch, a validation split and predictions ends bit for bit
    where the pipeline as Keras builds it ends."""
    import subprocess
    import sys

    def trained(pipeline: str) -> list[str]:
        out = subprocess.run([sys.executable, "-c", STEADY_PIPELINE, pipeline], capture_output=True, text=True,
                             check=True, cwd=Path(__file__).parent)
        return [line for line in out.stdout.splitlines() if line.startswith(("autotune", "weights"))]

    steady, autotuned = trained("steady"), trained("autotuned")
    assert steady[0] == "autotune False" and autotuned[0] != "autotune False"  # None: on, by default
    assert steady[1] == autotuned[1]


def test_the_confusion_counts_are_scikit_learns():
    from sklearn.metrics import confusion_matrix

    from lab04.predictions import confusion

    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 4, 500), rng.integers(0, 4, 500)
    y_pred[y_pred == 3] = 2  # a class never predicted: a column of zeros
    np.testing.assert_array_equal(confusion(y_true, y_pred, 5), confusion_matrix(y_true, y_pred, labels=range(5)))

