"""Decide where a data set comes from: an explicit location, the local mirror, or its public URL; and
what the rules of rules/data.smk read from there."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from lab04.data.download import join_source
from lab04.fingerprint import content_digest
from lab04.paths import REMOTE_IDENTITIES, download_file


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


def idx_downloads(name: str, entry: dict) -> dict[str, str]:
    """The four downloaded IDX files of an idx data set, by role (train_images, ...)."""
    return {role: download_file(name, f["name"]) for role, f in entry["files"].items()}


def image_folder_digest(entry: dict, mirror: str | None, cache: str) -> str | None:
    """Digest of a local image folder or zip: its content, not its path, decides whether the decoded arrays
    are stale (per-file digests kept in ``cache``). None when the images come by URL (the download rule
    tracks those) or are missing (the decoding job reports that, with the fix).

    The decoding job resolves the source again, by ``image_folder_source``: where the images lie is not a
    setting (as a param it would redo the job whenever DATA_MIRROR moves); this digest is."""
    where, location = image_folder_source(entry, mirror)
    if where != "local" or not Path(location).exists():
        return None
    return content_digest(location, cache)


def image_folder_archive(name: str, entry: dict, mirror: str | None) -> list[str]:
    """The archive to download first, when an image-folder data set is only reachable by URL."""
    return [download_file(name, "archive.zip")] if image_folder_source(entry, mirror)[0] == "url" else []


def _is_url(location: str | None) -> bool:
    return bool(location) and "://" in location and not location.startswith("file://")


def _describe_remote(entry: dict, mirror: str | None, timeout: float) -> str:
    """What the server says the images are: the archive's size and validator (ETag, else Last-Modified), or
    the digest of the folder's manifest (which lists every image's digest). Raises OSError when neither
    answers."""
    import hashlib

    from lab04.data.download import open_url
    from lab04.data.manifest import MANIFEST

    _, location = image_folder_source(entry, mirror)
    try:
        with open_url(location, timeout, method="HEAD") as head:
            validator = head.headers.get("ETag") or head.headers.get("Last-Modified") or ""
            return f"archive of {head.headers.get('Content-Length', '?')} bytes {validator}".strip()
    except OSError:
        if not (_is_url(mirror) and not entry.get("source")):
            raise
    with open_url(join_source(mirror, entry["mirror_subdir"], MANIFEST), timeout) as manifest:
        return f"manifest sha256:{hashlib.sha256(manifest.read()).hexdigest()[:16]}"


def _known_identities() -> dict:
    import json

    try:
        return json.loads(Path(REMOTE_IDENTITIES).read_text())
    except (OSError, ValueError):  # none yet, or damaged: only costs a download
        return {}


def archive_identity(name: str, entry: dict, mirror: str | None, timeout: float) -> str | None:
    """The identity of an image-folder archive fetched by URL, for the download rule's params: its pinned
    sha256 where there is one (then None here), else what the server says of its content, never its address:
    the same images from another host or port download nothing again. While the server cannot be reached
    (asked with at most ``timeout`` seconds, 10 at most), the identity of the last download stands
    (``remember_identity``), so planning offline plans nothing new."""
    if entry.get("sha256") or image_folder_source(entry, mirror)[0] != "url":
        return None
    try:
        return _describe_remote(entry, mirror, min(timeout, 10))
    except OSError:
        return _known_identities().get(name, "unreachable while planning")


def remember_identity(name: str, identity: str | None) -> None:
    """Record what the server said of the archive just downloaded (the download job, once it succeeded)."""
    import json

    from lab04.atomic import atomic_path

    if identity is not None:
        with atomic_path(REMOTE_IDENTITIES, own_output=False) as tmp:
            tmp.write_text(json.dumps({**_known_identities(), name: identity}))


def fetch_image_folder(entry: dict, mirror: str | None, dest: str, sha256: str | None, timeout: float,
                       min_rate: float) -> str:
    """Download an image-folder data set reachable only by URL to the zip ``dest``; return where it came from.

    The archive at its address comes first. From an ``http(s)://`` DATA_MIRROR laid out like shared/data,
    the folder ``<mirror>/<mirror_subdir>/`` is used when the archive is not there: its manifest lists the
    images, each fetched and checked (``lab04/data/manifest.py``).
    """
    from lab04.atomic import NoSpaceError
    from lab04.data.download import DownloadError, fetch
    from lab04.data.manifest import MANIFEST, ManifestMismatch, fetch_folder, manifest_how_to

    _, location = image_folder_source(entry, mirror)
    folder = mirror if _is_url(mirror) and not entry.get("source") else None
    try:
        return fetch(entry["archive_name"], sha256, dest, [location], timeout=timeout, min_rate=min_rate,
                     mirror=mirror)
    except DownloadError as archive_error:
        if folder is None:
            raise
        manifest = join_source(folder, entry["mirror_subdir"], MANIFEST)
        try:
            fetch_folder(manifest, dest, entry["mirror_subdir"], timeout=timeout, min_rate=min_rate)
            return manifest
        except (NoSpaceError, ManifestMismatch):  # the mirror has the folder: what is wrong is said as it is
            raise
        except (DownloadError, OSError) as folder_error:
            tried = [*archive_error.failures, f"{manifest}: {getattr(folder_error, 'reason', folder_error)}"]
            raise DownloadError(
                f"the mirror {folder} has neither form of the images. Tried:\n  - " + "\n  - ".join(tried) + "\n"
                f"An http:// DATA_MIRROR serves them as the archive {entry['archive_name']} at its top, or as the "
                f"folder {entry['mirror_subdir']}/<split>/<class>/<image> with its {MANIFEST} listing every image "
                f"(what sha256sum writes; make it there with `{manifest_how_to(entry['mirror_subdir'])}`). A "
                "DATA_MIRROR that is a local directory needs no manifest.",
                tried,
            ) from None
