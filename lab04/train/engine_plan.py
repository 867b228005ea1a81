"""The engines and precisions a run's trainings resolve to, checked while planning: an engine that is not
installed stops the run before any job starts, and a pass that moves to another engine or precision than its
last run's says so in one line (its numbers will change), with why and how to keep it where it was.

No Keras or TensorFlow: the Snakefile calls this while planning (rules/train.smk).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lab04.keys import JobKey, PointKey
from lab04.schedule import Plan, training_specs
from lab04.train import precision as precisions
from lab04.train.backend import BACKENDS, TITLES, EngineError, installed
from lab04.train.engines import auto_backend, model_family, needs_tensorflow, not_installed


def _key(job: tuple) -> JobKey | PointKey:
    _, experiment, pass_name, point, seed = job
    return PointKey(experiment, pass_name, point, seed) if point else JobKey(experiment, pass_name, seed)


def _label(job: tuple) -> str:
    """'raw/pass1', or 'raw/pass1 units~64' for a sweep point: what a user finds in config."""
    _, experiment, pass_name, point, _ = job
    return f"{experiment}/{pass_name}" + (f" {point}" if point else "")


def check_engines(plan: Plan) -> None:
    """Refuse, naming the passes, the engine and the fixes, a plan with a training on an engine not installed."""
    if problem := not_installed({_label(job): backend for job, backend in plan.backends.items()}):
        raise EngineError(problem + ".")


def recorded(job: tuple, results: str = "results") -> dict | None:
    """The job's last finished training's scores.json; None when it has not trained."""
    try:
        scores = json.loads(Path(_key(job).file("scores.json").replace("results", results, 1)).read_text())
    except (OSError, ValueError):
        return None
    return scores if isinstance(scores, dict) else None


def _why(was: str, spec: dict, gpus: int) -> str:
    if spec.get("backend", "auto") != "auto":
        return f"its backend setting is now {spec['backend']}"
    if was in BACKENDS and not installed(was):
        return f"{TITLES[was]} is no longer installed in this environment ({sys.prefix})"
    if gpus:
        return "the run asks for GPUs, which train on TensorFlow"
    if needs_tensorflow(spec):
        return f"shards: {spec['shards']} is a TensorFlow training step"
    return "lab04/train/engines.csv now measures it faster for this kind of model on this machine"


def _keep(was: str) -> str:
    if was in BACKENDS and not installed(was):
        return (f"to keep them on {TITLES[was]}, install it again ({sys.prefix}/bin/pip install {was}; `make env` "
                "after `rm .venv/.installed` restores the lock's packages) before this run")
    return f"to keep them on {TITLES.get(was, was)}, set backend: {was} for them in config"


def engine_notes(config: dict, plan: Plan, results: str = "results") -> list[str]:
    """What the plan says of its engines: passes that ``auto`` puts on TensorFlow for a setting only it trains
    (gradient shards), then the passes that move to another engine or precision than their last training's,
    then bfloat16 set where this CPU has no bfloat16 arithmetic."""
    specs = training_specs(config)
    last = {job: recorded(job, results) for job in plan.backends}  # each training's scores.json, read once
    return [*steered(plan, specs), *engine_moves(config, plan, specs, last),
            *precision_moves(config, plan, specs, last), *emulated(config, plan)]


def steered(plan: Plan, specs: dict[tuple, dict]) -> list[str]:
    """One line for the passes whose ``backend: auto`` would pick another engine, were it not for a setting
    only TensorFlow trains (``specs``: each training's settings, lab04/schedule.py ``training_specs``)."""
    labels: dict[tuple[str, int], list[str]] = {}
    for job, backend in plan.backends.items():
        spec = specs[job]
        if spec.get("backend", "auto") == "auto" and needs_tensorflow(spec) and backend == "tensorflow" and (
                fastest := auto_backend(model_family(spec["layers"]))) != "tensorflow":
            labels.setdefault((fastest, spec["shards"]), []).append(_label(job))
    return [f"note: {', '.join(sorted(set(names)))} train{'s' if len(set(names)) == 1 else ''} on TensorFlow, not on "
            f"{TITLES[fastest]} that backend: auto picks for this kind of model, because shards: {shards} is a "
            "TensorFlow training step (set shards: auto to train on the faster engine)."
            for (fastest, shards), names in labels.items()]


def engine_moves(config: dict, plan: Plan, specs: dict[tuple, dict], last: dict[tuple, dict | None]) -> list[str]:
    """One line per (from, to, why): the trainings that ran on another engine last time (``last``: each one's
    scores.json, ``recorded``) than they resolve to now, so their numbers will change."""
    gpus = config.get("gpu", {}).get("count") or 0

    def words(was: str, now: str, why: str, n: int) -> tuple[str, str]:
        return (f"trained on {TITLES.get(was, was)} last time now train{'s' if n == 1 else ''} on "
                f"{TITLES.get(now, now)}, because {why}", _keep(was))

    return _moves(plan.backends, lambda scores: scores.get("backend", "tensorflow"),
                  lambda job, was, now: _why(was, specs[job], gpus), last, words)


def _why_precision(was: str, now: str, spec: dict, gpus: int) -> str:
    if spec.get("precision", "auto") != "auto":
        return f"its precision setting is now {spec['precision']}"
    if gpus:
        return "the run asks for GPUs, where precision: auto is float32"
    if now == "bfloat16":
        return (f"lab04/train/precision.csv measured bfloat16 there faster and as accurate on this CPU's "
                f"{precisions.native_bf16()} arithmetic")
    if precisions.native_bf16() is None:
        return "this CPU has no native bfloat16 arithmetic"
    return "lab04/train/precision.csv has no measurement picking bfloat16 for its current settings on this CPU"


def precision_moves(config: dict, plan: Plan, specs: dict[tuple, dict], last: dict[tuple, dict | None]
                    ) -> list[str]:
    """One line per (from, to, why): the trainings that computed in another precision last time (``last``: each
    one's scores.json) than they resolve to now, so their numbers will change."""
    gpus = config.get("gpu", {}).get("count") or 0

    def words(was: str, now: str, why: str, n: int) -> tuple[str, str]:
        return (f"trained in {was} last time now train{'s' if n == 1 else ''} in {now}, because {why}",
                f"to keep them in {was}, set precision: {was} for them in config")

    return _moves(plan.precisions, lambda scores: scores.get("precision", "float32"),
                  lambda job, was, now: _why_precision(was, now, specs[job], gpus), last, words)


def _moves(resolved: dict[tuple, str], recorded_value, why, last: dict[tuple, dict | None], words) -> list[str]:
    """The notes of trainings whose ``resolved`` value (engine, precision) differs from what their last
    training recorded (``recorded_value`` of its scores.json in ``last``), grouped by (from, to, why): ``words``
    gives each group's move and how to keep it."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for job, now in resolved.items():
        scores = last.get(job)
        was = None if scores is None else recorded_value(scores)
        if was is not None and was != now:
            groups.setdefault((was, now, why(job, was, now)), []).append(_label(job))
    lines = []
    for (was, now, reason), labels in groups.items():
        labels = sorted(set(labels))
        move, keep = words(was, now, reason, len(labels))
        lines.append(f"note: {len(labels)} pass{'es' if len(labels) > 1 else ''} {move}; their numbers will change "
                     f"({', '.join(labels)}). To accept that, do nothing; {keep}.")
    return lines


def emulated(config: dict, plan: Plan) -> list[str]:
    """One line naming the trainings set to bfloat16 on a CPU without native bfloat16 arithmetic (and no GPU):
    they run, converting every value, slower than in float32."""
    if precisions.native_bf16() is not None or config.get("gpu", {}).get("count"):
        return []
    labels = sorted({_label(job) for job, p in plan.precisions.items() if p == "bfloat16"})
    if not labels:
        return []
    return [f"note: {', '.join(labels)} train{'s' if len(labels) == 1 else ''} in bfloat16 (precision: bfloat16), "
            "but this CPU has no native bfloat16 arithmetic (no amx_bf16, avx512_bf16 or bf16 flag): every value "
            "is converted, so expect it slower than float32 here (set precision: auto or float32 to train in "
            "float32; a GPU computes bfloat16 natively)."]
