"""Metrics, ROC, threshold choice and false-negative analysis of every pneumonia model: each seed, and
the seed ensemble of a pass trained more than once."""

import json

import pandas as pd

from lab04.analysis.pneumonia import analyse_passes
from lab04.atomic import write_csv, write_text
from lab04.keys import job_keys
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
p = snakemake.params
jobs = [(*key, pd.read_csv(val), pd.read_csv(test))
        for key, val, test in zip(job_keys(p.pass_keys), snakemake.input.val, snakemake.input.test, strict=True)]
summaries, tables = analyse_passes(jobs, p.target, p.population["size"], p.population["prevalence"])
for s in summaries:
    log.info("%s/%s %s: threshold %.4f, test FN %d at 0.5, %d at the chosen threshold", s["experiment"], s["pass"],
             s["model"], s["threshold"], s["fn_default"]["fn"], s["fn_chosen"]["fn"])
for key, frame in tables.items():
    write_csv(frame, snakemake.output[key], index=False)
write_text(snakemake.output.summary, json.dumps(summaries, indent=2))
