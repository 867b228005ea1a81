"""The report's section modules on a small run built in memory: no workflow, no files, no PDF."""

import math
import re
import types

import numpy as np
import pandas as pd
import pytest

from lab04.analysis.pneumonia import analyse_passes
from lab04.predictions import mean_prediction
from lab04.report.format import UNDEFINED, number
from lab04.report.render import build_context, render_html
from lab04.report.run import Run
from lab04.report.sections import (
    SECTIONS,
    depth_question,
    experiments,
    learning_algorithm,
    pneumonia,
    provenance,
    run_diff,
    sweeps,
)
from tests.conftest import ROOT

CLOTHES = ["T-shirt/top", "Trouser", "Pullover"]
DIGITS = ["0", "1", "2"]


def layers(n_in: int, n_out: int, activation: str) -> pd.DataFrame:
    return pd.DataFrame([
        {"name": "input_layer", "type": "InputLayer", "output_shape": f"(None, {n_in})", "params": 0, "trainable": 0,
         "non_trainable": 0, "units": None, "kernel_size": "", "activation": "", "rate": None, "pool_size": ""},
        {"name": "dense", "type": "Dense", "output_shape": f"(None, {n_out})", "params": (n_in + 1) * n_out,
         "trainable": (n_in + 1) * n_out, "non_trainable": 0, "units": float(n_out), "kernel_size": "",
         "activation": activation, "rate": None, "pool_size": ""},
    ])


def score(experiment, name, loss="categorical_crossentropy", optimizer="RMSprop", n_out=3):
    return {"experiment": experiment, "pass": name, "seed": 42, "input_shape": [4], "params": 5 * n_out,
            "trainable_params": 5 * n_out, "non_trainable_params": 0, "epochs": 2, "batch_size": 8,
            "train_seconds": 1.5, "loss": loss, "device": "CPU, 1 TensorFlow thread",
            "optimizer": {"class_name": optimizer, "config": {"learning_rate": 0.001, "beta_1": 0.9}
                          if optimizer == "Adam" else {"learning_rate": 0.001, "rho": 0.9}}}


