"""The GPU lock is the CPU lock with TensorFlow's CUDA build swapped in and JAX's CPU wheels left out, nothing else
moved."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# what tensorflow[and-cuda] adds: the NVIDIA runtime wheels, and the build tools pip freeze leaves out
GPU_ONLY = re.compile(r"^(nvidia-.*-cu\d+|setuptools|wheel)$")
CPU_ONLY = ("jax", "jaxlib")  # the JAX engine's CPU wheels


def pins(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text().splitlines()
    pairs = (line.split("==") for line in lines if line and not line.startswith("#"))
    return {re.sub(r"[-_.]+", "-", n).lower(): v for n, v in pairs}


def test_gpu_lock_matches_the_cpu_lock_but_for_the_cuda_build():
    cpu, gpu = pins("requirements.lock"), pins("requirements-gpu.lock")
    assert gpu.pop("tensorflow") == cpu.pop("tensorflow-cpu")
    assert all(GPU_ONLY.match(name) for name in set(gpu) - set(cpu)), set(gpu) - set(cpu)
    for name in CPU_ONLY:  # on a GPU every job trains on TensorFlow
        assert cpu.pop(name) and name not in gpu, name
    assert {name: gpu[name] for name in cpu} == cpu, "rerun scripts/lock_gpu.py after editing requirements.lock"
    assert any(name.startswith("nvidia-cudnn") for name in gpu)


def test_make_picks_the_gpu_lock_and_its_own_environment():
    out = subprocess.run(["make", "-n", "env", "GPU=1"], cwd=ROOT, capture_output=True, text=True)
    assert "setup_env.sh .venv-gpu requirements-gpu.lock" in out.stdout, out.stdout + out.stderr
