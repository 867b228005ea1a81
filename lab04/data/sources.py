"""Decide where a data set comes from: an explicit location, the local mirror, or its public URL."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from lab04.data.download import join_source


def _local(location: str) -> Path | None:
    """The filesystem path of a plain path or file:// URL; None for network URLs."""
    if location.startswith("file://"):
        return Path(urllib.parse.unquote(urllib.parse.urlparse(location).path))
    return None if "://" in location else Path(location)


def resolve_source(explicit: str | None, mirror: str | None, subdir: str, archive: str, url: str) -> tuple[str, str]:
    """('local', path) for a folder or zip on disk, ('url', address) for something to download.

    Order: the explicit source; the mirror's folder ``subdir`` or its ``archive``; the public URL.
    """
    if explicit:
        path = _local(explicit)
        return ("local", str(path)) if path else ("url", explicit)
    if mirror:
        base = _local(mirror)
        if base is None:
            return "url", join_source(mirror, archive)
        for candidate in (base / subdir, base / archive):
            if candidate.exists():
                return "local", str(candidate)
    return "url", url


def image_folder_source(entry: dict, mirror: str | None) -> tuple[str, str]:
    """Where an image-folder data set (config ``datasets:`` entry) comes from (see ``resolve_source``)."""
    return resolve_source(entry.get("source"), mirror, entry["mirror_subdir"], entry["archive_name"], entry["url"])