@pytest.fixture
def run():
    """Two experiments on two data sets (digits, clothes) and one binary pass in the pneumonia section."""
    passes = [("raw", "a", DIGITS), ("raw", "b", DIGITS), ("fashion", "a", CLOTHES)]
    matrix = np.array([[5, 1, 0], [0, 6, 0], [3, 0, 2]])
    confusion = pd.concat([
        pd.DataFrame([{"experiment": e, "pass": p, "seed": 42, "true": i, "predicted": j, "count": int(matrix[i, j])}
                      for i in range(3) for j in range(3)]) for e, p, _ in passes], ignore_index=True)
    history = pd.concat([pd.DataFrame({"experiment": e, "pass": p, "seed": 42, "epoch": [1, 2], "loss": [1.0, 0.5],
                                       "val_loss": [0.9, 0.8]}) for e, p, _ in passes], ignore_index=True)
    summary = pd.DataFrame([{"experiment": e, "pass": p, "runs": 1, "test_accuracy_mean": 0.6 + 0.1 * i,
                             "test_accuracy_std": 0.0, "test_loss_mean": math.nan if i == 2 else 0.5,
                             "test_loss_std": 0.0, "params": 15, "train_seconds_mean": 1.5,
                             "engines": "JAX 0.10.2" if e == "fashion" else "TensorFlow 2.21.0"}
                            for i, (e, p, _) in enumerate(passes)]
                           + [{"experiment": "pneumonia", "pass": "c", "runs": 1, "test_accuracy_mean": 0.8,
                               "test_accuracy_std": 0.0, "test_loss_mean": 0.4, "test_loss_std": 0.0, "params": 5,
                               "train_seconds_mean": 2.0, "engines": "TensorFlow 2.21.0"}])
    comparisons = pd.DataFrame([{"experiment": "raw", "previous": "a", "pass": "b", "seed": 42,
                                 "previous_accuracy": 0.6, "accuracy": 0.7, "a_only": 1, "b_only": 4,
                                 "p_value": 0.375}])
    inputs = {f"{e}/{p}": {"dataset": "fashion_mnist" if e == "fashion" else "mnist",
                           "dataset_title": "Fashion-MNIST clothing" if e == "fashion" else "MNIST digits",
                           "classes": classes, "description": "the 2×2 pixels, flattened", "arrays_key": e}
              for e, p, classes in passes}
    inputs["pneumonia/c"] = {"dataset": "chest_xray", "dataset_title": "Chest X-rays",
                             "classes": ["NORMAL", "PNEUMONIA"], "description": "the 2×2 image",
                             "arrays_key": "chest_xray_8px_official"}
    scores = {(e, p, 42): score(e, p) for e, p, _ in passes}
    scores["pneumonia", "c", 42] = score("pneumonia", "c", "binary_crossentropy", "Adam", n_out=1)
    texts = {"raw": {"title": "Digits", "section": "experiments", "passes": {"a": {"title": "First"}, "b": {}}},
             "fashion": {"title": "Clothes", "section": "experiments", "passes": {"a": {"note": "tiny"}}},
             "pneumonia": {"title": "Pneumonia", "section": "pneumonia", "passes": {"c": {}}}}
    depth_layers = layers(4, 3, "softmax").to_dict("records")
    return Run(
        settings={"title": "T", "subtitle": "S", "authors": "", "top_confusions": 2, "detail": "compact",
                  "pneumonia": {}},
        texts=texts, inputs=inputs, seed=42, repeats=1, primary_seed=42, scores=scores,
        layers={k: layers(4, 1 if k[0] == "pneumonia" else 3, "softmax") for k in scores},
        tables={"pass_summary": summary, "confusion_long": confusion, "histories": history,
                "comparisons": comparisons,
                "runtimes": pd.DataFrame([{"job": "train raw/a seed 42", "threads": 1, "wall_seconds": 2.0,
                                           "cpu_time": math.nan, "max_rss_mb": 500.0, "requested_mem_mb": 1000,
                                           "requested_minutes": 5}])},
        plots={(k[0], k[1]): {"curves": f"{k[0]}-{k[1]}-curves.svg", "confusion": f"{k[0]}-{k[1]}-confusion.svg"}
               for k in scores},
        sections={
            experiments.__name__: {"chapters": {"mnist": ["raw"], "fashion_mnist": ["fashion"]}, "published": {},
                                   "plots": {"mnist": "mnist.svg", "fashion_mnist": "fashion.svg"}},
            learning_algorithm.__name__: {n: f"{n}.svg" for n in learning_algorithm.EQUATIONS},
            depth_question.__name__: {"experiment": "raw", "pass_name": "a", "remove": ["dense"],
                                      "configured": {"params": 15, "layers": depth_layers},
                                      "shallower": {"params": 0, "layers": depth_layers[:1]}},
            provenance.__name__: {"timeline": "timeline.svg"},
        },
    )


def test_chapters_are_numbered_in_section_order_with_one_per_data_set(run):
    context = build_context(run)
    titles = [(c["number"], c["title"]) for c in context["chapters"]]
    # the pneumonia module adds nothing without its analysis; the appendix is not numbered
    assert titles == [("1", "Learning algorithm and parameters"), ("2", "Experiments: MNIST digits"),
                      ("3", "Experiments: Fashion-MNIST clothing"), ("4", "Do deeper CNNs have more weights?"),
                      ("", "Appendix: provenance")]
    digits = context["chapters"][1]
    assert digits["toc"] == [("raw", "2.1", "Digits"), ("all-passes-mnist", "2.2", "All passes on MNIST digits")]
    # each chapter compares its own passes only
    assert [(r["experiment"], r["pass"]) for r in digits["all_passes"]["rows"]] == [("raw", "a"), ("raw", "b")]
    clothes = context["chapters"][2]["all_passes"]
    assert clothes["plot"] == "fashion.svg" and [r["experiment"] for r in clothes["rows"]] == ["fashion"]


def test_a_new_section_is_a_module_in_the_list(run):
    extra = types.SimpleNamespace(TEMPLATE="extra.html.j2",
                                  chapters=lambda r: [{"title": "Extra", "anchor": "extra", "toc": [("x", "X")]}])
    chapters = build_context(run, [*SECTIONS[:-1], extra, SECTIONS[-1]])["chapters"]
    assert [(c["number"], c["title"], c["template"]) for c in chapters][4] == ("5", "Extra", "sections/extra.html.j2")
    assert chapters[4]["toc"] == [("x", "5.1", "X")]


