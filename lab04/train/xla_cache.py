"""JAX's compiled programs kept between training jobs: a job compiles only the steps, initializers and predictions
no job compiled on this kind of machine before it. A program read back is the program that was compiled, so no
result changes (tests/test_engines.py).

- Where: ``~/.cache/lab04/xla/<machine>/`` (``$XDG_CACHE_HOME`` if set), the user's own (mode 700), one directory
  per kind of machine, keyed like the instruction sets (lab04/train/isa.py ``machine_key``): JAX's own key does
  not hold the CPU's extensions, and a home directory shared by a cluster's nodes must not hand one node's
  AVX-512 program to an AVX2 node. ``JAX_COMPILATION_CACHE_DIR`` set by the user wins.
- Whole or not at all: JAX writes an entry in place, so a job killed while writing, or one reading beside
  another's write, would find a truncated program (JAX then warns and compiles again, each time, since an
  entry that exists is never rewritten). Entries are written beside their place and moved there in one step.
"""

from __future__ import annotations

import os
from pathlib import Path

from lab04.atomic import atomic_path
from lab04.train import isa


def directory(cache_root: Path | None = None) -> Path | None:
    """This kind of machine's directory of compiled programs, made for this user alone; None where none can be."""
    path = (cache_root or isa.cache_root()) / "xla" / isa.machine_key("jax")
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def enable() -> None:
    """Point JAX at this machine kind's directory; must run before JAX loads (it reads these then)."""
    if path := directory():
        os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(path))
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")  # the small programs add up
    from jax._src import lru_cache  # JAX's file cache (pinned jax 0.10.2)

    if not getattr(lru_cache.LRUCache.put, "whole", False):
        lru_cache.LRUCache.put = _whole(lru_cache.LRUCache.put, lru_cache._CACHE_SUFFIX)


def _whole(put, suffix: str):
    """JAX's ``put``, writing an entry under a temporary name beside its place and moving it there when complete
    (JAX's own ``put`` where it evicts entries under a file lock)."""

    def put_whole(self, key: str, value: bytes) -> None:
        if self.eviction_enabled:
            return put(self, key, value)
        if not key:
            raise ValueError("key cannot be empty")
        final = Path(str(self.path)) / f"{key}{suffix}"
        if final.exists():
            return None
        with atomic_path(final, own_output=False) as tmp:
            tmp.write_bytes(value)
        return None

    put_whole.whole = True
    return put_whole
