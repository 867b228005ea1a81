"""Fetch dataset files from a list of mirrors and verify their SHA-256 before they land."""

from __future__ import annotations

import hashlib
import logging
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from lab04.atomic import atomic_path

log = logging.getLogger(__name__)

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """No source delivered a file with the expected checksum."""


class ChecksumError(DownloadError):
    """A source served bytes whose SHA-256 differs from the pinned value."""


def join_source(base: str, *parts: str) -> str:
    """Join a mirror base (directory, ``file://`` or ``http(s)://`` URL) with relative parts."""
    parts = [p.strip("/") for p in parts if p]
    if "://" in base:
        return base.rstrip("/") + "/" + "/".join(parts)
    return str(Path(base, *parts))


def mirror_sources(user_mirror: str | None, subdir: str, public: list[str], filename: str) -> list[str]:
    """Order the places to try: the configured mirror first, then the public ones."""
    sources = []
    if user_mirror:
        sources.append(join_source(user_mirror, subdir, filename))
    sources += [join_source(base, filename) for base in public]
    return sources


def _open(source: str, timeout: float):
    if "://" not in source:
        return open(source, "rb")
    return urllib.request.urlopen(source, timeout=timeout)  # noqa: S310 (scheme checked by caller)


def fetch_one(source: str, dest: Path, sha256: str, timeout: float = 60.0) -> None:
    """Copy ``source`` to ``dest`` if and only if its SHA-256 matches; raise otherwise."""
    digest = hashlib.sha256()
    with atomic_path(dest) as tmp:
        with _open(source, timeout) as src, open(tmp, "wb") as out:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if actual != sha256.lower():
            raise ChecksumError(
                f"checksum mismatch for {dest.name} served by {source}: "
                f"expected sha256 {sha256.lower()}, got {actual}. The copy there is corrupt or a "
                "different version; replace it, or remove that mirror."
            )


def fetch(filename: str, sha256: str, dest: str | Path, sources: list[str], timeout: float = 60.0) -> str:
    """Try each source in turn; return the one that delivered a verified copy to ``dest``."""
    dest = Path(dest)
    failures = []
    for source in sources:
        scheme = urllib.parse.urlparse(source).scheme if "://" in source else "path"
        if scheme not in {"path", "file", "http", "https"}:
            failures.append(f"{source}: unsupported scheme {scheme!r}")
            continue
        try:
            log.info("fetching %s from %s", filename, source)
            fetch_one(source, dest, sha256, timeout)
            log.info("verified %s (sha256 %s)", dest, sha256)
            return source
        except ChecksumError as err:
            log.error("%s", err)
            failures.append(str(err))
        except (OSError, urllib.error.URLError, ValueError) as err:
            log.warning("could not fetch %s from %s: %s", filename, source, err)
            failures.append(f"{source}: {getattr(err, 'reason', err)}")
    detail = "\n  - ".join(failures) if failures else "no sources configured"
    raise DownloadError(
        f"could not obtain a verified copy of {filename}. Tried:\n  - {detail}\n"
        "If this machine has no access to the dataset hosts, point DATA_MIRROR at a local copy, e.g. "
        "`make report DATA_MIRROR=/path/to/data` (a directory, or a file:// or http:// base URL "
        "whose layout matches shared/data: mnist/<file>.gz)."
    )

