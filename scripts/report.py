"""Render results/report.pdf from this run's tables, plots and models."""

import time
from pathlib import Path

from lab04.logs import job_logger
from lab04.report.load import load_run
from lab04.report.render import build_context, render_pdf

log = job_logger(snakemake.log[0])
started = time.perf_counter()
workflow_dir = Path(snakemake.scriptdir).parent
run = load_run(dict(snakemake.input.items()), dict(snakemake.params.items()), config=snakemake.config,
               workflow_dir=str(workflow_dir))
templates = workflow_dir / "templates"  # their content is the rule's `templates` param
pages = render_pdf(build_context(run), templates / "report.html.j2", templates / "report.css", snakemake.output[0])
log.info("report: %d pages in %.1f s", pages, time.perf_counter() - started)
