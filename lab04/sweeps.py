"""Sweeps: one pass trained again at every combination of values of some of its settings.

A pass declares, beside its own settings,

    sweep:
      hidden: {path: "layers[0].Dense.units", values: [16, 32, 64]}

Each combination is a point of a Snakemake ``Paramspace`` ("hidden~16"), trained by its own job in
results/<experiment>/<pass>/sweep/<point>/seed<N>/, so points rerun independently and run side by
side or on a cluster. The pass itself trains as before: its ``sweep`` is not one of its settings.

No TensorFlow: the Snakefile asks these while planning.
"""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any

import pandas as pd
from snakemake.utils import Paramspace

from lab04.config import pass_settings, passes

# one step of a setting's path: a key ("layers", "Dense") or a list index ("[0]")
_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """``"layers[0].Dense.units"`` -> ``["layers", 0, "Dense", "units"]``."""
    steps, pos = [], 0
    while pos < len(path):
        match = _STEP.match(path, pos)
        if not match or (pos == 0 and path.startswith(".")):
            raise ValueError(f"setting path {path!r} is not of the form key.key[index].key (e.g. "
                             "'layers[0].Dense.units', 'epochs', 'optimizer.RMSprop.learning_rate')")
        steps.append(match[1] if match[1] is not None else int(match[2]))
        pos = match.end()
    if not steps:
        raise ValueError("empty setting path; name a setting, e.g. 'layers[0].Dense.units'")
    return steps


def _where(steps: list[str | int]) -> str:
    return "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps).lstrip(".")


def set_path(settings: dict, path: str, value: Any) -> dict:
    """A copy of ``settings`` with the setting at ``path`` set to ``value``.

    Every step but the last must exist (a misspelt path fails instead of adding an unused key); the
    last may add a key to a mapping, e.g. an optimizer argument left at its Keras default.
    """
    out = copy.deepcopy(settings)
    steps = parse_path(path)
    node = out
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                size = f"a list of {len(node)}" if isinstance(node, list) else type(node).__name__
                raise ValueError(f"setting path {path!r}: {_where(steps[:i]) or 'the pass'} is {size}, "
                                 f"it has no [{step}]")
        elif not isinstance(node, dict) or (step not in node and not last):
            keys = ", ".join(map(str, node)) if isinstance(node, dict) else type(node).__name__
            raise ValueError(f"setting path {path!r}: {_where(steps[:i]) or 'the pass'} has no {step!r} "
                             f"(it has {keys})")
        if last:
            node[step] = value
        else:
            node = node[step]
    return out


def sweeps(config: dict) -> list[tuple[str, str]]:
    """Every (experiment, pass) that declares a sweep, in config order."""
    return [(e, p) for e, p in passes(config) if config["experiments"][e]["passes"][p].get("sweep")]


def sweep_spec(config: dict, experiment: str, pass_name: str) -> dict:
    return config["experiments"][experiment]["passes"][pass_name]["sweep"]


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def sweep_points(config: dict, experiment: str, pass_name: str) -> dict[str, dict]:
    """Point name ("hidden~16", "hidden~16_lr~0.001") -> its values, for every combination in order."""
    spec = sweep_spec(config, experiment, pass_name)
    names = list(spec)
    rows = list(itertools.product(*(spec[n]["values"] for n in names)))
    space = Paramspace(pd.DataFrame(rows, columns=names), filename_params="*", single_wildcard="point")
    return {point: {n: _plain(v) for n, v in zip(names, row, strict=True)}
            for point, row in zip(space.instance_patterns, rows, strict=True)}


def point_settings(config: dict, experiment: str, pass_name: str, point: str) -> dict:
    """The pass's settings with the point's values at the sweep's paths: what its training job receives."""
    points = sweep_points(config, experiment, pass_name)
    if point not in points:
        raise KeyError(f"no sweep point {point!r} of {experiment}/{pass_name}; it has {', '.join(points)}")
    settings = pass_settings(config, experiment, pass_name)
    spec = sweep_spec(config, experiment, pass_name)
    for name, value in points[point].items():
        settings = set_path(settings, spec[name]["path"], value)
    return settings


def every_point(config: dict) -> list[tuple[str, str, str]]:
    """(experiment, pass, point) of every sweep, in config order."""
    return [(e, p, point) for e, p in sweeps(config) for point in sweep_points(config, e, p)]


def check_sweeps(config: dict) -> None:
    """Every point of every sweep must make valid settings; the error names the sweep and the fix."""
    for experiment, pass_name in sweeps(config):
        for name, spec in sweep_spec(config, experiment, pass_name).items():
            try:
                set_path(pass_settings(config, experiment, pass_name), spec["path"], spec["values"][0])
            except ValueError as err:
                raise ValueError(f"experiments.{experiment}.passes.{pass_name}.sweep.{name}: {err}. Name a setting "
                                 "the pass has (docs/configuration.md, 'Sweeps').") from None
