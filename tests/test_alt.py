"""Alternative text of the report's figures (lab04/report/alt.py): written from the data each one draws."""

import numpy as np
import pandas as pd

from lab04.report import alt


def test_confusion_names_the_diagonal_share_and_the_largest_confusions():
    matrix = np.array([[8, 2, 0], [0, 9, 1], [0, 0, 10]])
    text = alt.confusion("raw/pass1", matrix, ["0", "1", "2"])
    assert text == ("Confusion matrix of raw/pass1 on 30 test images: 90.0 % on the diagonal; largest confusions "
                    "0 → 1, 2 images; 1 → 2, 1 image.")
    assert alt.confusion("a/b", np.eye(2, dtype=int) * 5, ["x", "y"]).endswith("100.0 % on the diagonal; no image "
                                                                               "confused.")


def test_curves_say_where_validation_loss_bottomed_out():
    history = pd.DataFrame({"accuracy": [0.80, 0.90, 0.95], "val_accuracy": [0.85, 0.91, 0.90],
                            "loss": [0.6, 0.3, 0.2], "val_loss": [0.40, 0.25, 0.31]})
    text = alt.curves("cnn/pass1", history)
    assert "over 3 epochs: training accuracy from 0.800 to 0.950, validation accuracy from 0.850 to 0.900" in text
    assert text.endswith("validation loss lowest at epoch 2 (0.2500), 0.3100 at the last.")
    assert "one epoch: training accuracy 0.800" in alt.curves("x/y", history.head(1))
    assert alt.curves("x/y", history.head(2)).endswith("validation loss lowest at the last epoch (0.2500).")


def test_comparison_roc_and_timeline_read_their_tables():
    rows = [{"experiment": "raw", "pass": "pass1", "test_accuracy_mean": 0.97, "params": 407050},
            {"experiment": "cnn", "pass": "pass3", "test_accuracy_mean": 0.992, "params": 1200000}]
    assert alt.comparison("MNIST", rows) == ("Test accuracy and parameter count of the 2 passes on MNIST: highest "
                                             "cnn/pass3, 99.2 % with 1,200,000 parameters; lowest raw/pass1, 97.0 % "
                                             "with 407,050 parameters.")
    metrics = pd.DataFrame([{"experiment": "pneumonia", "pass": "course", "model": "seed42", "split": "test",
                             "rule": "val sensitivity ≥ 0.98", "threshold": 0.31, "auc": 0.95, "recall": 0.99,
                             "specificity": 0.6, "f1": 0.88},
                            {"experiment": "pneumonia", "pass": "course", "model": "seed42", "split": "test",
                             "rule": "0.5", "threshold": 0.5, "auc": 0.95, "recall": 0.9, "specificity": 0.8,
                             "f1": 0.9}])
    assert alt.roc(metrics, "seed42") == ("ROC curves on the test set: pneumonia/course AUC 0.950, sensitivity 0.990 "
                                          "at specificity 0.600 (at each pass's validation-chosen threshold).")
    assert "pneumonia/course threshold 0.31: sensitivity 0.990" in alt.threshold_sweep(metrics, "seed42")
    runtimes = pd.DataFrame({"job": ["train cnn/pass3 seed 42", "features x", "image_folder_arrays y"],
                             "wall_seconds": [561.0, 40.0, np.nan]})  # the last fetched from the shared cache
    assert alt.timeline(runtimes) == ("Timeline of the 2 jobs of the run's latest invocation per core: the longest, "
                                      "train cnn/pass3 seed 42, ran 561 s; the jobs' wall times add up to 601 s.")
