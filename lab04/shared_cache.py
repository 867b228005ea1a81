"""Snakemake's between-workflow cache (``--cache`` with ``SNAKEMAKE_OUTPUT_CACHE``; ``make report CACHE=DIR``),
made safe to share between users.

Snakemake stores each entry readable *and writable* by every user (mode 0666), so anyone on a shared file
system could rewrite the arrays and features every checkout then trains on. Here (``GuardedCache``, which
lab04/snakemake_patches.py puts in place of Snakemake's local cache):

- an entry is stored readable by all and writable by its owner only (0644), or also by the cache folder's group
  when the folder is set up for one (setgid bit: ``chmod 2775``, docs/clusters.md);
- beside each entry, ``<entry>.lab04-sha256`` holds the digest of its content taken as it was stored, written
  before the entry appears;
- before an entry is used (found for a job, or behind a checkout's link to it from an earlier run), its content
  is checked against that digest, and its permissions and owner with it. An entry that fails (rewritten since,
  writable by others, stored without a digest) is named and refused: this run makes the file itself and keeps it
  in the checkout;
- a cache this user may only read is used for the entries it has, and a result it lacks is kept in the
  checkout (one line says so) instead of failing the job.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import sys
from pathlib import Path

from snakemake.caching.local import OutputFileCache
from snakemake.logging import logger

from lab04.atomic import atomic_path

DIGEST_SUFFIX = ".lab04-sha256"
# Snakemake names an entry by its job's provenance hash (SHA-256, hex) and the output's extension
ENTRY_NAME = re.compile(r"^[0-9a-f]{64}(\.|$)")
# the folders of a checkout whose files may link into the cache (the rules marked `cache:`)
CACHED_FOLDERS = ("results/downloads", "results/data", "results/features")

_digests: dict[tuple, str] = {}  # (device, inode, size, mtime, ctime) -> SHA-256: a rewrite changes the ctime


def group_shared(folder: Path) -> bool:
    """Whether the cache folder is set up for a group (its setgid bit): entries are then group-writable."""
    try:
        return bool(Path(folder).stat().st_mode & stat.S_ISGID)
    except OSError:
        return False


def entry_mode(folder: Path) -> int:
    return 0o664 if group_shared(folder) else 0o644


def content_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, once per version of the file in this process."""
    st = path.stat()
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key not in _digests:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
        _digests[key] = h.hexdigest()
    return _digests[key]


def trusted_owner(st: os.stat_result, folder: Path) -> bool:
    """Whose entries are used: this user's, the cache folder's owner's and, in a folder set up for a group that
    only the group may write, that group's members'."""
    try:
        fst = Path(folder).stat()
    except OSError:
        return st.st_uid == os.getuid()
    return st.st_uid in (os.getuid(), fst.st_uid) or (
        group_shared(folder) and st.st_gid == fst.st_gid and not fst.st_mode & stat.S_IWOTH)


def digest_file(entry: Path) -> Path:
    return entry.with_name(entry.name + DIGEST_SUFFIX)


def problem(entry: Path, folder: Path | None = None) -> str | None:
    """Why ``entry`` (a file in the cache folder) cannot be trusted; None when it can."""
    folder = Path(folder) if folder else entry.parent
    try:
        st = entry.stat()
    except OSError as err:
        return f"it cannot be read ({err.strerror})"
    if st.st_mode & stat.S_IWOTH:
        return f"every user may rewrite it (mode {stat.filemode(st.st_mode)})"
    if not trusted_owner(st, folder):
        return (f"it belongs to user {st.st_uid}, neither you nor the cache folder's owner, and the folder is not set "
                "up for a group that shares it")
    if st.st_mode & stat.S_IWGRP and not group_shared(folder):
        return (f"its group may rewrite it (mode {stat.filemode(st.st_mode)}) and the cache folder is not set up "
                "for a group")
    recorded = digest_file(entry)
    try:
        rst = recorded.stat()
        digest = recorded.read_text().split()[0]
    except (OSError, IndexError, UnicodeDecodeError):
        return f"no digest was stored with it ({recorded.name}): it was stored by another tool or an older version"
    if rst.st_uid != st.st_uid or rst.st_mode & stat.S_IWOTH or (rst.st_mode & stat.S_IWGRP
                                                                  and not group_shared(folder)):
        return f"its digest file {recorded.name} belongs to another user or may be rewritten by others"
    if content_digest(entry) != digest:
        return "its content no longer matches the digest taken when it was stored: it was rewritten since"
    return None


