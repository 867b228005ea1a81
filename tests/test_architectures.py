"""Models beyond a stack: Residual blocks, keras.applications models from scratch, losses with arguments;
their layer tables, weight arithmetic (per block) and the cost the scheduler sizes them by."""

import numpy as np
import pandas as pd
import pytest

keras = pytest.importorskip("keras")
from lab04.analysis.weights import total_line, weight_groups, weight_lines  # noqa: E402
from lab04.report.format import hidden_layers  # noqa: E402
from lab04.train.applications import APPLICATIONS  # noqa: E402
from lab04.train.layer_table import block_of, layer_table  # noqa: E402
from lab04.train.losses import build_loss, loss_label, loss_name  # noqa: E402
from lab04.train.model_check import built_cost  # noqa: E402
from lab04.train.models import ConfigError, build_model  # noqa: E402
from lab04.train.resources import model_cost, remember_cost  # noqa: E402


def conv(filters, **extra):
    return {"Conv2D": {"filters": filters, "kernel_size": 3, "padding": "same", "use_bias": False, **extra}}


BLOCK = [conv(8), {"BatchNormalization": {}}, {"Activation": {"activation": "relu"}}, conv(8),
         {"BatchNormalization": {}}]
RESNET = [conv(8), {"Residual": {"repeat": 2, "activation": "relu", "layers": BLOCK}},
          {"Residual": {"activation": "relu", "layers": [conv(16, strides=2), {"BatchNormalization": {}}]}},
          {"GlobalAveragePooling2D": {}}, {"Dense": {"units": 10, "activation": "softmax"}}]
MOBILENET = [{"Resizing": {"height": 32, "width": 32}},
             {"MobileNetV3Small": {"include_top": False, "pooling": "avg", "minimalistic": True, "alpha": 0.75,
                                   "include_preprocessing": False}},
             {"Dense": {"units": 10, "activation": "softmax"}}]


def test_a_residual_block_adds_its_layers_to_its_input_and_projects_when_shapes_differ():
    model = build_model((28, 28, 1), RESNET)
    names = [layer.name for layer in model.layers]
    assert {"residual1_add", "residual2_add", "residual3_add", "residual3_projection"} <= set(names)
    assert "residual1_projection" not in names  # same shape: the input itself is added
    # 3x3x1x8 + 2 blocks x (2 x 3x3x8x8 + 2 x 4x8) + (3x3x8x16 + 4x16 + 1x1x8x16 + 4x16) + 16x10+10
    expected = 72 + 2 * (2 * 576 + 2 * 32) + (1152 + 64 + 128 + 64) + 170
    assert model.count_params() == expected == model_cost((28, 28, 1), RESNET).params
    built = built_cost(model)
    assert built["multiply_adds"] == model_cost((28, 28, 1), RESNET).multiply_adds
    add = model.get_layer("residual1_add")
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    inner = keras.Model(model.input, [add.input[0], add.input[1], add.output])
    shortcut, branch, total = (keras.ops.convert_to_numpy(t) for t in inner(x))
    np.testing.assert_allclose(total, shortcut + branch, rtol=1e-6)


def test_residual_mistakes_are_named():
    with pytest.raises(ConfigError, match="cannot be added: set projection: auto"):
        build_model((28, 28, 1), [{"Residual": {"projection": False, "layers": [conv(4)]}}])
    with pytest.raises(ConfigError, match="non-empty `layers` list"):
        build_model((28, 28, 1), [{"Residual": {"layer": [conv(4)]}}])
    with pytest.raises(ConfigError, match=r"layers\[0\].layers\[0\].*did you mean 'Conv2D'"):
        build_model((28, 28, 1), [{"Residual": {"layers": [{"Conv2d": {"filters": 1, "kernel_size": 1}}]}}])


