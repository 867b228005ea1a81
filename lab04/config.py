"""Read the experiment configuration: which passes exist and what each one trains with.

No TensorFlow here: the Snakefile imports this module on every invocation, dry-runs included.
"""

from __future__ import annotations

import copy
import difflib
import os
from typing import Any

import yaml

from lab04.inputs import LEGACY_KINDS, beyond_limits, input_problem, missing_options, normalise
from lab04.keys import PassKey
from lab04.train.engines import needs_tensorflow

# Keys of a pass that only feed the report; editing them must not retrain anything.
REPORT_ONLY_KEYS = ("title", "discussion", "note")
# The report section an experiment appears in when it names none (lab04/report/sections/).
DEFAULT_SECTION = "experiments"
# A pass's sweep (lab04/sweeps.py) and its repeats train other jobs (points, seeds); they are no
# setting of the pass itself, so adding a seed or a point never retrains the ones already there.
NOT_SETTINGS = (*REPORT_ONLY_KEYS, "input", "sweep", "repeats")
# Keras objects ({ClassName: {args}}): an override names a whole new object, it is not merged into the old one.
REPLACED_KEYS = ("optimizer", "loss", "test_time_augmentation")


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
            if section is None or spec.get("section", DEFAULT_SECTION) == section]


def sections_of(experiments: dict, section: str) -> list[str]:
    """Names of the experiments (config's or the report texts') shown in ``section``, in config order."""
    return [name for name, spec in experiments.items() if spec.get("section", DEFAULT_SECTION) == section]


def chapter_experiments(config: dict) -> dict[str, list[str]]:
    """Data set -> the experiments of its chapter in the experiments section (one comparison chart each):
    an experiment belongs to the data set of its first pass, as in the report."""
    out: dict[str, list[str]] = {}
    for name in sections_of(config["experiments"], DEFAULT_SECTION):
        first = next(iter(config["experiments"][name]["passes"]))
        out.setdefault(pass_settings(config, name, first)["input"]["dataset"], []).append(name)
    return out


def chapter_passes(config: dict) -> dict[str, list[str]]:
    """Data set -> the passes ("experiment/pass") of its chapter, in config order."""
    return {data: [PassKey(e, p).label for e in names for p in config["experiments"][e]["passes"]]
            for data, names in chapter_experiments(config).items()}


def report_texts(config: dict) -> dict:
    """Titles, notes and discussions of every experiment and pass, and each experiment's section:
    the report-only part of config, so editing it re-renders the report and retrains nothing."""
    return {
        name: {
            **{k: exp[k] for k in REPORT_ONLY_KEYS if k in exp},
            "section": exp.get("section", DEFAULT_SECTION),
            "passes": {p: {k: v for k, v in spec.items() if k in REPORT_ONLY_KEYS}
                       for p, spec in exp["passes"].items()},
        }
        for name, exp in config["experiments"].items()
    }


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
    settings["input"] = normalise(config, deep_merge(exp.get("input", {}), own.get("input", {})))
    own = {k: v for k, v in own.items() if k not in NOT_SETTINGS}
    return deep_merge(settings, own)


def threads_change_results(settings: dict) -> bool:
    """Whether a job's TensorFlow thread count can move its results (``settings`` with ``shards`` resolved):
    not with gradient shards (lab04/train/shards.py), where every kernel runs on one thread; with one
    shard each kernel splits its sums over the threads, so only ``threads: auto`` (one thread) is safe."""
    return int(settings.get("shards", 1)) <= 1


def trained_settings(settings: dict) -> dict[str, Any]:
    """The settings that decide what a job trains: all of them but ``threads`` where the thread count
    changes no result. Snakemake compares these between runs, so a new --cores retrains nothing. A float32
    precision is left out too: every training computed in float32 before the setting existed, so those stay
    up to date (a job reads a missing precision as float32)."""
    dropped = {"precision"} if settings.get("precision") == "float32" else set()
    if not threads_change_results(settings):
        dropped.add("threads")
    return {k: v for k, v in settings.items() if k not in dropped}


