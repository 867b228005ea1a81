import hashlib
from pathlib import Path

import pytest
from conftest import http_mirror

from lab04.data.download import ChecksumError, DownloadError, fetch, fetch_one, join_source, mirror_sources

PAYLOAD = b"not really mnist, but bytes all the same\n" * 100
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def mirror(tmp_path):
    """A mirror directory with one good and one corrupted file, served over local HTTP."""
    root = tmp_path / "mirror"
    (root / "mnist").mkdir(parents=True)
    (root / "mnist" / "good.gz").write_bytes(PAYLOAD)
    (root / "mnist" / "corrupt.gz").write_bytes(PAYLOAD[:-1] + b"X")
    with http_mirror(root) as base:
        yield root, base


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_http_mirror_delivers_verified_file(mirror, tmp_path):
    _, url = mirror
    dest = tmp_path / "out" / "good.gz"
    source = fetch("good.gz", SHA, dest, mirror_sources(url, "mnist", [], "good.gz"))
    assert source == f"{url}/mnist/good.gz"
    assert dest.read_bytes() == PAYLOAD
    assert leftovers(dest.parent) == ["good.gz"]


def test_corrupt_file_names_file_hashes_and_mirror_and_leaves_nothing(mirror, tmp_path):
    _, url = mirror
    dest = tmp_path / "out" / "corrupt.gz"
    with pytest.raises(ChecksumError) as err:
        fetch_one(f"{url}/mnist/corrupt.gz", dest, SHA)
    message = str(err.value)
    actual = hashlib.sha256(PAYLOAD[:-1] + b"X").hexdigest()
    assert "corrupt.gz" in message and SHA in message and actual in message
    assert f"{url}/mnist/corrupt.gz" in message
    assert leftovers(dest.parent) == []


def test_falls_back_to_next_mirror_after_corrupt_copy(mirror, tmp_path):
    root, url = mirror
    (root / "other").mkdir()
    (root / "other" / "corrupt.gz").write_bytes(PAYLOAD)  # the good copy lives elsewhere
    dest = tmp_path / "corrupt.gz"
    source = fetch("corrupt.gz", SHA, dest, [f"{url}/mnist/corrupt.gz", f"{url}/other/corrupt.gz"])
    assert source.endswith("/other/corrupt.gz") and dest.read_bytes() == PAYLOAD


def test_directory_and_file_url_mirrors(mirror, tmp_path):
    root, _ = mirror
    for base in (str(root), root.as_uri()):
        dest = tmp_path / base.replace("/", "_") / "good.gz"
        fetch("good.gz", SHA, dest, mirror_sources(base, "mnist", [], "good.gz"))
        assert dest.read_bytes() == PAYLOAD


def test_offline_without_mirror_explains_data_mirror(tmp_path):
    with socket_closed_port() as port:
        sources = mirror_sources("", "mnist", [f"http://127.0.0.1:{port}/mnist/"], "good.gz")
        with pytest.raises(DownloadError, match="DATA_MIRROR") as err:
            fetch("good.gz", SHA, tmp_path / "good.gz", sources, timeout=5)
    assert f"http://127.0.0.1:{port}/mnist/good.gz" in str(err.value)
    assert leftovers(tmp_path) == []


def test_missing_file_in_local_mirror(tmp_path):
    with pytest.raises(DownloadError, match="No such file"):
        fetch("good.gz", SHA, tmp_path / "out" / "good.gz", [str(tmp_path / "nowhere" / "good.gz")])


def test_join_source():
    assert join_source("http://h/base/", "mnist", "a.gz") == "http://h/base/mnist/a.gz"
    assert join_source("/data", "mnist", "a.gz") == "/data/mnist/a.gz"
    assert join_source("https://h/mnist/", "a.gz") == "https://h/mnist/a.gz"


class socket_closed_port:
    """A localhost port with nothing listening: connections are refused at once."""

    def __enter__(self):
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()


def test_local_data_directories_come_after_the_mirror_and_before_the_public_hosts(tmp_path):
    package = tmp_path / "usr-share-datasets"  # e.g. Debian's dataset-fashion-mnist
    package.mkdir()
    sources = mirror_sources("/mirror", "fashion-mnist", ["http://public/"], "a.gz",
                             local_dirs=[str(package), str(tmp_path / "not-installed")])
    assert sources == ["/mirror/fashion-mnist/a.gz", str(package / "a.gz"), "http://public/a.gz"]


