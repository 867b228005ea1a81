"""The same config and seed give the same numbers on the same machine (see README, 'Configuration')."""

import json

import pytest
from conftest import copy_workflow, snakemake

pytestmark = pytest.mark.workflow

# one pass of each model family: an MLP on pixels, an MLP on HOG features, a CNN
PASSES = ["raw/pass1", "hog/pass1", "cnn/pass1"]


def test_training_twice_gives_identical_metrics_and_predictions(tmp_path, shared_data):
    workdir = copy_workflow(tmp_path)
    targets = [f"results/{p}/seed42/scores.json" for p in PASSES]

    def train():
        snakemake(workdir, *targets, "--forcerun", "train", mirror=shared_data)
        results = {}
        for p in PASSES:
            scores = json.loads((workdir / "results" / p / "seed42" / "scores.json").read_text())
            predictions = (workdir / "results" / p / "seed42" / "predictions.csv").read_text()
            results[p] = (scores["test_loss"], scores["test_accuracy"], predictions)
        return results

    first, second = train(), train()
    for p in PASSES:
        assert first[p] == second[p], p
