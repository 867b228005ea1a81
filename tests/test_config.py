import copy
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from lab04.config import check_config, deep_merge, pass_jobs, pass_settings, passes, reading_order, seeds
from lab04.data.datasets import carve_fraction, carve_groups
from lab04.inputs import arrays_key, features_key

SCHEMA = str(ROOT / "schemas" / "config.schema.yaml")


def test_config_is_valid_and_lists_the_eleven_mnist_passes(config):
    validate(copy.deepcopy(config), SCHEMA)
    check_config(config)
    assert len(passes(config, "experiments")) == 11
    assert passes(config, "pneumonia") == [("pneumonia", "course"), ("pneumonia", "augmented"),
                                           ("pneumonia", "medmnist")]


def test_pass_settings_layer_defaults(config):
    s = pass_settings(config, "raw", "pass3")
    assert s["optimizer"] == {"RMSprop": {"weight_decay": 1e-4}}
    assert s["batch_size"] == 128 and s["validation_split"] == 0.1 and s["epochs"] == 50
    assert "title" not in s and "note" not in s
    assert pass_settings(config, "raw", "pass1")["optimizer"] == {"RMSprop": {}}
    assert features_key(config, pass_settings(config, "hog", "pass2b")["input"]) == "mnist_hog_o16_p7"
    assert features_key(config, pass_settings(config, "hog", "pass1")["input"]) == "mnist_hog_o8_p4"
    assert features_key(config, pass_settings(config, "raw", "pass1")["input"]) is None
    assert pass_settings(config, "cnn", "pass1")["input_name"] == "l0"


def test_experiment_optimizer_replaces_the_default(config):
    s = pass_settings(config, "pneumonia", "course")
    assert s["optimizer"] == {"Adam": {"learning_rate": 0.001}}
    assert s["loss"] == "binary_crossentropy" and s["batch_size"] == 64 and s["class_weight"] == "balanced"
    augmented = pass_settings(config, "pneumonia", "augmented")
    assert augmented["input"] == {"dataset": "chest_xray", "representation": "image", "size": 128,
                                  "val_fraction": 0.1, "rescale": False}
    # the experiment's size means nothing to PneumoniaMNIST: it is not a setting of that pass
    assert pass_settings(config, "pneumonia", "medmnist")["input"] == {
        "dataset": "pneumoniamnist", "representation": "image", "rescale": False}


def test_unknown_pass_lists_known_ones(config):
    with pytest.raises(KeyError, match="known passes: raw/pass1"):
        pass_settings(config, "raw", "nope")


def test_deep_merge_keeps_siblings():
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}


def test_seeds_follow_repeats(config):
    assert seeds({**config, "repeats": 3}) == [42, 43, 44]


def test_a_pass_or_its_experiment_sets_its_own_repeats(config):
    config = copy.deepcopy(config)
    config["experiments"]["raw"]["repeats"] = 2
    config["experiments"]["raw"]["passes"]["pass1"]["repeats"] = 3
    assert seeds(config, "raw", "pass1") == [42, 43, 44]
    assert seeds(config, "raw", "pass2") == [42, 43]
    assert seeds(config, "hog", "pass1") == [42]
    jobs = pass_jobs(config)
    assert jobs[:6] == [("raw", "pass1", 42), ("raw", "pass1", 43), ("raw", "pass1", 44),
                        ("raw", "pass2", 42), ("raw", "pass2", 43), ("raw", "pass3", 42)]
    assert len(jobs) == len(passes(config)) + 2 + 3  # beyond one seed each: pass1 two more, raw's other 3 one more
    # the number of seeds is not a training setting: adding one never retrains the others
    assert "repeats" not in pass_settings(config, "raw", "pass1")
    validate(config, SCHEMA)


def test_schema_rejects_misspelt_key(config):
    bad = copy.deepcopy(config)
    bad["experiments"]["raw"]["passes"]["pass1"]["epoch"] = 3
    with pytest.raises(WorkflowError, match="'epoch' was unexpected"):
        validate(bad, SCHEMA)


def test_hog_input_without_cell_size_is_named(config):
    bad = copy.deepcopy(config)
    del bad["experiments"]["hog"]["input"]["pixels_per_cell"]
    with pytest.raises(ValueError, match=r"experiments.hog.passes.pass1: a hog input of mnist needs pixels_per_cell"):
        check_config(bad)


def test_a_grouped_validation_split_has_its_own_arrays_and_names_what_it_lacks(config):
    grouped = copy.deepcopy(config)
    grouped["experiments"]["pneumonia"]["passes"]["augmented"]["input"]["val_grouped"] = True
    check_config(grouped)
    spec = pass_settings(grouped, "pneumonia", "augmented")["input"]
    assert arrays_key(grouped, spec) == "chest_xray_128px_carve0.1-grouped"
    assert carve_fraction("carve0.1-grouped") == carve_fraction("carve0.1") == 0.1
    assert carve_groups(grouped["datasets"]["chest_xray"], "carve0.1") is None
    assert carve_groups(grouped["datasets"]["chest_xray"], "carve0.1-grouped") == r"(person\d+|(?:NORMAL2-)?IM-\d+)"
    no_fraction = copy.deepcopy(grouped)
    del no_fraction["experiments"]["pneumonia"]["passes"]["augmented"]["input"]["val_fraction"]
    with pytest.raises(ValueError, match=r"pneumonia.passes.augmented.input: val_grouped .* set val_fraction"):
        check_config(no_fraction)
    no_pattern = copy.deepcopy(grouped)
    no_pattern["datasets"]["chest_xray"]["group_pattern"] = None
    with pytest.raises(ValueError, match=r"data set chest_xray has no group_pattern .* add one to its entry"):
        check_config(no_pattern)


