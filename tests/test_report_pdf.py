"""The PDF of the smoke run: sections, every pass's numbers, weight arithmetic."""

import json

import pandas as pd
import pytest
from pypdf import PdfReader
from test_models import EXPECTED

pytestmark = pytest.mark.workflow

SECTIONS = [
    "Contents", "1. Learning algorithm and parameters", "2. Experiments", "Digit recognition from raw data",
    "Digit recognition from features of the input data", "Convolutional neural network digit recognition",
    "All passes on MNIST handwritten digits", "3. Do deeper CNNs have more weights?",
    "4. Chest X-ray pneumonia recognition",
    "The course notebook's CNN", "Threshold chosen on the validation split", "False negatives",
    "Published results for comparison", "Appendix: provenance",
]


@pytest.fixture(scope="module")
def pdf_text(run):
    workdir, _, _ = run
    reader = PdfReader(workdir / "results" / "report.pdf")
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4 portrait
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_every_section_title(pdf_text):
    for title in SECTIONS:
        assert title in pdf_text, title


def test_every_pass_accuracy_and_parameter_total(run, pdf_text):
    workdir, _, _ = run
    summary = pd.read_csv(workdir / "results" / "tables" / "pass_summary.csv")
    for row in summary[summary["experiment"] != "pneumonia"].itertuples():
        assert f"{row.test_accuracy_low:.4f}–{row.test_accuracy_high:.4f}" in pdf_text, (row.experiment, row._2)
    assert "95 % interval: percentile bootstrap of the test accuracy over the test images" in pdf_text
    metrics = pd.read_csv(workdir / "results" / "metrics.csv")
    for row in metrics.itertuples():
        assert f"{row.test_accuracy:.4f}" in pdf_text, (row.experiment, row._2)
        assert f"{row.test_loss:.4f}" in pdf_text
    for total in set(EXPECTED.values()):
        assert f"Total params: {total:,}" in pdf_text


def test_weight_calculations_written_out(pdf_text):
    assert "784 × 512 = 401,408 weights + 512 biases = 401,920" in pdf_text
    assert "(2 × 2 × 32 + 1) × 32 = 4,128" in pdf_text
    assert "401,920 + 5,130 = 407,050" in pdf_text
    assert "4 × 512 = 2,048" in pdf_text


def test_depth_answer_uses_keras_counts(run, pdf_text):
    workdir, _, _ = run
    depth = json.loads((workdir / "results" / "tables" / "depth_example.json").read_text())
    assert depth["configured"]["params"] == 17_994
    assert depth["shallower"]["params"] == 54_826  # flatten grows from 3x3x32 to 7x7x32
    assert "Keras counts 54,826 parameters" in pdf_text


def test_tables_written(run):
    workdir, _, _ = run
    tables = workdir / "results" / "tables"
    pairs = pd.read_csv(tables / "confused_pairs.csv")
    assert (pairs["true"] != pairs["predicted"]).all() and pairs["rank"].max() <= 5
    comparisons = pd.read_csv(tables / "comparisons.csv")
    # consecutive passes on the same test images: 3 raw + 3 hog + 2 cnn + course/augmented
    assert len(comparisons) == 9 and comparisons["p_value"].between(0, 1).all()
    summary = pd.read_csv(tables / "pass_summary.csv")
    # every pass's bootstrap interval holds its accuracy; on 300 test images it is several points wide
    assert (summary["test_accuracy_low"] <= summary["test_accuracy_mean"]).all()
    assert (summary["test_accuracy_mean"] <= summary["test_accuracy_high"]).all()
    assert ((summary["test_accuracy_high"] - summary["test_accuracy_low"]) > 0.02).all()
    runtimes = pd.read_csv(tables / "runtimes.csv")
    assert len(runtimes) == 14 + 3 + 2 and (runtimes["wall_seconds"] > 0).all()
    # when each job ran (Snakemake's records), on how many cores: a training job's from its scores.json
    assert (runtimes["end_seconds"] > runtimes["start_seconds"]).all() and runtimes["start_seconds"].min() == 0
    assert ((runtimes["end_seconds"] - runtimes["start_seconds"]) >= runtimes["wall_seconds"] - 1).all()
    for row in runtimes[runtimes["job"].str.startswith("train ")].itertuples():
        _, key, _, seed = row.job.split(" ")
        assert row.threads == json.loads((workdir / "results" / key / f"seed{seed}" / "scores.json").read_text())[
            "threads"] >= 1
    errors = pd.read_csv(tables / "class_errors.csv")
    digits = errors[errors["experiment"] != "pneumonia"]
    assert (digits.groupby(["experiment", "pass"])["support"].sum() == 300).all()


