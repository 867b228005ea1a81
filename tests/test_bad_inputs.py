"""Bad input fed to the real workflow: each must stop with an error that names the problem and the fix,
on the terminal (not only in a log), and leave nothing half-written in results/ or the download cache."""

import contextlib
import gzip
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from conftest import (
    SLOW,
    SLOW_TARGET,
    QuietHandler,
    copy_workflow,
    http_mirror,
    overlay,
    snakemake,
    snakemake_command,
    start_workflow,
    wait_until,
)
from test_chest_xray import KAGGLE, make_tree

pytestmark = pytest.mark.workflow

UNREACHABLE = ["http://127.0.0.1:9/"]  # nothing listens there: public mirrors fail at once
LABELS = "t10k-labels-idx1-ubyte.gz"
LABELS_TARGET = f"results/downloads/mnist/{LABELS}"
SMOKE_TARGET = "results/raw/pass1/seed42/scores.json"  # one epoch on 600 images


@pytest.fixture
def workdir(tmp_path):
    return copy_workflow(tmp_path / "wf")


def leftovers(workdir: Path) -> list[str]:
    """Temporary or partial files anywhere under results/."""
    results = workdir / "results"
    return [str(p.relative_to(results)) for p in results.rglob("*") if ".part" in p.name] if results.exists() else []


def mnist_mirror(shared_data: Path, tmp_path: Path, **replace: bytes) -> Path:
    """A copy of the MNIST mirror with some files' bytes replaced."""
    mirror = tmp_path / "mirror"
    shutil.copytree(shared_data / "mnist", mirror / "mnist")
    for name, data in replace.items():
        (mirror / "mnist" / name).write_bytes(data)
    return mirror


def pin(workdir: Path, data: bytes, **extra) -> Path:
    """An overlay pinning the test labels file to ``data``'s checksum (a mirror that serves it verifies)."""
    files = {"test_labels": {"name": LABELS, "checksums": [f"sha256:{hashlib.sha256(data).hexdigest()}"]}}
    return overlay(workdir, "pin.yaml",
                   {"datasets": {"mnist": {"files": files, "public_mirrors": UNREACHABLE}}, **extra})


def fails(workdir, *args, **kwargs) -> str:
    out = snakemake(workdir, *args, check=False, **kwargs)
    assert out.returncode != 0, f"expected a failure, the run exited 0:\n{out[-3000:]}"
    assert "Error" in out or "error" in out, out[-3000:]
    return out


# --- downloads and data files ----------------------------------------------------------------------------

def test_corrupted_download_names_file_hashes_and_mirror(workdir, tmp_path, shared_data):
    mirror = mnist_mirror(shared_data, tmp_path, **{LABELS: b"corrupt bytes"})
    offline = overlay(workdir, "offline.yaml", {"datasets": {"mnist": {"public_mirrors": UNREACHABLE}}})
    out = fails(workdir, LABELS_TARGET, overlays=[offline], mirror=mirror)
    assert f"checksum mismatch for {LABELS} served by {mirror}" in out
    assert "replace it, or remove that mirror" in out and "DATA_MIRROR" in out
    assert not (workdir / LABELS_TARGET).exists() and leftovers(workdir) == []
    # the message alone on the terminal, as the job's own `error:` line; its traceback stays in the job's log
    assert f"error: could not obtain a verified copy of {LABELS}" in out and "Traceback" not in out, out[-3000:]
    assert "Traceback" in (workdir / "results" / "logs" / "download" / "mnist" / f"{LABELS}.log").read_text()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)  # a fixed header: every test process collects the same cases


@pytest.mark.parametrize("payload, message", [
    (gz(b"\x00\x00\x08\x01" + (10).to_bytes(4, "big") + bytes(10))[:-12], "truncated or corrupt gzip"),
    (gz(b"\x12\x34\x08\x01" + (10).to_bytes(4, "big") + bytes(10)), "not an IDX file (bad magic number"),
    (gz(b"\x00\x00\x08\x01" + (12).to_bytes(4, "big") + bytes(10)), "header declares shape (12,)"),
], ids=["truncated", "bad-magic", "short-body"])
def test_broken_idx_files_are_named(workdir, tmp_path, shared_data, payload, message):
    mirror = mnist_mirror(shared_data, tmp_path, **{LABELS: payload})
    out = fails(workdir, "results/data/mnist.npz", overlays=[pin(workdir, payload)], mirror=mirror)
    assert message in out and LABELS in out
    assert not (workdir / "results" / "data" / "mnist.npz").exists() and leftovers(workdir) == []


