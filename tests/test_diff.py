"""Comparing two runs pass by pass (lab04/analysis/diff.py, make diff)."""

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import copy_run, overlay, snakemake, workflow_env
from pypdf import PdfReader

from lab04.analysis.diff import compare_runs, flatten, markdown_table, settings_changes, terminal_table


def test_flatten_writes_paths_as_sweeps_name_them():
    settings = {"epochs": 3, "layers": [{"Dense": {"units": 512}}], "optimizer": {"RMSprop": {}}}
    assert flatten(settings) == {"epochs": 3, "layers[0].Dense.units": 512, "optimizer.RMSprop": {}}


def test_settings_changes_name_old_and_new_values():
    base = {"epochs": 3, "layers": [{"Dense": {"units": 512}}]}
    new = {"epochs": 5, "layers": [{"Dense": {"units": 512}}, {"Dropout": {"rate": 0.2}}]}
    assert settings_changes(base, new) == ["epochs: 3 → 5", "layers[1] added: Dropout(rate=0.2)"]
    assert settings_changes(base, base) == []


AVX512 = "Intel AVX-512 with Intel DL Boost and bfloat16 support"


def _run(tmp_path, name, accuracy, predictions, epochs=3, isa=AVX512):
    scores = {"test_accuracy": accuracy, "test_loss": 1 - accuracy, "params": 100, "train_seconds": 2.0,
              "settings": {"epochs": epochs}, "instruction_set": isa}
    path = tmp_path / name
    path.mkdir()
    (path / "scores.json").write_text(json.dumps(scores))
    pd.DataFrame({"y_true": [0, 1, 1, 0], "y_pred": predictions}).to_csv(path / "predictions.csv")
    return {"scores": scores, "predictions": path / "predictions.csv"}


def test_compare_runs_marks_what_changed(tmp_path):
    base = {("raw", "a", 42): _run(tmp_path, "ba", 0.5, [0, 0, 0, 0]),
            ("raw", "b", 42): _run(tmp_path, "bb", 1.0, [0, 1, 1, 0]),
            ("raw", "gone", 42): _run(tmp_path, "bg", 1.0, [0, 1, 1, 0])}
    current = {("raw", "a", 42): _run(tmp_path, "ca", 1.0, [0, 1, 1, 0], epochs=5),
               ("raw", "b", 42): _run(tmp_path, "cb", 1.0, [0, 1, 1, 0]),
               ("raw", "new", 42): _run(tmp_path, "cn", 0.75, [0, 1, 0, 0])}
    diff = compare_runs(base, current).set_index("pass")
    assert diff["status"].to_dict() == {"a": "changed", "b": "same", "new": "new", "gone": "removed"}
    assert diff.loc["a", "delta_test_accuracy"] == 0.5 and diff.loc["a", "settings"] == "epochs: 3 → 5"
    assert (diff.loc["a", "base_only"], diff.loc["a", "current_only"]) == (0, 2)
    assert diff.loc["b", "p_value"] == 1.0
    text = terminal_table(diff.reset_index())
    assert "raw/a" in text and "epochs: 3 → 5" in text and "3 of 4 passes differ" in text
    md = markdown_table(diff.reset_index(), "old/results").splitlines()
    rows = [line for line in md if line.startswith("| `")]
    assert [line.split("`")[1] for line in rows] == ["raw/a", "raw/new", "raw/gone"]  # only what changed
    # each run's accuracy with its bootstrap interval over the 4 test images
    assert rows[0].split(" | ")[1:4] == ["changed", "0.5000 [0.0000, 1.0000] → 1.0000 [1.0000, 1.0000]",
                                         "+50.00 points"]
    assert "0.5 (0 / 2)" in rows[0] and rows[0].endswith("| epochs: 3 → 5 |")
    assert md[-2] == "3 of 4 passes differ; the other 1 are identical (settings, scores and test predictions)."
    assert md[-1].startswith("Intervals: percentile bootstrap")
    identical = compare_runs({k: v for k, v in base.items() if k[1] == "b"}, {k: v for k, v in current.items()
                                                                             if k[1] == "b"})
    assert "All 1 passes are identical" in markdown_table(identical, "old/results")
    # a pass trained on a second seed: one line per seed, columns wide enough for the longest name
    current["a_pass_with_a_long_name", "x", 43] = _run(tmp_path, "cx", 1.0, [0, 1, 1, 0])
    lines = terminal_table(compare_runs(base, current)).splitlines()
    long = next(line for line in lines if line.startswith("a_pass_with_a_long_name/x s43 "))
    assert lines[0].index("status") == long.index("new") and lines[-1] == "4 of 5 trainings (pass and seed) differ"


