"""One home per fact: the schema's enums follow the registries, keys have one spelling, a section
declares what it reads, and limits come from the data set's images."""

import copy

import pytest
import yaml
from conftest import ROOT

from lab04.config import chapter_experiments, chapter_passes, check_config, passes
from lab04.data.datasets import FAMILIES
from lab04.features.representations import REPRESENTATIONS
from lab04.keys import JobKey, PassKey, PointKey, job_keys
from lab04.report.sections import SECTIONS, load_sections, section_inputs, section_params, sweeps

SCHEMA = yaml.safe_load((ROOT / "schemas" / "config.schema.yaml").read_text())


def test_the_schema_enums_are_the_registries():
    definitions = SCHEMA["definitions"]
    family = definitions["dataset"]["properties"]["family"]["enum"]
    representation = definitions["input"]["properties"]["representation"]["enum"]
    section = SCHEMA["properties"]["experiments"]["additionalProperties"]["properties"]["section"]["enum"]
    assert sorted(family) == sorted(FAMILIES)
    assert sorted(representation) == sorted(REPRESENTATIONS)
    # the sections that show experiments: each names its own in SECTION
    assert sorted(section) == sorted(m.SECTION for m in SECTIONS if hasattr(m, "SECTION"))


def test_keys_have_one_spelling_and_their_directories():
    job = JobKey.parse("cnn/pass3/42")
    assert job == ("cnn", "pass3", 42) and job.label == "cnn/pass3/42" and job.pass_key == PassKey("cnn", "pass3")
    assert job.file("scores.json") == "results/cnn/pass3/seed42/scores.json"
    assert job.file("scores.json", "/old/results") == "/old/results/cnn/pass3/seed42/scores.json"
    assert PassKey.parse("raw/pass1").job(43).directory() == "results/raw/pass1/seed43"
    assert PointKey("raw", "pass1", "hidden~128", 42).directory() == "results/raw/pass1/sweep/hidden~128/seed42"
    assert job_keys(["a/b/1", "c/d/2"]) == [("a", "b", 1), ("c", "d", 2)]
    for bad in ("cnn/pass3", "cnn//42", "a/b/c/d"):
        with pytest.raises(ValueError, match="label"):
            JobKey.parse(bad)


def test_a_cell_larger_than_the_images_is_named_with_the_data_set(config):
    bad = copy.deepcopy(config)
    bad["experiments"]["hog"]["passes"]["pass1"]["input"] = {"pixels_per_cell": 29}
    with pytest.raises(ValueError, match=r"hog.passes.pass1.input: pixels_per_cell 29 > 28, the most that the "
                                         r"images of mnist allow"):
        check_config(bad)
    ok = copy.deepcopy(config)
    ok["experiments"]["hog"]["passes"]["pass1"]["input"] = {"pixels_per_cell": 28}
    check_config(ok)


def test_sections_declare_their_inputs_and_params(config):
    inputs = section_inputs(config)
    assert inputs["learning_algorithm__adam"] == "results/plots/equations/adam.svg"
    assert inputs["experiments__comparisons"] == ["results/plots/comparison/mnist.svg"]
    assert inputs["pneumonia__metrics"] == "results/tables/pneumonia_metrics.csv"
    assert inputs["pneumonia__data"] == ["results/data/chest_xray_128px_official.json",
                                         "results/data/chest_xray_128px_carve0.1.json"]
    assert not any(k.startswith(("sweeps__", "run_diff__")) for k in inputs)  # no sweep, no base run
    params = section_params(config)
    assert params["experiments"]["chapters"] == chapter_experiments(config) == {"mnist": ["raw", "hog", "cnn"]}
    assert chapter_passes(config)["mnist"] == [f"{e}/{p}" for e, p in passes(config) if e != "pneumonia"]
    loaded = load_sections({"experiments__comparisons": ["m.svg"]}, params, [m for m in SECTIONS
                                                                            if m.__name__.endswith("experiments")])
    assert loaded["lab04.report.sections.experiments"]["plots"] == {"mnist": "m.svg"}
    assert load_sections({}, {"sweeps": {"settings": {}}}, [sweeps]) == {sweeps.__name__: None}
