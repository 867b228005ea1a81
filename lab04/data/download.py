"""Fetch dataset files from a list of mirrors and verify their SHA-256 before they land."""

from __future__ import annotations

import hashlib
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from lab04.atomic import NoSpaceError, atomic_path

log = logging.getLogger(__name__)

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """No source delivered a file with the expected checksum; ``failures`` says why, source by source."""

    def __init__(self, message: str, failures: list[str] = ()):
        super().__init__(message)
        self.failures = list(failures)


class ChecksumError(DownloadError):
    """A source served bytes whose SHA-256 differs from the pinned value."""


def join_source(base: str, *parts: str) -> str:
    """Join a mirror base (directory, ``file://`` or ``http(s)://`` URL) with relative parts."""
    parts = [p.strip("/") for p in parts if p]
    if "://" in base:
        return base.rstrip("/") + "/" + "/".join(parts)
    return str(Path(base, *parts))


def mirror_sources(user_mirror: str | None, subdir: str, public: list[str], filename: str,
                   local_dirs: list[str] = ()) -> list[str]:
    """Order the places to try: the configured mirror, then directories on this machine (a
    distribution's data package), then the public mirrors."""
    sources = []
    if user_mirror:
        sources.append(join_source(user_mirror, subdir, filename))
    sources += [join_source(base, filename) for base in local_dirs if Path(base).is_dir()]
    sources += [join_source(base, filename) for base in public]
    return sources


def open_source(source: str, timeout: float):
    """A readable binary stream of a path, ``file://`` or ``http(s)://`` address."""
    if "://" not in source:
        return open(source, "rb")
    return urllib.request.urlopen(source, timeout=timeout)  # noqa: S310 (scheme checked by caller)


def parse_checksums(expected: str | list[str] | None) -> dict[str, set[str]]:
    """``"<hex>"`` (SHA-256) or ``["sha256:<hex>", "md5:<hex>"]`` -> {algorithm: accepted digests}."""
    if not expected:
        return {}
    out: dict[str, set[str]] = {}
    for item in [expected] if isinstance(expected, str) else expected:
        algo, _, digest = item.rpartition(":")
        out.setdefault(algo or "sha256", set()).add(digest.lower())
    return out


class TooSlowError(OSError):
    """A source delivered bytes, but too slowly to finish in reasonable time."""


def copy_verified(src, out, digests: dict, timeout: float, min_rate: float) -> None:
    """Copy ``src`` to ``out`` while hashing; give up on a source slower than ``min_rate`` bytes/s over any
    ``timeout``-second window (a silent one already fails through the socket timeout)."""
    read = src.read1 if hasattr(src, "read1") else src.read  # what has arrived: a trickle is seen as one
    total = window_bytes = 0
    window_start = time.monotonic()
    while chunk := read(CHUNK):
        for d in digests.values():
            d.update(chunk)
        out.write(chunk)
        total += len(chunk)
        window_bytes += len(chunk)
        elapsed = time.monotonic() - window_start
        if elapsed >= timeout:
            if window_bytes < min_rate * elapsed:
                raise TooSlowError(
                    f"too slow: {window_bytes:,} bytes in the last {elapsed:.0f} s ({window_bytes / elapsed:,.0f} "
                    f"bytes/s, {total:,} in all), below download_min_rate ({min_rate:,.0f} bytes/s); giving up on it")
            window_start, window_bytes = time.monotonic(), 0


def fetch_one(source: str, dest: Path, sha256: str | list[str] | None, timeout: float = 60.0,
              min_rate: float = 0) -> None:
    """Copy ``source`` to ``dest`` if and only if a pinned checksum matches; raise otherwise.

    ``sha256`` is one SHA-256 digest or a list of accepted ``algorithm:digest`` values (a data set
    with several known-good copies). None skips verification; the digest is logged to pin it.
    ``timeout`` bounds a silence; ``min_rate`` (bytes/s, over every ``timeout`` seconds) a trickle.
    """
    accepted = parse_checksums(sha256)
    digests = {algo: hashlib.new(algo) for algo in (accepted or {"sha256": set()})}
    with atomic_path(dest) as tmp:
        with open_source(source, timeout) as src, open(tmp, "wb") as out:
            copy_verified(src, out, digests, timeout, min_rate)
        actual = {algo: d.hexdigest() for algo, d in digests.items()}
        if not accepted:
            log.warning("%s has no pinned checksum; its sha256 is %s", dest.name, actual["sha256"])
        elif not any(actual[algo] in ok for algo, ok in accepted.items()):
            want = " or ".join(f"{algo} {d}" for algo, ok in accepted.items() for d in sorted(ok))
            got = ", ".join(f"{algo} {d}" for algo, d in actual.items())
            raise ChecksumError(
                f"checksum mismatch for {dest.name} served by {source}: expected {want}, got {got}. "
                "The copy there is corrupt or a different version; replace it, or remove that mirror."
            )


def fetch(filename: str, sha256: str | list[str] | None, dest: str | Path, sources: list[str],
          timeout: float = 60.0, min_rate: float = 0) -> str:
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
            fetch_one(source, dest, sha256, timeout, min_rate)
            log.info("fetched %s (expected checksum %s)", dest, sha256)
            return source
        except ChecksumError as err:
            log.error("%s", err)
            failures.append(str(err))
        except NoSpaceError:  # no other source can help
            raise
        except (OSError, urllib.error.URLError, ValueError) as err:
            log.warning("could not fetch %s from %s: %s", filename, source, err)
            failures.append(f"{source}: {getattr(err, 'reason', err)}")
    detail = "\n  - ".join(failures) if failures else "no sources configured"
    raise DownloadError(
        f"could not obtain a verified copy of {filename}. Tried:\n  - {detail}\n"
        "If this machine has no access to the dataset hosts, point DATA_MIRROR at a local copy, e.g. "
        "`make report DATA_MIRROR=/path/to/data` (a directory, or a file:// or http:// base URL "
        "whose layout matches shared/data, e.g. mnist/<file>.gz).",
        failures,
    )

