"""Write files so that a failure never leaves a half-written output behind, and read the cached arrays
so that one damaged by an earlier crash or a full disk is named and removed instead of failing blind."""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import tempfile
import zipfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class NoSpaceError(OSError):
    """The filesystem of an output is full."""


def _no_space(what: str, err: OSError) -> NoSpaceError:
    return NoSpaceError(
        err.errno,
        f"no space left on device while writing {what}: its filesystem is full. Nothing half-written was kept; "
        "free some space there, then run the workflow again.")


def _is_full(err: OSError) -> bool:
    return err.errno in (errno.ENOSPC, errno.EDQUOT) and not isinstance(err, NoSpaceError)


def remove_stale_parts(dest: str | os.PathLike) -> None:
    """Remove what a killed writer of ``dest`` left (its ``.<name>.*.part*`` temporaries). Only for a job's
    own outputs, which one writer at a time owns."""
    dest = Path(dest)
    if dest.parent.is_dir():
        for stale in dest.parent.glob(f".{glob.escape(dest.name)}.*.part*"):
            with contextlib.suppress(OSError):
                stale.unlink()


def _temporary_beside(dest: Path, suffix: str, own_output: bool) -> Path:
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if own_output:
            remove_stale_parts(dest)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part" + suffix)
    except OSError as err:
        if _is_full(err):
            raise _no_space(str(dest), err) from err
        raise OSError(
            f"cannot write {dest}: {err.strerror}. Check that {dest.parent} is writable "
            "or choose another results directory."
        ) from err
    os.close(fd)
    return Path(tmp)


def _move_into_place(tmp: Path, dest: Path) -> None:
    try:
        # mkstemp makes the file private (0600); the output gets the mode any new file would get
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, dest)
    except OSError as err:
        if _is_full(err):
            raise _no_space(str(dest), err) from err
        raise


@contextlib.contextmanager
def atomic_paths(dests: dict[str, str | os.PathLike], *, own_output: bool = True):
    """Yield a temporary path beside each destination (with its file's extension); move them all into place
    only if the block succeeds.

    Each temporary file lives in its destination's directory so the final ``os.replace`` is atomic. For a
    job's own outputs (``own_output``), temporaries a killed earlier writer left are removed first. A full
    disk raises ``NoSpaceError``, which says so and names what was being written.
    """
    dests = {name: Path(dest) for name, dest in dests.items()}
    tmps: dict[str, Path] = {}
    try:
        for name, dest in dests.items():
            tmps[name] = _temporary_beside(dest, dest.suffix, own_output)
        try:
            yield tmps
        except OSError as err:
            if _is_full(err):
                where = sorted({f"{d.parent}/" for d in dests.values()}) if len(dests) > 1 else [str(*dests.values())]
                raise _no_space(", ".join(where), err) from err
            raise
        for name, dest in dests.items():
            _move_into_place(tmps[name], dest)
    finally:
        for tmp in tmps.values():
            if tmp.exists():
                tmp.unlink()


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike, *, own_output: bool = True):
    """``atomic_paths`` for one file: yield a temporary path beside ``dest``, moved there only if the block
    succeeds. It keeps ``dest``'s extension, which writers such as ``np.savez`` or Keras insist on."""
    with atomic_paths({"dest": dest}, own_output=own_output) as tmps:
        yield tmps["dest"]


def write_text(dest: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``dest`` atomically."""
    with atomic_path(dest) as tmp:
        tmp.write_text(text)


def write_csv(frame, dest: str | os.PathLike, **kwargs) -> None:
    """``frame.to_csv(dest, **kwargs)``, atomically."""
    with atomic_path(dest) as tmp:
        frame.to_csv(tmp, **kwargs)


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


def lock_note(locks: str | os.PathLike = ".snakemake/locks") -> str | None:
    """What to do about Snakemake's lock, when one is held in this directory (None when none is): a run
    killed without cleanup leaves it, and Snakemake's own message names only its flag."""
    if not any(Path(locks).glob("*.lock")):
        return None
    return (f"note: {locks} holds a lock. If no other Snakemake run is working in this directory (a killed "
            "run leaves its lock behind), lift it with `make unlock` (or snakemake --unlock) and run again.")


def save_npz(dest: str | os.PathLike, **arrays) -> None:
    """Write arrays to ``dest`` atomically (uncompressed: every job that reads them loads them whole)."""
    import numpy as np  # not at module level: the Snakefile imports this module while planning

    with atomic_path(dest) as tmp:
        np.savez(tmp, **arrays)


class DamagedCacheError(RuntimeError):
    """A cached file of the workflow cannot be read: cut short or overwritten."""


def load_npz(path: str | os.PathLike) -> dict:
    """Every array of a cached ``.npz`` (read whole: a damaged member fails here, not mid-training).

    A file that cannot be read (a crash or a full disk cut it short, outside this workflow's atomic writes)
    is removed, so the next run rebuilds it, and the error names it and says so. Behind a link into the shared
    cache (``--cache``) the damaged file is the cache's entry: that is removed too, or, where this run may
    not write the cache, named with who can. The job that finds the file gone because another job of the run
    removed it says so in one line, not with a bare FileNotFoundError.
    """
    import numpy as np  # not at module level: the Snakefile imports this module while planning

    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as err:
        if isinstance(err, OSError) and err.errno == errno.ENOENT:
            raise DamagedCacheError(_removed_by_another_job(path)) from None
        if isinstance(err, OSError) and err.errno == errno.EACCES:
            raise
        raise DamagedCacheError(_remove_damaged(path, f"{type(err).__name__}: {err}")) from None


def _removed_by_another_job(path: Path) -> str:
    return (f"{path} was removed while this job was about to read it: another job of this run found it damaged and "
            "removed it (its message names it). Run the workflow again (make report) and it is rebuilt.")


def _remove_damaged(path: Path, why: str) -> str:
    """Remove a damaged cached file (and the shared cache's entry behind a link); say what was done."""
    entry = Path(os.path.realpath(path)) if path.is_symlink() else None
    if entry is None:
        head = f"{path} is damaged and cannot be read ({why}); a crash or a full disk cut it short."
        try:
            path.unlink()
        except FileNotFoundError:
            return _removed_by_another_job(path)
        except OSError as err:
            return f"{head} It could not be removed ({err.strerror}): delete it, then run the workflow again."
        return f"{head} It has been removed: run the workflow again (make report) and it is rebuilt from its inputs."
    head = (f"{path} is damaged and cannot be read ({why}): it links to the shared cache's entry {entry}, which a "
            "crash or a full disk cut short.")
    try:
        entry.unlink()
    except FileNotFoundError:
        return _removed_by_another_job(path)
    except OSError as err:
        return (f"{head} This run cannot remove that entry ({err.strerror}), so every run with the cache would meet "
                f"it again: ask whoever keeps {entry.parent} to delete it, or run once without the cache (make report "
                "without CACHE=) to rebuild the file in this checkout.")
    with contextlib.suppress(OSError):
        path.unlink()
    return (f"{head} The entry and the link have been removed: run the workflow again (make report) and it is rebuilt "
            "from its inputs and stored in the cache again.")
