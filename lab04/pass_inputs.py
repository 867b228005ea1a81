"""The inputs a config's passes read, over all of its passes: every input setting, the cached features and
decoded image folders they need, and what each pass reads in words for the report. The input settings of one
pass are lab04/inputs.py's; this module reads the config's passes (lab04/config.py), which reads that one.

No TensorFlow: the Snakefile imports this module while planning.
"""

from __future__ import annotations

from lab04.config import pass_settings, passes
from lab04.data.datasets import dataset
from lab04.features.representations import representation
from lab04.inputs import arrays_key, describe, features_key
from lab04.keys import PassKey


def input_specs(config: dict, section: str | None = None) -> list[dict]:
    """The input settings of every pass (of one report section), in config order."""
    return [pass_settings(config, e, p)["input"] for e, p in passes(config, section)]


def feature_jobs(config: dict) -> dict[str, dict]:
    """Every distinct cached features file some pass reads, by key: the arrays it is computed from, the
    representation and the settings it computes with (its options)."""
    out = {}
    for spec in input_specs(config):
        if key := features_key(config, spec):
            rep = representation(spec["representation"])
            out[key] = {"arrays": arrays_key(config, spec), "representation": spec["representation"],
                        "settings": {k: spec[k] for k in rep.options if k in spec}}
    return out


def image_folder_inputs(config: dict, section: str | None = None) -> dict[str, dict]:
    """Every distinct decoded image-folder arrays file (its key) some pass (of ``section``) reads, with the
    input settings it is decoded for."""
    return {arrays_key(config, spec): spec for spec in input_specs(config, section)
            if dataset(config, spec["dataset"]).entry["family"] == "image_folder"}


def described_inputs(config: dict) -> dict[str, dict]:
    """What each pass ("experiment/pass") reads, in words and names, for the report and its plots: plain
    values, so a changed class name or description re-renders the report without retraining."""
    out = {}
    for e, p in passes(config):
        spec = pass_settings(config, e, p)["input"]
        data = dataset(config, spec["dataset"])
        out[PassKey(e, p).label] = {"dataset": data.name, "dataset_title": data.title, "classes": data.classes,
                           "description": describe(config, spec), "arrays_key": arrays_key(config, spec)}
    return out