@contextmanager
def silent_server():
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@contextmanager
def header_drip_server():
    """Answers `HTTP/1.1 200 OK`, then sends one header line a byte a second: never silent, never done."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    stop = threading.Event()

    def drip(conn):
        with contextlib.suppress(OSError), conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for byte in b"X-Slow: " + b"a" * 600:
                if stop.wait(1):
                    return
                conn.sendall(bytes([byte]))

    def serve():
        with contextlib.suppress(OSError):
            while True:
                conn, _ = sock.accept()
                threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        sock.close()


class Drip(QuietHandler):
    """Serves a file one byte at a time, ten a second: never silent, never done."""

    def copyfile(self, source, outputfile):
        with contextlib.suppress(OSError):  # the client gives up and closes
            while byte := source.read(1):
                outputfile.write(byte)
                outputfile.flush()
                time.sleep(0.1)


def test_a_missing_file_a_silent_and_a_trickling_mirror_fall_through_to_the_next_source(workdir, tmp_path,
                                                                                        shared_data):
    served = tmp_path / "served"
    shutil.copytree(shared_data / "mnist", served / "good")
    (served / "empty").mkdir()
    with http_mirror(served) as base, silent_server() as silent, http_mirror(served / "good", Drip) as drip, \
            header_drip_server() as headers:
        mirrors = overlay(workdir, "mirrors.yaml", {"download_timeout": 2, "datasets": {"mnist": {"public_mirrors": [
            f"{silent}/", f"{headers}/", f"{drip}/", f"{base}/good/"]}}})
        started = time.monotonic()
        out = snakemake(workdir, LABELS_TARGET, overlays=[mirrors], mirror=f"{base}/empty")
    assert time.monotonic() - started < 60, "a silent or trickling mirror must be given up, not waited for"
    log = (workdir / "results" / "logs" / "download" / "mnist" / f"{LABELS}.log").read_text()
    assert "404" in log and f"{base}/good/{LABELS}" in log, log
    stalled = "stalled while waiting for the response headers: no progress within download_timeout (2 s)"
    assert f"from {silent}/{LABELS}: {stalled}" in log and f"from {headers}/{LABELS}: {stalled}" in log, log
    assert f"from {drip}/{LABELS}: too slow" in log and "below download_min_rate (10,000 bytes/s)" in log, log
    assert (workdir / LABELS_TARGET).stat().st_size > 0 and "Finished jobid" in out


def test_a_data_mirror_that_stalls_in_its_headers_is_given_up_with_the_settings_to_change(workdir):
    offline = overlay(workdir, "offline.yaml", {"download_timeout": 2, "datasets": {"mnist": {
        "public_mirrors": UNREACHABLE}}})
    with header_drip_server() as mirror:
        started = time.monotonic()
        out = fails(workdir, LABELS_TARGET, overlays=[offline], mirror=mirror)
    assert time.monotonic() - started < 60, "a mirror stalling in its headers must be given up, not waited for"
    assert f"{mirror}/mnist/{LABELS}: stalled while waiting for the response headers" in out, out[-3000:]
    assert f"DATA_MIRROR ({mirror}) answered too slowly" in out
    assert "raise download_timeout (now 2 s) or lower download_min_rate (now 10,000 bytes/s" in out
    assert "point DATA_MIRROR at a local copy, e.g." not in out
    assert not (workdir / LABELS_TARGET).exists() and leftovers(workdir) == []


def test_offline_without_mirror_lists_every_url_and_says_how_to_set_one(workdir):
    no_net = overlay(workdir, "offline.yaml",
                     {"datasets": {"mnist": {"public_mirrors": ["http://127.0.0.1:9/", "http://127.0.0.1:7/"]}}})
    out = fails(workdir, LABELS_TARGET, overlays=[no_net])
    assert f"http://127.0.0.1:9/{LABELS}" in out and f"http://127.0.0.1:7/{LABELS}" in out
    assert "make report DATA_MIRROR=/path/to/data" in out
    assert not (workdir / LABELS_TARGET).exists() and leftovers(workdir) == []


class Trickle(QuietHandler):
    """Serves a file a few bytes at a time, so a download is still running when it is interrupted."""

    def copyfile(self, source, outputfile):
        while chunk := source.read(512):
            outputfile.write(chunk)
            outputfile.flush()
            time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])  # Ctrl-C; the session killed outright
def test_an_interrupted_download_leaves_no_partial_file(workdir, tmp_path, shared_data, sig):
    served = tmp_path / "served"
    shutil.copytree(shared_data / "mnist", served / "mnist")
    target = "results/downloads/mnist/train-labels-idx1-ubyte.gz"  # 28,881 bytes: about 3 s here
    with http_mirror(served, Trickle) as base:
        offline = overlay(workdir, "offline.yaml", {"datasets": {"mnist": {"public_mirrors": UNREACHABLE}}})
        proc = start_workflow(snakemake_command(workdir, target, overlays=[offline], mirror=base), workdir)
        wait_until(lambda: list((workdir / "results" / "downloads" / "mnist").glob(".*.part*")), proc,
                   "the download's start", timeout=60)
        os.killpg(proc.pid, sig)
        proc.communicate(timeout=60)
        assert not (workdir / target).exists()
        if sig == signal.SIGKILL:  # nothing could clean up: the next complete run does
            out = fails(workdir, target, overlays=[offline], mirror=base)
            assert "make unlock" in out and "Directory cannot be locked" in out
            snakemake(workdir, "--unlock", overlays=[offline], mirror=base)
            snakemake(workdir, target, overlays=[offline], mirror=base)
            assert (workdir / target).exists()
    assert leftovers(workdir) == []


def test_a_damaged_cache_file_is_named_removed_and_rebuilt_by_the_next_run(workdir, shared_data):
    """A cached arrays file cut short outside the workflow (a crash, a full disk) is newer than its inputs, so
    Snakemake trusts it: the job reading it names it, removes it, and the next run rebuilds it."""
    arrays = workdir / "results" / "data" / "mnist.npz"
    snakemake(workdir, str(arrays.relative_to(workdir)), mirror=shared_data)
    arrays.write_bytes(arrays.read_bytes()[: arrays.stat().st_size // 2])
    out = fails(workdir, SMOKE_TARGET, mirror=shared_data)
    assert f"{arrays.relative_to(workdir)} is damaged and cannot be read" in out, out[-3000:]
    assert "It has been removed: run the workflow again (make report)" in out and "Traceback" not in out
    assert not arrays.exists() and not (workdir / SMOKE_TARGET).exists() and leftovers(workdir) == []
    out = snakemake(workdir, SMOKE_TARGET, mirror=shared_data)
    assert "rule idx_arrays" in out and (workdir / SMOKE_TARGET).exists()


@contextmanager
def small_filesystem(path: Path, size: str):
    """A tmpfs of ``size`` mounted at ``path``: a disk that fills up (root only)."""
    path.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root): no full disk to test with")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def test_a_full_disk_keeps_no_truncated_model_and_says_no_space(workdir, shared_data):
    pass_dir = workdir / "results" / "raw" / "pass1" / "seed42"
    # room for the job's log and benchmark, not for its 4.9 MB model
    with small_filesystem(pass_dir, "1m"):
        out = fails(workdir, SMOKE_TARGET, mirror=shared_data)
        left = sorted(p.name for p in pass_dir.iterdir())
    assert f"no space left on device while writing {pass_dir.relative_to(workdir)}/: its filesystem is full" in out, \
        out[-3000:]
    assert "Nothing half-written was kept" in out
    assert not {"model.keras", "scores.json", "history.csv"} & set(left) and not any(".part" in n for n in left), left


# --- configuration, caught while planning (dry-run), before anything is written -------------------------

@pytest.mark.parametrize("content, messages", [
    ({"experimnts": {}}, ["(top level): Additional properties are not allowed ('experimnts' was unexpected)",
                          "bad.yaml; did you mean 'experiments'?"]),
    ({"experiments": {"raw": {"passes": {"pass1": {"epochs": -3}}}}},
     ["experiments.raw.passes.pass1.epochs: -3 is less than the minimum of 1"]),
    ({"experiments": {"raw": {"passes": {"pass 1": {"epochs": 1, "layers": [{"Dense": {"units": 10}}]}}}}},
     ["experiments.raw.passes: 'pass 1' is not allowed: a pass name is made of letters, digits, _ and - only"]),
    ({"experiments": {"raw": {"passes": {"a/b": {"epochs": 1, "layers": [{"Dense": {"units": 10}}]}}}}},
     ["experiments.raw.passes: 'a/b' is not allowed: a pass name is made of letters, digits, _ and - only"]),
    ({"experiments": {"hog": {"passes": {"pass1": {"input": {"pixels_per_cell": 40}}}}}},
     ["experiments.hog.passes.pass1.input: pixels_per_cell 40 > 28, the most that the images of mnist allow"]),
    ({"experiments": {"cnn": {"passes": {"pass1": {"layers": [{"Conv2d": {"filters": 8, "kernel_size": 3}}]}}}}},
     ["pass cnn/pass1", "'Conv2d' is neither a keras.layers class, a Residual block nor a keras.applications "
      "model (did you mean 'Conv2D'?)", "no training was started"]),
    ({"experiments": {"cnn": {"passes": {"pass1": {"layers": [
        {"MobileNetV3Small": {"include_top": False, "pooling": "avg"}}, {"Dense": {"units": 10}}]}}}}},
     ["pass cnn/pass1", "cannot build MobileNetV3Small", "a Resizing layer before it gives it a larger image"]),
    ({"experiments": {"cnn": {"passes": {"pass1": {"loss": {"CategoricalCrossEntropy": {"label_smoothing": 0.1}}}}}}},
     ["pass cnn/pass1", "'CategoricalCrossEntropy' is not a keras.losses class"]),
    ({"experiments": {"raw": {"passes": {"pass1": {"layers": [{"Conv2D": {"filters": 8, "kernel_size": 3}}]}}}}},
     ["pass raw/pass1", "Conv2D does not fit input (None, 784)"]),
    ({"experiments": {"raw": {"passes": {"pass1": {"layers": [{"Dense": {"units": 5, "activation": "softmax"}}]}}}}},
     ["pass raw/pass1", "output has shape (5,), but mnist has 10 classes",
      "make the last layer (layers[0]) Dense: {units: 10, activation: softmax}"]),
    ({"experiments": {"pneumonia": {"passes": {"course": {"layers": [
        {"Flatten": {}}, {"Dense": {"units": 2, "activation": "softmax"}}]}}}}},
     ["pass pneumonia/course", "the loss binary_crossentropy needs (1,)", "Dense: {units: 1, activation: sigmoid}"]),
])
def test_bad_configuration_is_named_while_planning(workdir, content, messages):
    out = fails(workdir, "-n", overlays=[overlay(workdir, "bad.yaml", content)])
    for message in messages:
        assert message in out, out[-3000:]
    assert "error: " in out and "Traceback" not in out and 'File "' not in out, out[-3000:]
    assert "Fix" in out
    assert not (workdir / "results" / "raw").exists() and "Job stats" not in out


def test_a_key_given_twice_is_refused_with_file_and_line(workdir):
    bad = workdir / "twice.yaml"
    bad.write_text("experiments:\n  raw:\n    passes:\n      pass1: {epochs: 1}\n      pass1: {epochs: 2}\n")
    out = fails(workdir, "-n", overlays=[bad])
    assert f"{bad}, line 5: key 'pass1' is defined twice" in out


def test_a_tab_in_an_overlay_is_named_by_make(workdir):
    bad = workdir / "tab.yaml"
    bad.write_text("experiments:\n\traw: {}\n")
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(["make", "-s", "dry-run", f"CONFIG={bad}"], cwd=root, capture_output=True, text=True)
    assert proc.returncode != 0
    assert f'in "{bad}", line 2, column 1' in proc.stderr and "YAML does not allow tabs" in proc.stderr


# --- chest X-ray sources ------------------------------------------------------------------------------------

XRAY_TARGET = "results/data/chest_xray_16px_official.npz"


def xray_source(workdir, path):
    return overlay(workdir, "source.yaml", {"datasets": {"chest_xray": {"source": str(path), "limit_per_class": None}}})


@pytest.mark.parametrize("damage, message", [
    (lambda root: shutil.rmtree(root / "chest_xray" / "test" / "NORMAL"), "split test has no NORMAL images"),
    (lambda root: (root / "chest_xray" / "val" / "PNEUMONIA" / "bad.jpeg").write_bytes(b"\xff\xd8 no"),
     "unreadable image"),
])
def test_broken_chest_xray_sources_are_named(workdir, tmp_path, damage, message):
    root = make_tree(tmp_path / "xrays", KAGGLE)
    damage(root)
    out = fails(workdir, XRAY_TARGET, overlays=[xray_source(workdir, root)])
    assert message in out, out[-3000:]
    assert not (workdir / XRAY_TARGET).exists() and leftovers(workdir) == []


def write_manifest(folder: Path) -> Path:
    """What `find . -type f ! -name MANIFEST.sha256 | sort | xargs sha256sum > MANIFEST.sha256` writes in
    ``folder``."""
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  ./{p.relative_to(folder).as_posix()}"
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "MANIFEST.sha256"]
    (folder / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")
    return folder / "MANIFEST.sha256"


def test_an_http_mirror_serves_the_xray_folder_through_its_manifest(workdir, tmp_path):
    """DATA_MIRROR=http://... laid out like shared/data: chest_xray_224/<split>/<class>/<image> + MANIFEST.sha256."""
    served = tmp_path / "served"
    served.mkdir()
    (make_tree(tmp_path / "tree", KAGGLE) / "chest_xray").rename(served / "chest_xray_224")
    unlimited = overlay(workdir, "all.yaml", {"datasets": {"chest_xray": {"limit_per_class": None}}})
    with http_mirror(served) as base:
        out = fails(workdir, XRAY_TARGET, overlays=[unlimited], mirror=base)  # no manifest yet
        assert f"the mirror {base} has neither form of the images" in out, out[-3000:]
        assert f"  - {base}/ChestXRay2017.zip: File not found" in out  # each address tried, with why
        assert f"  - {base}/chest_xray_224/MANIFEST.sha256: File not found" in out
        assert "find . -type f ! -name MANIFEST.sha256 | sort | xargs sha256sum > MANIFEST.sha256" in out
        assert not (workdir / "results" / "downloads" / "chest_xray" / "archive.zip").exists()
        assert leftovers(workdir) == []

        manifest = write_manifest(served / "chest_xray_224")
        bad = served / "chest_xray_224" / "test" / "NORMAL" / "normal-0.jpeg"
        good = bad.read_bytes()
        bad.write_bytes(good[:-10])
        out = fails(workdir, XRAY_TARGET, overlays=[unlimited], mirror=base)
        assert "the image test/NORMAL/normal-0.jpeg on the mirror does not match its MANIFEST.sha256 entry: " \
               f"{base}/chest_xray_224/test/NORMAL/normal-0.jpeg has sha256" in out, out[-3000:]
        # both readings: a damaged copy (replace it) or images changed on purpose (rewrite the manifest)
        assert "If the copy on the mirror is damaged, replace it with a good one; if the images were changed on " \
               "purpose, rewrite the manifest there" in out
        assert "has neither form" not in out and leftovers(workdir) == []
        assert "Traceback" not in out, out[-3000:]

        bad.write_bytes(good)
        snakemake(workdir, XRAY_TARGET, overlays=[unlimited], mirror=base)
    # The same images from another server (another port): their content decides, nothing is fetched again.
    with http_mirror(served) as elsewhere:
        assert elsewhere != base
        assert "Nothing to be done" in snakemake(workdir, XRAY_TARGET, "-n", overlays=[unlimited], mirror=elsewhere)
        # an image changed on purpose, and the manifest rewritten: the archive is fetched again
        bad.write_bytes(good + b"\0")
        write_manifest(served / "chest_xray_224")
        planned = snakemake(workdir, XRAY_TARGET, "-n", overlays=[unlimited], mirror=elsewhere)
        assert "download_image_folder" in planned and "image_folder_arrays" in planned, planned[-3000:]
    # The server gone: planning keeps what it last saw, and plans nothing.
    bad.write_bytes(good)
    write_manifest(served / "chest_xray_224")
    assert "Nothing to be done" in snakemake(workdir, XRAY_TARGET, "-n", overlays=[unlimited], mirror=base)
    assert len(manifest.read_text().splitlines()) == sum(KAGGLE.values())
    info = yaml.safe_load((workdir / XRAY_TARGET).with_suffix(".json").read_text())
    assert info["used"]["train"] == {"NORMAL": 6, "PNEUMONIA": 14} and info["official_val"]


