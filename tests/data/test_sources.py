"""Where data comes from: checksums, the cache, the search order, errors."""

from __future__ import annotations


import numpy as np
import pytest

from cnnbook import data
from cnnbook.data import sources
from tests.data.fixtures import (
    flip_byte,
    truncate,
    write_idx,
    write_sums,
)


def test_missing_everywhere_names_the_fetch_command(no_mirror):
    with pytest.raises(data.DataNotFoundError) as error:
        data.load_mnist()
    message = str(error.value)
    assert "python data_scripts/fetch_data.py mnist" in message
    assert "python data_scripts/fetch_data.py --mirror PATH mnist" in message
    assert "CNNBOOK_DATA_MIRROR" in message
    assert "skipped (CNNBOOK_OFFLINE=1)" in message
    assert str(sources._cache_root() / "mnist.npz") in message


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
    assert not list((sources._cache_root()).glob("*.npz"))  # nothing cached


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
    import keras

    monkeypatch.delenv("CNNBOOK_OFFLINE")

    def failing():
        raise Exception("URL fetch failure on https://example: no DNS")

    for module in ("mnist", "fashion_mnist", "cifar10"):
        loader = getattr(keras.datasets, module)
        monkeypatch.setattr(loader, "load_data", failing)


def test_online_failure_falls_through_to_the_mirror(mirror, monkeypatch):
    fail_online(monkeypatch)
    data.load_mnist()
    assert data.SOURCES["mnist"].origin == "mirror"


def test_online_failure_is_reported(no_mirror, monkeypatch):
    fail_online(monkeypatch)
    with pytest.raises(data.DataNotFoundError, match="URL fetch failure"):
        data.load_fashion_mnist()


@pytest.mark.parametrize("damage", ["flip", "truncate", "no-json"])
def test_damaged_cache_is_rebuilt(mirror, capsys, damage):
    (x_train, _), _ = data.load_mnist()
    cached = sources._cache_root() / "mnist.npz"
    if damage == "flip":
        flip_byte(cached)
    elif damage == "truncate":
        truncate(cached)
    else:
        (sources._cache_root() / "mnist.json").unlink()
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


def test_cache_variable_pointing_at_a_file(monkeypatch, tmp_path):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")
    monkeypatch.setenv("CNNBOOK_CACHE", str(not_a_folder))
    with pytest.raises(data.DataError, match="CNNBOOK_CACHE=") as error:
        data.cache_dir()
    assert "Point CNNBOOK_CACHE at a folder" in str(error.value)
