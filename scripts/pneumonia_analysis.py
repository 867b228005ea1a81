"""Metrics, ROC, threshold choice and false-negative analysis of every pneumonia pass."""

import json

import pandas as pd

from lab04.analysis.pneumonia import analyse_pass
from lab04.logs import job_logger

log = job_logger(snakemake.log[0])
p = snakemake.params
summaries, tables = [], {"metrics": [], "roc": [], "sweep": []}
for name, val_file, test_file in zip(p.names, snakemake.input.val, snakemake.input.test, strict=True):
    summary, t = analyse_pass(name, pd.read_csv(val_file), pd.read_csv(test_file), p.target,
                              p.population["size"], p.population["prevalence"])
    summaries.append(summary)
    for key in tables:
        tables[key].append(t[key])
    log.info("%s: threshold %.4f, test FN %d at 0.5, %d at the chosen threshold", name, summary["threshold"],
             summary["fn_default"]["fn"], summary["fn_chosen"]["fn"])
for key, frames in tables.items():
    pd.concat(frames, ignore_index=True).to_csv(snakemake.output[key], index=False)
with open(snakemake.output.summary, "w") as fh:
    json.dump(summaries, fh, indent=2)
