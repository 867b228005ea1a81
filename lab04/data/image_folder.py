"""Image-folder data sets (the chest X-rays): find the layout in a folder or a zip, check it, decode it.

Layout: ``[anything/]<tree>/{train,val,test}/<CLASS>/<image>``, e.g. Kermany/Kaggle's
``chest_xray/train/NORMAL/*.jpeg`` (class folder names are matched case-insensitively, labels follow
the order of the configured classes). The Mendeley archive has no ``val``: it is then carved from train.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, UnidentifiedImageError

CLASSES = ("NORMAL", "PNEUMONIA")  # the chest X-rays: label 0 = normal, 1 = pneumonia, as in the notebook
SPLITS = ("train", "val", "test")


class DatasetError(ValueError):
    """The dataset is missing, incomplete or has unreadable images."""


@dataclass
class Listing:
    """Where each image lives, per split, before anything is decoded."""

    source: str
    root: str
    classes: tuple[str, ...] = CLASSES
    files: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # split -> (member, label)
    skipped: list[str] = field(default_factory=list)  # files under a class folder that are not images

    def counts(self) -> dict[str, dict[str, int]]:
        return {split: {self.classes[k]: v for k, v in sorted(Counter(lbl for _, lbl in items).items())}
                for split, items in self.files.items()}


def _members(source: Path) -> list[PurePosixPath]:
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as zf:
            return [PurePosixPath(n) for n in zf.namelist() if not n.endswith("/")]
    return [PurePosixPath(p.relative_to(source).as_posix()) for p in source.rglob("*") if p.is_file()]


def _image_suffixes() -> set[str]:
    """Every extension Pillow can open (.jpeg, .jpg, .png, .bmp, .tif, ...), matched case-insensitively."""
    return {ext.lower() for ext in Image.registered_extensions()}


def list_images(source: str | Path, classes: tuple[str, ...] = CLASSES) -> Listing:
    """Find the split folders under ``source`` (directory or zip) and list every image with its label.

    Archives as published carry extras: macOS resource forks (``__MACOSX/``, ``._*``) and hidden files
    are ignored; a second copy of the same tree (Kaggle's ``chest_xray/chest_xray/``) is recognised
    as a copy and the outer one is used. Files under a class folder that are not images are listed
    in ``Listing.skipped`` so the caller can say so.
    """
    source = Path(source)
    if not source.exists():
        raise DatasetError(f"image source {source} does not exist")
    suffixes = _image_suffixes()
    upper = [c.upper() for c in classes]
    trees: dict[str, dict[str, list[tuple[str, int]]]] = {}  # root -> split -> (member, label)
    skipped = []
    for member in _members(source):
        parts = member.parts
        if "__MACOSX" in parts or any(part.startswith(".") for part in parts):
            continue
        if len(parts) < 3 or parts[-3].lower() not in SPLITS or parts[-2].upper() not in upper:
            continue
        if member.suffix.lower() not in suffixes:
            skipped.append(str(member))
            continue
        root = str(PurePosixPath(*parts[:-3]))
        trees.setdefault(root, {}).setdefault(parts[-3].lower(), []).append((str(member),
                                                                              upper.index(parts[-2].upper())))
    if not trees:
        raise DatasetError(
            f"no images in {source} laid out as <split>/<class>/<image> with split in {SPLITS} and class in "
            f"{classes} (e.g. chest_xray/train/NORMAL/IM-0115-0001.jpeg)")
    root = _one_tree(source, trees)
    by_split = trees[root]
    for split in ("train", "test"):
        if split not in by_split:
            raise DatasetError(f"{source} has no {split}/ split; found {sorted(by_split)}")
    for split, items in by_split.items():
        labels = {lbl for _, lbl in items}
        for k, name in enumerate(classes):
            if k not in labels:
                raise DatasetError(f"{source}: split {split} has no {name} images")
        items.sort()
    return Listing(source=str(source), root=root, classes=tuple(classes), files=by_split, skipped=sorted(skipped))


def _one_tree(source: Path, trees: dict[str, dict[str, list[tuple[str, int]]]]) -> str:
    """The tree to use when ``source`` holds several: identical copies are one tree (take the outermost)."""
    if len(trees) == 1:
        return next(iter(trees))

    def relative(root):
        return sorted((split, PurePosixPath(m).relative_to(root).as_posix() if root else m, lbl)
                      for split, items in trees[root].items() for m, lbl in items)

    roots = sorted(trees, key=lambda r: (len(PurePosixPath(r).parts), r))
    if all(relative(r) == relative(roots[0]) for r in roots[1:]):
        return roots[0]
    raise DatasetError(
        f"{source} holds several different chest_xray trees ({', '.join(r or '(top)' for r in roots)}). Extract "
        "the one to use and set datasets.<name>.source to its folder, or to a zip holding only that tree.")


def stratified_carve(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Indices of a validation subset with ``fraction`` of each class, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    chosen = []
    for k in np.unique(labels):
        idx = np.flatnonzero(labels == k)
        n = max(1, round(fraction * len(idx)))
        chosen.append(rng.choice(idx, size=n, replace=False))
    return np.sort(np.concatenate(chosen))


def file_groups(names: np.ndarray, pattern: str) -> np.ndarray:
    """The group of each image, the first group of ``pattern`` matched at the start of its file name
    (chest X-rays: the patient, ``person1_bacteria_1.jpeg`` -> ``person1``); a name the pattern misses is
    a group of its own."""
    regex = re.compile(pattern)
    out = []
    for name in names:
        base = str(name).rsplit("/", 1)[-1]
        match = regex.match(base)
        out.append(match.group(1) if match else base)
    return np.array(out)


def grouped_carve(labels: np.ndarray, groups: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Indices of a validation subset that takes whole groups: per class (a group's class is that of its
    first image), groups drawn with ``seed`` until ``fraction`` of the class's images are in; no group has
    images on both sides."""
    rng = np.random.default_rng(seed)
    names, first, counts = np.unique(groups, return_index=True, return_counts=True)
    chosen = []
    for k in np.unique(labels):
        mine = np.flatnonzero(labels[first] == k)
        target = max(1, round(fraction * counts[mine].sum()))
        order = rng.permutation(mine)
        taken = order[: int(np.searchsorted(np.cumsum(counts[order]), target)) + 1]
        chosen.append(names[taken])
    return np.flatnonzero(np.isin(groups, np.concatenate(chosen)))


def _decode(args: tuple[str, list[str], int]) -> tuple[np.ndarray, list[str]]:
    """Decode, grey-scale and resize a batch of images; collect the names of unreadable ones."""
    source, members, size = args
    out = np.zeros((len(members), size, size), np.uint8)
    bad = []
    zf = zipfile.ZipFile(source) if zipfile.is_zipfile(source) else None
    try:
        for i, member in enumerate(members):
            try:
                raw = zf.read(member) if zf else (Path(source) / member).read_bytes()
                with Image.open(io.BytesIO(raw)) as im:
                    # bilinear like image_dataset_from_directory; 'L' = its color_mode='grayscale'
                    out[i] = np.asarray(im.convert("L").resize((size, size), Image.Resampling.BILINEAR))
            except (OSError, UnidentifiedImageError, ValueError, KeyError) as err:
                bad.append(f"{member}: {err}")
    finally:
        if zf:
            zf.close()
    return out, bad


def decode_images(source: str, members: list[str], size: int, workers: int = 1) -> tuple[np.ndarray, list[str]]:
    """All images as uint8 (n, size, size), and a line for each one that could not be read."""
    if not members:
        return np.zeros((0, size, size), np.uint8), []
    chunks = [list(c) for c in np.array_split(np.array(members, dtype=object), max(1, workers * 4)) if len(c)]
    tasks = [(source, c, size) for c in chunks]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_decode, tasks))
    else:
        results = [_decode(t) for t in tasks]
    return np.concatenate([images for images, _ in results]), [b for _, errs in results for b in errs]


