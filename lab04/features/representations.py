"""How a pass sees its data set's images: flat pixels, an image with a channel, or HOG descriptors.

Each representation is one entry of ``REPRESENTATIONS``: the input keys it reads, the model input
shape it produces, how it prepares the cached arrays, how the report describes it and, for one that
caches features (HOG), the key of its features file and the module that computes them (rules/features.smk
runs it for every such file). A new representation is its entry
here, its module when it computes features, and its input keys in schemas/config.schema.yaml.
NumPy only (no TensorFlow): the Snakefile asks for shapes while planning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def hog_length(orientations: int, pixels_per_cell: int, shape: tuple[int, int]) -> int:
    """Real descriptor length: skimage drops partial cells, so floor, not the notebook's ratio."""
    cells = (shape[0] // pixels_per_cell) * (shape[1] // pixels_per_cell)
    return cells * orientations


def _pixels(x: np.ndarray, spec: dict) -> np.ndarray:
    """Pixels as float32, scaled to [0, 1] unless the pass keeps 0-255 (the pneumonia notebook does)."""
    x = x.astype(np.float32)
    return x / 255.0 if spec.get("rescale", True) else x


def _scale_words(spec: dict) -> str:
    return "scaled to [0, 1]" if spec.get("rescale", True) else "pixels left at 0–255"


def _describe_hog(image: tuple[int, int], orientations: int, ppc: int) -> str:
    cells = (image[0] // ppc) * (image[1] // ppc)
    return (f"the HOG descriptor with {orientations} orientations and {ppc}×{ppc} pixels per cell "
            f"({cells} cells × {orientations} orientations)")


@dataclass(frozen=True)
class Representation:
    # input keys this representation reads, with their defaults (None: required)
    options: dict
    # (image shape, input) -> shape of one model input
    shape: Callable[[tuple[int, int], dict], tuple[int, ...]]
    # (cached images or features, input) -> what the model is fed
    prepare: Callable[[np.ndarray, dict], np.ndarray]
    # (arrays key, input) -> stem of the cached features file it reads instead of the images, or None
    features_key: Callable[[str, dict], str | None]
    # (image shape, input) -> what one input is, in words
    describe: Callable[[tuple[int, int], dict], str]
    # with features_key, for a representation that caches features: the module whose
    # ``compute(images, settings, workers)`` makes them, one row per image (named, not imported: only the
    # features job runs it, and a change to it reruns that job, not the trainings)
    compute: str | None = None
    # seconds of one core per image to compute them, for the scheduler's estimate (lab04/schedule.py)
    seconds_per_image: float = 0.0
    # image shape -> the largest value each option may take on images of that shape
    limits: Callable[[tuple[int, int]], dict[str, int]] = lambda _image: {}


REPRESENTATIONS: dict[str, Representation] = {
    "flat": Representation(
        options={"rescale": True},
        shape=lambda image, _spec: (image[0] * image[1],),
        prepare=lambda x, spec: _pixels(x.reshape(len(x), -1), spec),
        features_key=lambda _key, _spec: None,
        describe=lambda image, spec: f"the {image[0]}×{image[1]} pixels, flattened and {_scale_words(spec)}",
    ),
    "image": Representation(
        options={"rescale": True},
        shape=lambda image, _spec: (*image, 1),
        prepare=lambda x, spec: _pixels(x.reshape(*x.shape[:3], -1), spec),
        features_key=lambda _key, _spec: None,
        describe=lambda image, spec: (f"the {image[0]}×{image[1]} grey-scale image with one channel, "
                                      f"{_scale_words(spec)}"),
    ),
    "hog": Representation(
        options={"orientations": None, "pixels_per_cell": None},
        shape=lambda image, spec: (hog_length(spec["orientations"], spec["pixels_per_cell"], image),),
        prepare=lambda x, _spec: x.astype(np.float32),
        features_key=lambda key, spec: f"{key}_hog_o{int(spec['orientations'])}_p{int(spec['pixels_per_cell'])}",
        describe=lambda image, spec: _describe_hog(image, spec["orientations"], spec["pixels_per_cell"]),
        compute="lab04.features.hog",
        seconds_per_image=1e-4,  # measured: 70,000 digits in 3-6 s on one process (8-16 orientations)
        limits=lambda image: {"pixels_per_cell": min(image)},  # at least one cell
    ),
}


def representation(name: str) -> Representation:
    if name not in REPRESENTATIONS:
        raise ValueError(f"unknown representation {name!r}; use one of {', '.join(REPRESENTATIONS)}")
    return REPRESENTATIONS[name]
