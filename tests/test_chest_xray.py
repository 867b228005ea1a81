import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lab04.data.image_folder import DatasetError, build_arrays, file_groups, list_images, stratified_carve
from lab04.data.sources import resolve_source


def make_tree(root: Path, counts: dict, size=(40, 30)) -> Path:
    """chest_xray/<split>/<CLASS>/*.jpeg with distinct grey levels per image."""
    rng = np.random.default_rng(0)
    for (split, cls), n in counts.items():
        folder = root / "chest_xray" / split / cls
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{cls.lower()}-{i}.jpeg")
    return root


KAGGLE = {("train", "NORMAL"): 6, ("train", "PNEUMONIA"): 14, ("val", "NORMAL"): 2, ("val", "PNEUMONIA"): 2,
          ("test", "NORMAL"): 3, ("test", "PNEUMONIA"): 5}


def test_folder_with_val_is_used_as_given(tmp_path):
    listing = list_images(make_tree(tmp_path, KAGGLE))
    assert listing.counts() == {"test": {"NORMAL": 3, "PNEUMONIA": 5}, "train": {"NORMAL": 6, "PNEUMONIA": 14},
                                "val": {"NORMAL": 2, "PNEUMONIA": 2}}
    arrays, info = build_arrays(listing, size=16, seed=1, val_fraction=None, limit=None)
    assert arrays["x_train"].shape == (20, 16, 16) and arrays["x_train"].dtype == np.uint8
    assert arrays["y_test"].tolist() == [0, 0, 0, 1, 1, 1, 1, 1]
    assert not info["val_carved"] and info["used"]["val"] == {"NORMAL": 2, "PNEUMONIA": 2}


def test_missing_val_is_carved_stratified_and_reproducible(tmp_path):
    no_val = {k: v for k, v in KAGGLE.items() if k[0] != "val"}
    listing = list_images(make_tree(tmp_path, no_val))
    a, info = build_arrays(listing, size=8, seed=3, val_fraction=0.5, limit=None)
    b, _ = build_arrays(listing, size=8, seed=3, val_fraction=0.5, limit=None)
    assert info["val_carved"] and not info["official_val"]
    assert info["used"]["val"] == {"NORMAL": 3, "PNEUMONIA": 7} and info["used"]["train"] == {"NORMAL": 3,
                                                                                               "PNEUMONIA": 7}
    np.testing.assert_array_equal(a["names_val"], b["names_val"])
    assert not set(a["names_val"]) & set(a["names_train"])


def test_a_grouped_carve_keeps_each_patient_on_one_side(tmp_path, config):
    # 8 patients with pneumonia (1 to 4 images each, 20 in all), 10 normal patients with one image each
    rng = np.random.default_rng(0)
    files = {"PNEUMONIA": [f"person{p}_bacteria_{i}.jpeg" for p, n in enumerate([4, 1, 3, 2, 4, 1, 3, 2])
                           for i in range(n)],
             "NORMAL": [f"IM-{p:04d}-0001.jpeg" for p in range(10)]}
    for split, names in (("train", files), ("test", {"NORMAL": ["IM-9000-0001.jpeg"],
                                                     "PNEUMONIA": ["person99_virus_1.jpeg"]})):
        for cls, members in names.items():
            folder = tmp_path / "chest_xray" / split / cls
            folder.mkdir(parents=True)
            for name in members:
                Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(folder / name)
    pattern = config["datasets"]["chest_xray"]["group_pattern"]
    arrays, info = build_arrays(list_images(tmp_path), 8, 5, 0.3, None, group_pattern=pattern)
    val, train = (set(file_groups(arrays[f"names_{s}"], pattern)) for s in ("val", "train"))
    assert val and not val & train  # whole patients: none on both sides
    assert info["groups"] == {"carved_from": 18, "val": len(val)}
    # each class carved until 30 % of its images are in: 3 of 10 normal images, at least 6 of 20 with pneumonia
    assert info["used"]["val"]["NORMAL"] == 3 and 6 <= info["used"]["val"]["PNEUMONIA"] <= 9
    again, _ = build_arrays(list_images(tmp_path), 8, 5, 0.3, None, group_pattern=pattern)
    np.testing.assert_array_equal(again["names_val"], arrays["names_val"])
    image_wise, _ = build_arrays(list_images(tmp_path), 8, 5, 0.3, None)
    assert set(file_groups(image_wise["names_val"], pattern)) & set(file_groups(image_wise["names_train"], pattern))


def test_zip_input_gives_the_same_arrays(tmp_path):
    folder = make_tree(tmp_path / "tree", KAGGLE)
    archive = tmp_path / "ChestXRay2017.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*.jpeg")):
            zf.write(path, path.relative_to(folder))
        zf.writestr("__MACOSX/chest_xray/train/NORMAL/._x.jpeg", b"resource fork")
    from_zip, _ = build_arrays(list_images(archive), 12, 0, None, None)
    from_dir, _ = build_arrays(list_images(folder), 12, 0, None, None, workers=2)
    for key in ("x_train", "y_train", "x_test", "x_val"):
        np.testing.assert_array_equal(from_zip[key], from_dir[key])