def seeds(config: dict, experiment: str | None = None, pass_name: str | None = None) -> list[int]:
    """One seed per repeat, counting up from the configured seed. ``repeats`` is global, and a pass
    (or its experiment) may set its own: a record pass measures its spread over seeds without
    retraining every other pass."""
    repeats = config.get("repeats", 1)
    if experiment is not None:
        exp = config["experiments"][experiment]
        repeats = (exp["passes"][pass_name] or {}).get("repeats", exp.get("repeats", repeats))
    return [int(config["seed"]) + i for i in range(int(repeats))]


def pass_jobs(config: dict, section: str | None = None) -> list[tuple[str, str, int]]:
    """Every (experiment, pass, seed) training job in config order: one per seed of each pass."""
    return [(e, p, s) for e, p in passes(config, section) for s in seeds(config, e, p)]


def check_config(config: dict) -> None:
    """Checks the JSON schema cannot express; each error names the key and the fix."""
    for experiment, pass_name in passes(config):
        where = f"experiments.{experiment}.passes.{pass_name}"
        try:
            spec = pass_settings(config, experiment, pass_name)
        except ValueError as err:
            raise ValueError(f"{where}.input: {err}") from None
        missing = missing_options(config, spec["input"])
        if missing:
            raise ValueError(f"{where}: a {spec['input']['representation']} input of {spec['input']['dataset']} "
                             f"needs {' and '.join(missing)} under input:")
        if problem := input_problem(config, spec["input"]):
            raise ValueError(f"{where}.input: {problem}")
        if too_large := beyond_limits(config, spec["input"]):
            raise ValueError(f"{where}.input: {', '.join(too_large)}, the most that the images of "
                             f"{spec['input']['dataset']} allow. Fix it in config.")
        for key in ("batch_size", "validation_split", "loss", "optimizer", "metrics"):
            if key not in spec:
                raise ValueError(f"{where}: no {key}; set it under training: (global or per experiment)")
        if spec.get("shards", 1) != "auto" and spec.get("shards", 1) > spec["batch_size"]:
            raise ValueError(f"{where}: shards: {spec['shards']} cuts a batch of {spec['batch_size']} into more "
                             f"slices than it has samples; set shards to at most batch_size")
        if needs_tensorflow(spec) and spec.get("backend", "auto") not in ("auto", "tensorflow"):
            raise ValueError(f"{where}: shards: {spec['shards']} is a TensorFlow training step, and the pass trains "
                             f"on {spec['backend']}; set shards: auto (or 1), or backend: tensorflow")
        if (select := spec.get("select_epoch")) and select["monitor"] not in (logged := validation_logs(spec)):
            raise ValueError(f"{where}.select_epoch: monitor {select['monitor']} is not logged; this pass logs "
                             f"{', '.join(logged)} (a metric is logged under the name written in metrics:). Monitor "
                             "one of those, or add the metric to metrics:")
    chapters = chapter_experiments(config)
    for name in config.get("report", {}).get("published", {}):
        if name not in chapters:
            raise ValueError(f"report.published.{name}: no experiments chapter shows the data set {name} (chapters: "
                             f"{', '.join(chapters) or 'none'}); name one of those or remove the entry")


def validation_logs(settings: dict) -> list[str]:
    """The validation values Keras logs each epoch for a pass: the loss and each metric under the name
    written in ``metrics`` (``auc`` -> ``val_auc``; ``AUC`` -> ``val_AUC``)."""
    return ["val_loss", *(f"val_{metric}" for metric in settings["metrics"])]


def check_legacy(config: dict) -> None:
    """An input still written as ``kind:`` gets its new spelling, before the schema's bare 'unexpected'."""
    for name, exp in config.get("experiments", {}).items():
        specs = {f"experiments.{name}.input": exp.get("input") or {}}
        specs.update({f"experiments.{name}.passes.{p}.input": (own or {}).get("input") or {}
                      for p, own in (exp.get("passes") or {}).items()})
        for where, spec in specs.items():
            if isinstance(spec, dict) and "kind" in spec:
                new = LEGACY_KINDS.get(spec["kind"], "{dataset: ..., representation: flat|image|hog}")
                raise ValueError(f"{where}: 'kind' is replaced by a data set and a representation; for "
                                 f"kind: {spec['kind']} write input: {new} (docs/configuration.md).")


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


