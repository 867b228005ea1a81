"""A finished run read from the report rule's inputs: every pass's files (lab04/report/run.py's ``Run``) and what
each report section reads of its own (lab04/report/sections/). Each per-pass file comes with its explicit
(experiment, pass, seed) key from the rule's params, in the same order, so nothing is parsed back out of a path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from lab04.keys import job_keys, pass_keys
from lab04.report.run import Run
from lab04.report.sections import SECTIONS, load_sections


def load_run(inputs: dict, params: dict, config: dict | None = None, workflow_dir: str = ".",
             sections=None) -> Run:
    """Read the report rule's named inputs (``inputs``) with the keys and settings in ``params``: every
    pass's files, then what each section declared (lab04/report/sections/__init__.py)."""
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
