"""The CPU instruction set TensorFlow's oneDNN kernels run with: what identical results rest on (oneDNN picks
other kernels, summing in another order, on AVX2 than on AVX-512), recorded with every training.

oneDNN says it only on its verbose channel, once per process, as it creates its first kernel; the library
offers no call for it. A short TensorFlow process asks it with ONEDNN_VERBOSE set, and the answer is kept per
machine (processor, flags, ``ONEDNN_MAX_CPU_ISA``, oneDNN switch and TensorFlow version) under the user's
cache directory, so a run asks once per kind of machine, not once per job.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from lab04.atomic import atomic_path

PROBE = "import tensorflow as tf; tf.linalg.matmul(tf.ones((8, 8)), tf.ones((8, 8)))"
# what changes the answer: oneDNN's cap and switch, and the library itself
SETTINGS = ("ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS")


def _cpu() -> str:
    """This processor's model and feature flags, as the kernel lists them."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""
    wanted = ("model name", "flags")
    return "\n".join(dict.fromkeys(line for line in text.splitlines() if line.split(":")[0].strip() in wanted))


def _tensorflow_version() -> str:
    for name in ("tensorflow-cpu", "tensorflow"):
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return "no tensorflow"


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lab04" / "onednn-isa"


def _cap() -> str:
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA")
    return f" (capped by ONEDNN_MAX_CPU_ISA={cap})" if cap else ""


def parse(verbose: str) -> str | None:
    """The instruction set in oneDNN's verbose lines (``onednn_verbose,...,info,cpu,isa:<name>``), if any."""
    for line in verbose.splitlines():
        if line.startswith(("onednn_verbose", "dnnl_verbose")) and ",isa:" in line:
            return line.split(",isa:", 1)[1].strip()
    return None


def probe() -> str:
    """Ask oneDNN, in a process of its own, which instruction set it runs with."""
    env = {**os.environ, "ONEDNN_VERBOSE": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    try:
        out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as err:
        return f"unknown (asking oneDNN failed: {err})"
    if isa := parse(out.stdout):
        return isa + _cap()
    if out.returncode == 0:
        return "none: TensorFlow's oneDNN kernels are off (TF_ENABLE_ONEDNN_OPTS=0), its Eigen kernels run"
    return f"unknown (asking oneDNN failed: exit {out.returncode})"


def instruction_set() -> str:
    """oneDNN's instruction set on this machine, e.g. 'Intel AVX-512 with Intel DL Boost and bfloat16
    support', with the cap that ``ONEDNN_MAX_CPU_ISA`` sets; asked once per kind of machine."""
    key = json.dumps([_cpu(), _tensorflow_version(), {k: os.environ.get(k) for k in SETTINGS}])
    cached = _cache_dir() / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.txt"
    try:
        return cached.read_text().strip()
    except OSError:
        pass
    isa = probe()
    if not isa.startswith("unknown"):
        try:
            with atomic_path(cached, own_output=False) as tmp:
                tmp.write_text(isa + "\n")
        except OSError:  # no writable cache directory: asked again next time
            pass
    return isa