def test_observations_and_confusions_name_the_classes(run):
    fashion = experiments.experiment_context(run, "fashion")["passes"][0]
    assert fashion["classes"] == CLOTHES
    assert fashion["observations"][0].startswith("Class Pullover is misclassified most often: 3 of its 5")
    assert "Pullover → T-shirt/top (3)" in fashion["observations"][1]
    assert fashion["hot"] == [[2, 0], [0, 1]]


def test_consecutive_passes_are_compared_with_mcnemar(run):
    second = experiments.experiment_context(run, "raw")["passes"][1]
    assert second["comparison"].startswith("This pass is better than a: test accuracy 0.7000 against 0.6000")
    assert "p = 0.375, not significant" in second["comparison"]


def test_every_optimizer_and_loss_used_is_explained(run):
    chapter = learning_algorithm.chapters(run)[0]
    assert chapter["optimizer_names"] == ["RMSprop", "Adam"]
    losses = {loss["name"]: loss for loss in chapter["losses"]}
    assert losses["categorical_crossentropy"]["classes"] == [3]
    assert losses["binary_crossentropy"]["passes"] == ["pneumonia/c"]
    html = render_html(build_context(run), ROOT / "templates")
    assert "Adam (Adaptive Moment Estimation)" in html and "RMSprop (Root Mean Square Propagation)" in html
    assert "Binary cross-entropy" in html and "<i>C</i> = 3 classes" in html


def test_undefined_metrics_print_a_dash_not_nan(run):
    assert number(math.nan) == UNDEFINED and number(None) == UNDEFINED and number(0.12345) == "0.1235"
    html = render_html(build_context(run), ROOT / "templates")
    assert not re.search(r"\bnan\b", html, re.IGNORECASE)
    assert UNDEFINED in html


def test_detail_setting_adds_the_numeric_confusion_table(run):
    compact = render_html(build_context(run), ROOT / "templates")
    run.settings["detail"] = "full"
    full = render_html(build_context(run), ROOT / "templates")
    assert 'class="columns"' in compact and 'class="columns"' not in full
    assert "<th>T-shirt/top</th>" in full and "<th>T-shirt/top</th>" not in compact


def test_pneumonia_section_reads_its_analysis_by_pass(run):
    assert pneumonia.chapters(run) == []
    rows = pd.DataFrame([{"experiment": "pneumonia", "pass": "c", "model": "seed 42", "split": s, "threshold": 0.5,
                          "rule": "val sensitivity ≥ 0.98", "tn": 1, "fp": 2, "fn": 3, "tp": 4, "auc": 0.6,
                          "recall": 4 / 7, "specificity": 1 / 3, "f1": 0.615} for s in ("val", "test")])
    roc = pd.DataFrame({"fpr": [0.0, 1 / 3, 1.0], "tpr": [0.0, 4 / 7, 1.0], "threshold": [np.inf, 0.5, 0.1],
                        "split": "test", "experiment": "pneumonia", "pass": "c", "model": "seed 42", "members": 1})
    summary = {"experiment": "pneumonia", "pass": "c", "model": "seed 42"}
    run.sections[pneumonia.__name__] = {"metrics": rows, "summaries": {("pneumonia", "c", "seed 42"): summary},
                                        "roc": "roc.svg", "sweep": "sweep.svg", "data": [], "roc_points": roc}
    chapter, = pneumonia.chapters(run)
    assert chapter["classes"] == ["NORMAL", "PNEUMONIA"] and chapter["toc"] == [("pneumonia-pneumonia-c", "c")]
    p = chapter["passes"][0]
    assert p["binary_output"] and p["data_key"] == "chest_xray_8px_official"
    assert p["confusions"][0] == ("val, threshold 0.5", [[1, 2], [3, 4]])
    assert p["models"] is None  # one seed: no ensemble
    assert chapter["roc_alt"].startswith("ROC curves on the test set: pneumonia/c AUC 0.600, sensitivity 0.571")
    # the web page's table of the ROC's points, labelled as the figure's legend
    assert chapter["roc_values"]["rows"] == [["c", "∞", "0.0000", "0.0000"], ["c", "0.5000", "0.3333", "0.5714"],
                                             ["c", "0.1000", "1.0000", "1.0000"]]
    assert chapter["roc_values"]["numeric"] == [False, True, True, True]


