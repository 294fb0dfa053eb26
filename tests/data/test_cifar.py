"""CIFAR-10 and the cats-vs-dogs folder from a fake mirror."""

from __future__ import annotations

import io
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


def test_jpeg_fast_path_decodes_like_pillow():
    """The fast path (libjpeg straight into a 32x32 RGB image) gives
    Pillow's own pixels; what it refuses (another size, CMYK, not a
    JPEG) goes to the general path, which decodes it or says why not."""
    from PIL import Image

    rng = np.random.default_rng(0)

    def jpeg(pixels, mode=None):
        out = io.BytesIO()
        image = Image.fromarray(pixels)
        (image.convert(mode) if mode else image).save(out, format="JPEG")
        return out.getvalue()

    def pillow(data):
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image.convert("RGB"))

    colour = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    grey = rng.integers(0, 256, (32, 32), dtype=np.uint8)
    for data_ in (jpeg(colour), jpeg(grey), jpeg(colour, "CMYK")):
        np.testing.assert_array_equal(
            data.cifar._decode_jpeg(data_, "x"), pillow(data_)
        )
    with pytest.raises(data.DataFormatError, match=r"shape \(32, 40, 3\)"):
        data.cifar._decode_jpeg(jpeg(colour[:, :20].repeat(2, 1)), "x")
    with pytest.raises(data.DataFormatError, match="unreadable JPEG"):
        data.cifar._decode_jpeg(b"not a jpeg", "x")


def test_cats_vs_dogs_notices_a_damaged_photo(mirror, capsys):
    folder = data.cats_vs_dogs_dir(n_train=2, n_validation=1, n_test=1)
    photo = next((folder / "train" / "cats").glob("*.jpg"))
    good = photo.read_bytes()
    photo.write_bytes(b"")  # same file count, zero bytes
    data.cats_vs_dogs_dir(n_train=2, n_validation=1, n_test=1)
    out = capsys.readouterr().out
    assert "differ from those it was built with" in out and "rebuilding" in out
    assert photo.read_bytes() == good


@pytest.mark.parametrize(
    "counts, error, words",
    [
        ((-5, 1, 1), ValueError, "n_train=-5"),
        ((2, 0, 1), ValueError, "n_validation=0"),
        ((2, 1, 1.5), TypeError, "n_test must be a whole number"),
        ((4000, 2000, 1), ValueError, r"n_train \+ n_validation"),
        ((2, 1, 1001), ValueError, "between 1 and 1,000"),
    ],
)
def test_cats_vs_dogs_refuses_impossible_counts(counts, error, words):
    with pytest.raises(error, match=words):
        data.cats_vs_dogs_dir(*counts)
    assert not list(sources._cache_root().glob("cats_vs_dogs*"))


def _build_in_process(kind, barrier):
    """Run in a child process: load one dataset into the shared cache,
    starting together with the others and reading slowly, so that the
    builds overlap."""
    import time

    from cnnbook.data import cifar

    read = cifar._read_member

    def slow_read(*args):
        time.sleep(0.02)
        return read(*args)

    cifar._read_member = slow_read
    barrier.wait(timeout=60)
    if kind == "cats":
        folder = data.cats_vs_dogs_dir(n_train=2, n_validation=1, n_test=1)
        return sorted(p.name for p in folder.rglob("*.jpg"))
    (x_train, _), _ = data.load_cifar10()
    return [int(x_train.sum())]


def test_concurrent_loaders_share_one_fresh_cache(mirror):
    """Several processes filling one empty cache at once (pytest-xdist, a
    class sharing a machine) each get complete, identical data."""
    import functools
    import multiprocessing

    kinds = ["cats", "cifar"] * 2
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(len(kinds))
        with context.Pool(len(kinds)) as pool:
            build = functools.partial(_build_in_process, barrier=barrier)
            results = pool.map(build, kinds)
    assert results[0] == results[2] and len(results[0]) == 8
    assert results[1] == results[3]
    leftovers = [p.name for p in sources._cache_root().glob("*.tmp")]
    leftovers += [p.name for p in sources._cache_root().glob(".*.tmp")]
    assert not leftovers, f"temporary files left behind: {leftovers}"
