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