def test_the_weight_arithmetic_groups_repeated_blocks_and_sums_to_keras():
    model = build_model((28, 28, 1), RESNET)
    table = pd.DataFrame(layer_table(model))
    lines = weight_lines(table)
    groups = [g for g in weight_groups(lines) if g.count]
    assert [(g.block, g.repeat) for g in groups] == [("", 1), ("residual1", 2), ("residual3", 1), ("", 1)]
    assert groups[1].label.startswith("residual1 to residual2: 2 blocks") and groups[1].term == "2 × 1,216"
    assert total_line(lines, model.count_params()) == "72 + 2 × 1,216 + 1,408 + 170 = 4,082"
    hidden = hidden_layers(table.to_dict("records"))
    assert hidden[1].startswith("residual block residual1: Conv2D, 8 filters of 3×3")
    assert "added to its input through a 1×1 projection, then relu" in hidden[3]


def test_a_keras_application_is_built_from_scratch_and_opened_in_the_layer_table():
    model = build_model((28, 28, 1), MOBILENET)
    table = layer_table(model)
    top = [r for r in table if r["depth"] == 0]
    assert [r["type"] for r in top] == ["InputLayer", "Resizing", "Functional", "Dense"]
    assert top[2]["nested"] and top[2]["params"] == sum(r["params"] for r in table if r["depth"] == 1)
    lines = weight_lines(pd.DataFrame(table))
    assert total_line(lines, model.count_params()).endswith(f"= {model.count_params():,}")
    depthwise = next(line for line in lines if line.type == "DepthwiseConv2D")
    assert "one filter per channel" in depthwise.formula
    assert any(g.repeat == 2 for g in weight_groups(lines))  # MobileNetV3's identical inverted residuals
    assert "built from scratch" in hidden_layers(table)[1]
    with pytest.raises(ConfigError, match="weights: null"):
        build_model((32, 32, 1), [{"ResNet50V2": {"weights": "imagenet"}}])
    with pytest.raises(ConfigError, match="Resizing layer before it"):
        build_model((28, 28, 1), [{"ResNet50V2": {"include_top": False}}])


def test_an_application_is_sized_from_its_measured_build():
    with pytest.raises(ValueError, match="check_models"):
        model_cost((28, 28, 1), MOBILENET + [{"Dropout": {"rate": 0.1}}])
    cost = built_cost(build_model((28, 28, 1), MOBILENET))
    remember_cost((28, 28, 1), MOBILENET, cost)
    assert model_cost((28, 28, 1), MOBILENET).params == cost["params"] > 200_000


def test_the_application_names_are_keras_own():
    assert {n for n in dir(keras.applications)
                            if n[:1].isupper() and callable(getattr(keras.applications, n))} == APPLICATIONS


def test_block_names_of_keras_applications():
    assert [block_of(n) for n in ("conv2_block1_1_conv", "block2a_dwconv", "convnext_tiny_stage_0_block_1_gelu",
                                  "expanded_conv_3_expand", "expanded_conv_depthwise", "residual2_add",
                                  "stem_conv", "re_lu_4")] == \
        ["conv2_block1", "block2a", "convnext_tiny_stage_0_block_1", "expanded_conv_3", "expanded_conv",
         "residual2", "", ""]


def test_a_loss_with_arguments_reaches_keras():
    spec = {"CategoricalCrossentropy": {"label_smoothing": 0.1}}
    assert loss_name(spec) == "categorical_crossentropy" and loss_name("binary_crossentropy") == "binary_crossentropy"
    assert loss_label(spec) == "categorical_crossentropy (label_smoothing 0.1)"
    loss = build_loss(spec)
    y = np.eye(2, dtype="float32")
    # a perfect prediction still costs something once the targets are smoothed to 0.95 / 0.05
    plain = keras.losses.get(build_loss("categorical_crossentropy"))
    assert float(loss(y, y * 0.999 + 0.0005)) > 0.1 > float(plain(y, y * 0.999 + 0.0005)[0])
    with pytest.raises(ConfigError, match="not a Keras loss"):
        build_loss("categorical_crosentropy")


def test_selecting_an_epoch_by_a_metric_the_model_does_not_log_is_named():
    from lab04.train.fit import SelectEpoch

    model = build_model((4,), [{"Dense": {"units": 2, "activation": "softmax"}}])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x, y = np.zeros((8, 4), "float32"), np.eye(2, dtype="float32")[[0, 1] * 4]
    with pytest.raises(ConfigError, match="logs no 'val_auc'.*Add the metric to `metrics`"):
        model.fit(x, y, validation_split=0.25, epochs=2, verbose=0, callbacks=[SelectEpoch("val_auc", "max", 2)])


