"""A finished run as plain values: what every report section reads.

``load_run`` reads the files the report rule names. Each per-pass file comes with its explicit
(experiment, pass, seed) key from the rule's params, in the same order, so nothing is parsed back
out of a path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lab04.paths import job_keys

PassKey = tuple[str, str, int]


@dataclass
class Run:
    settings: dict  # config's report: section (titles, detail, pneumonia settings, ...)
    texts: dict  # per experiment: title, discussion, section, and per pass title, note, discussion
    inputs: dict  # "experiment/pass" -> data set, its title and classes, the input in words
    seed: int
    repeats: int
    primary_seed: int
    scores: dict[PassKey, dict]
    layers: dict[PassKey, pd.DataFrame]
    tables: dict[str, pd.DataFrame]
    plots: dict[tuple[str, str], dict[str, str]]  # (experiment, pass) -> curves / confusion image
    comparison_plots: dict[str, str]  # data set -> chart of its chapter's passes
    equations: dict[str, str]
    depth: dict
    pneumonia: dict | None = None  # metrics, summaries by (experiment, pass, model), roc, sweep, data records
    sweeps: dict | None = None  # table (every point and seed), settings and plot per "experiment/pass"
    diff: dict | None = None  # base (its results directory) and table: the comparison with an earlier run
    timeline: str | None = None  # Gantt chart of the run's jobs per core
    config: dict = field(default_factory=dict)
    workflow_dir: str = "."

    def score(self, experiment: str, pass_name: str) -> dict:
        return self.scores[experiment, pass_name, self.primary_seed]

    def rows(self, table: str, experiment: str, pass_name: str) -> pd.DataFrame:
        """The primary seed's rows of one pass in an aggregate table."""
        frame = self.tables[table]
        return frame[(frame["experiment"] == experiment) & (frame["pass"] == pass_name)
                     & (frame["seed"] == self.primary_seed)]


def load_run(inputs: dict, params: dict, config: dict | None = None, workflow_dir: str = ".") -> Run:
    """Read the report rule's named inputs (``inputs``) with the keys and settings in ``params``."""
    pass_keys = job_keys(params["pass_keys"])
    plot_keys = [tuple(label.split("/")) for label in params["plot_keys"]]
    pneumonia = None
    if inputs.get("pneumonia_metrics"):
        pneumonia = {
            "metrics": pd.read_csv(inputs["pneumonia_metrics"]),
            "summaries": {(s["experiment"], s["pass"], s["model"]): s
                          for s in json.loads(Path(inputs["pneumonia_summary"]).read_text())},
            "roc": str(inputs["pneumonia_roc"]),
            "sweep": str(inputs["pneumonia_sweep"]),
            "data": [json.loads(Path(f).read_text()) for f in inputs["pneumonia_data"]],
        }
    sweeps = None
    if inputs.get("sweeps"):
        sweeps = {"table": pd.read_csv(inputs["sweeps"]), "settings": params["sweeps"],
                  "plots": dict(zip(params["sweeps"], map(str, inputs["sweep_plots"]), strict=True))}
    diff = None
    if inputs.get("diff"):
        diff = {"base": params["diff_base"], "table": pd.read_csv(inputs["diff"])}
    return Run(
        settings=params["report"], texts=params["texts"], inputs=params["inputs"], seed=params["seed"],
        repeats=params["repeats"], primary_seed=params["primary_seed"],
        scores={k: json.loads(Path(f).read_text()) for k, f in zip(pass_keys, inputs["scores"], strict=True)},
        layers={k: pd.read_csv(f) for k, f in zip(pass_keys, inputs["layers"], strict=True)},
        tables={Path(p).stem: pd.read_csv(p) for p in inputs["tables"]},
        plots={k: {"curves": str(c), "confusion": str(m)}
               for k, c, m in zip(plot_keys, inputs["curves"], inputs["confusion_plots"], strict=True)},
        comparison_plots=dict(zip(params["comparison_keys"], map(str, inputs["comparisons"]), strict=True)),
        equations={Path(p).stem: str(p) for p in inputs["equations"]},
        depth=json.loads(Path(inputs["depth"]).read_text()),
        pneumonia=pneumonia, sweeps=sweeps, diff=diff, config=config or {}, workflow_dir=str(workflow_dir),
        timeline=str(inputs["timeline"]) if inputs.get("timeline") else None,
    )