def test_passes_trained_on_another_instruction_set_are_named(tmp_path):
    avx2 = "Intel AVX2 (capped by ONEDNN_MAX_CPU_ISA=AVX2)"
    base = {("raw", "a", 42): _run(tmp_path, "ba", 1.0, [0, 1, 1, 0]),
            ("raw", "b", 42): _run(tmp_path, "bb", 1.0, [0, 1, 1, 0])}
    current = {("raw", "a", 42): _run(tmp_path, "ca", 1.0, [0, 1, 1, 0], isa=avx2),
               ("raw", "b", 42): _run(tmp_path, "cb", 1.0, [0, 1, 1, 0], isa=None)}  # a run that did not record it
    diff = compare_runs(base, current).set_index("pass")
    assert diff["status"].to_dict() == {"a": "changed", "b": "same"}
    change = f"instruction set (not a setting, but identical results need the same one): {AVX512} → {avx2}"
    assert diff.loc["a", "settings"] == change
    assert change in terminal_table(diff.reset_index()) and change in markdown_table(diff.reset_index(), "old")


def test_a_pass_moved_to_another_engine_or_engine_version_is_named(tmp_path):
    """The engine is a setting (a run from before it was recorded trained on TensorFlow); a new version of the
    same engine is named like another instruction set."""
    def on(name, settings, engine=None):
        made = _run(tmp_path, name, 1.0, [0, 1, 1, 0])
        made["scores"].update(settings={"epochs": 3, **settings}, **({"backend": settings["backend"],
                                                                       "engine": engine} if engine else {}))
        return made

    base = {("raw", "a", 42): on("ba", {}), ("raw", "b", 42): on("bb", {"backend": "jax"}, "JAX 0.10.1")}
    current = {("raw", "a", 42): on("ca", {"backend": "jax"}, "JAX 0.10.2"),
               ("raw", "b", 42): on("cb", {"backend": "jax"}, "JAX 0.10.2")}
    diff = compare_runs(base, current).set_index("pass")
    assert diff.loc["a", "settings"] == "backend: tensorflow → jax"
    assert diff.loc["b", "settings"] == ("engine version (a package, but identical results need the same one): "
                                         "JAX 0.10.1 → JAX 0.10.2")


def test_an_instruction_set_is_a_change_only_where_the_passs_own_engine_compiled_for_it(tmp_path):
    """A JAX pass's numbers rest on XLA's target, not on oneDNN's (which an older run recorded for every pass)."""
    xla_avx512 = "XLA CPU target sapphirerapids (x86_64; AVX-512, AVX512-BF16, AMX)"
    xla_avx2 = "XLA CPU target haswell (x86_64; AVX2) (capped by --xla_cpu_max_isa=AVX2)"

    def on_jax(name, isa):
        made = _run(tmp_path, name, 1.0, [0, 1, 1, 0], isa=isa)
        made["scores"].update(backend="jax", settings={"epochs": 3, "backend": "jax"})
        return made

    base = {("raw", "a", 42): on_jax("ba", AVX512), ("raw", "b", 42): on_jax("bb", xla_avx512)}
    current = {("raw", "a", 42): on_jax("ca", "Intel AVX2"), ("raw", "b", 42): on_jax("cb", xla_avx2)}
    diff = compare_runs(base, current).set_index("pass")
    # oneDNN's line moved under a pass that never ran oneDNN: the same; XLA's own target moved: changed
    assert diff["status"].to_dict() == {"a": "same", "b": "changed"}
    assert diff.loc["b", "settings"] == ("instruction set (not a setting, but identical results need the same one): "
                                         f"{xla_avx512} → {xla_avx2}")
    # an older run's oneDNN record against this run's XLA record for the same JAX pass: not comparable, not a change
    assert compare_runs({("raw", "a", 42): on_jax("oa", AVX512)},
                        {("raw", "a", 42): on_jax("na", xla_avx512)})["status"].tolist() == ["same"]


