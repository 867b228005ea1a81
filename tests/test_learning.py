"""Every data set and representation family learns from what the workflow built: a pass's own model, trained
by the training job's code on the smoke run's cached arrays (and features) for a few epochs, scores well
above chance on the test split. Images and labels out of step (a shuffled split, a wrong label file,
features in another order than their images) would leave it at chance, and these tests would fail.

Margins: measured on the smoke data (600 MNIST training and 300 test images, 100 X-rays per class and split,
the full PneumoniaMNIST) with seeds 42-44; each minimum is far above chance and well below what was measured.
"""

import logging

import numpy as np
import pytest
import yaml
from conftest import ROOT

pytest.importorskip("tensorflow")
from lab04.config import deep_merge, pass_settings  # noqa: E402
from lab04.inputs import arrays_key, features_key  # noqa: E402
from lab04.train.fit import configure_runtime, load_pass_data, train_pass  # noqa: E402
from lab04.train.resources import shard_count  # noqa: E402

pytestmark = pytest.mark.workflow

# (experiment, pass, overrides of its settings, chance, minimum test accuracy): chance is what always answering
# the larger class of the test split scores (0.137 on the 300 MNIST test images, 0.5 on the X-rays).
CASES = [
    ("raw", "dense64", {"epochs": 10}, 0.137, 0.70),  # MNIST pixels flattened, an MLP (measured 0.81-0.84)
    ("hog", "pass2", {"epochs": 10}, 0.137, 0.75),  # MNIST HOG features, an MLP (measured 0.88-0.89)
    ("cnn", "pass2", {"epochs": 15}, 0.137, 0.75),  # MNIST images, a CNN (measured 0.87-0.88)
    # chest X-rays at 128 px, the augmented pass's CNN (measured 0.82-0.88 on 100 images per class)
    ("pneumonia", "augmented", {"epochs": 8, "batch_size": 16}, 0.5, 0.70),
    ("pneumonia", "medmnist", {"epochs": 3}, 0.625, 0.80),  # PneumoniaMNIST at 28 px, a CNN (measured 0.86)
]


@pytest.fixture(scope="module")
def smoke_config():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    return deep_merge(config, yaml.safe_load((ROOT / "tests" / "smoke.yaml").read_text()))


@pytest.mark.parametrize("experiment, name, overrides, chance, minimum", CASES,
                         ids=[f"{e}/{p}" for e, p, *_ in CASES])
def test_each_data_set_and_representation_learns(run, smoke_config, experiment, name, overrides, chance, minimum):
    workdir, _, _ = run
    # in float32, as precision: auto resolves the smoke passes (the precision table measured the report's own)
    settings = {**pass_settings(smoke_config, experiment, name), "precision": "float32", **overrides}
    spec = settings["input"]
    features = features_key(smoke_config, spec)
    data = load_pass_data(workdir / "results" / "data" / f"{arrays_key(smoke_config, spec)}.npz",
                          workdir / "results" / "features" / f"{features}.npz" if features else None, spec)
    majority = np.bincount(data.y_test.astype(int)).max() / len(data.y_test)
    assert majority <= chance + 0.01, f"chance is {majority:.3f} on this test split, not {chance}"
    n_classes = int(max(data.y_train.max(), data.y_test.max())) + 1
    settings["shards"] = shard_count(data.x_train.shape[1:], settings)  # as planning resolves it (lab04/jobs.py)
    configure_runtime(42, 1 if settings["threads"] == "auto" else settings["threads"], settings["deterministic"],
                      settings["shards"])
    result = train_pass(data.x_train, data.y_train, data.x_test, data.y_test, settings, n_classes=n_classes,
                        log=logging.getLogger("learning"), x_val=data.x_val, y_val=data.y_val)
    print(f"{experiment}/{name}: test accuracy {result.test_accuracy:.3f} (chance {chance}, minimum {minimum})")
    assert result.test_accuracy >= minimum, (
        f"{experiment}/{name} did not learn: test accuracy {result.test_accuracy:.3f}, chance {chance}")
