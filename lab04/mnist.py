"""Turn the four MNIST IDX files into one checked, optionally subsetted, array file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lab04.atomic import atomic_path
from lab04.idx import read_idx

N_CLASSES = 10
SHAPE = (28, 28)


def load_split(images_path: str | Path, labels_path: str | Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Read one split and check what MNIST promises: uint8 28x28 images, labels 0-9, equal counts."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != SHAPE or images.dtype != np.uint8:
        raise ValueError(f"{name} images: expected uint8 (n, 28, 28), got {images.dtype} {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"{name}: {len(images)} images but labels of shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= N_CLASSES:
        raise ValueError(f"{name} labels outside 0..9: {sorted(set(labels.tolist()))[:12]}")
    return images, labels.astype(np.uint8)


def subset(images: np.ndarray, labels: np.ndarray, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Keep the first ``limit`` examples (all when ``limit`` is None): same order as the notebooks."""
    if limit is None or limit >= len(images):
        return images, labels
    return images[:limit], labels[:limit]


def save_npz(dest: str | Path, **arrays: np.ndarray) -> None:
    """Write arrays to ``dest`` atomically (uncompressed: these are read by every job)."""
    with atomic_path(dest, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)
