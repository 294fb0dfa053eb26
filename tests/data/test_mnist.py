"""MNIST and Fashion-MNIST from a fake mirror."""

from __future__ import annotations


import numpy as np
import pytest

from cnnbook import data
from tests.data.fixtures import (
    SIZES,
    write_idx,
    write_sums,
)


def test_mnist_from_mirror_then_cache(mirror, capsys):
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (SIZES["mnist_train"], 28, 28)
    assert x_test.shape == (SIZES["mnist_test"], 28, 28)
    assert y_train.shape == (SIZES["mnist_train"],)
    assert y_test.shape == (SIZES["mnist_test"],)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
    printed = capsys.readouterr().out.strip()
    # One report, wrapped to 79 columns with indented continuation lines.
    assert all(row.startswith("  ") for row in printed.split("\n")[1:])
    line = " ".join(row.strip() for row in printed.split("\n"))
    assert "MNIST: 30 training + 20 test images" in line
    assert f"from the offline mirror ({mirror / 'mnist'})" in line
    assert "first 10,000" in line
    source = data.SOURCES["mnist"]
    assert (source.origin, source.n_train, source.n_test) == ("mirror", 30, 20)

    (x2, y2), (x3, y3) = data.load_mnist()
    line = capsys.readouterr().out
    assert "from the cache" in line
    assert "(built from the offline mirror)" in line
    assert data.SOURCES["mnist"].origin == "cache"
    assert data.SOURCES["mnist"].built_from == "mirror"
    np.testing.assert_array_equal(x2, x_train)
    np.testing.assert_array_equal(y3, y_test)


def test_fashion_mnist_shapes(mirror):
    (x_train, y_train), (x_test, y_test) = data.load("fashion_mnist")
    assert x_train.shape == (SIZES["fashion_train"], 28, 28)
    assert y_train.shape == (SIZES["fashion_train"],)
    assert x_test.dtype == y_test.dtype == np.uint8
    assert data.SOURCES["fashion_mnist"].origin == "mirror"


def test_bad_idx_magic_number(mirror):
    x = np.zeros((20, 28, 28), np.uint8)
    write_idx(mirror / "mnist" / "t10k-images-idx3-ubyte.gz", x, magic=2049)
    write_sums(mirror)
    with pytest.raises(data.DataFormatError, match="magic number 2049"):
        data.load_mnist()
