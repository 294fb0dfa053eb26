"""CIFAR-10 and the cats-vs-dogs folder from a fake mirror."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from cnnbook import data
from cnnbook.data import sources
from tests.data.fixtures import (
    COLOURS,
    SIZES,
    write_sums,
)


def test_cifar10_shapes_labels_and_order(mirror, capsys):
    (x_train, y_train), (x_test, y_test) = data.load_cifar10()
    n_train = 10 * SIZES["cifar_train_per_class"]
    n_test = 10 * SIZES["cifar_test_per_class"]
    assert x_train.shape == (n_train, 32, 32, 3)
    assert x_test.shape == (n_test, 32, 32, 3)
    assert y_train.shape == (n_train, 1) and y_test.shape == (n_test, 1)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert np.bincount(y_train.ravel()).tolist() == [5] * 10
    # Each fixture class has its own colour: labels follow Keras's order.
    for x, y in ((x_train, y_train), (x_test, y_test)):
        means = x.reshape(len(x), -1, 3).mean(axis=1)
        assert np.abs(means - COLOURS[y.ravel()]).max() < 12
    # Shuffled: the classes are interleaved, not sorted.
    assert not np.all(np.diff(y_train.ravel().astype(int)) >= 0)
    assert "JPEG re-encodings" in capsys.readouterr().out
    (x2, _), _ = data.load_cifar10()  # same order from the cache
    np.testing.assert_array_equal(x2, x_train)


def test_cats_vs_dogs_dir(mirror, capsys):
    folder = data.cats_vs_dogs_dir(n_train=2, n_validation=1, n_test=1)
    for split, n in (("train", 2), ("validation", 1), ("test", 1)):
        for animal in ("cats", "dogs"):
            files = sorted((folder / split / animal).glob("*.jpg"))
            assert len(files) == n
    assert str(sources._cache_root()) in str(folder)
    # The bytes are the mirror's JPEGs, unchanged.
    with zipfile.ZipFile(mirror / "cifar10" / "cifar10-jpeg-train.zip") as z:
        cats = {z.read(n) for n in z.namelist() if n.startswith("train/cat/")}
        cats.discard(b"")
    for path in (folder / "train" / "cats").glob("*.jpg"):
        assert path.read_bytes() in cats
    assert data.SOURCES["cats_vs_dogs"].origin == "mirror"
    capsys.readouterr()

    again = data.cats_vs_dogs_dir(n_train=2, n_validation=1, n_test=1)
    assert again == folder and data.SOURCES["cats_vs_dogs"].origin == "cache"
    next((folder / "test" / "dogs").glob("*.jpg")).unlink()
    data.cats_vs_dogs_dir(n_train=2, n_validation=1, n_test=1)
    assert "rebuilding" in capsys.readouterr().out
    assert len(list((folder / "test" / "dogs").glob("*.jpg"))) == 1


def test_cats_vs_dogs_needs_enough_images(mirror):
    with pytest.raises(data.DataFormatError, match="needed"):
        data.cats_vs_dogs_dir()  # 1,500 cats wanted, the fixture has 5


def test_unreadable_jpeg(mirror):
    path = mirror / "cifar10" / "cifar10-jpeg-test.zip"
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("test/cat/9999.jpg", b"not a jpeg")
    write_sums(mirror)
    with pytest.raises(data.DataFormatError, match="9999.jpg"):
        data.load_cifar10()
