"""MNIST and Fashion-MNIST: 28x28 grey images in IDX files.

The loaders return what ``keras.datasets.mnist.load_data()`` returns; offline
they decode the mirror's IDX files (and its first-10k MNIST training
images) once into the cache.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from cnnbook.data.sources import (
    DataFormatError,
    _built,
    _keras_online,
    _load_arrays,
    _mirror_files,
    _report,
    _split,
)

_IDX_MAGIC = {1: 2049, 3: 2051}  # uint8 labels (1 dim), uint8 images (3)


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """Read a gzipped IDX file of uint8 data (the MNIST file format).

    The header is a big-endian magic number (2049 for a label file, 2051
    for an image file) followed by one big-endian size per dimension.
    """
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DataFormatError(
            f"{path} is not a readable gzip file ({error}); it is "
            f"truncated or corrupted."
        ) from error
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataFormatError(f"{path}: too short for an IDX header")
    magic = struct.unpack(">i", raw[:4])[0]
    if magic != _IDX_MAGIC[ndim]:
        raise DataFormatError(
            f"{path}: IDX magic number {magic}, expected {_IDX_MAGIC[ndim]}"
        )
    shape = struct.unpack(f">{ndim}i", raw[4:header])
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataFormatError(
            f"{path}: IDX header announces shape {shape} ({expected:,} "
            f"bytes) but the file holds {len(raw):,} bytes"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _check_pair(x, y, path, image_shape):
    """Check that images and labels match in number and shape."""
    if x.shape[1:] != image_shape or x.dtype != np.uint8:
        raise DataFormatError(
            f"{path}: images of shape {x.shape[1:]} and dtype {x.dtype}, "
            f"expected {image_shape} uint8"
        )
    if len(x) != len(y):
        raise DataFormatError(
            f"{path}: {len(x):,} images but {len(y):,} labels"
        )


# --------------------------------------------------------------------------
# MNIST and Fashion-MNIST
# --------------------------------------------------------------------------

_MNIST_FILES = (
    "mnist/mnist-train-first10k.npz",
    "mnist/t10k-images-idx3-ubyte.gz",
    "mnist/t10k-labels-idx1-ubyte.gz",
)
_MNIST_NOTE = (
    "the mirror holds only the first 10,000 of MNIST's 60,000 training "
    "images."
)
_FASHION_FILES = (
    "fashion-mnist/train-images-idx3-ubyte.gz",
    "fashion-mnist/train-labels-idx1-ubyte.gz",
    "fashion-mnist/t10k-images-idx3-ubyte.gz",
    "fashion-mnist/t10k-labels-idx1-ubyte.gz",
)






def _read_mnist_npz(path: Path):
    """The mirror's first 10,000 MNIST training images and labels."""
    try:
        with np.load(path, allow_pickle=False) as f:
            x, y = f["x_train"], f["y_train"]
    except Exception as error:
        raise DataFormatError(f"{path}: unreadable .npz ({error})") from error
    _check_pair(x, y, path, (28, 28))
    return x, y.astype(np.uint8)




def _build_mnist(mirror: Path):
    paths = _mirror_files(mirror, _MNIST_FILES)
    x_train, y_train = _read_mnist_npz(paths[_MNIST_FILES[0]])
    x_test = read_idx(paths[_MNIST_FILES[1]], 3)
    y_test = read_idx(paths[_MNIST_FILES[2]], 1)
    _check_pair(x_test, y_test, paths[_MNIST_FILES[1]], (28, 28))
    splits = (x_train, y_train, x_test, y_test)
    return _built(mirror, "mnist", _MNIST_FILES, _MNIST_NOTE, splits)


def _build_fashion(mirror: Path):
    paths = _mirror_files(mirror, _FASHION_FILES)
    x_train, y_train, x_test, y_test = (
        read_idx(paths[rel], 3 if "images" in rel else 1)
        for rel in _FASHION_FILES
    )
    _check_pair(x_train, y_train, paths[_FASHION_FILES[0]], (28, 28))
    _check_pair(x_test, y_test, paths[_FASHION_FILES[2]], (28, 28))
    splits = (x_train, y_train, x_test, y_test)
    return _built(mirror, "fashion-mnist", _FASHION_FILES, None, splits)




def load_mnist():
    """MNIST digits as ``(x_train, y_train), (x_test, y_test)``.

    Same types as ``keras.datasets.mnist.load_data()``: uint8 images of
    shape (N, 28, 28) and uint8 labels of shape (N,). From the offline
    mirror the training set is the first 10,000 of the 60,000 images.
    """
    arrays, source = _load_arrays(
        "mnist",
        _keras_online("mnist", "mnist"),
        "the online loader keras.datasets.mnist.load_data()",
        _build_mnist,
    )
    _report(source)
    return _split(arrays)


def load_fashion_mnist():
    """Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``: uint8
    (N, 28, 28) images and uint8 (N,) labels, like Keras's loader (the
    mirror holds the same four files that Keras downloads)."""
    arrays, source = _load_arrays(
        "fashion_mnist",
        _keras_online("fashion_mnist", "fashion_mnist"),
        "the online loader keras.datasets.fashion_mnist.load_data()",
        _build_fashion,
    )
    _report(source)
    return _split(arrays)