def _write_digest(entry: Path, digest: str, mode: int) -> None:
    with atomic_path(digest_file(entry), own_output=False) as tmp:
        tmp.write_text(f"{digest}  {entry.name}\n")
    os.chmod(digest_file(entry), mode)


def _remove_own(entry: Path) -> bool:
    """Remove a refused entry (and its digest) this user owns, so a fresh one can take its place."""
    for path in (entry, digest_file(entry)):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_uid != os.getuid():
                return False
            try:
                path.unlink()
            except OSError:
                return False
    return True


class GuardedCache(OutputFileCache):
    """Snakemake's local output cache with owner-only entries, digests checked before use and read-only
    caches tolerated (module docstring)."""

    def __init__(self):
        super().__init__()
        self.file_permissions = entry_mode(self.path)
        self.dir_permissions = self.file_permissions | 0o111 | (stat.S_ISGID if group_shared(self.path) else 0)
        self.refused: set[Path] = set()

    async def exists(self, job):
        if not await super().exists(job):
            return False
        for outputfile, cachefile in await self.get_outputfiles_and_cachefiles(job):
            if why := problem(cachefile, self.path):
                if cachefile not in self.refused:
                    self.refused.add(cachefile)
                    logger.warning(f"The shared cache's entry {cachefile} (for {outputfile}) is refused: {why}. "
                                   f"This run makes {outputfile} itself.")
                return False
        return True

    async def fetch(self, job):
        """A job about to run takes its outputs from the cache only when every entry passes ``problem``."""
        if not await self.exists(job):
            self.raise_cache_miss_exception(job)
        await super().fetch(job)

    async def store(self, job):
        pairs = await self.get_outputfiles_and_cachefiles(job)
        outputs = ", ".join(str(o) for o, _ in pairs)
        if not os.access(self.path, os.W_OK):
            logger.warning(f"The shared cache {self.path} is read-only for you: {outputs} stays in this checkout, "
                           "not stored there.")
            return
        for _, cachefile in pairs:
            if (cachefile.exists() or cachefile in self.refused) and not _remove_own(cachefile):
                logger.warning(f"{outputs} stays in this checkout: the shared cache holds a refused entry "
                               f"{cachefile} of another user; ask them (or whoever keeps {self.path}) to remove it.")
                return
        for outputfile, cachefile in pairs:  # the digest first: an entry never appears without one
            _write_digest(cachefile, content_digest(Path(outputfile)), self.file_permissions)
        await super().store(job)


def check_links(folders=CACHED_FOLDERS) -> list[str]:
    """Before anything is planned: every link of the checkout into a cache entry whose content or permissions
    cannot be trusted (module docstring) is named and removed, so the job that made it runs again here."""
    notes = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            continue
        for link in sorted(p for p in folder.rglob("*") if p.is_symlink()):
            entry = Path(os.path.realpath(link))
            if not ENTRY_NAME.match(entry.name) or not entry.exists():
                continue
            if why := problem(entry):
                with contextlib.suppress(FileNotFoundError):
                    link.unlink()
                notes.append(f"note: {link} linked to the shared cache's entry {entry}, which is refused: {why}. "
                             "The link is removed and this run makes the file again.")
    return notes


def print_link_notes() -> None:
    for note in check_links():
        print(note, file=sys.stderr)
