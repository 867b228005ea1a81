"""Derive requirements-gpu.lock from requirements.lock: the same pins, with TensorFlow's CUDA build.

    .venv/bin/python scripts/lock_gpu.py      # needs PyPI; rerun after requirements.lock changes

tensorflow-cpu==V becomes tensorflow[and-cuda]==V; pip resolves the NVIDIA runtime wheels that
extra pulls in (CUDA, cuDNN, NCCL ...) without installing anything, and every pin is written out.
JAX (CPU wheels in requirements.lock) is left out: on a GPU every job trains on TensorFlow, the one
engine here built for it, and `backend: auto` only picks an installed engine.
"""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CPU_PIN = re.compile(r"^tensorflow[-_]cpu==(?P<version>\S+)$", re.MULTILINE)
CPU_ONLY = re.compile(r"^(jax|jaxlib)==\S+\n", re.MULTILINE)  # the JAX engine's CPU build


def main() -> None:
    cpu_lock = (ROOT / "requirements.lock").read_text()
    match = CPU_PIN.search(cpu_lock)
    if not match:
        sys.exit("requirements.lock pins no tensorflow-cpu==VERSION; nothing to swap for the CUDA build")
    request = CPU_PIN.sub(f"tensorflow[and-cuda]=={match['version']}", CPU_ONLY.sub("", cpu_lock))
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as req:
        req.write(request)
        req.flush()
        out = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                              "--report", "-", "-r", req.name], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"pip could not resolve the CUDA build:\n{out.stderr[-3000:]}")
    pins = sorted((item["metadata"]["name"], item["metadata"]["version"]) for item in json.loads(out.stdout)["install"])
    lines = [f"{name}=={version}" for name, version in pins]
    header = ("# Pinned environment of lab04 with TensorFlow's CUDA build (make report GPU=1; Linux x86-64, an NVIDIA\n"
              "# driver). Generated from requirements.lock by scripts/lock_gpu.py: edit that lock, then rerun it.\n"
              "# Engine: TensorFlow for every job (JAX's CPU wheels left out, so backend: auto picks TensorFlow).\n")
    (ROOT / "requirements-gpu.lock").write_text(header + "\n".join(lines) + "\n")
    print(f"wrote requirements-gpu.lock: {len(lines)} pins, tensorflow {match['version']} with CUDA")


if __name__ == "__main__":
    main()
