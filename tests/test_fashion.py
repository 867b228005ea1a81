"""Fashion-MNIST through the same DAG: the configs/fashion-mnist.yaml overlay on top of the smoke run."""

import re

import pandas as pd
import pytest
from conftest import ROOT, copy_run, planned_jobs, shared_once, snakemake
from pypdf import PdfReader

pytestmark = pytest.mark.workflow

FASHION = [ROOT / "configs" / "fashion-mnist.yaml", ROOT / "tests" / "smoke-fashion.yaml"]
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
PASSES = [("fashion_raw", "pass1"), ("fashion_raw", "pass2"), ("fashion_hog", "pass1"), ("fashion_cnn", "pass1")]


@pytest.fixture(scope="module")
def fashion(run, tmp_path_factory):
    """The finished smoke run, copied with its metadata, then extended by the Fashion-MNIST overlay (once per
    session; the tests only read it)."""
    source, mirror, _ = run

    def build(directory):
        workdir = copy_run(source, directory / "wf")
        overlays = [workdir / "configs" / "fashion-mnist.yaml", workdir / "tests" / "smoke-fashion.yaml"]
        plan = snakemake(workdir, "-n", overlays=overlays, mirror=mirror)
        snakemake(workdir, overlays=overlays, mirror=mirror)
        return planned_jobs(plan)

    directory, jobs = shared_once(tmp_path_factory, "fashion", build)
    return directory / "wf", jobs


def test_adding_a_data_set_runs_only_its_own_jobs(fashion):
    _, jobs = fashion
    # four downloads, one arrays file, one HOG setting, four passes; nothing of the 2023 lab retrains
    assert jobs["download"] == 4 and jobs["idx_arrays"] == 1 and jobs["features"] == 1
    assert jobs["train"] == len(PASSES) and jobs["plot_pass"] == len(PASSES)
    assert "image_folder_arrays" not in jobs and "medmnist_arrays" not in jobs


def test_fashion_passes_train_on_the_clothing_images(fashion):
    workdir, _ = fashion
    metrics = pd.read_csv(workdir / "results" / "metrics.csv")
    rows = metrics[metrics["dataset"] == "fashion_mnist"]
    assert list(zip(rows["experiment"], rows["pass"], strict=True)) == PASSES
    assert rows["test_accuracy"].between(0.1, 1).all()  # above chance after one epoch on 600 images
    data = workdir / "results" / "data" / "fashion_mnist.npz"
    import numpy as np

    with np.load(data) as arrays:
        assert arrays["x_train"].shape == (600, 28, 28) and sorted(set(arrays["y_test"])) == list(range(10))
    assert (workdir / "results" / "features" / "fashion_mnist_hog_o9_p4.npz").exists()


def test_report_renders_the_fashion_section_with_class_names(fashion):
    workdir, _ = fashion
    reader = PdfReader(workdir / "results" / "report.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "3. Experiments: Fashion-MNIST clothing" in text and "4. Do deeper CNNs have more weights?" in text
    assert "Clothing recognition from raw pixels" in text and "Convolutional neural network clothing" in text
    # observations and confusion matrices speak of garments, not digits
    names = "|".join(re.escape(c) for c in CLASSES)
    assert re.search(rf"Class ({names}) is misclassified most often", text)
    assert re.search(rf"Largest confusions \(true → predicted\): ({names}) → ({names})", text)
