"""Which engine each training job runs on: Keras 3's backend (TensorFlow, JAX or PyTorch), one per job.

Every pass is its own process, so each job can pick its backend before it imports Keras
(lab04/train/backend.py). The setting ``training.backend`` names one, or ``auto``: the engine measured fastest
for the pass's model family (dense stacks, convolutional networks) on this machine's instruction set, read from
the table that ``make bench`` writes (lab04/train/engines.csv). Only an installed engine is picked; a job that
asks for GPUs trains on TensorFlow, the engine of the GPU lock. The resolved engine is part of a job's settings:
changing it (or a new table that picks another) retrains that pass.

Planning only: no Keras or TensorFlow import here (the Snakefile resolves ``auto`` while planning), and no
training runs this module, so editing it retrains only the passes whose engine it moves.
"""

from __future__ import annotations

import functools
import statistics
import sys
from pathlib import Path

from lab04.train.applications import APPLICATIONS
from lab04.train.backend import BACKENDS, TITLES, installed
from lab04.train.measured import positive_seconds, read_table

# What `auto` picks without a measurement for the family: Keras' own default.
DEFAULT = "tensorflow"
TABLE = Path(__file__).with_name("engines.csv")
TABLE_COLUMNS = ("family", "isa", "pass", "backend", "epoch_seconds")

# A layer whose name starts so makes a model convolutional; keras.applications models are all so.
CONVOLUTIONS = ("Conv", "SeparableConv", "DepthwiseConv")


def model_family(layers: list) -> str:
    """``convolutional`` when any layer (inside Residual blocks too) convolves, else ``dense``."""
    for spec in layers:
        if not isinstance(spec, dict) or not spec:
            continue
        (name, args), = spec.items()
        if name.startswith(CONVOLUTIONS) or name in APPLICATIONS:
            return "convolutional"
        if name == "Residual" and model_family((args or {}).get("layers", [])) == "convolutional":
            return "convolutional"
    return "dense"


@functools.cache
def cpu_isa() -> str:
    """This machine's widest vector instruction set as the table names it: avx512, avx2 or baseline."""
    try:
        flags = next((line.split(":", 1)[1].split() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("flags")), [])
    except OSError:
        flags = []
    return "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else "baseline"


class EngineTableError(ValueError):
    """The measured table cannot be read: the file, line and column, and how to restore it."""


@functools.cache
def measured(path: str = str(TABLE)) -> tuple[dict, ...]:
    """The rows of the backend table (none when it is missing); a damaged table names its line and column."""

    def problem(where: str, what: str) -> EngineTableError:
        return EngineTableError(
            f"{path}{where}: {what}. This table (written by `make bench`) decides each pass's engine under "
            f"backend: auto. Restore the committed one (git checkout -- {path}) or measure it again (make bench).")

    def parse(row: dict, where: str) -> dict:
        if row["backend"] not in BACKENDS:
            raise problem(f"{where}, column backend", f"{row['backend']!r} is not one of {', '.join(BACKENDS)}")
        return {**row, "epoch_seconds": positive_seconds(row, "epoch_seconds", where, problem)}

    return read_table(path, TABLE_COLUMNS, problem, parse)


def _rows(family: str, isa: str, table: tuple[dict, ...]) -> list[dict]:
    """The table's rows for ``family`` measured on ``isa``, else on any instruction set."""
    rows = [r for r in table if r["family"] == family]
    return [r for r in rows if r["isa"] == isa] or rows


def speed_ratio(family: str, backend: str, isa: str | None = None, table: tuple[dict, ...] | None = None) -> float:
    """Seconds on ``backend`` per second on TensorFlow for the family: the median over the measured passes
    (1.0 without a measurement)."""
    rows = _rows(family, isa or cpu_isa(), measured() if table is None else table)
    by_pass: dict[str, dict[str, float]] = {}
    for r in rows:
        by_pass.setdefault(r["pass"], {})[r["backend"]] = r["epoch_seconds"]
    ratios = [p[backend] / p[DEFAULT] for p in by_pass.values() if backend in p and p.get(DEFAULT)]
    return statistics.median(ratios) if ratios else 1.0


def auto_backend(family: str, isa: str | None = None, table: tuple[dict, ...] | None = None) -> str:
    """The installed engine with the lowest measured seconds for the family (summed over the passes every
    engine was measured on), else TensorFlow."""
    rows = _rows(family, isa or cpu_isa(), measured() if table is None else table)
    candidates = {r["backend"] for r in rows if r["backend"] in BACKENDS and installed(r["backend"])}
    common = {r["pass"] for r in rows}
    for backend in candidates:
        common &= {r["pass"] for r in rows if r["backend"] == backend}
    if not candidates or not common:
        return DEFAULT
    total = {b: sum(r["epoch_seconds"] for r in rows if r["backend"] == b and r["pass"] in common) for b in candidates}
    return min(sorted(total), key=total.get)


def resolve_backend(settings: dict, gpus: int = 0) -> str:
    """The engine a job trains on: its ``backend`` setting, or for ``auto`` the measured choice (TensorFlow
    for a job that asks for GPUs: the table is measured on CPUs)."""
    backend = settings.get("backend", "auto")
    if backend != "auto":
        return backend
    if gpus or needs_tensorflow(settings):
        return DEFAULT
    return auto_backend(model_family(settings["layers"]))


def needs_tensorflow(settings: dict) -> bool:
    """Whether the pass asks for what only TensorFlow trains: gradient shards (``shards`` above 1)."""
    return settings.get("shards", 1) not in ("auto", 1)


def not_installed(jobs: dict[str, str]) -> str | None:
    """What to say when engines that ``jobs`` (a pass label -> its resolved engine) train on are not installed
    here; None when every one is."""
    lines = []
    for backend in sorted({b for b in jobs.values() if b not in BACKENDS or not installed(b)}):
        names = sorted({label for label, b in jobs.items() if b == backend})
        if backend not in BACKENDS:
            lines.append(f"training.backend: {backend!r} is not one of auto, {', '.join(BACKENDS)} "
                         f"({_listed(names)})")
            continue
        lines.append(
            f"{len(names)} pass{'es' if len(names) > 1 else ''} would train on {TITLES[backend]}, which is not "
            f"installed in this environment ({sys.prefix}): {_listed(names)}. Install it there "
            f"({sys.prefix}/bin/pip install {backend}), or set training.backend (or the pass's backend) to auto, "
            "which picks among the installed engines")
    return "; ".join(lines) or None


def _listed(names: list[str], most: int = 8) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")
