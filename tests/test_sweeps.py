"""Sweeps: a pass trained at several values of its settings, each point its own job (lab04/sweeps.py)."""

import copy

import pandas as pd
import pytest
import yaml
from conftest import ROOT, copy_run, overlay, planned_jobs, shared_once, snakemake
from pypdf import PdfReader

from lab04.analysis.sweeps import sweep_summary, sweep_table
from lab04.config import pass_settings
from lab04.sweeps import check_sweeps, parse_path, point_settings, set_path, sweep_points

HIDDEN = [16, 32, 64, 128, 256, 512, 1024]
SWEEP_OVERLAY = ROOT / "configs" / "sweep-hidden.yaml"


def with_sweep(config, sweep):
    config = copy.deepcopy(config)
    config["experiments"]["raw"]["passes"]["pass1"]["sweep"] = sweep
    return config


def test_paths_read_keys_and_indices():
    assert parse_path("layers[0].Dense.units") == ["layers", 0, "Dense", "units"]
    assert parse_path("epochs") == ["epochs"]
    for bad in ("", ".epochs", "layers.[0]", "layers[x]", "a..b"):
        with pytest.raises(ValueError, match="setting path"):
            parse_path(bad)


def test_set_path_changes_one_setting_and_names_a_wrong_step():
    settings = {"epochs": 3, "layers": [{"Dense": {"units": 512}}], "optimizer": {"RMSprop": {}}}
    changed = set_path(settings, "layers[0].Dense.units", 16)
    assert changed["layers"][0]["Dense"]["units"] == 16 and settings["layers"][0]["Dense"]["units"] == 512
    lr = set_path(settings, "optimizer.RMSprop.learning_rate", 1e-4)
    assert lr["optimizer"] == {"RMSprop": {"learning_rate": 1e-4}}
    with pytest.raises(ValueError, match=r"layers is a list of 1, it has no \[3\]"):
        set_path(settings, "layers[3].Dense.units", 16)
    with pytest.raises(ValueError, match=r"layers\[0\] has no 'Conv2D' \(it has Dense\)"):
        set_path(settings, "layers[0].Conv2D.filters", 16)


def test_points_are_paramspace_instances_in_order(config):
    sweep = {"hidden": {"path": "layers[0].Dense.units", "values": [16, 32]},
             "lr": {"path": "optimizer.RMSprop.learning_rate", "values": [0.001, 0.0001]}}
    cfg = with_sweep(config, sweep)
    points = sweep_points(cfg, "raw", "pass1")
    assert list(points) == ["hidden~16_lr~0.001", "hidden~16_lr~0.0001", "hidden~32_lr~0.001", "hidden~32_lr~0.0001"]
    assert points["hidden~32_lr~0.0001"] == {"hidden": 32, "lr": 0.0001}
    assert type(points["hidden~32_lr~0.0001"]["hidden"]) is int  # plain values for params
    settings = point_settings(cfg, "raw", "pass1", "hidden~32_lr~0.0001")
    base = pass_settings(cfg, "raw", "pass1")
    assert settings["layers"][0]["Dense"]["units"] == 32
    assert settings["optimizer"]["RMSprop"]["learning_rate"] == 0.0001
    assert {k: v for k, v in settings.items() if k not in ("layers", "optimizer")} == \
        {k: v for k, v in base.items() if k not in ("layers", "optimizer")}


def test_the_sweep_is_not_a_setting_of_its_pass(config):
    cfg = with_sweep(config, {"hidden": {"path": "layers[0].Dense.units", "values": [16]}})
    assert pass_settings(cfg, "raw", "pass1") == pass_settings(config, "raw", "pass1")


def test_a_sweep_over_a_missing_setting_is_named(config):
    cfg = with_sweep(config, {"hidden": {"path": "layers[5].Dense.units", "values": [16]}})
    with pytest.raises(ValueError, match=r"experiments.raw.passes.pass1.sweep.hidden: .*no \[5\]"):
        check_sweeps(cfg)


