"""Render the report from this run's tables, plots and models: results/report.pdf, or results/report.html (the
same context and templates, one self-contained page for a browser), by the output's suffix."""

import time
from pathlib import Path

from lab04.logs import job_logger
from lab04.report.load import load_run
from lab04.report.render import build_context, render_page, render_pdf

log = job_logger(snakemake.log[0])
started = time.perf_counter()
workflow_dir = Path(snakemake.scriptdir).parent
run = load_run(dict(snakemake.input.items()), dict(snakemake.params.items()), config=snakemake.config,
               workflow_dir=str(workflow_dir))
templates = workflow_dir / "templates"  # their content is the rule's `templates` param
dest = Path(snakemake.output[0])
if dest.suffix == ".html":
    size = render_page(build_context(run), templates, dest)
    log.info("web page: %.1f MB in %.1f s", size / 1e6, time.perf_counter() - started)
else:
    pages = render_pdf(build_context(run), templates, dest)
    log.info("report: %d pages in %.1f s", pages, time.perf_counter() - started)
