"""The arithmetic a training computes in: float32, or bfloat16 (Keras' ``mixed_bfloat16`` policy), one per job.

``training.precision`` names one, or ``auto``: bfloat16 for a pass only where this CPU computes bfloat16
natively (AMX tiles or AVX512-BF16 on x86, the BF16 extension on Arm) and bench/precision.py measured it there,
on the pass's engine, faster than float32 by a tenth at least and as accurate: its mean test accuracy over the
seeds no lower than float32's mean less float32's seed-to-seed spread (max - min), the yardstick of the engines
comparison. The measurements are lab04/train/precision.csv. Anything else trains in float32: a pass the table
has not measured on this kind of CPU, or measured with other settings (each row holds a digest of what the pass
learns with), and a GPU (no table measures one; ``bfloat16`` set by hand uses it there).

Under ``mixed_bfloat16`` the weights and the optimizer's state stay float32 and the convolutions compute in
bfloat16; the model's head (every layer after the last convolution: the dense layers and the output; the output
alone in a model without convolutions, lab04/train/models.py ``float32_head``) computes in float32, so the
probabilities, the loss and the scores are float32 as with the other precision. The resolved precision is part
of a job's settings: changing it retrains the pass.

No Keras import here: the Snakefile resolves ``auto`` while planning. Nor is this module part of a training's
code (Keras' policy of each precision is lab04/train/models.py ``POLICIES``): editing it retrains the passes
whose resolved precision it changes, no other.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import statistics
from pathlib import Path

from lab04.train.measured import positive_seconds, read_table

PRECISIONS = ("float32", "bfloat16")
DEFAULT = "float32"
TABLE = Path(__file__).with_name("precision.csv")
TABLE_COLUMNS = ("pass", "digest", "bf16", "backend", "precision", "epoch_seconds", "test_accuracies")
# The settings of a pass that decide how it learns: a measurement holds for a pass only with these unchanged.
# (How it runs - engine, threads, shards, determinism - and the precision itself are not among them.)
RUN_KEYS = ("backend", "precision", "threads", "shards", "deterministic")
# CPU flags (as /proc/cpuinfo names them) of native bfloat16 arithmetic, the widest first, and the name the
# table gives each
NATIVE = (("amx_bf16", "amx"), ("avx512_bf16", "avx512_bf16"), ("bf16", "arm_bf16"))
# How much faster bfloat16 must measure to be picked: a tenth, beyond the noise of one timing per precision
# (runs of the same pass side by side differ by a few per cent), so a pass does not flip between measurements.
MARGIN = 1.1
# What bfloat16 computes, as a number in the digest of each bfloat16 measurement: raised whenever the layers it
# keeps in float32 change (lab04/train/models.py float32_head), so that measurements of the earlier arithmetic
# stop counting. 2: the head after the last convolution in float32 (1: the output layer alone).
BF16_LAYOUT = 2


# oneDNN's instruction-set caps (ONEDNN_MAX_CPU_ISA) that leave TensorFlow's kernels without AMX, or without any
# bfloat16 arithmetic: under them bfloat16 is converted value by value, whatever the CPU has
ONEDNN_WITHOUT_AMX = ("AVX512_CORE_BF16", "AVX10_1_512", "AVX512_CORE_FP16")
ONEDNN_WITHOUT_BF16 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI")


@functools.cache
def native_bf16() -> str | None:
    """This CPU's native bfloat16 arithmetic as the table names it (amx, avx512_bf16, arm_bf16), or None; as far
    as oneDNN's cap lets TensorFlow's kernels use it (``ONEDNN_MAX_CPU_ISA``, as ``make bench`` sets it to
    measure AVX2 on a wider CPU)."""
    try:
        found = bf16_of(Path("/proc/cpuinfo").read_text())
    except OSError:
        return None
    return capped(found, os.environ.get("ONEDNN_MAX_CPU_ISA", ""))


def capped(found: str | None, cap: str) -> str | None:
    """The bfloat16 arithmetic ``found`` on the CPU that oneDNN's cap ``cap`` leaves (all of it without a cap)."""
    cap = cap.strip().upper()
    if cap in ONEDNN_WITHOUT_BF16:
        return None
    if cap in ONEDNN_WITHOUT_AMX and found == "amx":
        return "avx512_bf16"
    return found


def bf16_of(cpuinfo: str) -> str | None:
    """The native bfloat16 arithmetic the flags of a /proc/cpuinfo text name, the widest; None without any."""
    flags = set()
    for line in cpuinfo.splitlines():
        if line.split(":")[0].strip() in ("flags", "Features"):
            flags.update(line.split(":", 1)[1].split())
    return next((name for flag, name in NATIVE if flag in flags), None)


