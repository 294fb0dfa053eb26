"""A tiny fake offline mirror with the layout of the real one.

Every file is generated here (no real data is copied): a few IDX images,
zips of tiny one-colour JPEGs per CIFAR-10 class, a small aclImdb tar.gz,
an ImageNet class index, and a ``SHA256SUMS`` in the real file's format
(``<sha256>  ./<path>``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

import numpy as np
from PIL import Image

from cnnbook.data import CIFAR10_CLASSES as CLASSES

#: A distinct colour per CIFAR-10 class, so tests can check the labels.
COLOURS = np.array(
    [
        [230, 30, 30],
        [30, 230, 30],
        [30, 30, 230],
        [230, 230, 30],
        [230, 30, 230],
        [30, 230, 230],
        [128, 128, 128],
        [250, 250, 250],
        [10, 10, 10],
        [200, 120, 40],
    ],
    dtype=np.uint8,
)

SIZES = dict(
    mnist_train=30,
    mnist_test=20,
    fashion_train=40,
    fashion_test=20,
    cifar_train_per_class=5,
    cifar_test_per_class=3,
)

REVIEWS = {
    ("train", "pos", 0, 9): "A great film.<br /><br />I loved it, truly!",
    ("train", "pos", 1, 8): "Great acting; great story. Loved the film.",
    ("train", "pos", 2, 10): "Wonderful! Don't miss it.",
    ("train", "neg", 0, 1): "A terrible film.<br />I hated it.",
    ("train", "neg", 1, 2): "Boring, boring, boring. Don't watch it.",
    ("train", "neg", 2, 3): "The story was bad and the acting worse.",
    ("test", "pos", 0, 9): "Loved it: a great, wonderful story!",
    ("test", "pos", 1, 7): "Unseenword great film.",
    ("test", "neg", 0, 2): "Terrible.<br/>Bad film, boring story.",
    ("test", "neg", 1, 4): "I hated the acting.",
}


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """An IDX file (uncompressed) holding a uint8 array."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    if magic is None:
        magic = 2048 + array.ndim
    header = struct.pack(f">i{array.ndim}i", magic, *array.shape)
    return header + array.tobytes()


def write_idx(path: Path, array: np.ndarray, magic: int | None = None):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(idx_bytes(array, magic))


def digits(n: int, seed: int):
    """``n`` random 28x28 "images" and labels cycling through 0-9."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    y = (np.arange(n) % 10).astype(np.uint8)
    return x, y


def jpeg_bytes(colour, seed: int) -> bytes:
    """A 32x32 JPEG of one colour with a little noise."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(-5, 6, size=(32, 32, 3))
    pixels = np.clip(colour.astype(int) + noise, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=90)
    return out.getvalue()


def write_cifar_zip(path: Path, split: str, per_class: int):
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(f"{split}/", b"")
        for label, name in enumerate(CLASSES):
            z.writestr(f"{split}/{name}/", b"")
            for i in range(per_class):
                data = jpeg_bytes(COLOURS[label], seed=label * 100 + i)
                z.writestr(f"{split}/{name}/{i:04d}.jpg", data)


def write_imdb_tar(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for (split, polarity, number, rating), text in REVIEWS.items():
            data = text.encode("utf-8")
            name = f"aclImdb/{split}/{polarity}/{number}_{rating}.txt"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        unsup = b"An unlabelled review."
        info = tarfile.TarInfo("aclImdb/train/unsup/0_0.txt")
        info.size = len(unsup)
        tar.addfile(info, io.BytesIO(unsup))


def write_sums(root: Path):
    """(Re)write ``SHA256SUMS`` for every file under ``root``."""
    lines = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "SHA256SUMS":
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            lines.append(f"{digest}  ./{path.relative_to(root).as_posix()}")
    (root / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def make_fake_mirror(root: Path) -> Path:
    """Write the whole fake mirror under ``root`` and return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    x, y = digits(SIZES["mnist_train"], seed=1)
    (root / "mnist").mkdir()
    np.savez(root / "mnist" / "mnist-train-first10k.npz", x_train=x, y_train=y)
    write_idx(root / "mnist" / "train-labels-idx1-ubyte.gz", y)
    x, y = digits(SIZES["mnist_test"], seed=2)
    write_idx(root / "mnist" / "t10k-images-idx3-ubyte.gz", x)
    write_idx(root / "mnist" / "t10k-labels-idx1-ubyte.gz", y)

    for split, seed in (("train", 3), ("t10k", 4)):
        x, y = digits(SIZES[f"fashion_{split.replace('t10k', 'test')}"], seed)
        write_idx(root / "fashion-mnist" / f"{split}-images-idx3-ubyte.gz", x)
        write_idx(root / "fashion-mnist" / f"{split}-labels-idx1-ubyte.gz", y)

    write_cifar_zip(
        root / "cifar10" / "cifar10-jpeg-train.zip",
        "train",
        SIZES["cifar_train_per_class"],
    )
    write_cifar_zip(
        root / "cifar10" / "cifar10-jpeg-test.zip",
        "test",
        SIZES["cifar_test_per_class"],
    )
    write_imdb_tar(root / "imdb" / "aclImdb-labeled.tar.gz")

    imagenet = root / "imagenet"
    imagenet.mkdir()
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (imagenet / "imagenet_class_index.json").write_text(json.dumps(index))
    labels = ["background"] + [f"class {i}" for i in range(1000)]
    (imagenet / "imagenet_labels.txt").write_text("\n".join(labels) + "\n")
    (imagenet / "mobilenet_v2_1.0_224_quant.tflite").write_bytes(
        b"\x1c\x00\x00\x00TFL3" + bytes(64)
    )
    write_sums(root)
    return root


def flip_byte(path: Path, position: int | None = None):
    """Corrupt a file in place by inverting one byte (default: middle)."""
    data = bytearray(path.read_bytes())
    position = len(data) // 2 if position is None else position
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path, keep: float = 0.5):
    """Cut a file to a fraction of its length."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


# Where the real mirror and the fetch script are
REPO = Path(__file__).resolve().parents[2]
REAL_MIRROR = REPO.parent / "shared" / "data"
FETCH = REPO / "data_scripts" / "fetch_data.py"
needs_real_mirror = pytest.mark.skipif(
    not (REAL_MIRROR / "SHA256SUMS").is_file(),
    reason=f"no offline data mirror at {REAL_MIRROR} (only build machines "
    f"have it)",
)
