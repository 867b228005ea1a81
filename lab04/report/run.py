"""A finished run as plain values: what every report section reads.

``load_run`` reads the files the report rule names. Each per-pass file comes with its explicit
(experiment, pass, seed) key from the rule's params, in the same order, so nothing is parsed back
out of a path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lab04.keys import JobKey, PassKey, job_keys, pass_keys


@dataclass
class Run:
    settings: dict  # config's report: section (titles, detail, pneumonia settings, ...)
    texts: dict  # per experiment: title, discussion, section, and per pass title, note, discussion
    inputs: dict  # "experiment/pass" -> data set, its title and classes, the input in words
    seed: int
    repeats: int
    primary_seed: int
    scores: dict[JobKey, dict]
    layers: dict[JobKey, pd.DataFrame]
    tables: dict[str, pd.DataFrame]
    plots: dict[PassKey, dict[str, str]]  # (experiment, pass) -> curves / confusion image
    sections: dict[str, Any] = field(default_factory=dict)  # what each section loaded, by module name
    config: dict = field(default_factory=dict)
    workflow_dir: str = "."

    def score(self, experiment: str, pass_name: str) -> dict:
        return self.scores[experiment, pass_name, self.primary_seed]

    def rows(self, table: str, experiment: str, pass_name: str) -> pd.DataFrame:
        """The primary seed's rows of one pass in an aggregate table."""
        frame = self.tables[table]
        return frame[(frame["experiment"] == experiment) & (frame["pass"] == pass_name)
                     & (frame["seed"] == self.primary_seed)]

    def loaded(self, section: str) -> Any:
        """What a section's ``load`` returned (lab04/report/sections/__init__.py), by its module's name."""
        return self.sections.get(section)


def load_run(inputs: dict, params: dict, config: dict | None = None, workflow_dir: str = ".",
             sections=None) -> Run:
    """Read the report rule's named inputs (``inputs``) with the keys and settings in ``params``: every
    pass's files, then what each section declared (lab04/report/sections/__init__.py)."""
    from lab04.report.sections import SECTIONS, load_sections  # the sections import this module

    keys, plot_keys = job_keys(params["pass_keys"]), pass_keys(params["plot_keys"])
    return Run(
        settings=params["report"], texts=params["texts"], inputs=params["inputs"], seed=params["seed"],
        repeats=params["repeats"], primary_seed=params["primary_seed"],
        scores={k: json.loads(Path(f).read_text()) for k, f in zip(keys, inputs["scores"], strict=True)},
        layers={k: pd.read_csv(f) for k, f in zip(keys, inputs["layers"], strict=True)},
        tables={Path(p).stem: pd.read_csv(p) for p in inputs["tables"]},
        plots={k: {"curves": str(c), "confusion": str(m)}
               for k, c, m in zip(plot_keys, inputs["curves"], inputs["confusion_plots"], strict=True)},
        sections=load_sections(inputs, params.get("sections", {}), SECTIONS if sections is None else sections),
        config=config or {}, workflow_dir=str(workflow_dir),
    )
