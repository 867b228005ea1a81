"""A report section with its own analysis is four files: its analysis module, its section module, its
partial and one entry in SECTIONS. Added to a copy of the finished smoke run, only the report reruns."""

import pandas as pd
import pytest
from conftest import copy_run, planned_jobs, snakemake
from pypdf import PdfReader

pytestmark = pytest.mark.workflow

ANALYSIS = '''"""Test images that every pass of the experiments section classifies wrongly."""

import pandas as pd


def always_wrong(prediction_files: list[str]) -> dict:
    wrong = None
    for path in prediction_files:
        frame = pd.read_csv(path)
        miss = frame["y_true"] != frame["y_pred"]
        wrong = miss if wrong is None else wrong & miss
    return {"images": len(wrong), "always_wrong": int(wrong.sum()), "passes": len(prediction_files)}
'''

SECTION = '''"""Section: the test images no pass gets right."""

from lab04.analysis.toy import always_wrong
from lab04.config import DEFAULT_SECTION, pass_jobs
from lab04.keys import JobKey

TEMPLATE = "toy.html.j2"


def inputs(config):
    return {"predictions": [JobKey(*k).file("predictions.csv") for k in pass_jobs(config, DEFAULT_SECTION)]}


def params(config):
    return {"title": "Images no pass gets right"}


def load(files, params):
    return {**always_wrong(files["predictions"]), **params}


def chapters(run):
    toy = run.loaded(__name__)
    return [{"title": toy["title"], "anchor": "toy", "toc": [], "toy": toy}]
'''

PARTIAL = """<p>Toy analysis: {{ ch.toy.always_wrong }} of {{ ch.toy.images }} test images are wrong in all
{{ ch.toy.passes }} passes.</p>
"""


def test_a_section_with_its_own_analysis_is_four_files(run, tmp_path):
    source, mirror, _ = run
    workdir = copy_run(source, tmp_path / "wf")
    (workdir / "lab04" / "analysis" / "toy.py").write_text(ANALYSIS)
    (workdir / "lab04" / "report" / "sections" / "toy.py").write_text(SECTION)
    (workdir / "templates" / "sections" / "toy.html.j2").write_text(PARTIAL)
    registry = workdir / "lab04" / "report" / "sections" / "__init__.py"
    text = registry.read_text()
    text = text.replace("    sweeps,\n)", "    sweeps,\n    toy,\n)")
    text = text.replace("run_diff, provenance]", "run_diff, toy, provenance]")
    registry.write_text(text)

    plan = planned_jobs(snakemake(workdir, "-n", mirror=mirror))
    # no training, table or plot reruns for a new section: the PDF and the web page
    assert plan == {"report": 1, "report_html": 1, "all": 1}, plan
    snakemake(workdir, mirror=mirror)
    pages = [page.extract_text() for page in PdfReader(workdir / "results" / "report.pdf").pages]
    text = " ".join(" ".join(pages).split())
    found = [p for p in pages if "Images no pass gets right" in p]
    assert found and "Toy analysis:" in text, text[:2000]
    # the figures come from the run: the section's analysis read every experiments pass's predictions
    metrics = pd.read_csv(source / "results" / "metrics.csv")
    passes = int((metrics["experiment"] != "pneumonia").sum())
    assert f"in all {passes} passes" in text