def read_yaml(path) -> dict:
    """A YAML file's mapping (an empty file: {})."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def reading_order(config: dict, paths: list[str], keys=("datasets", "experiments")) -> None:
    """Put data sets and experiments in the order of ``paths`` (config.yaml first, then each overlay):
    Snakemake merges --configfile overlays in before the workflow's own config file, so without this an
    overlay's new experiments would come first in the DAG and the report."""
    for key in keys:
        order = []
        for path in paths:
            order += list(read_yaml(path).get(key) or {})
        present = config.get(key) or {}
        names = [*dict.fromkeys(n for n in order if n in present), *(n for n in present if n not in order)]
        config[key] = {n: present[n] for n in names}


def own_config_read(own: str, configfiles) -> bool:
    """Whether Snakemake read the workflow's own config.yaml. It skips the `configfile:` line of a
    workflow used as a module with `config:`; the given config is then an overlay on these defaults."""
    own_path = os.path.realpath(own)
    return any(os.path.realpath(str(f)) == own_path for f in configfiles)


def check_config_files(paths: list[str]) -> None:
    """Read each config file strictly: duplicate keys and YAML errors name the file and line."""
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            try:
                yaml.load(fh, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
            except yaml.YAMLError as err:
                tabs = " Indent with spaces: YAML does not allow tabs." if "\\t" in str(err) else ""
                raise ValueError(f"{path} is not valid YAML: {err}.{tabs}") from None


def _files_with_key(paths: list[str], path: list, key: str) -> list[str]:
    """The config files that set ``key`` at ``path`` (a list of keys from the top)."""
    found = []
    for file in paths:
        node = read_yaml(file)
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and key in node:
            found.append(str(file))
    return found


def _unknown_keys(error, paths: list[str]) -> str:
    """For an unexpected key: the file that sets it and the closest key the schema knows."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return ""
    known = list(error.schema.get("properties", {}))
    notes = []
    for key in (k for k in error.instance if k not in known):
        close = difflib.get_close_matches(str(key), known, n=1)
        files = _files_with_key(paths, list(error.path), key)
        notes.append(f"{key!r}" + (f" is set in {', '.join(files)}" if files else "")
                     + (f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"))
    return " (" + "; ".join(notes) + ")" if notes else ""


def _in_words(error) -> str:
    """jsonschema's message, with a pattern the value failed said in words (the schema's ``patternWords``)."""
    if error.validator == "pattern" and isinstance(error.schema, dict) and "patternWords" in error.schema:
        return f"{error.instance!r} is not allowed: {error.schema['patternWords']}"
    return error.message


def check_schema(config: dict, schema: dict, paths: list[str] = ()) -> None:
    """Validate against the JSON schema with one short message per problem, naming where it is (and, for
    an unknown key, the config file that sets it and the closest known key).

    Snakemake's own ``validate`` (which also fills in defaults) prints the whole config beside the
    error; this runs first so the message that matters is not buried.
    """
    import jsonschema

    check_legacy(config)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        lines = [f"  - {'.'.join(map(str, e.path)) or '(top level)'}: {_in_words(e)}{_unknown_keys(e, list(paths))}"
                 for e in errors[:10]]
        raise ValueError("invalid configuration (config.yaml and any --configfile overlay):\n" + "\n".join(lines)
                         + "\nFix the key or value named above; docs/configuration-reference.md lists what each "
                         "key accepts.")


if __name__ == "__main__":  # `python -m lab04.config FILE...`: what `make` runs on CONFIG overlays first
    import sys

    try:
        check_config_files(sys.argv[1:])
    except ValueError as err:
        sys.exit(f"error: {err}")
