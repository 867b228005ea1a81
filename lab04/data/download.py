"""Fetch dataset files from a list of mirrors and verify their SHA-256 before they land."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import socket
import threading
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


CONNECTING, HEADERS, BODY = "connecting", "waiting for the response headers", "receiving the body"


class StalledError(OSError):
    """A source did not get through a stage of the request (connect, headers, body) within download_timeout."""

    def __init__(self, stage: str, timeout: float, detail: str = ""):
        super().__init__(f"stalled while {stage}: no progress within download_timeout ({timeout:g} s){detail}; "
                         "giving up on it")


class _Watchdog:
    """Shuts a request's sockets down when connecting and receiving the response headers take longer than
    ``seconds`` in all: a socket timeout bounds only a silence, not a server that sends a header byte a
    second. The body has its own bounds (``copy_verified``)."""

    def __init__(self, seconds: float):
        self.stage, self.fired = CONNECTING, False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._armed = True
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                self._shut(sock)

    def _fire(self) -> None:
        with self._lock:
            if self._armed:
                self.fired = True
                for sock in self._sockets:
                    self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # a blocked read returns at once

    def disarm(self) -> bool:
        """Stop watching; True when the time ran out first."""
        self._timer.cancel()
        with self._lock:
            self._armed = False
            return self.fired


def _watched(connection_class, watchdog: _Watchdog):
    """``connection_class`` (http.client's) with its sockets under ``watchdog`` from the moment they exist."""

    class Watched(connection_class):
        def connect(self):
            create = self._create_connection

            def create_watched(*args, **kwargs):
                sock = create(*args, **kwargs)
                watchdog.watch(sock)
                return sock

            self._create_connection = create_watched
            super().connect()  # TCP, and TLS for https
            watchdog.stage = HEADERS

    return Watched


class _Watched:
    """An urllib handler whose connections are watched (``_watched``)."""

    def __init__(self, watchdog: _Watchdog):
        super().__init__()
        self.watchdog = watchdog

    def do_open(self, http_class, req, **kwargs):
        return super().do_open(_watched(http_class, self.watchdog), req, **kwargs)


class _WatchedHTTP(_Watched, urllib.request.HTTPHandler):
    pass


class _WatchedHTTPS(_Watched, urllib.request.HTTPSHandler):
    pass


def open_url(url: str, timeout: float, method: str | None = None):
    """``urlopen`` with ``timeout`` bounding every stage: connecting (redirects included) and the response
    headers together, then each silence in the body. A stage that runs out raises ``StalledError`` naming it."""
    watchdog = _Watchdog(timeout)
    opener = urllib.request.build_opener(_WatchedHTTP(watchdog), _WatchedHTTPS(watchdog))
    try:
        response = opener.open(urllib.request.Request(url, method=method), timeout=timeout)
    except (OSError, http.client.HTTPException) as err:
        # the watchdog cut the stage short, or the socket's own timeout saw a silence in it (urllib wraps one
        # while connecting and sending, not one while the response headers are read)
        silence = isinstance(err, TimeoutError) or (isinstance(err, urllib.error.URLError)
                                                    and isinstance(err.reason, TimeoutError))
        if watchdog.disarm() or silence:
            raise StalledError(watchdog.stage, timeout) from None
        raise
    if watchdog.disarm():  # the headers were cut short by the watchdog: what arrived is not the response
        response.close()
        raise StalledError(HEADERS, timeout)
    return response


def open_source(source: str, timeout: float):
    """A readable binary stream of a path, ``file://`` or ``http(s)://`` address."""
    if source.startswith(("http://", "https://")):
        return open_url(source, timeout)
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
    while True:
        try:
            chunk = read(CHUNK)
        except TimeoutError:  # the socket's timeout: a silence
            raise StalledError(BODY, timeout, f" ({total:,} bytes received)") from None
        if not chunk:
            break
        for d in digests.values():
            d.update(chunk)
        out.write(chunk)
        total += len(chunk)
        window_bytes += len(chunk)
        elapsed = time.monotonic() - window_start
        if elapsed >= timeout:
            if window_bytes < min_rate * elapsed:
                raise TooSlowError(
                    f"too slow while {BODY}: {window_bytes:,} bytes in the last {elapsed:.0f} s "
                    f"({window_bytes / elapsed:,.0f} bytes/s, {total:,} in all), below download_min_rate "
                    f"({min_rate:,.0f} bytes/s); giving up on it")
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
          timeout: float = 60.0, min_rate: float = 0, mirror: str | None = None) -> str:
    """Try each source in turn; return the one that delivered a verified copy to ``dest``. ``mirror`` is the
    user's DATA_MIRROR, named in the closing hint when it was one of the sources that failed."""
    dest = Path(dest)
    failures, slow = [], []
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
            if isinstance(err, (StalledError, TooSlowError)):
                slow.append(source)
    detail = "\n  - ".join(failures) if failures else "no sources configured"
    raise DownloadError(f"could not obtain a verified copy of {filename}. Tried:\n  - {detail}\n"
                        + closing_hint(mirror, slow, timeout, min_rate), failures)


def closing_hint(mirror: str | None, slow: list[str], timeout: float, min_rate: float) -> str:
    """What to do when no source delivered: about DATA_MIRROR itself when it was set, else how to set one."""
    if mirror and any(source.startswith(mirror.rstrip("/")) for source in slow):
        return (f"DATA_MIRROR ({mirror}) answered too slowly. If it is only slow, give it more time in a config "
                f"overlay (make report CONFIG=my.yaml): raise download_timeout (now {timeout:g} s) or lower "
                f"download_min_rate (now {min_rate:,.0f} bytes/s, 0 for no minimum); otherwise check the server "
                "or point DATA_MIRROR at a local copy.")
    if mirror:
        return (f"DATA_MIRROR is {mirror}: check that it holds the file where the address above says (laid out "
                "like shared/data, e.g. mnist/<file>.gz), or point it at another copy.")
    return ("If this machine has no access to the dataset hosts, point DATA_MIRROR at a local copy, e.g. "
            "`make report DATA_MIRROR=/path/to/data` (a directory, or a file:// or http:// base URL "
            "whose layout matches shared/data, e.g. mnist/<file>.gz).")
