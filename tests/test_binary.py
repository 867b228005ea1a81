import numpy as np
import pytest

from lab04.analysis.binary import false_negative_analysis, metrics_at, threshold_for_sensitivity, threshold_sweep


def test_metrics_on_known_confusion():
    # 234 normal / 390 pneumonia as in the test set: TN 104, FP 130, FN 5, TP 385
    y = np.array([0] * 234 + [1] * 390)
    p = np.array([0.1] * 104 + [0.9] * 130 + [0.2] * 5 + [0.8] * 385)
    m = metrics_at(y, p)
    assert (m["tn"], m["fp"], m["fn"], m["tp"]) == (104, 130, 5, 385)
    assert m["accuracy"] == pytest.approx(489 / 624)
    assert m["recall"] == pytest.approx(385 / 390) and m["specificity"] == pytest.approx(104 / 234)
    assert m["f1"] == pytest.approx(2 * 385 / (2 * 385 + 130 + 5))


def test_false_negative_arithmetic_of_the_report():
    m = {"fn": 5, "n": 624, "tp": 385}
    fn = false_negative_analysis(m, population=8_776_000, prevalence=0.01)
    assert fn["share_of_tested"] == pytest.approx(0.00801, abs=1e-5)  # the report's 0.801 %
    assert fn["naive_extrapolation"] == pytest.approx(70_321, abs=1)  # its ~70'320 people
    assert fn["miss_rate"] == pytest.approx(5 / 390)  # 1.28 % of the sick are missed
    assert fn["test_prevalence"] == pytest.approx(390 / 624)
    assert fn["missed_sick"] == pytest.approx(5 / 390 * 87_760)


def test_threshold_reaches_target_sensitivity_on_its_split():
    rng = np.random.default_rng(0)
    y = np.array([0] * 50 + [1] * 100)
    p = np.concatenate([rng.uniform(0, 0.6, 50), rng.uniform(0.3, 1, 100)])
    t = threshold_for_sensitivity(y, p, 0.98)
    assert metrics_at(y, p, t)["recall"] >= 0.98
    assert metrics_at(y, p, t + 1e-6)["recall"] < 0.98  # the highest such threshold
    assert len(threshold_sweep(y, p)) == 19


def test_plots_show_each_pass_and_its_ensemble_by_a_unique_label(tmp_path):
    import pandas as pd

    from lab04.analysis.plots import roc_curves, threshold_sweep_plot
    from lab04.analysis.pneumonia import analyse_passes, plot_labels

    rng = np.random.default_rng(1)
    y = np.array([0] * 30 + [1] * 50)

    def predictions():
        p = np.clip(0.4 * y + 0.3 + rng.normal(0, 0.2, len(y)), 0, 1)
        return pd.DataFrame({"index": range(len(y)), "y_true": y, "y_pred": (p >= 0.5).astype(int), "p_0": p})

    jobs = [("pneumonia", "course", 42, predictions(), predictions()),
            ("record", "course", 42, predictions(), predictions()),
            ("record", "course", 43, predictions(), predictions())]
    summaries, tables = analyse_passes(jobs, 0.95, 1000, 0.01)
    labels = plot_labels(summaries, 42)
    # two experiments share the pass name: each is named with its experiment
    assert labels == {("pneumonia", "course", "seed 42"): "pneumonia/course",
                      ("record", "course", "seed 42"): "record/course",
                      ("record", "course", "ensemble"): "record/course, ensemble of 2"}
    chosen = {(r["experiment"], r["pass"], r["model"]): (1 - r["specificity"], r["recall"])
              for _, r in tables["metrics"].iterrows() if r["split"] == "test" and r["rule"] != "0.5"}
    roc_curves(tables["roc"], chosen, labels, tmp_path / "roc.svg")
    threshold_sweep_plot(tables["sweep"], {k: v for k, v in labels.items() if k[2] != "ensemble"},
                         tmp_path / "sweep.svg")
    roc = (tmp_path / "roc.svg").read_text()
    assert "record/course, ensemble of 2" in roc and (tmp_path / "sweep.svg").stat().st_size > 0