@pytest.mark.workflow
def test_diff_against_an_earlier_run_shows_only_the_changed_pass(run, tmp_path):
    source, mirror, _ = run
    workdir = tmp_path / "wf"
    copy_run(source, workdir)
    base = tmp_path / "base-results"
    shutil.copytree(workdir / "results", base)
    edit = overlay(workdir, "edit.yaml", {"experiments": {"raw": {"passes": {"pass2": {"epochs": 2}}}}})
    out = snakemake(workdir, overlays=[edit], mirror=mirror)
    assert "localrule diff" not in out  # no base, no comparison
    snakemake(workdir, overlays=[edit, overlay(workdir, "base.yaml", {"diff_base": str(base)})], mirror=mirror)
    diff = pd.read_csv(workdir / "results" / "tables" / "diff.csv").fillna({"settings": ""})
    changed = diff[diff["status"] != "same"]
    assert list(zip(changed["experiment"], changed["pass"], strict=True)) == [("raw", "pass2")]
    assert changed["settings"].iloc[0] == "epochs: 1 → 2"
    same = diff[diff["status"] == "same"]
    assert len(same) == len(diff) - 1 and (same["delta_test_accuracy"] == 0).all() and (same["p_value"] == 1).all()
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(workdir / "results" / "report.pdf").pages)
    assert "Changes since the base run" in text and "1 of" in text and "epochs: 1 → 2" in text
    table = subprocess.run([sys.executable, "-m", "lab04.analysis.diff",
                            workdir / "results" / "tables" / "diff.csv"], capture_output=True, text=True,
                           env=workflow_env(workdir), check=True).stdout
    assert "raw/pass2" in table and "1 of" in table
    md = (workdir / "results" / "tables" / "diff.md").read_text()
    assert "`raw/pass2` | changed" in md and "epochs: 1 → 2" in md and "raw/pass1" not in md
    assert f"1 of {len(diff)} passes differ" in md


@pytest.mark.workflow
def test_a_base_without_results_is_refused_with_the_fix(run, tmp_path):
    source, mirror, _ = run
    out = snakemake(source, "-n", overlays=[overlay(tmp_path, "base.yaml", {"diff_base": str(tmp_path)})],
                    mirror=mirror, check=False)
    assert out.returncode != 0 and "has no metrics.csv" in out and "make diff BASE=" in out


def test_an_inserted_layer_is_one_change_not_a_shift_of_every_later_layer():
    dense = {"Dense": {"units": 64}}
    base = {"layers": [{"Conv2D": {"filters": 32}}, {"MaxPooling2D": {"pool_size": 2}}, dense, dense]}
    new = {"layers": [{"Conv2D": {"filters": 16}}, {"MaxPooling2D": {"pool_size": 2}}, {"Dropout": {"rate": 0.25}},
                      dense, dense]}
    assert settings_changes(base, new) == ["layers[0].Conv2D.filters: 32 → 16",
                                           "layers[2] added: Dropout(rate=0.25)"]
    assert settings_changes(new, base) == ["layers[0].Conv2D.filters: 16 → 32",
                                           "layers[2] removed: Dropout(rate=0.25)"]


def test_a_binary_pass_is_compared_by_sensitivity_specificity_and_auc_with_intervals(tmp_path):
    def binary(name, probabilities, accuracy):
        entry = _run(tmp_path, name, accuracy, [int(p >= 0.5) for p in probabilities])
        frame = pd.read_csv(entry["predictions"], index_col=0).assign(p_0=probabilities)
        frame.to_csv(entry["predictions"])
        return entry

    base = {("pneumonia", "a", 42): binary("b", [0.2, 0.9, 0.4, 0.6], 0.5)}
    current = {("pneumonia", "a", 42): binary("c", [0.1, 0.8, 0.7, 0.3], 1.0)}
    row = compare_runs(base, current).iloc[0]
    assert (row["base_recall"], row["recall"], row["base_specificity"], row["specificity"]) == (0.5, 1.0, 0.5, 1.0)
    assert row["base_auc"] == 0.75 and row["auc"] == 1.0 and row["auc_low"] == row["auc_high"] == 1.0
    text = terminal_table(compare_runs(base, current))
    assert "sensitivity 0.500 [" in text and "] → 1.000 [1.000, 1.000]; specificity" in text
    assert "AUC 0.750 [" in text and "(threshold 0.5)" in text
    md = markdown_table(compare_runs(base, current), "old/results")
    assert "<br>sensitivity 0.500" in md and "specificity and AUC) over the test images" in md


def test_the_terminal_table_of_identical_runs_prints_no_warning(tmp_path):
    """`make diff` prints the table from diff.csv; with no setting changed anywhere, the empty settings column
    must not make pandas warn about filling floats with text."""
    base = {("raw", "b", 42): _run(tmp_path, "bb", 1.0, [0, 1, 1, 0])}
    current = {("raw", "b", 42): _run(tmp_path, "cb", 1.0, [0, 1, 1, 0])}
    compare_runs(base, current).to_csv(tmp_path / "diff.csv", index=False)
    out = subprocess.run([sys.executable, "-W", "error", "-m", "lab04.analysis.diff", str(tmp_path / "diff.csv")],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert out.stdout.splitlines()[-1] == "0 of 1 passes differ"
