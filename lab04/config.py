"""Read the experiment configuration: which passes exist and what each one trains with.

No TensorFlow here: the Snakefile imports this module on every invocation, dry-runs included.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

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


class _StrictLoader(yaml.SafeLoader):
    """YAML that refuses a key given twice in one mapping instead of keeping the last silently."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ValueError(
                    f"{key_node.start_mark.name}, line {key_node.start_mark.line + 1}: key {key!r} is defined twice "
                    f"in the same mapping (first on line {seen[key] + 1}); YAML would keep only the last one. "
                    "Merge the two entries or rename one.")
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def check_config_files(paths: list[str]) -> None:
    """Read each config file strictly: duplicate keys and YAML errors name the file and line."""
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            try:
                yaml.load(fh, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
            except yaml.YAMLError as err:
                tabs = " Indent with spaces: YAML does not allow tabs." if "\\t" in str(err) else ""
                raise ValueError(f"{path} is not valid YAML: {err}.{tabs}") from None


def check_schema(config: dict, schema: dict) -> None:
    """Validate against the JSON schema with one short message per problem, naming where it is.

    Snakemake's own ``validate`` (which also fills in defaults) prints the whole config beside the
    error; this runs first so the message that matters is not buried.
    """
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        lines = [f"  - {'.'.join(map(str, e.path)) or '(top level)'}: {e.message}" for e in errors[:10]]
        raise ValueError("invalid configuration (config.yaml and any --configfile overlay):\n" + "\n".join(lines)
                         + "\nFix the key or value named above; README.md, 'Configuration', lists what each "
                         "key accepts.")


if __name__ == "__main__":  # `python -m lab04.config FILE...`: what `make` runs on CONFIG overlays first
    import sys

    try:
        check_config_files(sys.argv[1:])
    except ValueError as err:
        sys.exit(f"error: {err}")