class Trickle:
    """A stream that hands over one byte at a time, slowly: never silent, never done in time."""

    def __init__(self, size: int, pause: float):
        self.left, self.pause = size, pause

    def read1(self, _n):
        import time

        time.sleep(self.pause)
        if not self.left:
            return b""
        self.left -= 1
        return b"x"


def test_a_source_slower_than_the_minimum_rate_is_given_up():
    import io

    from lab04.data.download import TooSlowError, copy_verified

    with pytest.raises(TooSlowError,
                       match=r"too slow while receiving the body: \d+ bytes in the last 0 s .* below download_min"):
        copy_verified(Trickle(10_000, 0.01), io.BytesIO(), {}, timeout=0.3, min_rate=1000)
    out = io.BytesIO()  # the same pace passes without a minimum, and a fast source passes with one
    copy_verified(Trickle(20, 0.001), out, {}, timeout=0.3, min_rate=0)
    assert out.getvalue() == b"x" * 20
    copy_verified(io.BytesIO(PAYLOAD), io.BytesIO(), {}, timeout=0.3, min_rate=1000)


def test_a_manifest_names_each_file_and_refuses_paths_that_leave_its_folder():
    from lab04.data.manifest import parse_manifest

    digest = "a" * 64
    assert parse_manifest(f"{digest}  ./test/NORMAL/a.jpeg\n\n{digest}  train/x.png\n", "M") == [
        (digest, "test/NORMAL/a.jpeg"), (digest, "train/x.png")]
    for bad in (f"{digest}  ../etc/passwd", f"{digest}  /abs/path", "short  ./a.jpeg", ""):
        with pytest.raises(DownloadError, match="M"):
            parse_manifest(bad, "M")


def test_a_folder_is_fetched_through_its_manifest_and_a_wrong_file_leaves_nothing(tmp_path):
    import zipfile

    from lab04.data.manifest import fetch_folder

    folder = tmp_path / "served" / "tree"
    for name, data in {"train/A/1.jpeg": b"one", "test/B/2.jpeg": b"two"}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    lines = [f"{hashlib.sha256(b'one').hexdigest()}  ./train/A/1.jpeg",
             f"{hashlib.sha256(b'two').hexdigest()}  ./test/B/2.jpeg"]
    (folder / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")
    dest = tmp_path / "out" / "archive.zip"
    with http_mirror(tmp_path / "served") as base:
        assert fetch_folder(f"{base}/tree/MANIFEST.sha256", dest, "tree", timeout=5) == 2
        with zipfile.ZipFile(dest) as zf:
            assert zf.read("tree/train/A/1.jpeg") == b"one" and sorted(zf.namelist()) == [
                "tree/test/B/2.jpeg", "tree/train/A/1.jpeg"]
        dest.unlink()
        (folder / "test" / "B" / "2.jpeg").write_bytes(b"TWO")
        with pytest.raises(ChecksumError, match=r"the image test/B/2.jpeg on the mirror does not match its MANIFEST"):
            fetch_folder(f"{base}/tree/MANIFEST.sha256", dest, "tree", timeout=5)
    assert leftovers(dest.parent) == []


@pytest.mark.parametrize("answer, stage", [
    (b"", "waiting for the response headers"),  # accepts, never answers
    (b"HTTP/1.1 200 OK\r\nX-Slow: a", "waiting for the response headers"),  # then a header byte a while
    (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc", "receiving the body"),  # then silent
])
def test_every_stage_of_a_request_is_bounded_by_the_timeout(tmp_path, answer, stage):
    import socket
    import threading
    import time

    from lab04.data.download import fetch_one

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    done = threading.Event()

    def answer_slowly():
        conn, _ = server.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(answer)
            while not done.wait(0.3):  # a byte now and then, never a complete header block
                if answer.endswith(b"a"):
                    conn.sendall(b"a")

    threading.Thread(target=answer_slowly, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(OSError, match=f"stalled while {stage}: no progress within download_timeout \\(1 s\\)"):
            fetch_one(f"http://127.0.0.1:{server.getsockname()[1]}/f", tmp_path / "f", None, timeout=1)
    finally:
        done.set()
        server.close()
    assert time.monotonic() - started < 5
    assert list(tmp_path.iterdir()) == []
