"""The CPU instruction set a training's engine compiled its kernels for: what identical results rest on (a kernel
for AVX2 sums in another order than one for AVX-512), recorded with every training, each engine's own.

- TensorFlow: oneDNN's. oneDNN says it only on its verbose channel, once per process, as it creates its first
  kernel; the library offers no call for it. A short TensorFlow process asks it with ONEDNN_VERBOSE set.
- JAX: XLA's CPU target (the processor LLVM compiles for and its widest vector extensions). XLA writes it
  only into the topology it dumps beside a compiled program: a short JAX process compiles one with
  ``--xla_dump_to`` and reads it back.
- PyTorch: ``torch.backends.cpu.get_cpu_capability()``.

An answer is kept per machine (processor, flags, the engine's settings and version) under the user's cache
directory, so a run asks once per kind of machine and engine, not once per job.
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
# what changes the answer: oneDNN's cap and switch, XLA's flags (--xla_cpu_max_isa), and the libraries
SETTINGS = ("ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS", "XLA_FLAGS")
XLA_PROBE = "import jax, jax.numpy as jnp; jax.jit(lambda x: x @ x).lower(jnp.ones((8, 8))).compile()"
XLA = "XLA CPU target"  # how a JAX training's record begins
# the extensions named in XLA's record, widest first, as they appear in LLVM's feature list
XLA_EXTENSIONS = (("avx512f", "AVX-512"), ("avx512bf16", "AVX512-BF16"), ("avx512fp16", "AVX512-FP16"),
                  ("amx-tile", "AMX"), ("avx2", "AVX2"), ("fma", "FMA"), ("neon", "NEON"), ("sve", "SVE"))


def _cpu() -> str:
    """This processor's model and feature flags, as the kernel lists them."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""
    wanted = ("model name", "flags")
    return "\n".join(dict.fromkeys(line for line in text.splitlines() if line.split(":")[0].strip() in wanted))


def _versions() -> str:
    return " ".join(_version(names) for names in (("tensorflow-cpu", "tensorflow"), ("jaxlib",), ("torch",)))


def _version(names) -> str:
    for name in names:
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return f"no {names[-1]}"


def cache_root() -> Path:
    """The user's cache directory of the project: ``$XDG_CACHE_HOME/lab04``, else ``~/.cache/lab04``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lab04"


def _cache_dir() -> Path:
    return cache_root() / "instruction-sets"


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


def _strings(message: bytes):
    """Every length-delimited field of a protocol buffer message, nested ones opened too (XLA's topology)."""
    i = 0
    while i < len(message):
        key, i = _varint(message, i)
        kind = key & 7
        if kind == 0:
            _, i = _varint(message, i)
        elif kind == 2:
            size, i = _varint(message, i)
            field = message[i:i + size]
            i += size
            yield field
            yield from _strings(field) if field[:1] in (b"\n", b"\x12", b"\x1a", b"\x22", b"\x2a") else ()
        elif kind in (1, 5):
            i += 8 if kind == 1 else 4
        else:
            return


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while i < len(data):
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return value, i


def parse_xla_topology(text: str) -> str | None:
    """'XLA CPU target sapphirerapids (x86_64; AVX-512, AVX512-BF16, AMX)' from a dumped topology.textproto (its
    CpuTopologyProto: the target triple, the processor and LLVM's feature list); None if it holds none."""
    import codecs
    import re

    match = re.search(r'value: "((?:[^"\\]|\\.)*)"', text)
    if not match:
        return None
    try:
        raw = codecs.escape_decode(match.group(1).encode())[0]
        strings = [s.decode() for s in _strings(raw) if s and all(32 <= c < 127 for c in s)]
    except (ValueError, UnicodeDecodeError, IndexError):
        return None
    triple = next((s for s in strings if s.count("-") >= 2 and " " not in s and not s.startswith(("+", "-"))), None)
    features = next((s for s in strings if s.startswith(("+", "-")) and "," in s), "")
    cpu = next((s for s in strings if s not in (triple, features) and re.fullmatch(r"[\w.-]+", s)), "generic")
    if not triple:
        return None
    enabled = {f[1:] for f in features.split(",") if f.startswith("+")}
    wide = [name for flag, name in XLA_EXTENSIONS if flag in enabled]
    if "AVX-512" in wide and "AVX2" in wide:
        wide.remove("AVX2")
    if wide[-1:] == ["FMA"] and len(wide) > 1:
        wide.pop()
    return f"{XLA} {cpu} ({triple.split('-')[0]}{'; ' + ', '.join(wide) if wide else ''})"


def probe_xla() -> str:
    """Ask XLA, in a process of its own, which processor and extensions it compiles for."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="lab04-xla-") as dump:
        flags = f"{os.environ.get('XLA_FLAGS', '')} --xla_dump_to={dump}".strip()
        env = {**os.environ, "XLA_FLAGS": flags, "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
        try:
            out = subprocess.run([sys.executable, "-c", XLA_PROBE], env=env, capture_output=True, text=True,
                                 timeout=120)
        except (OSError, subprocess.SubprocessError) as err:
            return f"unknown (asking XLA failed: {err})"
        for topology in sorted(Path(dump).rglob("topology.textproto")):
            if found := parse_xla_topology(topology.read_text(errors="replace")):
                cap = [f for f in flags.split() if f.startswith("--xla_cpu_max_isa")]
                return found + (f" (capped by {cap[-1]})" if cap else "")
    return f"unknown (asking XLA failed: exit {out.returncode})"


def probe_torch() -> str:
    import torch

    return f"PyTorch CPU capability {torch.backends.cpu.get_cpu_capability()}"


PROBES = {"tensorflow": probe, "jax": probe_xla, "torch": probe_torch}


def recorded_by(isa: str) -> str:
    """The engine a recorded instruction set was asked of: TensorFlow's oneDNN unless it says otherwise."""
    return "jax" if isa.startswith(XLA) else "torch" if isa.startswith("PyTorch") else "tensorflow"


def machine_key(backend: str) -> str:
    """A digest of what ``backend``'s compiled kernels depend on here: the processor and its flags, the engines'
    versions and the settings that cap or change their code generation."""
    key = json.dumps([_cpu(), _versions(), backend, {k: os.environ.get(k) for k in SETTINGS}])
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def instruction_set(backend: str = "tensorflow") -> str:
    """The instruction set ``backend``'s kernels run with on this machine: oneDNN's for TensorFlow (e.g. 'Intel
    AVX-512 with Intel DL Boost and bfloat16 support', with the cap ``ONEDNN_MAX_CPU_ISA`` sets), XLA's CPU target
    for JAX, PyTorch's CPU capability; asked once per kind of machine."""
    cached = _cache_dir() / f"{machine_key(backend)}.txt"
    try:
        return cached.read_text().strip()
    except OSError:
        pass
    isa = PROBES.get(backend, probe)()
    if not isa.startswith("unknown"):
        try:
            with atomic_path(cached, own_output=False) as tmp:
                tmp.write_text(isa + "\n")
        except OSError:  # no writable cache directory: asked again next time
            pass
    return isa
