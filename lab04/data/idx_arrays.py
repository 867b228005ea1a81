"""Turn a data set's downloaded files into one checked, optionally subsetted, arrays file with the
``x_<split>``/``y_<split>`` names every pass reads: four IDX files (MNIST, Fashion-MNIST) or one
MedMNIST archive."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lab04.data.idx import read_idx


def check_split(images: np.ndarray, labels: np.ndarray, name: str, shape: tuple[int, int],
                n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """What the data set's entry promises: uint8 images of ``shape``, labels 0..n_classes-1, equal counts."""
    labels = labels.reshape(-1) if labels.ndim == 2 and labels.shape[1] == 1 else labels
    if images.ndim != 3 or images.shape[1:] != tuple(shape) or images.dtype != np.uint8:
        raise ValueError(f"{name} images: expected uint8 (n, {shape[0]}, {shape[1]}), got {images.dtype} "
                         f"{images.shape}; check the data set's image_shape in config or its files")
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"{name}: {len(images)} images but labels of shape {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"{name} labels outside 0..{n_classes - 1}: {sorted(set(labels.tolist()))[:12]}; "
                         "check the data set's classes in config")
    return images, labels.astype(np.uint8)


def load_split(images_path: str | Path, labels_path: str | Path, name: str, shape: tuple[int, int] = (28, 28),
               n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Read and check one IDX split."""
    return check_split(read_idx(images_path), read_idx(labels_path), name, shape, n_classes)


def medmnist_splits(path: str | Path, n_classes: int) -> dict[str, np.ndarray]:
    """A MedMNIST archive's ``<split>_images``/``<split>_labels`` (labels (n, 1)) as x_/y_ arrays."""
    with np.load(path) as archive:
        out = {}
        for split in ("train", "val", "test"):
            images = archive[f"{split}_images"]
            x, y = check_split(images, archive[f"{split}_labels"], split, images.shape[1:3], n_classes)
            out[f"x_{split}"], out[f"y_{split}"] = x, y
    return out


def subset(images: np.ndarray, labels: np.ndarray, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Keep the first ``limit`` examples (all when ``limit`` is None): same order as the notebooks."""
    if limit is None or limit >= len(images):
        return images, labels
    return images[:limit], labels[:limit]
