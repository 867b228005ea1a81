import numpy as np
import pytest
from skimage.feature import hog

from lab04.features.hog import hog_features
from lab04.features.representations import hog_length


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(0)
    images = np.zeros((12, 28, 28), np.uint8)
    images[:, 6:22, 10:18] = rng.integers(0, 256, (12, 16, 8), dtype=np.uint8)
    return images


@pytest.mark.parametrize("orientations, ppc", [(8, 4), (16, 4), (16, 7), (9, 5), (8, 6)])
def test_equals_skimage_as_called_by_the_notebook(digits, orientations, ppc):
    ours = hog_features(digits, orientations, ppc)
    for image, row in zip(digits, ours, strict=True):
        scaled = image.reshape(28, 28).astype(np.float32) / 255.0
        expected = hog(scaled, orientations=orientations, pixels_per_cell=(ppc, ppc),
                       cells_per_block=(1, 1))
        np.testing.assert_allclose(row, expected, rtol=1e-6, atol=1e-7)
    assert ours.shape == (len(digits), hog_length(orientations, ppc, (28, 28)))


@pytest.mark.parametrize("ppc, length", [(4, 392), (7, 128), (5, 200), (6, 128)])
def test_length_uses_whole_cells(ppc, length):
    assert hog_length(8, ppc, (28, 28)) == length


def test_workers_give_identical_features(digits):
    one, two = hog_features(digits, 8, 4, workers=1), hog_features(digits, 8, 4, workers=2)
    np.testing.assert_array_equal(one, two)
