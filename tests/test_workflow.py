"""Run the real workflow end to end on the tiny overlay config and check what it writes.

What reruns after which change is tested in test_reruns.py.
"""

import json

import pandas as pd
import pytest
from conftest import ROOT, copy_run, copy_workflow, http_mirror, overlay, planned_jobs, snakemake
from test_models import EXPECTED

pytestmark = pytest.mark.workflow


def test_metrics_table_has_every_pass(run, config):
    workdir, _, _ = run
    table = pd.read_csv(workdir / "results" / "metrics.csv")
    assert list(zip(table["experiment"], table["pass"], strict=True)) == list(EXPECTED)
    assert (table["params"] == [EXPECTED[k] for k in EXPECTED]).all()
    assert table["test_accuracy"].between(0, 1).all() and (table["test_loss"] > 0).all()
    assert (table["epochs"] == 1).all() and (table["train_seconds"] > 0).all()
    pneumonia = table[table["experiment"] == "pneumonia"]
    assert pneumonia["dataset"].tolist() == ["chest_xray", "chest_xray", "pneumoniamnist"]
    assert set(table["representation"]) == {"flat", "hog", "image"} and "trainable_params" in table.columns


def test_each_pass_writes_its_files(run):
    workdir, _, _ = run
    pass_dir = workdir / "results" / "hog" / "pass2b" / "seed42"
    for name in ("model.keras", "history.csv", "scores.json", "predictions.csv", "val_predictions.csv", "confusion.csv",
                 "layers.csv", "summary.txt", "train.log", "benchmark.tsv"):
        assert (pass_dir / name).stat().st_size > 0, name
    confusion = pd.read_csv(pass_dir / "confusion.csv", index_col=0)
    assert confusion.shape == (10, 10) and confusion.to_numpy().sum() == 300
    history = pd.read_csv(pass_dir / "history.csv")
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(history.columns)
    assert "epoch 1/1" in (pass_dir / "train.log").read_text()
    # the instruction set its engine's kernels were compiled for, as this machine answers (identical results rest
    # on it): XLA's CPU target on JAX, oneDNN's on TensorFlow
    from lab04.train.isa import instruction_set, recorded_by

    scores = json.loads((pass_dir / "scores.json").read_text())
    isa = scores["instruction_set"]
    assert isa == instruction_set(scores["backend"]) and not isa.startswith("unknown")
    assert recorded_by(isa) == scores["backend"], isa
    # the three HOG settings are cached once each, whatever number of passes share them
    assert sorted(p.name for p in (workdir / "results" / "features").iterdir()) == [
        "mnist_hog_o16_p4.npz", "mnist_hog_o16_p7.npz", "mnist_hog_o8_p4.npz"]


def test_misspelt_config_key_is_named(run):
    workdir, mirror, _ = run
    bad = overlay(workdir, "bad.yaml", {"experiments": {"raw": {"passes": {"pass1": {"epoch": 2}}}}})
    out = snakemake(workdir, "-n", overlays=[bad], mirror=mirror, check=False)
    assert out.returncode != 0 and "'epoch' was unexpected" in out


def test_offline_without_mirror_says_how_to_set_it(tmp_path):
    copy_workflow(tmp_path)
    no_net = overlay(tmp_path, "offline.yaml", {"datasets": {"mnist": {"public_mirrors": ["http://127.0.0.1:9/"]}}})
    out = snakemake(tmp_path, "results/downloads/mnist/t10k-labels-idx1-ubyte.gz", overlays=[no_net],
                    check=False)
    log = (tmp_path / "results" / "logs" / "download" / "mnist" / "t10k-labels-idx1-ubyte.gz.log").read_text()
    assert out.returncode != 0 and "DATA_MIRROR" in log and "Error in rule download" in out
    assert not (tmp_path / "results" / "downloads" / "mnist" / "t10k-labels-idx1-ubyte.gz").exists()


def test_markdown_discussion_appears_in_the_report(run, tmp_path):
    source, mirror, _ = run
    workdir = copy_run(source, tmp_path / "wf")
    words = "The *pyramid* helps: **fewer** errors on 9."
    text = {"experiments": {"cnn": {"passes": {"pass2": {"discussion": words}}}}}
    discussion = overlay(workdir, "discussion.yaml", text)
    out = snakemake(workdir, overlays=[discussion], mirror=mirror)
    assert "rule report" in out and "rule train" not in out
    from pypdf import PdfReader

    pdf = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(workdir / "results" / "report.pdf").pages)
    assert "The pyramid helps: fewer errors on 9." in pdf


