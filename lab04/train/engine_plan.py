"""The engines a run's trainings resolve to, checked while planning: an engine that is not installed stops
the run before any job starts, and a pass that moves to another engine than its last run's says so in one
line (its numbers will change), with why and how to keep it where it was.

No Keras or TensorFlow: the Snakefile calls this while planning (rules/train.smk).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lab04.keys import JobKey, PointKey
from lab04.schedule import Plan, training_specs
from lab04.train.engines import (
    BACKENDS,
    TITLES,
    EngineError,
    auto_backend,
    installed,
    model_family,
    needs_tensorflow,
    not_installed,
)


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


def recorded_engine(job: tuple, results: str = "results") -> str | None:
    """The engine the job's last finished training ran on (its scores.json; TensorFlow before it was
    recorded); None when it has not trained."""
    try:
        scores = json.loads(Path(_key(job).file("scores.json").replace("results", results, 1)).read_text())
    except (OSError, ValueError):
        return None
    return scores.get("backend", "tensorflow") if isinstance(scores, dict) else None


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
    (gradient shards), then the passes that move to another engine than their last training's."""
    specs = training_specs(config)
    return [*steered(plan, specs), *engine_moves(config, plan, specs, results)]


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


def engine_moves(config: dict, plan: Plan, specs: dict[tuple, dict], results: str = "results") -> list[str]:
    """One line per (from, to, why): the trainings that ran on another engine last time than they resolve to
    now, so their numbers will change."""
    gpus = config.get("gpu", {}).get("count") or 0
    groups: dict[tuple[str, str, str], list[str]] = {}
    for job, backend in plan.backends.items():
        was = recorded_engine(job, results)
        if was is None or was == backend:
            continue
        why = _why(was, specs[job], gpus)
        groups.setdefault((was, backend, why), []).append(_label(job))
    lines = []
    for (was, now, why), labels in groups.items():
        labels = sorted(set(labels))
        lines.append(f"note: {len(labels)} pass{'es' if len(labels) > 1 else ''} trained on {TITLES.get(was, was)} "
                     f"last time now train{'s' if len(labels) == 1 else ''} on {TITLES.get(now, now)}, because "
                     f"{why}; their numbers will change ({', '.join(labels)}). To accept that, do nothing; "
                     f"{_keep(was)}.")
    return lines
