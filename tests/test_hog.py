import numpy as np
import pytest
from skimage.feature import hog

from lab04.data.idx import read_idx
from lab04.features import hog as hog_module
from lab04.features.hog import hog_features, hog_per_image
from lab04.features.representations import hog_length


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(0)
    images = np.zeros((12, 28, 28), np.uint8)
    images[:, 6:22, 10:18] = rng.integers(0, 256, (12, 16, 8), dtype=np.uint8)
    images[0] = rng.integers(0, 256, (28, 28), dtype=np.uint8)  # gradients up to the border
    images[1, :, 5] = 255  # one vertical and one horizontal edge: every cell's mass in one bin
    images[2, 9, :] = 255
    return images


@pytest.fixture(scope="module")
def mnist_digits(shared_data):
    return read_idx(shared_data / "mnist" / "t10k-images-idx3-ubyte.gz")[:600]


@pytest.mark.parametrize("orientations, ppc", [(8, 4), (16, 4), (16, 7), (9, 5), (8, 6)])
def test_per_image_is_skimage_as_called_by_the_notebook(digits, orientations, ppc):
    rows = hog_per_image(digits, orientations, ppc)
    for image, row in zip(digits, rows, strict=True):
        scaled = image.astype(np.float32) / 255.0
        expected = hog(scaled, orientations=orientations, pixels_per_cell=(ppc, ppc), cells_per_block=(1, 1))
        np.testing.assert_array_equal(row, expected.astype(np.float32))
    assert rows.shape == (len(digits), hog_length(orientations, ppc, (28, 28)))


@pytest.mark.parametrize("orientations, ppc", [(8, 4), (16, 4), (16, 7), (9, 5), (8, 6), (12, 28)])
def test_stacked_features_are_the_notebooks_bit_for_bit(digits, orientations, ppc):
    np.testing.assert_array_equal(hog_features(digits, orientations, ppc),
                                  hog_per_image(digits, orientations, ppc))


@pytest.mark.parametrize("orientations, ppc", [(8, 4), (16, 4), (16, 7)])
def test_stacked_features_of_real_digits(mnist_digits, orientations, ppc):
    """The report's three HOG settings on 600 MNIST test digits."""
    np.testing.assert_array_equal(hog_features(mnist_digits, orientations, ppc),
                                  hog_per_image(mnist_digits, orientations, ppc))


def test_stacks_and_workers_give_identical_features(digits, monkeypatch):
    whole = hog_features(digits, 8, 4)
    monkeypatch.setattr(hog_module, "STACK", 5)  # three stacks of 4 or 5 images
    np.testing.assert_array_equal(hog_features(digits, 8, 4), whole)
    np.testing.assert_array_equal(hog_features(digits, 8, 4, workers=2), whole)


def test_no_images_give_an_empty_table():
    assert hog_features(np.zeros((0, 28, 28), np.uint8), 8, 4).shape == (0, 392)


@pytest.mark.parametrize("ppc, length", [(4, 392), (7, 128), (5, 200), (6, 128)])
def test_length_uses_whole_cells(ppc, length):
    assert hog_length(8, ppc, (28, 28)) == length