@pytest.mark.workflow
def test_a_residual_network_and_a_keras_application_train_through_the_workflow(run, tmp_path):
    """configs/architectures.yaml over a copy of the finished smoke run: only its two passes train (and what
    reads every pass reruns); the PDF shows their summaries and per-block weight arithmetic."""
    import json

    from conftest import copy_run, planned_jobs, snakemake
    from pypdf import PdfReader

    source, mirror, _ = run
    workdir = copy_run(source, tmp_path / "wf")
    overlays = [workdir / "configs" / "architectures.yaml", workdir / "tests" / "smoke-architectures.yaml"]
    plan = planned_jobs(snakemake(workdir, "-n", overlays=overlays, mirror=mirror))
    assert plan["train"] == 2 and plan["plot_pass"] == 2 and "features" not in plan, plan
    snakemake(workdir, overlays=overlays, mirror=mirror)
    for name in ("residual", "mobilenet"):
        history = pd.read_csv(workdir / "results" / "architectures" / name / "seed42" / "history.csv")
        # on 600 images batch normalisation's moving averages lag behind a few epochs, so the test
        # score is no guide yet; the training accuracy shows the model learns
        assert history["accuracy"].iloc[-1] > history["accuracy"].iloc[0] + 0.2, history
    scores = json.loads((workdir / "results" / "architectures" / "residual" / "seed42" / "scores.json").read_text())
    assert scores["loss_label"] == "categorical_crossentropy (label_smoothing 0.1)"
    tta = scores["test_time_augmentation"]
    assert tta["views"] == 4 and tta["test_loss"] != scores["test_loss"]  # other images, other predictions
    mobilenet = json.loads((workdir / "results" / "architectures" / "mobilenet" / "seed42" / "scores.json").read_text())
    history = pd.read_csv(workdir / "results" / "architectures" / "mobilenet" / "seed42" / "history.csv")
    assert mobilenet["selected_epoch"] == int(history["val_accuracy"].idxmax()) + 1
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(workdir / "results" / "report.pdf").pages).split())
    for expected in ("Digit recognition beyond a stack of layers", "residual1 to residual2: 2 blocks with the "
                     "same arithmetic", "residual3_projection (Conv2D)", "1 × 1 × 32 × 64 = 2,048 (no biases)",
                     "MobileNetV3Small (Functional)", "built from scratch", "one filter per channel",
                     f"= {scores['params']:,}", "label_smoothing 0.1", "With test-time augmentation",
                     f"the weights of epoch {mobilenet['selected_epoch']}, the best by val_accuracy, were kept"):
        assert expected in text, expected


def test_the_medmnist_resnet18_is_torchvisions_resnet18_for_28_pixels():
    """torchvision's ResNet-18 has 11,689,512 parameters: a 7x7x3x64 stem (9,408), its batch norm (128),
    the four stages (11,166,976) and a 1,000-class head (513,000). With MedMNIST's 3x3 stem on one grey
    channel and one sigmoid output, the same stages give 576 + 128 + 11,166,976 + 513 trainable weights."""
    import yaml
    from conftest import ROOT

    spec = yaml.safe_load((ROOT / "configs" / "medmnist-baselines.yaml").read_text())
    layers = spec["experiments"]["medmnist_baselines"]["passes"]["resnet18"]["layers"]
    model = build_model((28, 28, 1), layers)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 576 + 128 + 11_166_976 + 513
    assert model_cost((28, 28, 1), layers).params == model.count_params()
    groups = [g for g in weight_groups(weight_lines(pd.DataFrame(layer_table(model)))) if g.count]
    assert [g.block for g in groups if g.block] == [f"residual{i}" for i in (1, 3, 4, 5, 6, 7, 8)]
    assert groups[2].repeat == 2  # the first stage's two blocks: one group