def test_pneumonia_pass_on_two_seeds_shows_each_and_their_ensemble(run):
    rng = np.random.default_rng(0)
    y_val, y_test = np.array([0] * 20 + [1] * 30), np.array([0] * 40 + [1] * 60)

    def predictions(y):
        p = np.clip(0.35 * y + 0.3 + rng.normal(0, 0.2, len(y)), 0, 1)
        return pd.DataFrame({"index": range(len(y)), "y_true": y, "y_pred": (p >= 0.5).astype(int), "p_0": p})

    jobs = [("pneumonia", "c", seed, predictions(y_val), predictions(y_test)) for seed in (42, 43)]
    summaries, tables = analyse_passes(jobs, 0.95, 1000, 0.01)
    assert [s["model"] for s in summaries] == ["seed 42", "seed 43", "ensemble"] and summaries[2]["members"] == 2
    run.settings["pneumonia"] = {"target_sensitivity": 0.95, "anchors": [],
                                 "population": {"name": "a town", "size": 1000, "prevalence": 0.01}}
    carved = {"key": "chest_xray_8px_carve0.3-grouped", "size": 8, "source": "chest_xray", "val_carved": True,
              "val_fraction": 0.3, "official_val": False, "limit_per_class": None,
              "groups": {"carved_from": 18, "val": 5},
              "used": {"train": {"NORMAL": 7, "PNEUMONIA": 13}, "val": {"NORMAL": 3, "PNEUMONIA": 7}}}
    run.sections[pneumonia.__name__] = {"metrics": tables["metrics"], "roc": "roc.svg", "sweep": "sweep.svg",
                                        "roc_points": tables["roc"], "data": [carved],
                                        "summaries": {(s["experiment"], s["pass"], s["model"]): s for s in summaries}}
    p, = pneumonia.chapters(run)[0]["passes"]
    assert p["analysis"]["model"] == "seed 42" and {r["model"] for r in p["metrics"]} == {"seed 42"}
    models = p["models"]
    assert [r["model"] for r in models["rows"]] == ["seed 42", "seed 43", "ensemble"]
    sens = [r["recall"] for r in models["rows"][:2]]
    assert models["mean"]["recall"] == pytest.approx(np.mean(sens))
    assert models["std"]["recall"] == pytest.approx(np.std(sens, ddof=1))
    accuracy = [r["accuracy"] for r in models["rows"][:2]]
    assert models["seeds"] == 2 and models["mean"]["accuracy"] == pytest.approx(np.mean(accuracy))
    # the ROC's table holds the curves the figure draws: the primary seed and the ensemble, not seed 43
    assert {r[0] for r in pneumonia.chapters(run)[0]["roc_values"]["rows"]} == {"c", "c, ensemble of 2"}
    html = " ".join(render_html(build_context(run), ROOT / "templates").split())
    assert "Seeds and their ensemble" in html and "pneumonia/c, ensemble of 2 (validation-chosen threshold)" in html
    # the seeds' mean stands beside the published results too, each score with its spread
    mean_row = html.split("pneumonia/c, mean ± std of 2 seeds (each at its validation-chosen threshold)</td>")[1]
    assert mean_row.split("</tr>")[0].count(" ± ") == 4
    assert "Test score (loss): <span class=\"score\">0.4000</span>" in html  # not in any other table
    assert "(chest X-rays: the patient): 5 of 18 groups, none with images on both sides" in html


def test_an_ensemble_refuses_predictions_of_other_images():
    a = pd.DataFrame({"y_true": [0, 1], "p_0": [0.2, 0.8]})
    with pytest.raises(ValueError, match="not of the same images"):
        mean_prediction([a, a.assign(y_true=[1, 0])])
    mean = mean_prediction([a, a.assign(p_0=[0.4, 0.4])])
    assert mean["p_0"].tolist() == pytest.approx([0.3, 0.6]) and mean["y_pred"].tolist() == [0, 1]
    three = pd.DataFrame({"y_true": [0, 2], "p_0": [0.5, 0.1], "p_1": [0.1, 0.5], "p_2": [0.4, 0.4]})
    assert mean_prediction([three, three.assign(p_0=[0.3, 0.1], p_2=[0.6, 0.4])])["y_pred"].tolist() == [2, 1]