def test_broken_images_are_named_and_stop_the_build(tmp_path):
    root = make_tree(tmp_path, KAGGLE)
    (root / "chest_xray" / "test" / "NORMAL" / "broken.jpeg").write_bytes(b"\xff\xd8 not a jpeg")
    (root / "chest_xray" / "train" / "PNEUMONIA" / "empty.jpeg").write_bytes(b"")
    with pytest.raises(DatasetError, match="2 unreadable image") as err:
        build_arrays(list_images(root), 8, 0, None, None)
    assert "broken.jpeg" in str(err.value) and "empty.jpeg" in str(err.value)


@pytest.mark.parametrize("drop, message", [
    ({("test", "NORMAL"), ("test", "PNEUMONIA")}, "has no test/ split"),
    ({("train", "PNEUMONIA")}, "split train has no PNEUMONIA images"),
])
def test_incomplete_layouts_are_refused(tmp_path, drop, message):
    root = make_tree(tmp_path, {k: v for k, v in KAGGLE.items() if k not in drop})
    with pytest.raises(DatasetError, match=message):
        list_images(root)


def test_unrelated_folder_explains_the_layout(tmp_path):
    (tmp_path / "pictures").mkdir()
    Image.new("L", (4, 4)).save(tmp_path / "pictures" / "a.jpeg")
    with pytest.raises(DatasetError, match="laid out as <split>/<class>/<image>"):
        list_images(tmp_path)


def test_limit_per_class(tmp_path):
    arrays, info = build_arrays(list_images(make_tree(tmp_path, KAGGLE)), 8, 0, None, limit=2)
    assert info["used"]["train"] == {"NORMAL": 2, "PNEUMONIA": 2}


def test_stratified_carve_keeps_class_shares():
    labels = np.array([0] * 100 + [1] * 300)
    idx = stratified_carve(labels, 0.1, seed=0)
    assert np.bincount(labels[idx]).tolist() == [10, 30]


def test_source_order(tmp_path):
    (tmp_path / "chest_xray_224").mkdir()
    url = "https://example.org/ChestXRay2017.zip"
    assert resolve_source("/data/x.zip", str(tmp_path), "chest_xray_224", "A.zip", url) == ("local", "/data/x.zip")
    assert resolve_source("", str(tmp_path), "chest_xray_224", "A.zip", url) == ("local",
                                                                                 str(tmp_path / "chest_xray_224"))
    assert resolve_source("", tmp_path.as_uri(), "chest_xray_224", "A.zip", url)[0] == "local"
    assert resolve_source("", "http://mirror/data", "chest_xray_224", "A.zip", url) == ("url",
                                                                                        "http://mirror/data/A.zip")
    assert resolve_source("", str(tmp_path / "empty"), "chest_xray_224", "A.zip", url) == ("url", url)


def test_kaggle_zip_quirks_are_handled(tmp_path):
    """The archive as published: a nested copy of the tree, macOS resource forks, .DS_Store files."""
    tree = make_tree(tmp_path / "tree", KAGGLE)
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(tree.rglob("*.jpeg")):
            rel = path.relative_to(tree).as_posix()
            zf.write(path, rel)
            zf.write(path, f"chest_xray/{rel}")  # chest_xray/chest_xray/...
            zf.writestr(f"__MACOSX/{rel.rsplit('/', 1)[0]}/._{path.name}", b"resource fork")
        zf.writestr("chest_xray/.DS_Store", b"finder")
        zf.writestr("chest_xray/train/NORMAL/.DS_Store", b"finder")
    listing = list_images(archive)
    assert listing.root == "chest_xray" and listing.counts() == list_images(tree).counts()
    assert listing.skipped == []


def test_different_nested_trees_are_refused_with_a_fix(tmp_path):
    make_tree(tmp_path, KAGGLE)
    make_tree(tmp_path / "chest_xray", {k: v + 1 for k, v in KAGGLE.items()})
    with pytest.raises(DatasetError, match="several different chest_xray trees.*set datasets.<name>.source"):
        list_images(tmp_path)


def test_any_image_extension_in_any_case_is_used_and_other_files_are_listed(tmp_path):
    root = make_tree(tmp_path, KAGGLE)
    folder = root / "chest_xray" / "train" / "NORMAL"
    Image.new("L", (8, 8), 10).save(folder / "upper.JPEG", format="JPEG")
    Image.new("L", (8, 8), 20).save(folder / "short.jpg")
    Image.new("L", (8, 8), 30).save(folder / "lossless.PNG", format="PNG")
    Image.new("L", (8, 8), 40).save(folder / "bitmap.bmp")
    (folder / "notes.txt").write_text("not an image")
    listing = list_images(root)
    assert listing.counts()["train"]["NORMAL"] == KAGGLE["train", "NORMAL"] + 4
    assert listing.skipped == ["chest_xray/train/NORMAL/notes.txt"]
    arrays, _ = build_arrays(listing, 8, 0, None, None)
    assert arrays["x_train"].shape[0] == 24
