import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from lab04.analysis.stats import accuracy_interval, class_errors, mcnemar_exact, overfitting, top_confusions
from lab04.analysis.tables import accuracy_intervals, pass_summary
from lab04.analysis.weights import WeightLine, total_line, weight_lines


def test_mcnemar_exact_known_value():
    y = np.zeros(30, int)
    a = np.zeros(30, int)
    b = np.zeros(30, int)
    a[:10] = 0; b[:10] = 1      # noqa: E702  10 images only A gets right
    a[10:12] = 1; b[10:12] = 0  # noqa: E702  2 images only B gets right
    result = mcnemar_exact(y, a, b)
    assert (result["a_only"], result["b_only"]) == (10, 2)
    assert result["p_value"] == pytest.approx(0.0386, abs=1e-4)  # 2 * P(X <= 2), X ~ Bin(12, 1/2)
    assert mcnemar_exact(y, a, a)["p_value"] == 1.0


def test_confusion_summaries():
    m = np.array([[50, 2, 0], [1, 40, 9], [0, 3, 30]])
    assert class_errors(m).tolist() == [2, 10, 3]
    assert top_confusions(m, 2) == [(1, 2, 9), (2, 1, 3)]


def test_overfitting_detects_rise_after_minimum():
    rising = pd.DataFrame({"val_loss": [0.5, 0.3, 0.32, 0.4]})
    assert overfitting(rising)["rose"] and overfitting(rising)["best_epoch"] == 2
    assert not overfitting(pd.DataFrame({"val_loss": [0.5, 0.4, 0.35]}))["rose"]
    noisy_end = pd.DataFrame({"val_loss": [0.5] + [0.3] * 17 + [0.29, 0.35]})  # minimum at 19 of 20
    assert not overfitting(noisy_end)["rose"]


def layers(*rows):
    return pd.DataFrame(rows, columns=["name", "type", "output_shape", "params", "trainable", "non_trainable",
                                       "kernel_size"])


def test_weight_lines_match_the_report():
    table = layers(
        ("l0", "InputLayer", "(None, 28, 28, 1)", 0, 0, 0, ""),
        ("l1", "Conv2D", "(None, 28, 28, 32)", 160, 160, 0, "(2, 2)"),
        ("l1_mp", "MaxPooling2D", "(None, 14, 14, 32)", 0, 0, 0, ""),
        ("l2", "Conv2D", "(None, 14, 14, 32)", 4128, 4128, 0, "(2, 2)"),
        ("flat", "Flatten", "(None, 6272)", 0, 0, 0, ""),
        ("bn", "BatchNormalization", "(None, 6272)", 25088, 12544, 12544, ""),
        ("l4", "Dense", "(None, 10)", 62730, 62730, 0, ""),
    )
    lines = weight_lines(table)
    assert lines[1].formula == "(2 × 2 × 1 + 1) × 32 = 160"
    assert lines[3].formula == "(2 × 2 × 32 + 1) × 32 = 4,128"
    assert lines[5].formula.startswith("4 × 6,272 = 25,088")
    assert lines[6].formula == "6,272 × 10 = 62,720 weights + 10 biases = 62,730"
    assert total_line(lines, 92106) == "160 + 4,128 + 25,088 + 62,730 = 92,106"


def test_weight_arithmetic_disagreeing_with_keras_fails():
    table = layers(("in", "InputLayer", "(None, 784)", 0, 0, 0, ""), ("d", "Dense", "(None, 10)", 7000, 7000, 0, ""))
    with pytest.raises(AssertionError, match="Keras counts 7000"):
        weight_lines(table)
    with pytest.raises(AssertionError, match="Keras counts 99"):
        total_line([WeightLine("d", "Dense", "", 50, 50, 0)], 99)


def test_pass_summary_mean_and_std_over_seeds():
    from lab04.analysis.tables import pass_summary

    metrics = pd.DataFrame({"experiment": ["raw"] * 3, "pass": ["p1", "p1", "p2"], "seed": [1, 2, 1],
                            "test_accuracy": [0.90, 0.92, 0.95], "test_loss": [0.3, 0.1, 0.2],
                            "params": [10, 10, 20], "train_seconds": [1.0, 3.0, 2.0]})
    s = pass_summary(metrics).set_index("pass")
    assert s.loc["p1", "runs"] == 2 and s.loc["p1", "test_accuracy_mean"] == pytest.approx(0.91)
    assert s.loc["p1", "test_accuracy_std"] == pytest.approx(0.0141421, abs=1e-6)
    assert s.loc["p2", "test_accuracy_std"] == 0.0