def test_a_pass_with_its_own_repeats_shows_each_seed(run):
    run.scores["raw", "b", 43] = {**run.scores["raw", "b", 42], "seed": 43, "test_accuracy": 0.8, "train_seconds": 3.0}
    run.scores["raw", "b", 42]["test_accuracy"] = 0.6
    summary = run.tables["pass_summary"]
    summary.loc[(summary["experiment"] == "raw") & (summary["pass"] == "b"),
                ["runs", "test_accuracy_mean", "test_accuracy_std", "train_seconds_mean"]] = [2, 0.7, 0.1414, 2.5]
    digits = build_context(run)["chapters"][1]
    assert digits["own_repeats"] == ["raw/b"]
    a, b = digits["experiments"][0]["passes"]
    assert a["seeds"] == [] and [(r["seed"], r["accuracy"]) for r in b["seeds"]] == [(42, 0.6), (43, 0.8)]
    assert b["accuracy"] == "0.7000 ± 0.1414 (2 seeds)"
    html = " ".join(render_html(build_context(run), ROOT / "templates").split())
    assert "Per seed: seed 42 0.6000 (2 s), seed 43 0.8000 (3 s)." in html
    # the pass's line gives the mean, not seed 42's time
    assert "2.5 s of training per seed (mean) on TensorFlow 2.21.0 in float32." in html
    assert "raw/b sets its own <code>repeats</code>" in html


def test_sweep_section_tabulates_each_point_with_its_spread(run):
    assert sweeps.chapters(run) == []
    rows = [{"experiment": "raw", "pass": "a", "point": f"hidden~{h}", "seed": seed, "hidden": h, "params": 10 * h,
             "test_accuracy": acc, "test_loss": 0.1, "train_accuracy": acc + 0.02, "val_accuracy": acc - 0.01,
             "gap": 0.03} for h, seed, acc in [(16, 42, 0.80), (16, 43, 0.90), (32, 42, 0.95), (32, 43, 0.95)]]
    run.repeats = 2
    run.sections[sweeps.__name__] = {"table": pd.DataFrame(rows), "plots": {"raw/a": "sweep.svg"},
                  "settings": {"raw/a": {"hidden": {"path": "layers[0].Dense.units", "values": [16, 32]}}}}
    chapter, = sweeps.chapters(run)
    assert chapter["title"] == "Model complexity" and chapter["toc"] == [("sweep-raw-a", "First (raw/a)")]
    sweep = chapter["sweeps"][0]
    assert [(r["values"], r["params"], r["test_accuracy"]) for r in sweep["rows"]] == \
        [(["16"], 160, "0.8500 ± 0.0707"), (["32"], 320, "0.9500 ± 0.0000")]
    assert sweep["best_point"] == "hidden~32" and sweep["best_params"] == 320
    html = render_html(build_context(run), ROOT / "templates")
    assert "layers[0].Dense.units" in html and "0.8500 ± 0.0707" in html


