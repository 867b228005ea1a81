"""The report's sections, in order. Numbering and the table of contents follow ``SECTIONS``.

A section is one module here with
- ``TEMPLATE``: its partial under templates/sections/;
- ``chapters(run)``: the chapters it adds (none, one, or one per data set), each a dict with ``title``,
  ``anchor``, ``toc`` (its subsections as (anchor, title)) and whatever its partial shows;
and, when it reads more than every pass's scores, layers, tables and plots (``Run``):
- ``inputs(config)``: its own files by name (a path or a list of paths; none: ``{}``), which the report
  rule takes as inputs, so a changed file re-renders the report;
- ``params(config)``: plain values it needs from config (Snakemake compares them between runs);
- ``load(files, params)``: what its chapters read, from those files and values, found in
  ``run.loaded(__name__)`` (without ``load``: the files and values as one dict).
``inputs`` and ``params`` run while Snakemake plans, so a section imports slow modules where it uses them.

A new section, with its own analysis, is its analysis module (lab04/analysis/), its module here, its
partial and one entry in ``SECTIONS``; a rule only if its analysis needs a job of its own.
"""

from __future__ import annotations

from typing import Any

from lab04.report.sections import (
    depth_question,
    experiments,
    learning_algorithm,
    pneumonia,
    provenance,
    run_diff,
    sweeps,
)

SECTIONS = [learning_algorithm, experiments, sweeps, depth_question, pneumonia, run_diff, provenance]


def section_name(module) -> str:
    return module.__name__.rsplit(".", 1)[-1]


def section_inputs(config: dict, sections=SECTIONS) -> dict[str, str | list[str]]:
    """Every section's own files as named inputs of the report rule: ``<section>__<name>``."""
    return {f"{section_name(m)}__{name}": files for m in sections if hasattr(m, "inputs")
            for name, files in m.inputs(config).items()}


def section_params(config: dict, sections=SECTIONS) -> dict[str, dict]:
    """Every section's own settings, by section name: one param of the report rule."""
    return {section_name(m): m.params(config) for m in sections if hasattr(m, "params")}


def _paths(files) -> str | list[str]:
    return str(files) if isinstance(files, str) else [str(f) for f in files]


def load_sections(inputs: dict, params: dict, sections=SECTIONS) -> dict[str, Any]:
    """What each section reads beyond the run's core, by module name: its ``load`` of its own inputs
    (out of the report rule's named ``inputs``) and ``params`` (the rule's ``sections`` param)."""
    out = {}
    for module in sections:
        name = section_name(module)
        prefix = f"{name}__"
        files = {k.removeprefix(prefix): _paths(v) for k, v in inputs.items() if k.startswith(prefix)}
        own = params.get(name, {})
        out[module.__name__] = module.load(files, own) if hasattr(module, "load") else {**files, **own}
    return out