def settings_digest(settings: dict, data_set: dict | None = None, precision: str = DEFAULT) -> str:
    """What a measurement of a pass in ``precision`` was taken with, as a short digest: its settings less how it
    runs, of its data set's entry in config (``data_set``) what picks the images (the checksums and the limits),
    and for bfloat16 what that computes in bfloat16 (``BF16_LAYOUT``)."""
    learned = {k: v for k, v in settings.items() if k not in RUN_KEYS}
    data = {k: v for k, v in (data_set or {}).items() if k == "checksums" or k.startswith("limit")}
    held = [learned, data] + ([BF16_LAYOUT] if precision == "bfloat16" else [])
    return hashlib.sha256(json.dumps(held, sort_keys=True, default=str).encode()).hexdigest()[:16]


class PrecisionTableError(ValueError):
    """The measured table cannot be read: the file, line and column, and how to restore it."""


@functools.cache
def measured(path: str = str(TABLE)) -> tuple[dict, ...]:
    """The rows of the precision table (none when it is missing); a damaged one names its line and column."""

    def problem(where: str, what: str) -> PrecisionTableError:
        return PrecisionTableError(
            f"{path}{where}: {what}. This table (written by bench/precision.py) decides which passes train in "
            f"bfloat16 under precision: auto. Restore the committed one (git checkout -- {path}) or measure it "
            "again (make bench, or python bench/precision.py).")

    def parse(row: dict, where: str) -> dict:
        if row["precision"] not in PRECISIONS:
            raise problem(f"{where}, column precision", f"{row['precision']!r} is not one of {', '.join(PRECISIONS)}")
        try:
            accuracies = tuple(float(a) for a in (row["test_accuracies"] or "").split(";") if a)
        except ValueError:
            raise problem(f"{where}, column test_accuracies",
                          f"{row['test_accuracies']!r} is not test accuracies separated by ';'") from None
        return {**row, "epoch_seconds": positive_seconds(row, "epoch_seconds", where, problem),
                "test_accuracies": accuracies}

    return read_table(path, TABLE_COLUMNS, problem, parse, optional=("test_accuracies",))


def verdict(label: str, settings: dict, data_set: dict | None, backend: str, bf16: str | None,
            table: tuple[dict, ...] | None = None) -> dict | None:
    """The table's two measurements of this pass (float32's and bfloat16's rows) on this CPU's bfloat16
    arithmetic and the pass's engine, each with the digest of the pass's settings as they are now (and of what
    bfloat16 computes); None without both."""
    if bf16 is None:
        return None
    digests = {p: settings_digest(settings, data_set, p) for p in PRECISIONS}
    rows = {r["precision"]: r for r in (measured() if table is None else table)
            if (r["pass"], r["bf16"], r["backend"]) == (label, bf16, backend)
            and r["digest"] == digests.get(r["precision"])}
    return rows if len(rows) == len(PRECISIONS) else None


def bf16_wins(rows: dict) -> bool:
    """bfloat16 measured faster than float32 (by ``MARGIN`` at least) and as accurate: its mean test accuracy
    over the seeds no lower than float32's mean less float32's seed-to-seed spread (max - min)."""
    fast, slow = rows["bfloat16"], rows["float32"]
    if not (fast["test_accuracies"] and slow["test_accuracies"]):
        return False
    spread = max(slow["test_accuracies"]) - min(slow["test_accuracies"])
    return (fast["epoch_seconds"] * MARGIN <= slow["epoch_seconds"]
            and statistics.mean(fast["test_accuracies"]) >= statistics.mean(slow["test_accuracies"]) - spread)


def resolve_precision(settings: dict, label: str, backend: str, gpus: int = 0, data_set: dict | None = None,
                      table: tuple[dict, ...] | None = None) -> str:
    """The precision a job trains in: its ``precision`` setting, or for ``auto`` bfloat16 where the table
    measured it faster and as accurate for this pass (``label``, its ``settings`` and ``data_set``) on this CPU
    and engine, else float32."""
    precision = settings.get("precision", "auto")
    if precision != "auto":
        return precision
    if gpus:
        return DEFAULT
    rows = verdict(label, settings, data_set, backend, native_bf16(), table)
    return "bfloat16" if rows and bf16_wins(rows) else DEFAULT


def speed_ratio(settings: dict, label: str, backend: str, precision: str, data_set: dict | None = None,
                table: tuple[dict, ...] | None = None) -> float:
    """Seconds in ``precision`` per second in float32 for this pass here (1.0 without a measurement): what the
    schedule scales a job's estimate by."""
    if precision == DEFAULT:
        return 1.0
    rows = verdict(label, settings, data_set, backend, native_bf16(), table)
    return rows[precision]["epoch_seconds"] / rows[DEFAULT]["epoch_seconds"] if rows else 1.0
