"""Precision as a measured choice (lab04/train/precision.py): `auto` picks bfloat16 for a pass only on a CPU with
native bfloat16 arithmetic, where the table measured it faster by the margin and within float32's seed spread for
the pass as it is configured; bfloat16 trains with float32 weights and a float32 output, learns, and gives the
same weights for the same seed; the table's damage is named with its line and column."""

import json
import logging

import numpy as np
import pytest

from lab04.config import trained_settings
from lab04.schedule import Plan
from lab04.train import precision
from lab04.train.engine_plan import emulated, precision_moves, recorded

SETTINGS = {"layers": [{"Conv2D": {"filters": 8, "kernel_size": 3}}], "epochs": 3, "batch_size": 128,
            "input": {"dataset": "mnist", "representation": "image"}, "precision": "auto", "backend": "auto"}
DIGEST = {p: precision.settings_digest(SETTINGS, None, p) for p in precision.PRECISIONS}


def rows(f32_seconds=10.0, bf16_seconds=4.0, f32=(0.990, 0.992, 0.994), bf16=(0.991, 0.992, 0.990),
         digest=None, bf16_isa="amx", backend="tensorflow", label="cnn/pass1"):
    digests = digest if isinstance(digest, dict) else {p: digest or DIGEST[p] for p in precision.PRECISIONS}
    return tuple({"pass": label, "digest": digests[p], "bf16": bf16_isa, "backend": backend, "precision": p,
                  "epoch_seconds": s, "test_accuracies": a}
                 for p, s, a in (("float32", f32_seconds, f32), ("bfloat16", bf16_seconds, bf16)))


@pytest.fixture
def on_amx(monkeypatch):
    monkeypatch.setattr(precision, "native_bf16", lambda: "amx")


def resolve(table, settings=SETTINGS, backend="tensorflow", gpus=0, label="cnn/pass1"):
    return precision.resolve_precision(settings, label, backend, gpus, None, table)


def test_auto_picks_bfloat16_where_measured_faster_and_as_accurate(on_amx):
    assert resolve(rows()) == "bfloat16"
    assert precision.speed_ratio(SETTINGS, "cnn/pass1", "tensorflow", "bfloat16", None, rows()) == 0.4


@pytest.mark.parametrize("table, why", [
    (rows(bf16_seconds=9.5), "faster by less than the margin"),
    (rows(bf16=(0.985, 0.986, 0.987)), "mean below float32's mean less its spread"),
    (rows(bf16=()), "no seeds trained"),
    (rows(digest="0" * 16), "measured with other settings"),
    (rows(digest={p: DIGEST["float32"] for p in precision.PRECISIONS}), "bfloat16 measured as it computed before"),
    (rows(bf16_isa="avx512_bf16"), "measured on another CPU's arithmetic"),
    (rows(backend="jax"), "measured on another engine"),
    (rows(label="cnn/pass2"), "another pass"),
    ((), "no table"),
])
def test_auto_stays_float32_without_a_measurement_that_holds(on_amx, table, why):
    assert resolve(table) == "float32", why


def test_the_yardstick_is_float32s_spread_below_its_mean(on_amx):
    # float32 0.990-0.994 (mean 0.992, spread 0.004): a bfloat16 mean of 0.988 is within it, 0.9879 is not
    assert resolve(rows(bf16=(0.988, 0.988, 0.988))) == "bfloat16"
    assert resolve(rows(bf16=(0.9879, 0.9879, 0.9879))) == "float32"


def test_auto_is_float32_without_native_bfloat16_and_on_gpus(monkeypatch, on_amx):
    assert resolve(rows(), gpus=1) == "float32"
    monkeypatch.setattr(precision, "native_bf16", lambda: None)
    assert resolve(rows()) == "float32"


def test_a_precision_set_by_hand_is_kept(monkeypatch):
    monkeypatch.setattr(precision, "native_bf16", lambda: None)
    assert resolve((), {**SETTINGS, "precision": "bfloat16"}) == "bfloat16"
    assert resolve(rows(), {**SETTINGS, "precision": "float32"}) == "float32"


