"""A finished run as plain values: what every report section reads (lab04/report/load.py reads it from the
report rule's files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lab04.keys import JobKey, PassKey


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
