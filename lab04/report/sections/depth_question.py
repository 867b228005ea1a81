"""Section: do deeper CNNs have more weights? One configured pass rebuilt without some layers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from lab04.analysis.weights import total_line, weight_lines
from lab04.paths import table_file
from lab04.report.run import Run

TEMPLATE = "depth_question.html.j2"
# what the depth_example rule writes: the configured pass and its shallower variant, built, never trained
DEPTH_FILE = table_file("depth_example", "json")


def inputs(_config: dict) -> dict[str, str]:
    return {"depth": DEPTH_FILE}


def load(files: dict, _params: dict) -> dict:
    return json.loads(Path(files["depth"]).read_text())


def depth_context(depth: dict) -> dict:
    """Layer-by-layer weights of the configured model and its shallower variant."""
    full_lines = weight_lines(pd.DataFrame(depth["configured"]["layers"]))
    short_lines = weight_lines(pd.DataFrame(depth["shallower"]["layers"]))
    full, short = depth["configured"]["params"], depth["shallower"]["params"]
    removed = [line for line in full_lines if line.layer in depth["remove"]]
    changed = [(a, b) for a in full_lines for b in short_lines if a.layer == b.layer and a.count != b.count]
    return {**depth, "full_lines": full_lines, "short_lines": short_lines, "full": full, "short": short,
            "difference": full - short, "removed": removed, "changed": changed,
            "full_total": total_line(full_lines, full), "short_total": total_line(short_lines, short)}


def chapters(run: Run) -> list[dict]:
    return [{"title": "Do deeper CNNs have more weights?", "anchor": "depth", "toc": [],
             "depth": depth_context(run.loaded(__name__))}]
