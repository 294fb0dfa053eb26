"""Tests of cnnbook.data: a tiny fake mirror, plus a few real-mirror checks.

The fake-mirror tests run offline (``CNNBOOK_OFFLINE=1``) with a temporary
cache, so they never touch the network, ``~/.keras`` or ``~/.cache``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook import data
from tests.data_fixtures import (
    COLOURS,
    REVIEWS,
    SIZES,
    flip_byte,
    make_fake_mirror,
    truncate,
    write_idx,
    write_sums,
)

REPO = Path(__file__).resolve().parents[1]
REAL_MIRROR = REPO.parent / "shared" / "data"
FETCH = REPO / "data_scripts" / "fetch_data.py"


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch, tmp_path):
    """Every test starts with an empty cache and no recorded sources."""
    monkeypatch.setenv("CNNBOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    monkeypatch.delenv("CNNBOOK_DATA_MIRROR", raising=False)
    data.SOURCES.clear()
    data._VERIFIED.clear()
    yield
    data.SOURCES.clear()
    data._VERIFIED.clear()


@pytest.fixture
def mirror(monkeypatch, tmp_path) -> Path:
    """A fake mirror in tmp_path, selected through CNNBOOK_DATA_MIRROR."""
    root = make_fake_mirror(tmp_path / "mirror")
    monkeypatch.setenv("CNNBOOK_DATA_MIRROR", str(root))
    return root


@pytest.fixture
def no_mirror(monkeypatch, tmp_path):
    """No mirror anywhere: the automatic ../shared/data lookups miss."""
    nowhere = tmp_path / "a" / "b" / "c"
    nowhere.mkdir(parents=True)
    monkeypatch.chdir(nowhere)
    monkeypatch.setattr(data, "REPO_ROOT", nowhere)
    assert data.mirror_dir() is None


# --------------------------------------------------------------------------
# Shapes, dtypes, source lines, the cache
# --------------------------------------------------------------------------


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


def test_imdb_sequences_follow_keras_conventions(mirror, capsys):
    (x_train, y_train), (x_test, y_test) = data.load_imdb()
    assert x_train.dtype == object and x_train.shape == (6,)
    assert y_train.dtype == np.int64 and len(x_test) == len(y_test) == 4
    assert all(seq[0] == 1 for seq in x_train)  # start_char
    assert all(min(seq[1:]) >= 2 for seq in x_train)  # words or oov_char
    # As in Keras, num_words=None means "below the largest index", so the
    # rarest word becomes oov_char (2); a large num_words keeps every word.
    assert 2 in {w for seq in x_train for w in seq}
    (x_train, y_train), (x_test, y_test) = data.load_imdb(num_words=10**6)
    assert all(min(seq[1:]) >= 3 for seq in x_train)  # index_from
    assert "word indices differ from Keras" in capsys.readouterr().out

    # The same seed shuffles the texts the same way: decode and compare.
    (texts, labels), (texts_test, _) = data.load_imdb_text()
    np.testing.assert_array_equal(labels, y_train)
    assert not any("<br" in text for text in texts + texts_test)
    index = data.imdb_word_index()
    assert index["it"] == 1  # the most frequent training word
    words = {i + 3: word for word, i in index.items()}
    for seq, text in zip(x_train, texts):
        assert [words[i] for i in seq[1:]] == data.imdb_tokenize(text)
    # A word never seen in training is skipped in the test set.
    test_words = [w for seq in x_test for w in seq]
    assert "unseenword" not in index and len(test_words) > 0


def test_imdb_num_words_and_maxlen(mirror):
    (x_train, _), (x_test, _) = data.load_imdb(num_words=6)
    assert max(max(seq) for seq in list(x_train) + list(x_test)) <= 5
    assert 2 in {w for seq in x_train for w in seq}  # oov_char
    (x_short, y_short), _ = data.load_imdb(maxlen=8)
    assert all(len(seq) < 8 for seq in x_short)
    assert len(x_short) == len(y_short) < 6
    assert data.SOURCES["imdb"].n_train == len(x_short)


def test_imdb_text_counts(mirror):
    (texts, labels), (texts_test, labels_test) = data.load_imdb_text()
    assert len(texts) == 6 and len(texts_test) == 4
    assert isinstance(texts[0], str) and labels.dtype == np.int64
    (ordered, ordered_labels), _ = data.load_imdb_text(seed=None)
    assert ordered_labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert ordered[0] == REVIEWS[("train", "neg", 0, 1)].replace(
        "<br />", " "
    )


def test_cats_vs_dogs_dir(mirror, capsys):
    folder = data.cats_vs_dogs_dir(n_train=2, n_validation=1, n_test=1)
    for split, n in (("train", 2), ("validation", 1), ("test", 1)):
        for animal in ("cats", "dogs"):
            files = sorted((folder / split / animal).glob("*.jpg"))
            assert len(files) == n
    assert str(data._cache_root()) in str(folder)
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


def test_imagenet_names_and_tflite(mirror):
    names = data.load("imagenet_class_names")
    assert len(names) == 1000 and names[3] == "class_3"
    assert data.imagenet_class_names() == names
    assert data.SOURCES["imagenet_class_names"].origin == "cache"
    path = data.imagenet_tflite_model()
    assert path.is_file() and path.parent == mirror / "imagenet"
    labels = data.imagenet_tflite_labels()
    assert len(labels) == 1001 and labels[0] == "background"
    with pytest.raises(data.UnknownDatasetError, match="mobilenet_v2"):
        data.imagenet_tflite_model("mobilenet_v2")


def test_tflite_without_mirror(no_mirror):
    with pytest.raises(data.DataNotFoundError, match="no online copy"):
        data.imagenet_tflite_model()


def test_sample_images():
    chelsea = data.load_sample_image("chelsea")
    assert chelsea.dtype == np.uint8 and chelsea.shape == (300, 451, 3)
    assert data.load_sample_image("camera").ndim == 2
    assert data.SOURCES["sample_images"].location == "skimage.data.camera"
    with pytest.raises(data.UnknownDatasetError, match="'chelsea'"):
        data.load_sample_image("chelsey")


# --------------------------------------------------------------------------
# Failures
# --------------------------------------------------------------------------


def test_corrupted_mirror_file(mirror):
    target = mirror / "mnist" / "t10k-images-idx3-ubyte.gz"
    flip_byte(target)
    with pytest.raises(data.DataIntegrityError) as error:
        data.load_mnist()
    message = str(error.value)
    assert str(target) in message
    assert "expected" in message and "actual" in message
    assert "corrupted or truncated" in message


def test_file_missing_from_sha256sums(mirror):
    sums = mirror / "SHA256SUMS"
    lines = sums.read_text().splitlines()
    sums.write_text("\n".join(x for x in lines if "t10k-labels" not in x))
    with pytest.raises(data.DataIntegrityError, match="not listed"):
        data.load_mnist()


@pytest.mark.parametrize(
    "relative, loader",
    [
        ("mnist/t10k-images-idx3-ubyte.gz", data.load_mnist),
        ("fashion-mnist/train-labels-idx1-ubyte.gz", data.load_fashion_mnist),
        ("cifar10/cifar10-jpeg-test.zip", data.load_cifar10),
        ("imdb/aclImdb-labeled.tar.gz", data.load_imdb),
        ("mnist/mnist-train-first10k.npz", data.load_mnist),
    ],
)
def test_truncated_file_with_matching_checksum(mirror, relative, loader):
    truncate(mirror / relative)
    write_sums(mirror)  # the checksum now matches the damaged file
    with pytest.raises(data.DataFormatError, match=relative.split("/")[1]):
        loader()
    assert not list((data._cache_root()).glob("*.npz"))  # nothing cached


def test_bad_idx_magic_number(mirror):
    x = np.zeros((20, 28, 28), np.uint8)
    write_idx(mirror / "mnist" / "t10k-images-idx3-ubyte.gz", x, magic=2049)
    write_sums(mirror)
    with pytest.raises(data.DataFormatError, match="magic number 2049"):
        data.load_mnist()


def test_unreadable_jpeg(mirror):
    path = mirror / "cifar10" / "cifar10-jpeg-test.zip"
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("test/cat/9999.jpg", b"not a jpeg")
    write_sums(mirror)
    with pytest.raises(data.DataFormatError, match="9999.jpg"):
        data.load_cifar10()


def test_missing_everywhere_names_the_fetch_command(no_mirror):
    with pytest.raises(data.DataNotFoundError) as error:
        data.load_mnist()
    message = str(error.value)
    assert "python data_scripts/fetch_data.py mnist" in message
    assert "python data_scripts/fetch_data.py --mirror PATH mnist" in message
    assert "CNNBOOK_DATA_MIRROR" in message
    assert "skipped (CNNBOOK_OFFLINE=1)" in message
    assert str(data._cache_root() / "mnist.npz") in message


def test_mirror_without_the_file(monkeypatch, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("CNNBOOK_DATA_MIRROR", str(empty))
    with pytest.raises(data.DataNotFoundError, match="cifar10-jpeg-train"):
        data.load_cifar10()


def test_mirror_variable_pointing_nowhere(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNBOOK_DATA_MIRROR", str(tmp_path / "missing"))
    with pytest.raises(data.DataNotFoundError, match="not an existing"):
        data.mirror_dir()
    with pytest.raises(data.DataNotFoundError):
        data.load_mnist()
    assert "MISSING" in data.describe_sources()


def test_unknown_dataset_name():
    with pytest.raises(data.UnknownDatasetError) as error:
        data.load("mnsit")
    message = str(error.value)
    assert "Did you mean 'mnist'?" in message
    for name in data.DATASETS:
        assert name in message
    assert isinstance(error.value, KeyError)
    assert not message.startswith("'")  # not quoted like a plain KeyError


def fail_online(monkeypatch):
    """Go "online", where every Keras download fails as it does offline."""
    monkeypatch.delenv("CNNBOOK_OFFLINE")

    def failing(name, module):
        def online():
            raise Exception("URL fetch failure on https://example: no DNS")

        return online

    monkeypatch.setattr(data, "_keras_online", failing)


def test_online_failure_falls_through_to_the_mirror(mirror, monkeypatch):
    fail_online(monkeypatch)
    data.load_mnist()
    assert data.SOURCES["mnist"].origin == "mirror"


def test_online_failure_is_reported(no_mirror, monkeypatch):
    fail_online(monkeypatch)
    with pytest.raises(data.DataNotFoundError, match="URL fetch failure"):
        data.load_fashion_mnist()


# --------------------------------------------------------------------------
# A damaged cache is rebuilt, never trusted
# --------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["flip", "truncate", "no-json"])
def test_damaged_cache_is_rebuilt(mirror, capsys, damage):
    (x_train, _), _ = data.load_mnist()
    cached = data._cache_root() / "mnist.npz"
    if damage == "flip":
        flip_byte(cached)
    elif damage == "truncate":
        truncate(cached)
    else:
        (data._cache_root() / "mnist.json").unlink()
    capsys.readouterr()
    (x_again, _), _ = data.load_mnist()
    out = capsys.readouterr().out
    assert "deleting it and rebuilding" in out
    assert data.SOURCES["mnist"].origin == "mirror"
    np.testing.assert_array_equal(x_again, x_train)
    data.load_mnist()
    assert data.SOURCES["mnist"].origin == "cache"


def test_cache_rebuilt_when_the_mirror_changes(mirror, capsys):
    data.load_mnist()
    x = np.full((20, 28, 28), 7, np.uint8)
    write_idx(mirror / "mnist" / "t10k-images-idx3-ubyte.gz", x)
    write_sums(mirror)
    _, (x_test, _) = data.load_mnist()
    assert "the mirror's files changed" in capsys.readouterr().out
    assert (x_test == 7).all()


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def test_describe_sources(mirror, monkeypatch):
    text = data.describe_sources()
    assert "(skipped: CNNBOOK_OFFLINE=1)" in text
    assert f"offline mirror {mirror}" in text
    monkeypatch.setenv("CNNBOOK_OFFLINE", "no")
    assert not data.offline()
    assert "skipped" not in data.describe_sources()


def test_describe_sources_without_mirror(no_mirror):
    assert "no offline mirror found" in data.describe_sources()


def test_cache_dir_is_created(tmp_path):
    assert not (tmp_path / "cache").exists()
    assert data.cache_dir() == (tmp_path / "cache").resolve()
    assert (tmp_path / "cache").is_dir()


def test_stratified_subset_keeps_proportions():
    y = np.repeat(np.arange(3), [600, 300, 100])
    x = np.arange(len(y)) * 10
    x_sub, y_sub = data.stratified_subset(x, y, 100)
    assert np.bincount(y_sub).tolist() == [60, 30, 10]
    assert np.all(y[x_sub // 10] == y_sub)  # pairs stay together
    again, _ = data.stratified_subset(x, y, 100)
    np.testing.assert_array_equal(again, x_sub)  # deterministic
    _, y_col = data.stratified_subset(x, y.reshape(-1, 1), 10)
    assert y_col.shape == (10, 1)
    with pytest.raises(ValueError):
        data.stratified_subset(x, y, 1001)
    with pytest.raises(ValueError):
        data.stratified_subset(x, y, 2)


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(1, 40), min_size=1, max_size=8),
    fraction=st.floats(0, 1),
    seed=st.integers(0, 2**16),
)
def test_stratified_subset_property(counts, fraction, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    x = np.arange(len(y))
    k, total = len(counts), len(y)
    n = k + int(round(fraction * (total - k)))
    x_sub, y_sub = data.stratified_subset(x, y, n, seed=seed)
    assert len(x_sub) == n == len(set(x_sub.tolist()))
    assert np.all(y[x_sub] == y_sub)
    got = np.bincount(y_sub, minlength=k)
    exact = n * np.array(counts) / total
    assert np.all(got >= 1) and np.all(got <= counts)
    if np.all(exact >= 1):  # no class needed topping up to one sample
        assert np.all(np.abs(got - exact) < 1)


# --------------------------------------------------------------------------
# The command-line script
# --------------------------------------------------------------------------


def _fetch(*args, env=None):
    return subprocess.run(
        [sys.executable, str(FETCH), *args],
        capture_output=True,
        text=True,
        cwd="/",
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_fetch_script_lists_and_fetches(mirror, tmp_path):
    listing = _fetch("--list")
    assert listing.returncode == 0
    assert all(name in listing.stdout for name in data.DATASETS)
    cache = tmp_path / "cli-cache"
    result = _fetch(
        "--mirror", str(mirror), "--cache", str(cache), "--offline", "mnist"
    )
    assert result.returncode == 0, result.stderr
    assert "from the offline mirror" in result.stdout
    assert (cache / "mnist.npz").is_file()


def test_fetch_script_fails_clearly(tmp_path):
    bad = _fetch("--offline", "mnsit")
    assert bad.returncode != 0 and "Did you mean 'mnist'" in bad.stderr
    missing = _fetch("--mirror", str(tmp_path / "nowhere"), "mnist")
    assert missing.returncode != 0 and "not an existing" in missing.stderr


# --------------------------------------------------------------------------
# The real offline mirror (skipped where there is none)
# --------------------------------------------------------------------------

needs_real_mirror = pytest.mark.skipif(
    not (REAL_MIRROR / "SHA256SUMS").is_file(),
    reason=f"no offline data mirror at {REAL_MIRROR} (only build machines "
    f"have it)",
)


@pytest.fixture
def real_mirror(monkeypatch):
    monkeypatch.setenv("CNNBOOK_DATA_MIRROR", str(REAL_MIRROR))
    return REAL_MIRROR


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
def test_real_cifar10_full_decode(real_mirror):
    (x_train, y_train), (x_test, y_test) = data.load_cifar10()
    assert x_train.shape == (50000, 32, 32, 3)
    assert x_test.shape == (10000, 32, 32, 3)
    assert np.bincount(y_train.ravel()).tolist() == [5000] * 10
    assert np.bincount(y_test.ravel()).tolist() == [1000] * 10
    assert len(set(y_train[:50].ravel().tolist())) >= 8  # interleaved
    assert 100 < x_train.mean() < 140


@needs_real_mirror
def test_real_cifar10_zip_members(real_mirror):
    path = data._mirror_file(real_mirror, "cifar10/cifar10-jpeg-test.zip")
    with zipfile.ZipFile(path) as archive:
        members = data.cifar_zip_members(archive, "test", path)
        assert len(members) == 10000
        label, member = members[3000]
        assert member.startswith(f"test/{data.CIFAR10_CLASSES[label]}/")
        image = data._decode_jpeg(archive.read(member), member)
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
