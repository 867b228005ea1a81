import shutil
from pathlib import Path

import pytest

from lab04 import fingerprint
from lab04.fingerprint import code_fingerprint, content_digest, package_modules

ROOT = Path(__file__).resolve().parents[1]


def test_a_script_runs_the_modules_it_imports_directly_or_not():
    modules = package_modules(ROOT / "scripts" / "train.py")
    assert {"lab04.train.fit", "lab04.train.models", "lab04.train.outputs", "lab04.logs"} <= set(modules)
    assert not any(m.startswith("lab04.report") for m in modules) and "lab04.features.hog" not in modules
    # the report script reaches lab04.analysis.weights only through lab04.report's modules
    assert "lab04.analysis.weights" in package_modules(ROOT / "scripts" / "report.py")


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    copy = tmp_path / "lab04"
    shutil.copytree(ROOT / "lab04", copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "PACKAGE_DIR", copy)
    code_fingerprint.cache_clear()
    yield copy
    code_fingerprint.cache_clear()


def test_editing_an_imported_module_changes_the_fingerprint_of_its_scripts_only(package_copy):
    train, report = ROOT / "scripts" / "train.py", ROOT / "scripts" / "report.py"
    before = code_fingerprint(train), code_fingerprint(report)
    models = package_copy / "train" / "models.py"
    models.write_text(models.read_text() + "\n# changed\n")
    code_fingerprint.cache_clear()
    assert code_fingerprint(train) != before[0]
    assert code_fingerprint(report) == before[1]


def test_content_digest_follows_content_not_location(tmp_path):
    tree = tmp_path / "a"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "x.jpeg").write_bytes(b"pixels")
    (tree / "y.jpeg").write_bytes(b"more pixels")
    copy = tmp_path / "b"
    shutil.copytree(tree, copy)
    assert content_digest(tree) == content_digest(copy)
    (copy / "sub" / "x.jpeg").write_bytes(b"pixelz")
    assert content_digest(tree) != content_digest(copy)
    (copy / "sub" / "x.jpeg").rename(copy / "sub" / "z.jpeg")  # a renamed file is a change too
    assert content_digest(copy) != content_digest(tree)
    assert content_digest(tree / "y.jpeg") == content_digest(copy / "y.jpeg")


def test_content_digest_rereads_only_changed_files(tmp_path, monkeypatch):
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(3):
        (tree / f"{i}.png").write_bytes(bytes([i]) * 10)
    cache = tmp_path / "cache.json"
    first = content_digest(tree, cache)
    reads = []
    real = fingerprint._file_digest
    monkeypatch.setattr(fingerprint, "_file_digest", lambda path: reads.append(path.name) or real(path))
    assert content_digest(tree, cache) == first and reads == []
    (tree / "1.png").write_bytes(b"changed")
    assert content_digest(tree, cache) != first and reads == ["1.png"]


def test_a_representation_computes_its_features_in_a_module_only_the_features_job_runs():
    from lab04.features.representations import REPRESENTATIONS

    module = REPRESENTATIONS["hog"].compute
    assert module == "lab04.features.hog"
    assert module not in package_modules(ROOT / "scripts" / "train.py")
    features = ROOT / "scripts" / "features.py"
    assert module not in package_modules(features)  # named in the registry, imported by name
    assert code_fingerprint(features, module) != code_fingerprint(features)