def test_a_pass_with_its_own_repeats_trains_only_its_new_seeds(run):
    workdir, mirror, _ = run
    own = overlay(workdir, "own-repeats.yaml", {"experiments": {"cnn": {"passes": {"pass2": {"repeats": 3}}}}})
    out = snakemake(workdir, "-n", overlays=[own], mirror=mirror)
    assert planned_jobs(out)["train"] == 2
    assert "pass_name=pass2, seed=43" in out and "pass_name=pass2, seed=44" in out and "seed=42" not in out


def test_repeats_train_every_pass_once_per_seed(run):
    workdir, mirror, _ = run
    repeats = overlay(workdir, "repeats.yaml", {"repeats": 2})
    out = snakemake(workdir, "-n", overlays=[repeats], mirror=mirror)
    assert planned_jobs(out)["train"] == 14  # seed 43 for each of the 14 passes; seed 42 is done
    assert "seed=43" in out and "seed=42" not in out


def test_a_second_seed_is_trained_and_reported_as_mean_and_spread(run, tmp_path):
    """For real, on a copy of the smoke run (the shared run stays as other tests read it): one pass on two seeds."""
    source, mirror, _ = run
    workdir = copy_run(source, tmp_path / "wf")
    two = overlay(workdir, "two-seeds.yaml", {"experiments": {"raw": {"passes": {"dense64": {"repeats": 2}}}}})
    out = snakemake(workdir, overlays=[two], mirror=mirror)
    assert out.count("rule train:") == 1 and "seed=43" in out
    summary = pd.read_csv(workdir / "results" / "tables" / "pass_summary.csv").set_index(["experiment", "pass"])
    assert summary.loc[("raw", "dense64"), "runs"] == 2 and (summary.drop(("raw", "dense64"))["runs"] == 1).all()
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(workdir / "results" / "report.pdf").pages)
    row = summary.loc[("raw", "dense64")]
    assert f"{row.test_accuracy_mean:.4f} ± {row.test_accuracy_std:.4f} (2 seeds)" in " ".join(text.split())
    # Two invocations made this run: the chart draws the second one's job only, and says so.
    runtimes = pd.read_csv(workdir / "results" / "tables" / "runtimes.csv")
    ran = runtimes[runtimes["source"] == "ran"]
    assert sorted(ran["invocation"].unique()) == [1, 2] and (ran["invocation"] == 2).sum() == 1, ran
    chart_log = (workdir / "results" / "logs" / "plots" / "timeline.log").read_text()
    drawn = f"1 of {len(runtimes)} jobs on the chart: the latest invocation's ({len(ran) - 1} ran in earlier"
    assert drawn in chart_log, chart_log
    assert f"{len(ran) - 1} jobs that earlier invocations ran are not drawn" in " ".join(text.split())


def test_chest_xray_archive_by_url_without_val_is_downloaded_and_carved(tmp_path):
    import json
    import zipfile

    from test_chest_xray import KAGGLE, make_tree

    tree = make_tree(tmp_path / "tree", {k: v for k, v in KAGGLE.items() if k[0] != "val"})
    served = tmp_path / "served"
    served.mkdir()
    with zipfile.ZipFile(served / "ChestXRay2017.zip", "w") as zf:
        for path in sorted(tree.rglob("*.jpeg")):
            zf.write(path, path.relative_to(tree))
    workdir = copy_workflow(tmp_path / "wf")
    with http_mirror(served) as base:
        source = overlay(workdir, "source.yaml", {"datasets": {"chest_xray": {
            "source": f"{base}/ChestXRay2017.zip", "limit_per_class": None}}})
        snakemake(workdir, "results/data/chest_xray_32px_official.npz", overlays=[source])
    assert (workdir / "results" / "downloads" / "chest_xray" / "archive.zip").exists()
    info = json.loads((workdir / "results" / "data" / "chest_xray_32px_official.json").read_text())
    assert info["val_carved"] and not info["official_val"]
    assert info["used"]["val"] == {"NORMAL": 1, "PNEUMONIA": 1}  # 10 % of 6 and 14, at least one each
    assert info["used"]["test"] == {"NORMAL": 3, "PNEUMONIA": 5}


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "configs").glob("*.yaml")))
def test_every_shipped_overlay_plans(run, name):
    """Each overlay in configs/ validates and plans over the finished smoke run (its models build)."""
    workdir, mirror, _ = run
    out = snakemake(workdir, "-n", overlays=[workdir / "configs" / name], mirror=mirror)
    assert "Job stats:" in out
