"""An image folder served over HTTP, where no archive is: its ``MANIFEST.sha256`` lists every file (the lines
``sha256sum`` writes, ``<hex>  ./<split>/<class>/<image>``); each file is fetched, checked against its
digest and packed into one zip, which the decoding job reads like a downloaded archive.

Write the manifest of a folder with
``cd chest_xray_224 && find . -type f ! -name MANIFEST.sha256 | sort | xargs sha256sum > MANIFEST.sha256``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from lab04.atomic import atomic_path
from lab04.data.download import ChecksumError, DownloadError, copy_verified, join_source, open_source

log = logging.getLogger(__name__)

MANIFEST = "MANIFEST.sha256"
# files fetched at once: a mirror answers many small requests faster side by side
PARALLEL = 8


class ManifestMismatch(ChecksumError):
    """A file on the mirror differs from its manifest entry: a damaged copy, or images changed on purpose."""

    def __init__(self, name: str, url: str, expected: str, actual: str, folder: str):
        super().__init__(
            f"the image {name} on the mirror does not match its {MANIFEST} entry: {url} has sha256 {actual}, the "
            f"manifest says {expected}. If the copy on the mirror is damaged, replace it with a good one; if the "
            f"images were changed on purpose, rewrite the manifest there: `{manifest_how_to(folder)}`.")


def manifest_how_to(folder: str) -> str:
    return (f"cd {folder} && find . -type f ! -name {MANIFEST} | sort | xargs sha256sum > {MANIFEST}")


def parse_manifest(text: str, where: str) -> list[tuple[str, str]]:
    """(sha256, relative path) of every line; a path that leaves the folder or a malformed line is refused."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        path = PurePosixPath(name.strip().removeprefix("./"))
        if len(digest) != 64 or not name or path.is_absolute() or ".." in path.parts:
            raise DownloadError(f"{where}, line {number}: expected '<sha256>  ./<split>/<class>/<image>' "
                                f"(what sha256sum writes), got {line[:120]!r}")
        entries.append((digest.lower(), str(path)))
    if not entries:
        raise DownloadError(f"{where} lists no files")
    return entries


def _fetch_bytes(url: str, timeout: float, min_rate: float) -> bytes:
    buffer = io.BytesIO()
    with open_source(url, timeout) as src:
        copy_verified(src, buffer, {}, timeout, min_rate)
    return buffer.getvalue()


def fetch_folder(manifest_url: str, dest: str | Path, arc_root: str, timeout: float = 60.0,
                 min_rate: float = 0) -> int:
    """Fetch every file ``manifest_url`` lists (relative to its folder), check each digest, and write them to
    the zip ``dest`` under ``arc_root/``; return the number of files. Nothing is left at ``dest`` on failure."""
    base = manifest_url.rsplit("/", 1)[0]
    entries = parse_manifest(_fetch_bytes(manifest_url, timeout, min_rate).decode("utf-8"), manifest_url)
    log.info("%s lists %d files", manifest_url, len(entries))

    def fetch(entry: tuple[str, str]) -> tuple[str, bytes]:
        digest, name = entry
        url = join_source(base, name)
        data = _fetch_bytes(url, timeout, min_rate)
        if (actual := hashlib.sha256(data).hexdigest()) != digest:
            raise ManifestMismatch(name, url, digest, actual, arc_root)
        return name, data

    with atomic_path(dest) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive, \
            ThreadPoolExecutor(PARALLEL) as pool:
        for done, (name, data) in enumerate(pool.map(fetch, entries), 1):
            archive.writestr(f"{arc_root}/{name}", data)
            if done % 1000 == 0:
                log.info("%d of %d files", done, len(entries))
    return len(entries)
