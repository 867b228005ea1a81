"""Render results/report.pdf from this run's tables, plots and models."""

import time

from lab04.logs import job_logger
from lab04.report import build_context, render_pdf

log = job_logger(snakemake.log[0])
started = time.perf_counter()
context = build_context(snakemake.input, snakemake.params, workflow_dir=snakemake.scriptdir + "/..",
                        config=snakemake.config)
pages = render_pdf(context, snakemake.input.template, snakemake.input.style, snakemake.output[0])
log.info("report: %d pages in %.1f s", pages, time.perf_counter() - started)