def test_accuracy_interval_is_the_bootstrap_over_the_test_images():
    correct = (np.random.default_rng(1).random(10000) < 0.975).astype(int)
    low, high = accuracy_interval(correct)
    n, p = len(correct), correct.mean()
    # the bootstrap of a proportion is Binomial(n, p)/n: its percentiles, to a resampling error
    assert abs(low - binom.ppf(0.025, n, p) / n) < 5e-4 and abs(high - binom.ppf(0.975, n, p) / n) < 5e-4
    assert accuracy_interval(correct) == (low, high)  # seeded
    narrow = high - low
    low300, high300 = accuracy_interval(correct[:300])
    assert high300 - low300 > 3 * narrow  # 300 images: about sqrt(33) times wider
    # two seeds on the same images: each image's share of right answers, resampled together
    both = np.column_stack([correct, 1 - correct])
    assert accuracy_interval(both) == (0.5, 0.5)


def test_pass_summary_carries_each_pass_interval(tmp_path):
    files, scores = [], []
    for seed, preds in ((42, [0, 1, 1, 0] * 50), (43, [0, 1, 0, 0] * 50)):
        path = tmp_path / f"{seed}.csv"
        pd.DataFrame({"y_true": [0, 1, 1, 0] * 50, "y_pred": preds}).to_csv(path)
        files.append(str(path))
        scores.append({"experiment": "raw", "pass": "a", "seed": seed})
    metrics = pd.DataFrame([{"experiment": "raw", "pass": "a", "seed": s, "test_accuracy": acc, "test_loss": 0.1,
                             "params": 10, "train_seconds": 1.0} for s, acc in ((42, 1.0), (43, 0.75))])
    summary = pass_summary(metrics, accuracy_intervals(files, scores)).iloc[0]
    assert summary["test_accuracy_mean"] == 0.875
    assert summary["test_accuracy_low"] < 0.875 < summary["test_accuracy_high"] <= 1.0


def test_binary_intervals_bootstrap_sensitivity_specificity_and_auc():
    from sklearn.metrics import roc_auc_score

    from lab04.analysis.stats import _auc_rows, binary_intervals

    rng = np.random.default_rng(3)
    y = np.r_[np.ones(390, int), np.zeros(234, int)]  # the chest X-ray test set's 390 / 234
    p = np.clip(0.35 * y + rng.normal(0.4, 0.2, len(y)), 0, 1)
    ci = binary_intervals(y, p, 0.5, resamples=400)
    sens, spec = np.mean(p[y == 1] >= 0.5), np.mean(p[y == 0] < 0.5)
    assert ci["recall_low"] < sens < ci["recall_high"] and ci["specificity_low"] < spec < ci["specificity_high"]
    assert ci["auc_low"] < roc_auc_score(y, p) < ci["auc_high"]
    assert 0.02 < ci["auc_high"] - ci["auc_low"] < 0.15  # about 4 standard errors of an AUC near 0.9 on 624 images
    assert binary_intervals(y, p, 0.5, resamples=400) == ci  # seeded
    draws = rng.integers(0, len(y), size=(3, len(y)))
    ties = np.round(p, 1)  # mid-ranks: ties count half, as in roc_auc_score
    assert np.allclose(_auc_rows(y[draws], ties[draws]), [roc_auc_score(y[d], ties[d]) for d in draws])
    perfect = binary_intervals(y, y.astype(float), 0.5, resamples=200)
    assert perfect == {"recall_low": 1.0, "recall_high": 1.0, "specificity_low": 1.0, "specificity_high": 1.0,
                       "auc_low": 1.0, "auc_high": 1.0}


def test_a_seed_ensemble_averages_probabilities_and_can_beat_every_seed(tmp_path):
    from lab04.analysis.tables import seed_ensembles

    truth = np.array([0, 1, 2, 0])
    # each seed is sure and wrong on one image, unsure and right on it in the other seed
    seeds = {42: [[.9, .05, .05], [.6, .3, .1], [.1, .1, .8], [.8, .1, .1]],
             43: [[.9, .05, .05], [.05, .9, .05], [.4, .1, .5], [.1, .1, .8]]}
    files, scores = [], []
    for seed, probabilities in seeds.items():
        p = np.array(probabilities)
        frame = pd.DataFrame({"y_true": truth, "y_pred": p.argmax(axis=1), **{f"p_{i}": p[:, i] for i in range(3)}})
        frame.to_csv(tmp_path / f"{seed}.csv")
        files.append(str(tmp_path / f"{seed}.csv"))
        scores.append({"experiment": "cnn", "pass": "a", "seed": seed})
    files.append(str(tmp_path / "42.csv"))
    scores.append({"experiment": "cnn", "pass": "single", "seed": 42})
    table = seed_ensembles(files, scores)
    assert list(table["pass"]) == ["a"]  # one seed: no ensemble
    row = table.iloc[0]
    # seed 42 misses image 1, seed 43 image 3; the mean gets image 1 (0.6 against 0.325) and image 3 (a tie
    # of 0.45 and 0.45, which argmax gives to the first class, the true one)
    assert row["ensemble_members"] == 2 and row["ensemble_accuracy"] == 1.0
    assert row["ensemble_accuracy_low"] == row["ensemble_accuracy_high"] == 1.0
