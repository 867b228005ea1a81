"""Read the experiment configuration: which passes exist and what each one trains with.

No TensorFlow here: the Snakefile imports this module on every invocation, dry-runs included.
"""

from __future__ import annotations

import copy
from typing import Any

# Keys of a pass that only feed the report; editing them must not retrain anything.
REPORT_ONLY_KEYS = ("title", "discussion", "note")
# Keras objects ({ClassName: {args}}): an override names a whole new object, it is not merged into the old one.
REPLACED_KEYS = ("optimizer",)


def deep_merge(base: dict, override: dict) -> dict:
    """Return ``base`` updated by ``override``, merging nested dicts instead of replacing them."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key not in REPLACED_KEYS:
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def passes(config: dict, section: str | None = None) -> list[tuple[str, str]]:
    """Every (experiment, pass) in config order, optionally of one report section only."""
    return [(exp, name) for exp, spec in config["experiments"].items() for name in spec["passes"]
            if section is None or spec.get("section", "digits") == section]


def pass_settings(config: dict, experiment: str, name: str) -> dict[str, Any]:
    """Training settings of one pass: global defaults < experiment defaults < the pass itself.

    The result holds plain values only, so Snakemake can compare it between runs and rerun exactly
    the passes whose settings changed.
    """
    try:
        exp = config["experiments"][experiment]
        own = exp["passes"][name]
    except KeyError:
        known = ", ".join(f"{e}/{p}" for e, p in passes(config))
        raise KeyError(f"no pass {experiment}/{name} in config; known passes: {known}") from None
    settings = deep_merge(config.get("training", {}), exp.get("training", {}))
    settings["input"] = deep_merge(exp.get("input", {}), own.get("input", {}))
    own = {k: v for k, v in own.items() if k not in REPORT_ONLY_KEYS and k != "input"}
    return deep_merge(settings, own)


def seeds(config: dict) -> list[int]:
    """One seed per repeat, counting up from the configured seed."""
    return [int(config["seed"]) + i for i in range(int(config.get("repeats", 1)))]


def xray_key(input_spec: dict) -> str | None:
    """File stem of the decoded chest X-ray arrays a pass needs, e.g. 'chest_xray_128px_official'."""
    if input_spec.get("kind") != "xray":
        return None
    fraction = input_spec.get("val_fraction")
    return f"chest_xray_{int(input_spec['size'])}px_{f'carve{fraction:g}' if fraction else 'official'}"


def hog_key(input_spec: dict) -> tuple[int, int] | None:
    """(orientations, pixels_per_cell) of a HOG input, None for other input kinds."""
    if input_spec.get("kind") != "hog":
        return None
    return int(input_spec["orientations"]), int(input_spec["pixels_per_cell"])


def check_config(config: dict) -> None:
    """Checks the JSON schema cannot express; each error names the key and the fix."""
    for experiment, pass_name in passes(config):
        where = f"experiments.{experiment}.passes.{pass_name}"
        spec = pass_settings(config, experiment, pass_name)
        kind = spec["input"].get("kind")
        if kind is None:
            raise ValueError(f"{where}: no input kind; set input: {{kind: raw|hog|image}} on the experiment")
        if kind == "xray" and "size" not in spec["input"]:
            raise ValueError(f"{where}: an xray input needs size: (pixels per side, e.g. 128)")
        if kind == "hog":
            missing = [k for k in ("orientations", "pixels_per_cell") if k not in spec["input"]]
            if missing:
                raise ValueError(f"{where}: a hog input needs {' and '.join(missing)} under input:")
        for key in ("batch_size", "validation_split", "loss", "optimizer", "metrics"):
            if key not in spec:
                raise ValueError(f"{where}: no {key}; set it under training: (global or per experiment)")
