"""Render results/report.pdf from this run's tables, plots and models."""

import time

from lab04.logs import job_logger
from lab04.report.render import build_context, render_pdf
from lab04.report.run import load_run

log = job_logger(snakemake.log[0])
started = time.perf_counter()
run = load_run(dict(snakemake.input.items()), dict(snakemake.params.items()), config=snakemake.config,
               workflow_dir=snakemake.scriptdir + "/..")
pages = render_pdf(build_context(run), snakemake.input.template, snakemake.input.style, snakemake.output[0])
log.info("report: %d pages in %.1f s", pages, time.perf_counter() - started)
