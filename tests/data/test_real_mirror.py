"""The real offline mirror (skipped where there is none)."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from cnnbook import data
from cnnbook.data import sources
from tests.data.fixtures import (
    needs_real_mirror,
)


@needs_real_mirror
def test_real_mnist(real_mirror):
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (10000, 28, 28) and y_train.shape == (10000,)
    assert x_test.shape == (10000, 28, 28)
    counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(y_test).tolist() == counts
    assert x_test.mean() == pytest.approx(33.79, abs=0.01)
    labels = data.read_idx(
        real_mirror / "mnist" / "train-labels-idx1-ubyte.gz", 1
    )
    np.testing.assert_array_equal(labels[:10000], y_train)


@needs_real_mirror
def test_real_cifar10_full_decode(real_mirror, user_cache, monkeypatch,
                                  tmp_path):
    """All 60,000 JPEGs, decoded into the user's cache (or found there,
    decoded by a notebook or an earlier run); the test split decoded
    afresh from the mirror is bit for bit what the cache holds."""
    record = sources._cache_paths("cifar10")[1]
    if record.is_file() and (
        (sources._read_json(record) or {}).get("built_from") != "mirror"
    ):  # Keras's online copy, other pixels: decode into a fresh cache
        monkeypatch.setenv("CNNBOOK_CACHE", str(tmp_path / "cache"))
    (x_train, y_train), (x_test, y_test) = data.load_cifar10()
    assert data.SOURCES["cifar10"].provenance == "the offline mirror"
    assert x_train.shape == (50000, 32, 32, 3)
    assert x_test.shape == (10000, 32, 32, 3)
    assert np.bincount(y_train.ravel()).tolist() == [5000] * 10
    assert np.bincount(y_test.ravel()).tolist() == [1000] * 10
    assert len(set(y_train[:50].ravel().tolist())) >= 8  # interleaved
    assert 100 < x_train.mean() < 140
    path = sources._mirror_file(real_mirror, data.cifar._CIFAR_FILES[1])
    x_fresh, y_fresh = data.cifar._decode_cifar_zip(
        path, "test", seed=data.cifar._CIFAR_SEEDS["test"])
    np.testing.assert_array_equal(x_fresh, x_test)
    np.testing.assert_array_equal(y_fresh, y_test)


@needs_real_mirror
def test_real_cifar10_zip_members(real_mirror):
    path = sources._mirror_file(real_mirror, "cifar10/cifar10-jpeg-test.zip")
    with zipfile.ZipFile(path) as archive:
        members = data.cifar_zip_members(archive, "test", path)
        assert len(members) == 10000
        label, member = members[3000]
        assert member.startswith(f"test/{data.CIFAR10_CLASSES[label]}/")
        image = data.cifar._decode_jpeg(archive.read(member), member)
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8


@needs_real_mirror
def test_real_imdb_text(real_mirror):
    (texts, labels), (texts_test, labels_test) = data.load_imdb_text()
    assert len(texts) == len(texts_test) == 24998
    assert np.bincount(labels).tolist() == [12500, 12498]
    assert np.bincount(labels_test).tolist() == [12500, 12498]
    assert not any("<br" in text for text in texts[:1000])


@needs_real_mirror
def test_real_imagenet_names(real_mirror):
    names = data.imagenet_class_names()
    assert names[281] == "tabby" and len(names) == 1000
    assert len(data.imagenet_tflite_labels()) == 1001
