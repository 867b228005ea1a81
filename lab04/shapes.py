"""Input shapes of each input kind, known without loading any data."""

from __future__ import annotations

MNIST_SHAPE = (28, 28)


def hog_length(orientations: int, pixels_per_cell: int, shape: tuple[int, int] = MNIST_SHAPE) -> int:
    """Real descriptor length: skimage drops partial cells, so floor, not the notebook's ratio."""
    cells = (shape[0] // pixels_per_cell) * (shape[1] // pixels_per_cell)
    return cells * orientations


def input_shape(spec: dict) -> tuple[int, ...]:
    """Shape of one example as the model sees it, from a pass's ``input`` settings."""
    if spec["kind"] == "raw":
        return (MNIST_SHAPE[0] * MNIST_SHAPE[1],)
    if spec["kind"] == "hog":
        return (hog_length(spec["orientations"], spec["pixels_per_cell"]),)
    if spec["kind"] == "xray":
        return (spec["size"], spec["size"], 1)
    return (*MNIST_SHAPE, 1)  # image, pneumoniamnist