def test_kaggle_archive_as_published_with_mixed_extensions_is_used(workdir, tmp_path):
    import zipfile

    from PIL import Image

    tree = make_tree(tmp_path / "xrays", KAGGLE)
    Image.new("L", (8, 8), 9).save(tree / "chest_xray" / "train" / "NORMAL" / "extra.PNG", format="PNG")
    Image.new("L", (8, 8), 9).save(tree / "chest_xray" / "train" / "NORMAL" / "extra2.JPG", format="JPEG")
    archive = tmp_path / "ChestXRay2017.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(p for p in tree.rglob("*") if p.is_file()):
            rel = path.relative_to(tree).as_posix()
            zf.write(path, rel)
            zf.write(path, f"chest_xray/{rel}")
            zf.writestr(f"__MACOSX/{rel}", b"fork")
        zf.writestr("chest_xray/train/.DS_Store", b"finder")
    snakemake(workdir, XRAY_TARGET, overlays=[xray_source(workdir, archive)])
    info = yaml.safe_load((workdir / XRAY_TARGET).with_suffix(".json").read_text())
    assert info["used"]["train"]["NORMAL"] == KAGGLE["train", "NORMAL"] + 2


# --- the results directory and concurrent runs ---------------------------------------------------------------

def test_an_unwritable_results_directory_is_named_with_the_fix(workdir):
    results = workdir / "results"
    results.mkdir()
    if os.geteuid() == 0:  # root writes through permission bits; an immutable directory stops it
        if subprocess.run(["chattr", "+i", str(results)], capture_output=True).returncode:
            pytest.skip("running as root on a filesystem without chattr: cannot make a directory unwritable")
    else:
        results.chmod(0o555)
    try:
        out = fails(workdir, "-n")
    finally:
        subprocess.run(["chattr", "-i", str(results)], capture_output=True)
        results.chmod(0o755)
    assert f"cannot write to {results}/" in out and "Make it a writable directory" in out


def test_a_second_run_in_the_same_directory_is_stopped_by_the_lock(workdir, shared_data):
    # ten times SLOW's epochs: the first run must still hold the lock when the second one has started
    # (a few seconds of planning on a busy machine); it is interrupted below, not waited for
    longer = {**SLOW, "experiments": {"raw": {"passes": {"pass1": {"epochs": 30, "batch_size": 16}}}}}
    slow = overlay(workdir, "slow.yaml", longer)
    first = start_workflow(snakemake_command(workdir, SLOW_TARGET, overlays=[slow], mirror=shared_data), workdir)
    log = workdir / "results" / "raw" / "pass1" / "seed42" / "train.log"
    try:
        wait_until(log.exists, first, "the first run's training")
        out = fails(workdir, SLOW_TARGET, overlays=[slow], mirror=shared_data)
        assert "Directory cannot be locked" in out and "--unlock" in out
    finally:
        os.killpg(first.pid, signal.SIGINT)
        first.communicate(timeout=60)
