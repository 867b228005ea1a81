"""Appendix: where and how this run was made (commit, config hash, machine, packages, job times)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from collections import Counter
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from lab04.analysis.timeline import latest_rows
from lab04.config import threads_change_results
from lab04.paths import plot_file
from lab04.report import alt
from lab04.report.run import Run
from lab04.train.backend import TITLES
from lab04.train.isa import recorded_by

TEMPLATE = "provenance.html.j2"
NUMBERED = False  # an appendix
PACKAGES = ["snakemake", "tensorflow-cpu", "tensorflow", "jax", "jaxlib", "keras", "numpy", "scikit-image",
            "scikit-learn", "scipy", "pandas", "matplotlib", "jinja2", "weasyprint"]


def inputs(_config: dict) -> dict[str, str]:
    """The Gantt chart of the run's jobs (rules/plots.smk, plot_timeline)."""
    return {"timeline": plot_file("timeline")}


def git_commit(directory: str | Path) -> str:
    try:
        head = subprocess.run(["git", "-C", str(directory), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_versions() -> list[tuple[str, str]]:
    out = []
    for name in PACKAGES:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return out


def job_counts(values, label=str) -> str:
    """'a: 12 jobs; b: 2 jobs': how many training jobs have each value, in the values' order."""
    counts = Counter(values)
    return "; ".join(f"{label(v)}: {n} job{'s' if n > 1 else ''}" for v, n in sorted(counts.items()))


def thread_counts(run: Run) -> str:
    """'1 thread: 12 jobs; 2 threads: 2 jobs' over the training jobs (threads: auto gives each a share)."""
    return job_counts((int(s["threads"]) for s in run.scores.values() if s.get("threads")),
                      lambda t: f"{t} thread{'s' if t > 1 else ''}")


def instruction_sets(run: Run) -> str:
    """'oneDNN: Intel AVX-512 …: 6 jobs; XLA CPU target sapphirerapids (…): 8 jobs' over the training jobs: what
    each engine's kernels were compiled for, which identical results need; more entries when the passes were
    trained on different machines."""
    return job_counts(_instruction_set(s) for s in run.scores.values())


def _instruction_set(scores: dict) -> str:
    isa, backend = scores.get("instruction_set"), scores.get("backend", "tensorflow")
    if not isa:
        return "not recorded (trained before it was)"
    if recorded_by(isa) != backend:  # a JAX training of an older run recorded oneDNN's, which it never used
        return f"not recorded for {TITLES.get(backend, backend)} (trained before it was)"
    return f"oneDNN: {isa}" if backend == "tensorflow" else isa


def engines(run: Run) -> str:
    """'JAX 0.10.2: 8 jobs; TensorFlow 2.21.0: 6 jobs': the Keras backend each training ran on."""
    return job_counts(s.get("engine") or "TensorFlow (version not recorded)" for s in run.scores.values())


def precisions(run: Run) -> str:
    """'bfloat16: 6 jobs; float32: 8 jobs': the arithmetic each training computed in (float32 before it was
    recorded)."""
    return job_counts(s.get("precision") or "float32" for s in run.scores.values())


def drawn_jobs(runtimes: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The jobs the run's chart draws (those the latest invocation ran: scripts/plot_timeline.py) and how many
    jobs earlier invocations ran."""
    return latest_rows(runtimes[runtimes["source"].eq("ran")] if "source" in runtimes else runtimes)


def provenance(run: Run) -> dict:
    runtimes = run.tables["runtimes"]
    drawn, earlier = drawn_jobs(runtimes)
    devices = [s["device"] for s in run.scores.values() if s.get("device")]
    settings = [s.get("settings", {}) for s in run.scores.values()]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "git": git_commit(run.workflow_dir),
        "config_hash": hashlib.sha256(json.dumps(run.config, sort_keys=True, default=str).encode()).hexdigest(),
        "seed": run.seed,
        "repeats": run.repeats,
        "machine": f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "devices": sorted(set(devices)),
        "python": platform.python_version(),
        "packages": package_versions(),
        "runtimes": runtimes.to_dict("records"),
        "timeline": (run.loaded(__name__) or {}).get("timeline"),
        "timeline_alt": alt.timeline(drawn),
        "timeline_earlier": earlier,
        "threads": thread_counts(run),
        "instruction_sets": instruction_sets(run),
        "engines": engines(run),
        "precisions": precisions(run),
        "shards": sorted({int(s["shards"]) for s in settings if "shards" in s}),
        # a job on Keras' own step with a pinned thread count: its last digits depend on that count
        "threads_matter": any(threads_change_results(s) and s.get("threads", "auto") != "auto" for s in settings),
        "total_seconds": float(runtimes["wall_seconds"].sum()),
    }


def chapters(run: Run) -> list[dict]:
    return [{"title": "Appendix: provenance", "anchor": "provenance", "toc": [], "provenance": provenance(run)}]
