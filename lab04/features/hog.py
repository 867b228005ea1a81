"""HOG descriptors of grey-scale images (the digits, the clothes), computed exactly as the course notebook does."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
from skimage.feature import hog

from lab04.features.representations import hog_length


def hog_one(image: np.ndarray, orientations: int, pixels_per_cell: int) -> np.ndarray:
    """The notebook's call: image scaled to [0, 1], 1x1 blocks, skimage's default L2-Hys norm."""
    return hog(
        image.astype(np.float32) / 255.0,
        orientations=orientations,
        pixels_per_cell=(pixels_per_cell, pixels_per_cell),
        cells_per_block=(1, 1),
    )


def _hog_chunk(args: tuple[np.ndarray, int, int]) -> np.ndarray:
    images, orientations, pixels_per_cell = args
    out = np.empty((len(images), hog_length(orientations, pixels_per_cell, images.shape[1:])), np.float32)
    for i, image in enumerate(images):
        out[i] = hog_one(image, orientations, pixels_per_cell)
    return out


def hog_features(images: np.ndarray, orientations: int, pixels_per_cell: int, workers: int = 1) -> np.ndarray:
    """Descriptors of every image, one row each, spread over ``workers`` processes.

    Stored as float32: Keras casts its inputs to float32 anyway, so nothing the models see changes.
    """
    if len(images) == 0:
        return np.zeros((0, hog_length(orientations, pixels_per_cell, images.shape[1:])), np.float32)
    chunks = np.array_split(images, max(1, workers * 4))
    tasks = [(c, orientations, pixels_per_cell) for c in chunks if len(c)]
    if workers <= 1:
        return np.concatenate([_hog_chunk(t) for t in tasks])
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return np.concatenate(list(pool.map(_hog_chunk, tasks)))


def compute(images: np.ndarray, settings: dict, workers: int = 1) -> np.ndarray:
    """The cached-features entry point of a representation (lab04/features/representations.py)."""
    return hog_features(images, settings["orientations"], settings["pixels_per_cell"], workers=workers)
