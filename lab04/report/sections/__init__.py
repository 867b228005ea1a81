"""The report's sections, in order. Each module has ``TEMPLATE`` (its partial under
templates/sections/) and ``chapters(run)``: the numbered chapters it adds (none, one, or one per
data set), each a dict with ``title``, ``anchor``, ``toc`` (its subsections as (anchor, title)) and
whatever its partial shows. Numbering and the table of contents follow this list.

A new section is one module here, one partial, and one entry in ``SECTIONS``.
"""

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