def test_pneumonia_section_numbers(run, pdf_text):
    workdir, _, _ = run
    tables = workdir / "results" / "tables"
    metrics = pd.read_csv(tables / "pneumonia_metrics.csv")
    assert set(metrics["pass"]) == {"course", "augmented", "medmnist"}
    for row in metrics.itertuples():
        assert f"{row.accuracy:.4f}" in pdf_text and f"{row.f1:.4f}" in pdf_text
    summary = json.loads((tables / "pneumonia_summary.json").read_text())
    course = next(s for s in summary if s["pass"] == "course")
    assert course["val_n"] == 16  # the given val/ split: 8 + 8 images
    fn = course["fn_default"]
    assert f"misses {fn['fn']} of the {fn['positives']} test images" in pdf_text
    assert "8'776 millions" in pdf_text and "8,960,000" in pdf_text
    data = json.loads((workdir / "results" / "data" / "chest_xray_128px_carve0.1.json").read_text())
    assert data["val_carved"] and data["used"]["test"] == {"NORMAL": 100, "PNEUMONIA": 100}


CHAPTER_STARTS = ("Contents", "1. Learning algorithm", "2. Experiments", "3. Do deeper", "4. Chest X-ray", "Appendix")


def page_fills(pdf, tmp_path) -> list[float]:
    """How far down each page its content reaches (0 at the top of the body, 1 at the bottom), from the page
    rendered as a picture (poppler's pdftoppm, as the set-up installs it)."""
    import subprocess

    import numpy as np
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "30", "-gray", "-png", str(pdf), str(tmp_path / "p")], check=True)
    fills = []
    for page in sorted(tmp_path.glob("p-*.png")):
        pixels = np.asarray(Image.open(page))
        body = pixels[int(pixels.shape[0] * 0.07):int(pixels.shape[0] * 0.93)]  # below the header, above the footer
        inked = np.where((body < 200).sum(axis=1) > 1)[0]
        fills.append((inked.max() + 1) / body.shape[0] if len(inked) else 0.0)
    return fills


def test_no_page_ends_half_empty_before_its_chapter_does(run, tmp_path):
    """A page may end early only where the next one starts a chapter: a pass's heading and topology are not left
    above an empty half page while its tables wait for the next (they break between rows instead)."""
    workdir, _, _ = run
    pdf = workdir / "results" / "report.pdf"
    texts = [" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages]
    fills = page_fills(pdf, tmp_path)
    assert len(fills) == len(texts)
    early = [(number, round(fill, 2), texts[number][:80]) for number, fill in enumerate(fills[:-1], 1)
             if fill < 0.5 and number > 1 and not any(0 <= texts[number].find(c) < 120 for c in CHAPTER_STARTS)]
    assert early == [], f"pages ending before half their height, and what the next one starts with: {early}"


def test_the_provenance_names_each_engines_own_instruction_set(run, pdf_text):
    """Each training's instruction set is its own engine's: oneDNN's for TensorFlow, XLA's CPU target for JAX."""
    workdir, _, _ = run
    scores = [json.loads(p.read_text()) for p in (workdir / "results").glob("*/*/seed*/scores.json")]
    assert "Instruction set (each engine's kernels)" in pdf_text
    for s in scores:
        if s["backend"] == "jax":
            assert s["instruction_set"].startswith("XLA CPU target "), s["instruction_set"]
    for engine, marker in (("tensorflow", "oneDNN: "), ("jax", "")):
        if trained := [s for s in scores if s["backend"] == engine]:  # its first words, before any line break
            assert marker + " ".join(trained[0]["instruction_set"].split()[:3]) in pdf_text, engine
