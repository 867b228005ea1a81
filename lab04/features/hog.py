"""HOG descriptors of grey-scale images (the digits, the clothes), computed exactly as the course notebook does.

The notebook calls ``skimage.feature.hog`` once per image (``hog_one``, ``hog_per_image``). The cached
features job computes the same numbers for a stack of images at once (``hog_features``): the
gradients of every image in one NumPy operation, then skimage's own cell-histogram kernel (the one
``hog`` runs) once over the stack laid out as a tall mosaic of whole cells, then skimage's L2-Hys
normalisation of each 1x1 block along the stack. Cells never straddle two images, so every
descriptor is bit for bit the notebook's (tests/test_hog.py), at about a sixth of its time.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
from skimage.feature import _hoghistogram, hog

from lab04.features.representations import hog_length

# Images per stack: the gradients of a stack take 2 x 8 bytes per pixel (~50 MB for 28x28 images).
STACK = 4096
EPS = 1e-5  # skimage's block-normalisation epsilon


def hog_one(image: np.ndarray, orientations: int, pixels_per_cell: int) -> np.ndarray:
    """The notebook's call: image scaled to [0, 1], 1x1 blocks, skimage's default L2-Hys norm."""
    return hog(
        image.astype(np.float32) / 255.0,
        orientations=orientations,
        pixels_per_cell=(pixels_per_cell, pixels_per_cell),
        cells_per_block=(1, 1),
    )


def hog_per_image(images: np.ndarray, orientations: int, pixels_per_cell: int) -> np.ndarray:
    """The notebook's loop: ``hog_one`` image by image, one float32 row each."""
    out = np.empty((len(images), hog_length(orientations, pixels_per_cell, images.shape[1:3])), np.float32)
    for i, image in enumerate(images):
        out[i] = hog_one(image.reshape(images.shape[1:3]), orientations, pixels_per_cell)
    return out


def _hog_stack(args: tuple[np.ndarray, int, int]) -> np.ndarray:
    """``hog_one`` of every image of a stack (n, rows, cols), one float32 row each."""
    images, orientations, cell = args
    x = images.reshape(images.shape[:3]).astype(np.float32) / np.float32(255.0)
    n, rows, cols = x.shape
    # skimage's gradient: central differences, zero on the image's border rows and columns
    g_row, g_col = np.zeros_like(x), np.zeros_like(x)
    g_row[:, 1:-1, :] = x[:, 2:, :] - x[:, :-2, :]
    g_col[:, :, 1:-1] = x[:, :, 2:] - x[:, :, :-2]
    # whole cells only (skimage drops partial ones), the images one above the other
    cells_r, cells_c = rows // cell, cols // cell
    height, width = cells_r * cell, cells_c * cell
    g_row = np.ascontiguousarray(g_row[:, :height, :width], dtype=np.float64).reshape(n * height, width)
    g_col = np.ascontiguousarray(g_col[:, :height, :width], dtype=np.float64).reshape(n * height, width)
    histogram = np.zeros((n * cells_r, cells_c, orientations))
    _hoghistogram.hog_histograms(g_col, g_row, cell, cell, width, n * height, cells_c, n * cells_r,
                                 orientations, histogram)
    # L2-Hys of each 1x1 block, as skimage's _hog_normalize_block
    out = histogram / np.sqrt(np.sum(histogram**2, axis=-1, keepdims=True) + EPS**2)
    out = np.minimum(out, 0.2)
    out = out / np.sqrt(np.sum(out**2, axis=-1, keepdims=True) + EPS**2)
    return out.astype(np.float32).reshape(n, -1)


def hog_features(images: np.ndarray, orientations: int, pixels_per_cell: int, workers: int = 1) -> np.ndarray:
    """Descriptors of every image, one row each (``hog_per_image``'s numbers), in stacks spread over
    ``workers`` processes.

    Stored as float32: Keras casts its inputs to float32 anyway, so nothing the models see changes.
    """
    if len(images) == 0:
        return np.zeros((0, hog_length(orientations, pixels_per_cell, images.shape[1:3])), np.float32)
    stacks = max(workers, -(-len(images) // STACK))
    tasks = [(s, orientations, pixels_per_cell) for s in np.array_split(images, stacks) if len(s)]
    if workers <= 1:
        return np.concatenate([_hog_stack(t) for t in tasks])
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return np.concatenate(list(pool.map(_hog_stack, tasks)))


def compute(images: np.ndarray, settings: dict, workers: int = 1) -> np.ndarray:
    """The cached-features entry point of a representation (lab04/features/representations.py)."""
    return hog_features(images, settings["orientations"], settings["pixels_per_cell"], workers=workers)