def test_more_shards_than_samples_in_a_batch_are_named(config):
    bad = copy.deepcopy(config)
    bad["experiments"]["cnn"]["passes"]["pass3"].update(batch_size=2, shards=4)
    with pytest.raises(ValueError, match=r"experiments.cnn.passes.pass3: shards: 4 cuts a batch of 2 .* set shards to "
                                         r"at most batch_size"):
        check_config(bad)


def test_a_select_epoch_metric_the_pass_does_not_log_is_named_while_planning(config):
    bad = copy.deepcopy(config)
    bad["experiments"]["pneumonia"]["training"].update(metrics=["accuracy", "AUC"],
                                                        select_epoch={"monitor": "val_auc", "mode": "max"})
    with pytest.raises(ValueError, match=r"experiments.pneumonia.passes.course.select_epoch: monitor val_auc is not "
                                         r"logged; this pass logs val_loss, val_accuracy, val_AUC .* add the metric"):
        check_config(bad)
    bad["experiments"]["pneumonia"]["training"]["metrics"] = ["accuracy", "auc"]
    check_config(bad)


def test_published_results_of_a_data_set_without_a_chapter_are_named(config):
    bad = copy.deepcopy(config)
    bad["report"]["published"] = {"chest_xray": [{"name": "A paper", "accuracy": 0.9}]}
    # the chest X-rays have the pneumonia section (report.pneumonia.anchors), no experiments chapter
    with pytest.raises(ValueError, match=r"report.published.chest_xray: no experiments chapter shows the data set "
                                         r"chest_xray \(chapters: mnist\); name one of those or remove the entry"):
        check_config(bad)
    bad["report"]["published"] = {"mnist": [{"name": "A paper", "accuracy": 0.9}]}
    check_config(bad)


def test_old_input_kind_is_refused_with_its_new_spelling(config):
    from lab04.config import check_legacy

    old = copy.deepcopy(config)
    old["experiments"]["hog"]["input"] = {"kind": "hog", "orientations": 8, "pixels_per_cell": 4}
    with pytest.raises(ValueError, match=r"experiments.hog.input: 'kind' is replaced .* kind: hog write input: "
                                         r"\{dataset: mnist, representation: hog"):
        check_legacy(old)
    check_legacy(config)


def test_unknown_data_set_lists_the_known_ones(config):
    bad = copy.deepcopy(config)
    bad["experiments"]["raw"]["input"]["dataset"] = "mnsit"
    with pytest.raises(ValueError, match=r"experiments.raw.passes.pass1.input: unknown data set 'mnsit'; config's "
                                         r"datasets: defines mnist, fashion_mnist, chest_xray, pneumoniamnist"):
        check_config(bad)


def test_overlay_experiments_follow_those_of_config_yaml(tmp_path):
    base, extra = tmp_path / "config.yaml", tmp_path / "extra.yaml"
    base.write_text("experiments: {raw: {}, hog: {}, cnn: {}}\n")
    extra.write_text("experiments: {fashion: {}, raw: {}, record: {}}\n")
    # as Snakemake hands it over: the overlay's keys merged in first
    config = {"experiments": {"fashion": {}, "raw": {"x": 1}, "record": {}, "hog": {}, "cnn": {}}}
    reading_order(config, [str(base), str(extra)])
    assert list(config["experiments"]) == ["raw", "hog", "cnn", "fashion", "record"]
    assert config["experiments"]["raw"] == {"x": 1}


def test_an_unknown_key_names_the_file_that_sets_it_and_the_closest_known_key(config, tmp_path):
    from lab04.config import check_schema

    overlay = tmp_path / "mine.yaml"
    overlay.write_text("experimnts: {}\n")
    bad = {**copy.deepcopy(config), "experimnts": {}}
    with pytest.raises(ValueError, match=rf"'experimnts' is set in {overlay}; did you mean 'experiments'\?"):
        check_schema(bad, yaml.safe_load(Path(SCHEMA).read_text()), [str(ROOT / "config.yaml"), str(overlay)])


OVERLAYS = sorted((ROOT / "configs").glob("*.yaml"))


def _over_config(overlay: Path) -> dict:
    from snakemake.utils import update_config

    merged = yaml.safe_load((ROOT / "config.yaml").read_text())
    update_config(merged, yaml.safe_load(overlay.read_text()))
    return merged


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda path: path.name)
def test_every_shipped_overlay_passes_the_checks_made_while_planning(overlay):
    """What the Snakefile checks before any job runs, for each file of configs/ over config.yaml (as
    ``--configfile`` layers it): the files' YAML, the schema and the checks the schema cannot express."""
    from lab04.config import check_config_files

    check_config_files([str(overlay)])
    merged = _over_config(overlay)
    validate(merged, SCHEMA)
    check_config(merged)


def test_every_model_of_the_shipped_overlays_builds(tmp_path):
    """Keras builds every pass of every file of configs/ (one child process for all of them), as
    check_models does while a run with that overlay is planned."""
    from lab04.train.model_check import check_models, planned_models

    models = {}
    for overlay in OVERLAYS:
        merged = _over_config(overlay)
        validate(merged, SCHEMA)
        models |= {f"{overlay.name}: {name}": spec for name, spec in planned_models(merged).items()}
    assert any("resnet18" in name for name in models) and any("mobilenet" in name for name in models)
    check_models(models, tmp_path)  # raises, naming each pass whose model does not build or fit its data
