"""Build every pass's model while the workflow is planned, so a misspelt layer or a layer list that does
not fit its input stops the run, naming the pass, before any training job starts (dry-runs included).

Building takes Keras, and the Snakefile must not import TensorFlow (every dry-run would pay for it):
the builds run in a child process, and each pass that builds is remembered by a hash of its input
shape, layers and the Keras version, so only a new or changed layer list pays again.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path


def _key(spec: dict) -> str:
    text = json.dumps({"keras": version("keras"), **spec}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def check_models(models: dict[str, dict], cache_dir: str | os.PathLike) -> None:
    """``models``: ``{"experiment/pass": {"input_shape": [...], "layers": [...], "input_name": ...}}``.

    Raises ``ValueError`` listing every pass whose model Keras cannot build.
    """
    cache = Path(cache_dir)
    todo = {name: spec for name, spec in models.items() if not (cache / _key(spec)).exists()}
    if not todo:
        return
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-m", "lab04.train.model_check"], input=json.dumps(todo), text=True,
                          capture_output=True, env=env)
    try:
        errors = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise RuntimeError(f"could not check the models with Keras:\n{proc.stderr[-3000:]}") from None
    cache.mkdir(parents=True, exist_ok=True)
    for name, spec in todo.items():
        if name not in errors:
            (cache / _key(spec)).touch()
    if errors:
        lines = "\n".join(f"  - pass {name}: {message}" for name, message in errors.items())
        raise ValueError(f"these passes' layer lists cannot be built, so no training was started:\n{lines}\n"
                         "Fix their `layers:` in config (Keras class names and arguments, see README.md).")


def _build_all(models: dict[str, dict]) -> dict[str, str]:
    from lab04.train.models import ConfigError, build_model

    errors = {}
    for name, spec in models.items():
        try:
            build_model(spec["input_shape"], spec["layers"], name=name.replace("/", "_"),
                        input_name=spec.get("input_name"))
        except ConfigError as err:
            errors[name] = str(err)
    return errors


if __name__ == "__main__":
    print(json.dumps(_build_all(json.load(sys.stdin))))