def test_the_digest_follows_what_the_pass_learns_with_not_how_it_runs():
    same = {**SETTINGS, "backend": "jax", "threads": 2, "shards": 4, "deterministic": False, "precision": "bfloat16"}
    assert precision.settings_digest(same) == DIGEST["float32"]
    assert precision.settings_digest({**SETTINGS, "epochs": 4}) != DIGEST["float32"]
    # a bfloat16 measurement also holds what bfloat16 computes: another layout of it makes another digest
    assert DIGEST["bfloat16"] != DIGEST["float32"]
    data = {"title": "MNIST", "checksums": ["md5:1"], "public_mirrors": ["https://a/"]}
    assert precision.settings_digest(SETTINGS, data) == precision.settings_digest(
        SETTINGS, {**data, "title": "Digits", "public_mirrors": []})  # where the data comes from: not what it is
    limited = {**data, "limit_train": 600}
    assert precision.settings_digest(SETTINGS, data) != precision.settings_digest(SETTINGS, limited)


def test_the_bench_keeps_float32_where_the_full_trainings_were_not_faster_in_bfloat16():
    """bench/precision.py: a short timing said bfloat16 was faster; the full trainings of both precisions decide."""
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("bench_precision", ROOT / "bench" / "precision.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    def runs(label, f32, bf16):
        return [{"pass": label, "precision": p, "train_seconds": t}
                for p, times in (("float32", f32), ("bfloat16", bf16)) for t in times]

    trained = (runs("hog/pass3", [16.4, 16.8, 17.5], [25.4, 22.5, 21.3])  # slower in full: float32
               + runs("cnn/pass3", [430.0, 440.0], [150.0, 160.0])  # faster by far
               + runs("cnn/pass1", [20.0], [19.0])  # faster, by less than the margin
               + [{"pass": "cnn/pass2", "precision": "bfloat16", "train_seconds": 9.0}])  # float32's seeds kept
    assert bench.slower_in_full(trained) == ["cnn/pass1", "hog/pass3"]


def test_native_bfloat16_is_read_from_the_cpu_flags():
    for flags, expected in (("fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile", "amx"),
                            ("fpu avx2 avx512f avx512_bf16", "avx512_bf16"), ("fpu avx2 fma", None)):
        assert precision.bf16_of(f"processor\t: 0\nflags\t\t: {flags}\n") == expected, flags
    assert precision.bf16_of("processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\n") == "arm_bf16"


def test_onednns_cap_takes_the_bfloat16_arithmetic_it_leaves_out():
    # ONEDNN_MAX_CPU_ISA=AVX2 (make bench's AVX2 measurement on a wider CPU): no native bfloat16, so auto is float32
    assert precision.capped("amx", "AVX2") is None and precision.capped("avx512_bf16", "avx512_core") is None
    assert precision.capped("amx", "AVX512_CORE_BF16") == "avx512_bf16"  # AVX512-BF16 without the AMX tiles
    assert precision.capped("amx", "") == precision.capped("amx", "AVX10_1_512_AMX") == "amx"
    assert precision.capped(None, "") is None


@pytest.mark.parametrize("damage, where", [
    ("cnn/pass1,abc,amx,tensorflow,float32,fast,0.99", "line 2, column epoch_seconds: 'fast' is not a positive"),
    ("cnn/pass1,abc,amx,tensorflow,half,1.0,0.99", "line 2, column precision: 'half' is not one of"),
    ("cnn/pass1,,amx,tensorflow,float32,1.0,0.99", "line 2, column digest: no value"),
], ids=["seconds", "precision", "digest"])
def test_a_damaged_table_is_named_with_its_line_column_and_fix(tmp_path, damage, where):
    table = tmp_path / "precision.csv"
    table.write_text(",".join(precision.TABLE_COLUMNS) + "\n" + damage + "\n")
    with pytest.raises(precision.PrecisionTableError) as err:
        precision.measured(str(table))
    assert where in str(err.value) and f"git checkout -- {table}" in str(err.value)


def test_the_committed_table_reads_and_its_verdicts_follow_the_rule():
    table = precision.measured()
    pairs: dict[tuple, dict] = {}
    for r in table:
        pairs.setdefault((r["pass"], r["bf16"], r["backend"]), {})[r["precision"]] = r
    assert all(set(p) == set(precision.PRECISIONS) for p in pairs.values()), "each pass measured both ways"
    for pair in pairs.values():  # each row's digest holds its precision: bfloat16's also what bfloat16 computes
        assert pair["float32"]["digest"] != pair["bfloat16"]["digest"]
    for pair in pairs.values():  # a pick needs accuracies on both sides, and no slower pass has any
        if precision.bf16_wins(pair):
            assert len(pair["float32"]["test_accuracies"]) >= 3 and len(pair["bfloat16"]["test_accuracies"]) >= 3


def test_each_precision_has_its_keras_policy_and_planning_stays_out_of_the_trainings_code():
    from conftest import ROOT

    from lab04.fingerprint import package_modules
    from lab04.train.models import POLICIES

    assert set(POLICIES) == set(precision.PRECISIONS)
    modules = package_modules(ROOT / "scripts" / "train.py")
    assert "lab04.train.fit" in modules and "lab04.train.models" in modules
    # editing what auto picks (an engine, a precision, gradient shards) or a cluster request retrains only the
    # passes whose settings it moves: the planning modules stay out of the trainings' code fingerprint
    planning = {"lab04.train.precision", "lab04.train.engines", "lab04.train.resources", "lab04.train.measured",
                "lab04.schedule", "lab04.jobs"}
    assert not planning & set(modules), planning & set(modules)
    assert "lab04.train.backend" in modules  # what carries the engine out


def test_a_float32_precision_stays_out_of_the_params_so_older_runs_stay_up_to_date():
    assert "precision" not in trained_settings({**SETTINGS, "precision": "float32", "shards": 1})
    assert trained_settings({**SETTINGS, "precision": "bfloat16", "shards": 1})["precision"] == "bfloat16"


def test_moves_and_emulation_are_named_while_planning(tmp_path, monkeypatch):
    job = ("train", "cnn", "pass1", None, 42)
    scores = tmp_path / "cnn" / "pass1" / "seed42" / "scores.json"
    scores.parent.mkdir(parents=True)
    scores.write_text('{"backend": "tensorflow", "precision": "float32"}')
    plan = Plan({job: 1.0}, {job: 1.0}, {job: "tensorflow"}, {job: "bfloat16"})
    specs = {job: {**SETTINGS, "precision": "bfloat16"}}
    [line] = precision_moves({}, plan, specs, {job: recorded(job, str(tmp_path))})
    assert line.startswith("note: 1 pass trained in float32 last time now trains in bfloat16, because its "
                           "precision setting is now bfloat16; their numbers will change (cnn/pass1)"), line
    assert "set precision: float32 for them in config" in line
    monkeypatch.setattr(precision, "native_bf16", lambda: None)
    [line] = emulated({}, plan)
    assert "cnn/pass1 trains in bfloat16" in line and "no native bfloat16 arithmetic" in line
    assert emulated({"gpu": {"count": 1}}, plan) == []
    monkeypatch.setattr(precision, "native_bf16", lambda: "amx")
    assert emulated({}, plan) == []


def cnn_data(n=600, seed=0):
    """Two classes a CNN tells apart at once: a bright square top-left or bottom-right, with noise."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 12, 12, 1), dtype=np.float32) * 0.3
    y = rng.integers(0, 2, n).astype(np.uint8)
    for i, label in enumerate(y):
        x[i, 1:5, 1:5] += 0.7 if label == 0 else 0.0
        x[i, 7:11, 7:11] += 0.7 if label == 1 else 0.0
    return x[:500], y[:500], x[500:], y[500:]


CNN = {"layers": [{"Conv2D": {"filters": 4, "kernel_size": 3, "activation": "relu"}},
                  {"Conv2D": {"filters": 4, "kernel_size": 3, "activation": "relu"}}, {"MaxPooling2D": {}},
                  {"Flatten": {}}, {"Dense": {"units": 8, "activation": "relu"}},
                  {"Dense": {"units": 2, "activation": "softmax"}}],
       "optimizer": {"RMSprop": {}}, "loss": "categorical_crossentropy", "metrics": ["accuracy"],
       "batch_size": 32, "epochs": 3, "validation_split": 0.1, "precision": "bfloat16"}


@pytest.mark.parametrize("layers, head", [
    (["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"], 3),  # after the last conv
    (["Rescaling", "RandomZoom", "Conv2D", "Flatten", "Dropout", "Dense"], 3),
    (["Dense", "BatchNormalization", "Dense", "Dense"], 3),  # no convolution: the output alone
    (["Residual", "GlobalAveragePooling2D", "Dense"], 1),  # a residual block is made of convolutions
    (["ResNet50V2", "Dense"], 1),  # so is an application
    (["Conv2D", "Conv2D"], 1),  # a model ending in a convolution: its output still float32
    (["Dense"], 0),
])
def test_the_float32_head_begins_after_the_last_convolution(layers, head):
    from lab04.train.models import float32_head

    assert float32_head([{name: {}} for name in layers]) == head


def test_bfloat16_computes_in_bfloat16_keeps_float32_weights_and_output_learns_and_repeats():
    pytest.importorskip("tensorflow")
    from lab04.train.fit import configure_runtime, train_pass

    def trained():
        configure_runtime(3, threads=1)
        return train_pass(*cnn_data(), CNN, n_classes=2, log=logging.getLogger("t"))

    a, b = trained(), trained()
    layers = a.model.layers[1:]
    # the convolutions in bfloat16, the head after the last one in float32
    assert [layer.dtype_policy.name for layer in layers] == ["mixed_bfloat16"] * 2 + ["float32"] * 4
    assert {str(w.dtype) for w in a.model.weights} == {"float32"}
    assert a.probabilities.dtype == np.float32
    assert a.test_accuracy >= 0.95, a.test_accuracy  # it learned: chance is 0.5
    np.testing.assert_array_equal(a.probabilities, b.probabilities)  # same seed, same machine: same numbers
    assert [np.array_equal(x, y) for x, y in zip(a.model.get_weights(), b.model.get_weights(), strict=True)] == \
        [True] * len(a.model.get_weights())
    float32 = train_pass(*cnn_data(), {**CNN, "precision": "float32"}, n_classes=2, log=logging.getLogger("t"))
    assert {layer.dtype_policy.name for layer in float32.model.layers[1:]} == {"float32"}
    assert a.params == float32.params  # the same model, parameter for parameter


@pytest.mark.workflow
def test_a_pass_in_bfloat16_through_the_workflow_is_recorded_and_its_move_back_is_named(tmp_path, shared_data):
    from conftest import copy_workflow, overlay, snakemake

    workdir = copy_workflow(tmp_path / "wf")
    target = "results/raw/pass1/seed42/scores.json"  # a dense pass: one epoch on 600 images
    bf16 = overlay(workdir, "bf16.yaml", {"experiments": {"raw": {"passes": {"pass1": {"precision": "bfloat16"}}}}})
    snakemake(workdir, target, overlays=[bf16], mirror=shared_data)
    scores = json.loads((workdir / target).read_text())
    assert scores["precision"] == scores["settings"]["precision"] == "bfloat16"
    assert scores["test_accuracy"] > 0.5, scores  # it learned: ten classes, one epoch on 600 images
    out = snakemake(workdir, target, "-n", overlays=[bf16])
    assert "Nothing to be done" in out or "rule train:" not in out, out[-3000:]
    # back to auto (float32 here: no measurement for the smoke pass): retrained, and the plan says why
    out = snakemake(workdir, target, "-n")
    assert "note: 1 pass trained in bfloat16 last time now trains in float32, because " in out, out[-3000:]
    assert "(raw/pass1)" in out and "set precision: bfloat16 for them in config" in out and "rule train:" in out
