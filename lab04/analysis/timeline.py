"""When each job of a run ran and on how many cores: spans for the Gantt chart and idle core-seconds.

Two sources, one shape (a table of ``job``, ``start``, ``end`` in seconds since the first job started,
and ``threads``):
- ``from_log``: Snakemake's own log of one invocation (``.snakemake/log/*.snakemake.log``), which
  names every job, its reserved threads and when it started and finished (to the second). The
  benchmark reads it.
- ``from_metadata``: the record Snakemake keeps beside each output file (``.snakemake/metadata``:
  start and end time of the job that made it), for jobs made in earlier invocations too. The
  report's provenance appendix reads it, and draws the latest invocation's jobs: each job is numbered
  with the invocation that ran it (``invocation``, 1 the first), from the start times in the names of
  Snakemake's invocation logs (``.snakemake/log/<local start time>.snakemake.log``).
"""

from __future__ import annotations

import base64
import bisect
import json
import re
from datetime import datetime
from pathlib import Path

import pandas as pd

COLUMNS = ["job", "rule", "start", "end", "threads", "invocation"]
_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
_RULE = re.compile(r"^(?:local)?(?:checkpoint|rule) (\w+):$")
_FINISHED = re.compile(r"^Finished jobid: (\d+)")


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if frame.empty:
        return frame
    origin = frame["start"].min()
    frame[["start", "end"]] -= origin
    return frame.sort_values(["start", "job"], ignore_index=True)


def from_log(text: str) -> pd.DataFrame:
    """Every job of one Snakemake invocation from its log: name (rule and wildcards), reserved
    threads, start and end. Jobs that did not finish are left out."""
    started: dict[str, dict] = {}
    rows = []
    stamp = None
    current = None
    for line in text.splitlines():
        if m := _STAMP.match(line.strip()):
            stamp = datetime.strptime(m[1], "%a %b %d %H:%M:%S %Y").timestamp()
            current = None
            continue
        if m := _RULE.match(line.strip()):
            current = {"rule": m[1], "job": m[1], "start": stamp, "threads": 1, "invocation": 1}
            continue
        if current is not None:
            key, _, value = line.strip().partition(": ")
            if key == "jobid":
                started[value] = current
            elif key == "wildcards":  # "train raw/pass1/42" for experiment=raw, pass_name=pass1, seed=42
                current["job"] = f"{current['rule']} " + "/".join(w.partition("=")[2] for w in value.split(", "))
            elif key == "threads":
                current["threads"] = int(value)
        if (m := _FINISHED.match(line.strip())) and m[1] in started:
            rows.append({**started.pop(m[1]), "end": stamp})
    return _frame(rows)


def metadata_record(output: str | Path, workdir: str | Path = ".") -> dict | None:
    """Snakemake's record of the job that wrote ``output`` (None when it has none)."""
    name = base64.urlsafe_b64encode(str(output).encode()).decode()
    path = Path(workdir, ".snakemake", "metadata", name)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def from_metadata(jobs: list[dict], workdir: str | Path = ".") -> pd.DataFrame:
    """Spans of ``jobs`` (``job``, ``output``: one file it wrote, ``threads``) from Snakemake's records;
    a job without a record (made before records were kept, or elsewhere) is left out."""
    rows = []
    starts = invocation_starts(workdir)
    for job in jobs:
        record = metadata_record(job["output"], workdir)
        if record and record.get("starttime") and record.get("endtime"):
            rows.append({"job": job["job"], "rule": record.get("rule", ""), "start": record["starttime"],
                         "end": record["endtime"], "threads": int(job.get("threads") or 1),
                         # the last invocation started before the job (1 when there is no log to tell)
                         "invocation": max(1, bisect.bisect_right(starts, record["starttime"]))})
    return _frame(rows)


def invocation_starts(workdir: str | Path = ".") -> list[float]:
    """When each Snakemake invocation in ``workdir`` that ran jobs started (sorted), from its log's name:
    Snakemake names it after its local start time, ``2026-12-06T050626.545515.snakemake.log``. Dry runs write
    no log; a lint or an unlock writes one without jobs, and is not an invocation of the run."""
    starts = []
    for path in Path(workdir, ".snakemake", "log").glob("*.snakemake.log"):
        try:
            start = datetime.strptime(path.name.removesuffix(".snakemake.log"), "%Y-%m-%dT%H%M%S.%f").timestamp()
            ran_jobs = "Finished jobid" in path.read_text(errors="replace")
        except (ValueError, OSError):
            continue
        if ran_jobs:
            starts.append(start)
    return sorted(starts)


def latest_rows(jobs: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows of ``jobs`` (spans, or the runtimes table) the latest invocation ran, by their ``invocation``,
    and how many rows earlier invocations ran; all of them when none says which invocation ran it."""
    if "invocation" not in jobs or jobs["invocation"].isna().all():
        return jobs, 0
    known = jobs.dropna(subset=["invocation"])
    latest = known[known["invocation"] == known["invocation"].max()]
    return latest, len(known) - len(latest)


def latest_invocation(spans: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The spans of the latest invocation among ``spans``, timed from its first job, and how many spans of
    earlier invocations were left out."""
    if spans.empty:
        return spans, 0
    latest, earlier = latest_rows(spans)
    latest = latest.copy()
    latest[["start", "end"]] -= latest["start"].min()
    return latest.reset_index(drop=True), earlier


def lanes(spans: pd.DataFrame, cores: int | None = None) -> list[list[int]]:
    """Core lanes of each job (as many as its threads), first free lanes first, in start order. With
    ``cores``, no more lanes than that: times to the second make jobs overlap that did not (the lane
    that frees first is taken)."""
    free_at: list[float] = []
    out = []
    for span in spans.itertuples():
        chosen = [i for i, t in enumerate(free_at) if t <= span.start + 1e-9][: span.threads]
        while len(chosen) < span.threads and (cores is None or len(free_at) < cores):
            free_at.append(0.0)
            chosen.append(len(free_at) - 1)
        if len(chosen) < span.threads:
            busy = sorted((t, i) for i, t in enumerate(free_at) if i not in chosen)
            chosen += [i for _, i in busy[: span.threads - len(chosen)]]
        for i in chosen:
            free_at[i] = span.end
        out.append(chosen)
    return out


def idle_core_seconds(spans: pd.DataFrame, cores: int) -> tuple[float, float]:
    """(idle, total) core-seconds of a run on ``cores`` cores: its length times the cores, less what
    the jobs reserved (a job reserving more than it uses still counts as busy)."""
    if spans.empty:
        return 0.0, 0.0
    total = cores * float(spans["end"].max() - spans["start"].min())
    busy = float(((spans["end"] - spans["start"]) * spans["threads"]).sum())
    return max(0.0, total - busy), total
