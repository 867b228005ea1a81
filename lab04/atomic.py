"""Write files so that a failure never leaves a half-written output behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike, suffix: str = ""):
    """Yield a temporary path beside ``dest``; move it into place only if the block succeeds.

    The temporary file lives in the same directory so the final ``os.replace`` is atomic.
    ``suffix`` keeps the extension that writers such as ``np.savez`` or Keras insist on.
    """
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part" + suffix)
    except OSError as err:
        raise OSError(
            f"cannot write {dest}: {err.strerror}. Check that {dest.parent} is writable "
            "or choose another results directory."
        ) from err
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); the output gets the mode any new file would get
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def check_writable(directory: str | os.PathLike) -> None:
    """Fail early, with the fix, when outputs cannot be written under ``directory`` (tried for real: the
    permission bits do not tell for root, a read-only mount or an immutable directory)."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as err:
        raise OSError(
            f"cannot write to {directory.resolve()}/ ({err.strerror}): the workflow keeps every output there. "
            "Make it a writable directory, or run from another directory (snakemake --directory DIR)."
        ) from None


def save_npz(dest: str | os.PathLike, **arrays) -> None:
    """Write arrays to ``dest`` atomically (uncompressed: every job that reads them loads them whole)."""
    import numpy as np  # not at module level: the Snakefile imports this module while planning

    with atomic_path(dest, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)