def limit_per_class(items: list[tuple[str, int]], limit: int | None) -> list[tuple[str, int]]:
    """First ``limit`` images of each class (for tiny test configurations)."""
    if limit is None:
        return items
    seen: Counter = Counter()
    kept = []
    for member, label in items:
        if seen[label] < limit:
            kept.append((member, label))
            seen[label] += 1
    return kept


def build_arrays(listing: Listing, size: int, seed: int, val_fraction: float | None, limit: int | None,
                 workers: int = 1, group_pattern: str | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Decoded splits plus a record of what was done (counts, whether val was carved, and by which groups:
    with ``group_pattern`` every group's images stay on one side of the carve)."""
    files = {split: limit_per_class(items, limit) for split, items in listing.files.items()}
    arrays, bad = {}, []
    for split, items in files.items():
        arrays[f"x_{split}"], unreadable = decode_images(listing.source, [m for m, _ in items], size, workers)
        bad += unreadable
        arrays[f"y_{split}"] = np.array([lbl for _, lbl in items], np.uint8)
        arrays[f"names_{split}"] = np.array([m for m, _ in items])
    if bad:  # never train on a silently partial set
        shown = "\n  - ".join(bad[:20]) + (f"\n  ... and {len(bad) - 20} more" if len(bad) > 20 else "")
        raise DatasetError(f"{len(bad)} unreadable image(s) in {listing.source}; fix or remove them:\n  - {shown}")
    info = {"source": listing.source, "root": listing.root, "found": listing.counts(), "val_carved": False,
            "official_val": "val" in files}
    if "val" not in files or val_fraction:
        fraction = val_fraction or 0.1
        if "val" in files:  # the official val set joins train; a larger carve-out replaces it
            for key in ("x", "y", "names"):
                arrays[f"{key}_train"] = np.concatenate([arrays[f"{key}_train"], arrays.pop(f"{key}_val")])
        if group_pattern:
            groups = file_groups(arrays["names_train"], group_pattern)
            val = grouped_carve(arrays["y_train"], groups, fraction, seed)
            info.update(group_pattern=group_pattern, groups={"carved_from": len(np.unique(groups)),
                                                             "val": len(np.unique(groups[val]))})
        else:
            val = stratified_carve(arrays["y_train"], fraction, seed)
        keep = np.setdiff1d(np.arange(len(arrays["y_train"])), val)
        for key in ("x", "y", "names"):
            arrays[f"{key}_val"] = arrays[f"{key}_train"][val]
            arrays[f"{key}_train"] = arrays[f"{key}_train"][keep]
        info.update(val_carved=True, val_fraction=fraction)
    info["used"] = {split: {name: int(np.sum(arrays[f"y_{split}"] == k)) for k, name in enumerate(listing.classes)}
                    for split in SPLITS}
    return arrays, info
