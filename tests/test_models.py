import numpy as np
import pytest

from lab04.config import pass_settings, passes
from lab04.inputs import input_shape

keras = pytest.importorskip("keras")
from lab04.train.layer_table import layer_table  # noqa: E402
from lab04.train.models import ConfigError, build_model, build_optimizer  # noqa: E402

# Totals from the report's Keras summaries, and for the passes it gives no table of, from the
# weight arithmetic (784x64+64 + 64x10+10 = 50,890; HOG 16/7: 256x64+64 + 650 = 17,098; ...).
EXPECTED = {
    ("raw", "pass1"): 407_050, ("raw", "pass2"): 567_434, ("raw", "pass3"): 571_018,
    ("raw", "dense64"): 50_890, ("hog", "pass1"): 25_802, ("hog", "pass2"): 50_890,
    ("hog", "pass2b"): 17_098, ("hog", "pass3"): 246_442, ("cnn", "pass1"): 17_994,
    ("cnn", "pass2"): 339_050, ("cnn", "pass3"): 801_290,
    # the course notebook's pneumonia CNN (164,353), the same with augmentation layers, and a 28x28 CNN
    ("pneumonia", "course"): 164_353, ("pneumonia", "augmented"): 164_353, ("pneumonia", "medmnist"): 55_041,
}


@pytest.mark.parametrize("experiment, name", list(EXPECTED))
def test_parameter_counts_equal_the_report(config, experiment, name):
    s = pass_settings(config, experiment, name)
    model = build_model(input_shape(config, s["input"]), s["layers"], name=f"{experiment}_{name}",
                        input_name=s.get("input_name"))
    assert model.count_params() == EXPECTED[experiment, name]
    table = layer_table(model)
    assert sum(r["trainable"] + r["non_trainable"] for r in table) == EXPECTED[experiment, name]


def test_every_configured_pass_is_checked(config):
    assert set(passes(config)) == set(EXPECTED)


def test_batchnorm_split_and_regularizer(config):
    s = pass_settings(config, "raw", "pass3")
    model = build_model((784,), s["layers"])
    rows = {r["name"]: r for r in layer_table(model)}
    bn = next(r for r in rows.values() if r["type"] == "BatchNormalization")
    assert (bn["trainable"], bn["non_trainable"]) == (1024, 1024)
    dense = next(layer for layer in model.layers if type(layer).__name__ == "Dense")
    assert isinstance(dense.kernel_regularizer, keras.regularizers.L2)
    assert np.isclose(dense.kernel_regularizer.l2, 1e-3)


def test_cnn_layer_names_follow_config(config):
    s = pass_settings(config, "cnn", "pass1")
    model = build_model((28, 28, 1), s["layers"], input_name="l0")
    assert [layer.name for layer in model.layers][:3] == ["l0", "l1", "l1_mp"]
    assert layer_table(model)[7]["output_shape"] == "(None, 288)"


def test_optimizer_arguments_reach_keras():
    opt = build_optimizer({"RMSprop": {"weight_decay": 1e-4, "rho": 0.8}})
    assert np.isclose(opt.weight_decay, 1e-4) and np.isclose(opt.rho, 0.8)
    assert np.isclose(float(build_optimizer({"RMSprop": {}}).learning_rate), 0.001)


@pytest.mark.parametrize(
    "layers, message",
    [
        ([{"Dens": {"units": 3}}], "'Dens' is neither a keras.layers class"),
        ([{"Dense": {"unit": 3}}], r"layers\[0\]: cannot build Dense"),
        ([{"Dense": {"units": 3}, "Dropout": {}}], "one-key mapping"),
        ([{"Conv2D": {"filters": 2, "kernel_size": 2}}], "does not fit input"),
    ],
)
def test_bad_layers_are_named(layers, message):
    with pytest.raises(ConfigError, match=message):
        build_model((784,), layers)


def test_bad_optimizer_is_named():
    with pytest.raises(ConfigError, match="'RMSProp' is not a keras.optimizers class"):
        build_optimizer({"RMSProp": {}})


@pytest.mark.parametrize("experiment, name", list(EXPECTED))
def test_written_weight_calculation_sums_to_count_params(config, experiment, name):
    import pandas as pd

    from lab04.analysis.weights import total_line, weight_lines

    s = pass_settings(config, experiment, name)
    model = build_model(input_shape(config, s["input"]), s["layers"], input_name=s.get("input_name"))
    lines = weight_lines(pd.DataFrame(layer_table(model)))
    assert total_line(lines, model.count_params()).endswith(f"= {model.count_params():,}")


def test_a_learning_rate_may_be_a_keras_schedule():
    opt = build_optimizer({"Adam": {"learning_rate": {"CosineDecay": {"initial_learning_rate": 0.004,
                                                                       "decay_steps": 100}}}})
    schedule = keras.optimizers.serialize(opt)["config"]["learning_rate"]
    assert schedule["class_name"] == "CosineDecay" and schedule["config"]["decay_steps"] == 100
    with pytest.raises(ConfigError, match="cannot build the schedule"):
        build_optimizer({"Adam": {"learning_rate": {"CosineDecay": {"decay_steps": 100}}}})


def test_a_schedule_reads_as_its_class_and_arguments():
    from lab04.report.format import optimizer_brief

    opt = keras.optimizers.serialize(build_optimizer(
        {"Adam": {"learning_rate": {"CosineDecay": {"initial_learning_rate": 0.004, "decay_steps": 100}}}}))
    assert optimizer_brief(opt) == "Adam, learning_rate CosineDecay(initial_learning_rate 0.004, decay_steps 100)"


@pytest.mark.parametrize("shape, n_classes, loss, message", [
    ((None, 10), 10, "categorical_crossentropy", None),
    ((None, 1), 2, "binary_crossentropy", None),
    ((None, 5), 10, "categorical_crossentropy", "output has shape (5,), but mnist has 10 classes"),
    ((None, 2), 2, "binary_crossentropy", "Dense: {units: 1, activation: sigmoid}"),
    ((None, 4, 10), 10, "categorical_crossentropy", "make the last layer (layers[1]) Dense: {units: 10"),
])
def test_the_last_layer_must_fit_the_classes_and_the_loss(shape, n_classes, loss, message):
    from lab04.train.model_check import output_mismatch

    spec = {"layers": [{}, {}], "n_classes": n_classes, "loss": loss, "dataset": "mnist"}
    found = output_mismatch(shape, spec)
    assert found is None if message is None else message in found


def test_a_layer_is_described_in_words_with_its_units_and_filters():
    from lab04.report.format import layer_description

    assert layer_description({"type": "Dense", "units": 1.0, "activation": "sigmoid"}) == "Dense, 1 unit, sigmoid"
    assert layer_description({"type": "Dense", "units": 512.0, "activation": "relu"}) == "Dense, 512 units, relu"
    assert layer_description({"type": "Conv2D", "units": 32.0, "kernel_size": "(2, 2)", "activation": "relu"}) == (
        "Conv2D, 32 filters of 2×2, relu")