def test_summary_takes_mean_and_spread_over_seeds(tmp_path):
    points, scores, histories = [], [], []
    for i, (point, seed, acc) in enumerate([("h~1", 1, 0.8), ("h~1", 2, 0.9), ("h~2", 1, 0.95)]):
        s, h = tmp_path / f"s{i}.json", tmp_path / f"h{i}.csv"
        s.write_text(f'{{"params": {10 * int(point[-1])}, "test_accuracy": {acc}, "test_loss": 0.1}}')
        pd.DataFrame({"accuracy": [0.5, acc + 0.05], "val_accuracy": [0.4, acc]}).to_csv(h, index=False)
        points.append({"experiment": "raw", "pass": "pass1", "point": point, "seed": seed, "h": int(point[-1])})
        scores.append(str(s))
        histories.append(str(h))
    summary = sweep_summary(sweep_table(points, scores, histories))
    assert summary["point"].tolist() == ["h~1", "h~2"] and summary["runs"].tolist() == [2, 1]
    assert summary["test_accuracy_mean"].tolist() == pytest.approx([0.85, 0.95])
    assert summary["test_accuracy_std"].iloc[0] == pytest.approx(0.0707, abs=1e-4)
    assert summary["gap_mean"].tolist() == pytest.approx([0.05, 0.05])


@pytest.fixture(scope="module")
def swept(run, tmp_path_factory):
    """The finished smoke run, copied with its metadata, then extended by the sweep overlay (once per session;
    the tests only read it)."""
    source, mirror, _ = run

    def build(directory):
        workdir = copy_run(source, directory / "wf")
        sweep = workdir / "configs" / "sweep-hidden.yaml"
        plan = snakemake(workdir, "-n", overlays=[sweep], mirror=mirror)
        snakemake(workdir, overlays=[sweep], mirror=mirror)
        return planned_jobs(plan)

    directory, jobs = shared_once(tmp_path_factory, "sweep", build)
    return directory / "wf", mirror, jobs


@pytest.mark.workflow
def test_each_point_is_its_own_job_and_the_pass_does_not_retrain(swept):
    _, _, jobs = swept
    assert jobs["train_sweep"] == len(HIDDEN) and "train" not in jobs
    assert jobs["sweep_table"] == 1 and jobs["plot_sweep"] == 1
    assert "tables" not in jobs and jobs["runtimes"] == 1  # the pass tables stay; runtimes add the points


@pytest.mark.workflow
def test_sweep_jobs_are_in_the_runtimes_table(swept):
    workdir, _, _ = swept
    runtimes = pd.read_csv(workdir / "results" / "tables" / "runtimes.csv")
    points = runtimes[runtimes["job"].str.startswith("train raw/pass1 hidden~")]
    assert len(points) == len(HIDDEN) and (points["wall_seconds"] > 0).all()


@pytest.mark.workflow
def test_sweep_table_grows_with_the_hidden_layer(swept):
    workdir, _, _ = swept
    table = pd.read_csv(workdir / "results" / "tables" / "sweeps.csv")
    assert table["hidden"].tolist() == HIDDEN
    assert table["params"].tolist() == [784 * h + h + 10 * h + 10 for h in HIDDEN]
    assert table["test_accuracy"].between(0.1, 1).all()
    for h in HIDDEN:
        assert (workdir / "results" / "raw" / "pass1" / "sweep" / f"hidden~{h}" / "seed42" / "model.keras").exists()


@pytest.mark.workflow
def test_report_shows_the_sweep(swept):
    workdir, _, _ = swept
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(workdir / "results" / "report.pdf").pages)
    assert "Model complexity" in text and "layers[0].Dense.units" in text
    assert "How does accuracy grow with the size of the model?" in text


@pytest.mark.workflow
def test_a_new_point_trains_alone(swept):
    workdir, mirror, _ = swept
    spec = yaml.safe_load((workdir / "configs" / "sweep-hidden.yaml").read_text())
    spec["experiments"]["raw"]["passes"]["pass1"]["sweep"]["hidden"]["values"].append(2048)
    more = overlay(workdir, "more.yaml", spec)
    jobs = planned_jobs(snakemake(workdir, "-n", overlays=[more], mirror=mirror))
    assert jobs == {"train_sweep": 1, "sweep_table": 1, "plot_sweep": 1, "runtimes": 1, "plot_timeline": 1,
                    "report": 1, "report_html": 1, "all": 1}
