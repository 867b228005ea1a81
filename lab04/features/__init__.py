"""Representations of the cached images that models train on (pixels, image, HOG)."""