def test_diff_section_lists_each_pass_with_its_changes(run):
    assert run_diff.chapters(run) == []
    nan = math.nan
    table = pd.DataFrame([
        {"experiment": "raw", "pass": "a", "seed": 42, "status": "changed", "base_test_accuracy": 0.6,
         "test_accuracy": 0.7, "delta_test_accuracy": 0.1, "delta_test_loss": -0.2, "delta_params": 0,
         "delta_train_seconds": 1.5, "base_only": 1, "current_only": 11, "p_value": 0.0063,
         "settings": "epochs: 1 → 2"},
        {"experiment": "raw", "pass": "new", "seed": 42, "status": "new", "base_test_accuracy": nan,
         "test_accuracy": 0.5, "delta_test_accuracy": nan, "delta_test_loss": nan, "delta_params": nan,
         "delta_train_seconds": nan, "base_only": nan, "current_only": nan, "p_value": nan, "settings": nan}])
    run.sections[run_diff.__name__] = {"base": "/old/results", "table": table}
    chapter, = run_diff.chapters(run)
    assert chapter["changed"] == 2
    changed, new = chapter["rows"]
    assert changed["accuracy"] == "+0.1000" and changed["settings"] == ["epochs: 1 → 2"]
    assert changed["mcnemar"] == {"base_only": 1, "current_only": 11, "p": "0.0063"}
    assert new["accuracy"] == UNDEFINED and new["mcnemar"] is None and new["settings"] == []
    html = render_html(build_context(run), ROOT / "templates")
    assert "Changes since the base run" in html and "/old/results" in html and not re.search(r"\bnan\b", html)
    assert "(seed 42)" not in html and "of 2 passes differ" in " ".join(html.split())
    # a second seed of one pass (its own repeats): every row names its seed
    run.sections[run_diff.__name__]["table"] = pd.concat([table, table.iloc[[1]].assign(seed=43)], ignore_index=True)
    html = render_html(build_context(run), ROOT / "templates")
    assert "raw/new (seed 43)" in html and "raw/a (seed 42)" in html
    assert "trainings (pass and seed) differ" in " ".join(html.split())


def test_a_long_layer_list_is_not_squeezed_beside_the_arithmetic(run):
    from lab04.report.passes import SIDE_BY_SIDE_MAX_LAYERS, pass_context

    assert pass_context(run, "raw", "a")["side_by_side"]
    table = run.layers["raw", "a", 42]
    padding = pd.concat([table.iloc[[0]]] * SIDE_BY_SIDE_MAX_LAYERS, ignore_index=True)  # weightless layers
    long = pd.concat([padding, table], ignore_index=True)
    run.layers["raw", "a", 42] = long
    assert not pass_context(run, "raw", "a")["side_by_side"]
    html = render_html(build_context(run), ROOT / "templates")
    assert html.count('class="columns"') == 2  # raw/b and fashion/a, both short, keep the columns


def test_validation_split_is_named_for_the_chapter_and_a_pass_that_differs(run):
    for key, split in ((("raw", "a", 42), 0.1), (("raw", "b", 42), 0.02)):
        run.scores[key]["settings"] = {"validation_split": split}
    run.scores["fashion", "a", 42]["settings"] = {"validation_split": 0.1}
    html = " ".join(render_html(build_context(run), ROOT / "templates").split())
    assert html.count("holds out the last 10 % of the training images as the validation split, as the course") == 2
    assert html.count("(the last 2 % of the training images)") == 1


def test_all_passes_table_shows_test_time_augmentation_and_published_results(run):
    for seed, accuracy in ((42, 0.71), (43, 0.73)):
        run.scores["raw", "b", seed] = {**run.scores["raw", "b", 42], "seed": seed,
                                        "test_time_augmentation": {"views": 8, "test_accuracy": accuracy}}
    published = [{"name": "Someone 2020, a bigger CNN", "accuracy": [0.9972, 0.9976], "params": 1120000},
                 {"name": "Someone else 2021", "accuracy": 0.99}]
    run.sections[experiments.__name__]["published"] = {"mnist": published}
    digits, clothes = build_context(run)["chapters"][1:3]
    assert [r["tta"]["accuracy"] if r["tta"] else None for r in digits["all_passes"]["rows"]] == \
        [None, "0.7200 ± 0.0141 (2 seeds)"]
    assert digits["all_passes"]["published"] == published and clothes["all_passes"]["published"] == []
    html = " ".join(render_html(build_context(run), ROOT / "templates").split())
    assert "test-time augmentation 0.7200 ± 0.0141 (2 seeds)" in html
    assert ('<td>Someone 2020, a bigger CNN</td><td class="num">0.9972–0.9976</td><td class="num">—</td>'
            '<td class="num">—</td><td class="num">1,120,000</td>') in html
    assert '<td>Someone else 2021</td><td class="num">0.9900</td>' in html
    assert html.count("Published results for comparison") == 1  # the chapter of clothes quotes none
    # every pass names its engine and precision: in its table row and on its page
    assert '<td class="num">1.5</td><td>JAX<br><span class="ci">float32</span></td></tr>' in html
    assert "s of training on JAX 0.10.2 in float32." in html
    assert "s of training on TensorFlow 2.21.0 in float32." in html
