"""Dataset loaders: the local cache, the online loader, the offline mirror.

Every loader looks for its data in the same order and says where it found
it:

1. the **cache** in :func:`cache_dir` (``~/.cache/cnnbook`` unless
   ``CNNBOOK_CACHE`` says otherwise), which holds what an earlier call
   decoded from the offline mirror;
2. the **online loader** that the Keras documentation uses
   (``keras.datasets.mnist.load_data()`` and friends, or
   ``keras.utils.get_file``), which downloads once and keeps its own copy in
   ``~/.keras``. ``CNNBOOK_OFFLINE=1`` skips this step;
3. the **offline mirror** (:func:`mirror_dir`): a read-only folder of real
   data files for machines without internet access. Every file is checked
   against the mirror's ``SHA256SUMS`` before use, decoded, and the result
   written to the cache so that the work happens once;
4. otherwise a :class:`DataNotFoundError` that says what is missing, where
   it looked and which command fetches it.

Nothing is ever made up: a file that fails its checksum raises
:class:`DataIntegrityError`, a file that cannot be decoded raises
:class:`DataFormatError`, and a damaged cache file is deleted and rebuilt.

Each load prints one line naming its source and sizes, and records the same
facts in :data:`SOURCES`, so that a chapter can state (and assert) which
data produced its numbers.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import struct
import tarfile
import textwrap
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

DATASETS = {
    "mnist": "MNIST handwritten digits, 28x28 grey (Keras: 60k train + "
    "10k test; offline mirror: first 10k train + 10k test)",
    "fashion_mnist": "Fashion-MNIST clothing images, 28x28 grey, "
    "60k train + 10k test",
    "cifar10": "CIFAR-10 colour photos in 10 classes, 32x32x3, "
    "50k train + 10k test",
    "imdb": "IMDB movie reviews labelled positive/negative, as word "
    "indices (and raw text), 25k train + 25k test",
    "cats_vs_dogs": "a folder of cat and dog photos (CIFAR-10's cats and "
    "dogs), 2,000 train / 1,000 validation / 1,000 test",
    "imagenet_class_names": "the 1,000 ImageNet class names in Keras's "
    "index order",
    "sample_images": "a few public-domain photos bundled with "
    "scikit-image (chelsea, astronaut, coffee, rocket, camera)",
}

#: CIFAR-10 class names in Keras's label order.
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

#: Photos that ``skimage.data`` ships inside its wheel (no download).
SAMPLE_IMAGES = ("chelsea", "astronaut", "coffee", "rocket", "camera")

#: The uint8 TensorFlow Lite classifiers in the offline mirror.
TFLITE_MODELS = (
    "mobilenet_v2_1.0_224_quant",
    "mobilenet_v1_0.5_160_quant",
    "mobilenet_v1_0.25_128_quant",
)

MIRROR_VARIABLE = "CNNBOOK_DATA_MIRROR"
CACHE_VARIABLE = "CNNBOOK_CACHE"
OFFLINE_VARIABLE = "CNNBOOK_OFFLINE"

#: The folder holding the ``cnnbook`` package (a checkout of the book).
REPO_ROOT = Path(__file__).resolve().parent.parent

IMAGENET_CLASS_INDEX_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/"
    "data/imagenet_class_index.json"
)
IMAGENET_CLASS_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"
ACLIMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
ACLIMDB_SHA256 = (
    "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
)

#: Bump when the layout of the cached files changes: older caches rebuild.
CACHE_FORMAT = 1

# How each source line names a dataset and its samples.
_TITLES = {
    "mnist": ("MNIST", "images"),
    "fashion_mnist": ("Fashion-MNIST", "images"),
    "cifar10": ("CIFAR-10", "images"),
    "imdb": ("IMDB", "reviews"),
    "imdb_text": ("IMDB (raw text)", "reviews"),
    "cats_vs_dogs": ("Cats vs dogs", "photos"),
    "imagenet_class_names": ("ImageNet class names", "names"),
    "imagenet_tflite": ("ImageNet TFLite model", "file"),
    "sample_images": ("Sample image", "image"),
}
_ORIGINS = {
    "online": "the online loader",
    "mirror": "the offline mirror",
    "cache": "the cache",
    "package": "an installed package",
}


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class DataError(RuntimeError):
    """Base class of every data-layer error."""


class DataNotFoundError(DataError):
    """The data is in none of the places the loader looks."""


class DataIntegrityError(DataError):
    """A mirror file does not match (or is missing from) ``SHA256SUMS``."""


class DataFormatError(DataError):
    """A file is present but cannot be decoded (truncated, wrong format)."""


class UnknownDatasetError(DataError, KeyError):
    """A dataset or image name that the data layer does not know."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def _unknown(kind: str, name: str, known) -> UnknownDatasetError:
    """Build the error for an unknown name, suggesting the closest one."""
    known = list(known)
    message = f"unknown {kind} {name!r}; known: {', '.join(known)}"
    close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.5)
    if close:
        message += f". Did you mean {close[0]!r}?"
    return UnknownDatasetError(message)


# --------------------------------------------------------------------------
# Where data lives
# --------------------------------------------------------------------------


def offline() -> bool:
    """True when ``CNNBOOK_OFFLINE`` is 1/true/yes: skip online loaders."""
    value = os.environ.get(OFFLINE_VARIABLE, "").strip().lower()
    return value in {"1", "true", "yes"}


def _cache_root() -> Path:
    """The cache folder, without creating it."""
    value = os.environ.get(CACHE_VARIABLE, "").strip()
    root = Path(value) if value else Path("~/.cache/cnnbook")
    return root.expanduser().resolve()


def cache_dir() -> Path:
    """The folder for derived files (``CNNBOOK_CACHE`` or
    ``~/.cache/cnnbook``), created on demand. Never inside the repository.
    """
    root = _cache_root()
    root.mkdir(parents=True, exist_ok=True)
    return root


def _mirror_candidates() -> list[Path]:
    """Where to look for the mirror when ``CNNBOOK_DATA_MIRROR`` is unset."""
    cwd = Path.cwd()
    return [
        REPO_ROOT / ".." / "shared" / "data",
        cwd / ".." / "shared" / "data",
        cwd / ".." / ".." / "shared" / "data",  # notebooks run in notebooks/
    ]


def mirror_dir() -> Path | None:
    """The offline data mirror, or ``None`` when there is none.

    ``CNNBOOK_DATA_MIRROR`` wins when set (and must then be an existing
    folder); otherwise the first existing ``../shared/data`` next to the
    checkout or the working directory.
    """
    value = os.environ.get(MIRROR_VARIABLE, "").strip()
    if value:
        path = Path(value).expanduser()
        if not path.is_dir():
            raise DataNotFoundError(
                f"{MIRROR_VARIABLE}={value} is not an existing folder "
                f"(resolved to {path.resolve()}). Point it at a copy of "
                f"the data mirror, or unset it."
            )
        return path.resolve()
    for candidate in _mirror_candidates():
        if candidate.is_dir():
            return candidate.resolve()
    return None


def _show(path) -> str:
    """A path for printing, with the home folder written as ``~``."""
    text = str(path)
    home = str(Path.home())
    if home not in ("", "/") and (text == home or text.startswith(home + "/")):
        return "~" + text[len(home) :]
    return text


def describe_sources() -> str:
    """One line for the Setup printout: where data will come from."""
    parts = [f"cache {_show(_cache_root())}"]
    if offline():
        parts.append(f"online loaders (skipped: {OFFLINE_VARIABLE}=1)")
    else:
        parts.append("online loaders")
    try:
        mirror = mirror_dir()
    except DataNotFoundError:
        value = os.environ.get(MIRROR_VARIABLE)
        parts.append(f"offline mirror {MIRROR_VARIABLE}={value} (MISSING)")
    else:
        if mirror is None:
            parts.append("no offline mirror found")
        else:
            parts.append(f"offline mirror {_show(mirror)}")
    return ", then ".join(parts)


def fetch_command(name: str) -> str:
    """The commands that put ``name`` into the cache, for error messages."""
    return (
        f"`python data_scripts/fetch_data.py {name}` on a machine that is "
        f"online, or `python data_scripts/fetch_data.py --mirror PATH "
        f"{name}` with PATH a copy of the offline data mirror (or set "
        f"{MIRROR_VARIABLE}=PATH)"
    )


# --------------------------------------------------------------------------
# What was loaded
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSource:
    """Where one dataset came from, as printed by its loader.

    ``origin`` is ``"cache"``, ``"online"`` or ``"mirror"`` (``"package"``
    for the scikit-image photos); ``built_from`` says, for a cache hit,
    which of ``"online"`` or ``"mirror"`` the cache was built from.
    """

    name: str
    origin: str
    n_train: int | None
    n_test: int | None
    location: str
    note: str | None = None
    built_from: str | None = None

    @property
    def provenance(self) -> str:
        """Where the data really came from, e.g. "the offline mirror"
        (for a cache hit, what the cache was built from)."""
        origin = self.built_from if self.origin == "cache" else self.origin
        return _ORIGINS.get(origin, str(origin))

    def describe(self) -> str:
        """The one-line report the loaders print."""
        title, unit = _TITLES.get(self.name, (self.name, "samples"))
        if self.n_test is not None:
            count = f"{self.n_train:,} training + {self.n_test:,} test {unit}"
        elif self.n_train is not None:
            count = f"{self.n_train:,} {unit}"
        else:
            count = unit
        if self.origin == "cache":
            built = _ORIGINS.get(self.built_from, self.built_from)
            where = f"the cache {self.location} (built from {built})"
        else:
            where = f"{_ORIGINS[self.origin]} ({self.location})"
        line = f"{title}: {count} from {where}."
        if self.note:
            line += f" Note: {self.note}"
        return line


#: The last source each loader used, by dataset name.
SOURCES: dict[str, DataSource] = {}


def _wrap(text: str) -> str:
    """Wrap a report to 79 columns, never splitting a path or a word."""
    return textwrap.fill(
        text,
        width=79,
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _report(source: DataSource) -> DataSource:
    """Record ``source`` in :data:`SOURCES` and print its line."""
    SOURCES[source.name] = source
    print(_wrap(source.describe()))
    return source


# --------------------------------------------------------------------------
# Checksums and the mirror
# --------------------------------------------------------------------------

_VERIFIED: dict[tuple, str] = {}


def _sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_checksums(mirror: Path) -> dict[str, str]:
    """Parse the mirror's ``SHA256SUMS`` (``<hash>  ./<path>`` lines)."""
    sums = mirror / "SHA256SUMS"
    if not sums.is_file():
        raise DataIntegrityError(
            f"the offline mirror {mirror} has no SHA256SUMS file, so its "
            f"files cannot be verified. Use a complete copy of the mirror."
        )
    table = {}
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        digest, _, name = line.strip().partition(" ")
        name = name.strip().lstrip("*")
        if name.startswith("./"):
            name = name[2:]
        table[name] = digest.lower()
    return table


class _MissingInMirror(Exception):
    """Internal: a file the loader needs is not in the mirror."""


def _mirror_file(mirror: Path, relative: str) -> Path:
    """Return ``mirror/relative`` after checking it against SHA256SUMS."""
    path = mirror / relative
    if not path.is_file():
        raise _MissingInMirror(f"{path} is missing")
    expected = _read_checksums(mirror).get(relative)
    if expected is None:
        raise DataIntegrityError(
            f"{path} is not listed in {mirror / 'SHA256SUMS'}, so it "
            f"cannot be verified. Use a complete, unmodified copy of the "
            f"mirror."
        )
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    actual = _VERIFIED.get(key) or _sha256(path)
    if actual != expected:
        raise DataIntegrityError(
            f"{path} does not match the mirror's SHA256SUMS:\n"
            f"  expected {expected}\n  actual   {actual}\n"
            f"The copy is corrupted or truncated. Copy the file again from "
            f"the original mirror (or point {MIRROR_VARIABLE} at an intact "
            f"copy); online, unset {OFFLINE_VARIABLE} to download instead."
        )
    _VERIFIED[key] = actual
    return path


def _mirror_files(mirror: Path, relatives) -> dict[str, Path]:
    """Verify several mirror files; returns ``{relative: path}``."""
    return {rel: _mirror_file(mirror, rel) for rel in relatives}


# --------------------------------------------------------------------------
# The cache: <name>.npz plus <name>.json describing where it came from
# --------------------------------------------------------------------------


def _cache_paths(name: str) -> tuple[Path, Path]:
    root = _cache_root()
    return root / f"{name}.npz", root / f"{name}.json"


def _say_rebuild(name: str, what: Path, problem: str) -> None:
    title = _TITLES.get(name, (name,))[0]
    print(
        f"{title}: the cached copy {_show(what)} is unusable ({problem}); "
        f"deleting it and rebuilding."
    )


def _mirror_changed(info: dict) -> bool:
    """True when a mirror is present and its checksums differ from those
    the cache was built from."""
    if info.get("built_from") != "mirror":
        return False
    try:
        mirror = mirror_dir()
        if mirror is None:
            return False
        table = _read_checksums(mirror)
    except DataError:
        return False
    recorded = info.get("source_files", {})
    return any(table.get(rel) != sha for rel, sha in recorded.items())


def _cache_problem(info: dict | None, data_path: Path, sha: bool) -> str:
    """Why a cached file cannot be used ('' when it can)."""
    if info is None:
        return "its .json record is missing or unreadable"
    if info.get("format") != CACHE_FORMAT:
        return "it was written by an older version of cnnbook"
    if sha and _sha256(data_path) != info.get("cache_sha256"):
        return "its SHA-256 does not match the record: corrupted or truncated"
    if _mirror_changed(info):
        return "the mirror's files changed since it was built"
    return ""


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _read_cache(name: str):
    """Return ``(arrays, info)`` from the cache, or ``None``.

    A damaged cache file is deleted (with a printed line), so that the
    caller rebuilds it from its source.
    """
    data_path, info_path = _cache_paths(name)
    if not data_path.exists():
        return None
    info = _read_json(info_path)
    problem = _cache_problem(info, data_path, sha=True)
    arrays = None
    if not problem:
        try:
            with np.load(data_path, allow_pickle=False) as f:
                arrays = {key: f[key] for key in f.files}
        except Exception as error:  # any decoding failure means: rebuild
            problem = f"it cannot be read: {error}"
    if problem:
        _say_rebuild(name, data_path, problem)
        data_path.unlink(missing_ok=True)
        info_path.unlink(missing_ok=True)
        return None
    return arrays, info


def _write_json(path: Path, info: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(info, indent=1, sort_keys=True))
    os.replace(temporary, path)


def _write_cache(name: str, arrays: dict, info: dict) -> Path:
    """Write ``arrays`` to ``<cache>/<name>.npz`` and ``info`` next to it.

    Both are written to a temporary name first, so an interrupted run
    leaves no half-written cache behind.
    """
    data_path, info_path = _cache_paths(name)
    cache_dir()
    temporary = data_path.with_name(data_path.name + ".tmp")
    with open(temporary, "wb") as f:
        np.savez(f, **arrays)
    info = dict(info, format=CACHE_FORMAT, cache_sha256=_sha256(temporary))
    os.replace(temporary, data_path)
    _write_json(info_path, info)
    return data_path


# --------------------------------------------------------------------------
# The search order shared by the array loaders
# --------------------------------------------------------------------------


def _not_found(name: str, looked: list[str]) -> DataNotFoundError:
    """The error raised when every source failed."""
    places = "\n".join(f"  - {place}" for place in looked)
    return DataNotFoundError(
        f"{name} is not available. Looked in:\n{places}\n"
        f"To fetch it, run {fetch_command(name)}."
    )


def _online_failure(error: Exception) -> str:
    """A short reason for an online loader's failure."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) < 200 else text[:197] + "..."


def _from_mirror(name: str, build, looked: list[str]):
    """Run ``build(mirror)`` or add to ``looked`` why it could not run."""
    mirror = mirror_dir()
    if mirror is None:
        where = ", ".join(str(p) for p in _mirror_candidates())
        looked.append(
            f"the offline mirror: none found ({MIRROR_VARIABLE} is unset "
            f"and none of {where} exists)"
        )
        return None
    try:
        return build(mirror)
    except _MissingInMirror as missing:
        looked.append(f"the offline mirror {mirror}: {missing}")
        return None


def _load_arrays(name: str, online, online_name: str, build):
    """Find the arrays of dataset ``name``: cache, online, mirror.

    ``online()`` returns ``(arrays, DataSource)`` and is not cached (Keras
    keeps its own copy); ``build(mirror)`` returns ``(arrays, info)`` with
    ``info`` holding ``location``, ``note`` and ``source_files``, and its
    result is written to the cache. Returns ``(arrays, DataSource)``; the
    caller reports it (it may first reshape the arrays).
    """
    data_path, _ = _cache_paths(name)
    cached = _read_cache(name)
    if cached is not None:
        arrays, info = cached
        return arrays, _cache_source(name, info, data_path)
    looked = [f"the cache: {_show(data_path)} does not exist"]
    if offline():
        looked.append(f"{online_name}: skipped ({OFFLINE_VARIABLE}=1)")
    else:
        try:
            return online()
        except Exception as error:  # offline: "URL fetch failure ..."
            looked.append(f"{online_name}: {_online_failure(error)}")
    built = _from_mirror(name, build, looked)
    if built is None:
        raise _not_found(name, looked)
    arrays, info = built
    info = dict(info, name=name, built_from="mirror")
    _write_cache(name, arrays, info)
    return arrays, _fresh_source(name, info)


def _fresh_source(name: str, info: dict) -> DataSource:
    return DataSource(
        name=name,
        origin=info["built_from"],
        n_train=info.get("n_train"),
        n_test=info.get("n_test"),
        location=info["location"],
        note=info.get("note"),
    )


def _cache_source(name: str, info: dict, path: Path) -> DataSource:
    return DataSource(
        name=name,
        origin="cache",
        n_train=info.get("n_train"),
        n_test=info.get("n_test"),
        location=_show(path),
        note=info.get("note"),
        built_from=info.get("built_from", "mirror"),
    )


# --------------------------------------------------------------------------
# Decoding helpers
# --------------------------------------------------------------------------

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


def _decode_jpeg(data: bytes, where: str, shape=(32, 32, 3)) -> np.ndarray:
    """Decode one JPEG to a uint8 RGB array of ``shape``."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            array = np.asarray(image.convert("RGB"))
    except Exception as error:  # PIL raises several kinds
        raise DataFormatError(f"{where}: unreadable JPEG ({error})") from error
    if array.shape != shape:
        raise DataFormatError(f"{where}: image of shape {array.shape}")
    return array


def _progress(iterable, description: str, total: int | None = None):
    """A tqdm progress bar on terminals; silent elsewhere (notebooks)."""
    from tqdm import tqdm

    return tqdm(
        iterable, desc=description, total=total, disable=None, leave=False
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


def _keras_online(name: str, module: str):
    """A function running ``keras.datasets.<module>.load_data()``."""

    def online():
        import keras

        loader = getattr(keras.datasets, module).load_data
        (x_train, y_train), (x_test, y_test) = loader()
        arrays = dict(x_train=x_train, y_train=y_train)
        arrays.update(x_test=x_test, y_test=y_test)
        source = DataSource(
            name=name,
            origin="online",
            n_train=len(x_train),
            n_test=len(x_test),
            location=f"keras.datasets.{module}.load_data()",
        )
        return arrays, source

    return online


def _source_files(mirror: Path, relatives) -> dict[str, str]:
    table = _read_checksums(mirror)
    return {rel: table[rel] for rel in relatives}


def _read_mnist_npz(path: Path):
    """The mirror's first 10,000 MNIST training images and labels."""
    try:
        with np.load(path, allow_pickle=False) as f:
            x, y = f["x_train"], f["y_train"]
    except Exception as error:
        raise DataFormatError(f"{path}: unreadable .npz ({error})") from error
    _check_pair(x, y, path, (28, 28))
    return x, y.astype(np.uint8)


def _built(mirror, folder, files, note, splits):
    """The (arrays, info) pair every mirror builder returns, from the
    ``(x_train, y_train, x_test, y_test)`` it decoded."""
    x_train, y_train, x_test, y_test = splits
    arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test)
    arrays.update(y_test=y_test)
    info = dict(
        location=str(mirror / folder),
        note=note,
        n_train=len(x_train),
        n_test=len(x_test),
        source_files=_source_files(mirror, files),
    )
    return arrays, info


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


def _split(arrays: dict):
    return (arrays["x_train"], arrays["y_train"]), (
        arrays["x_test"],
        arrays["y_test"],
    )


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


# --------------------------------------------------------------------------
# CIFAR-10
# --------------------------------------------------------------------------

_CIFAR_FILES = (
    "cifar10/cifar10-jpeg-train.zip",
    "cifar10/cifar10-jpeg-test.zip",
)
_CIFAR_NOTE = (
    "the mirror's images are JPEG re-encodings (quality about 50) of the "
    "CIFAR-10 originals, so pixels differ slightly and accuracies run "
    "slightly lower than with Keras's copy."
)


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise DataFormatError(
            f"{path} is not a readable zip file ({error}); it is truncated "
            f"or corrupted."
        ) from error


def _read_member(archive: zipfile.ZipFile, member: str, path: Path) -> bytes:
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise DataFormatError(
            f"{path}: member {member} cannot be read ({error})"
        ) from error


def cifar_zip_members(archive: zipfile.ZipFile, split: str, path: Path):
    """The JPEG members of a CIFAR-10 zip as sorted ``(label, member)``
    pairs; the zip stores ``<split>/<class>/NNNN.jpg``."""
    members = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        parts = info.filename.split("/")
        if (
            len(parts) != 3
            or parts[0] != split
            or parts[1] not in CIFAR10_CLASSES
            or not parts[2].lower().endswith(".jpg")
        ):
            raise DataFormatError(
                f"{path}: unexpected member {info.filename!r} (expected "
                f"{split}/<class>/NNNN.jpg)"
            )
        members.append((CIFAR10_CLASSES.index(parts[1]), info.filename))
    if not members:
        raise DataFormatError(f"{path}: no JPEG files in the zip")
    return sorted(members)


def _decode_cifar_zip(path: Path, split: str, seed: int):
    """Decode every JPEG of one CIFAR-10 zip, in a shuffled fixed order.

    The zip is grouped by class; the images are shuffled with
    ``np.random.default_rng(seed)`` so that the classes are interleaved,
    as in Keras's copy (``validation_split`` takes the last samples).
    """
    with _open_zip(path) as archive:
        members = cifar_zip_members(archive, split, path)
        x = np.empty((len(members), 32, 32, 3), dtype=np.uint8)
        y = np.empty((len(members), 1), dtype=np.uint8)
        steps = _progress(members, f"Decoding CIFAR-10 {split} JPEGs")
        for i, (label, member) in enumerate(steps):
            data = _read_member(archive, member, path)
            x[i] = _decode_jpeg(data, f"{path}:{member}")
            y[i] = label
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order], y[order]


def _build_cifar10(mirror: Path):
    paths = _mirror_files(mirror, _CIFAR_FILES)
    x_train, y_train = _decode_cifar_zip(paths[_CIFAR_FILES[0]], "train", 0)
    x_test, y_test = _decode_cifar_zip(paths[_CIFAR_FILES[1]], "test", 1)
    splits = (x_train, y_train, x_test, y_test)
    return _built(mirror, "cifar10", _CIFAR_FILES, _CIFAR_NOTE, splits)


def load_cifar10():
    """CIFAR-10 as ``(x_train, y_train), (x_test, y_test)``.

    Same types as ``keras.datasets.cifar10.load_data()``: uint8 images of
    shape (N, 32, 32, 3), uint8 labels of shape (N, 1), class indices in
    the order of :data:`CIFAR10_CLASSES`. From the offline mirror the
    images are decoded from JPEG once (about 8 s) and cached.
    """
    arrays, source = _load_arrays(
        "cifar10",
        _keras_online("cifar10", "cifar10"),
        "the online loader keras.datasets.cifar10.load_data()",
        _build_cifar10,
    )
    _report(source)
    return _split(arrays)


# --------------------------------------------------------------------------
# IMDB
# --------------------------------------------------------------------------

_IMDB_FILE = "imdb/aclImdb-labeled.tar.gz"
_IMDB_MEMBER = re.compile(r"^aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_LINE_BREAK = re.compile(r"<br\s*/?>", flags=re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_IMDB_TEXT_NOTE = (
    "the mirror lacks 4 of aclImdb's 50,000 labelled reviews (2 per "
    "split, overwritten upstream)."
)
_IMDB_NOTE = (
    "tokenised here from the aclImdb text (lower case, <br /> and "
    "punctuation removed, words ranked by training-set frequency), so word "
    "indices differ from Keras's published index: use imdb_word_index(). "
)


def clean_review(text: str) -> str:
    """A review with its ``<br />`` line breaks replaced by spaces."""
    return _LINE_BREAK.sub(" ", text)


def imdb_tokenize(text: str) -> list[str]:
    """Split a review into lower-case words the way the offline IMDB index
    was built: ``<br />`` and punctuation removed, apostrophes inside a
    word kept (``don't``)."""
    return _WORD.findall(clean_review(text).lower())


def _read_aclimdb(path: Path) -> dict:
    """The labelled reviews of an aclImdb tar.gz, in a fixed order.

    Returns ``{"train": (texts, labels), "test": (texts, labels)}`` with
    the negative reviews first, each group sorted by review id; labels are
    int64, 1 for positive. Unlabelled (``unsup``) reviews are skipped.
    """
    found = {"train": [], "test": []}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                match = _IMDB_MEMBER.match(member.name)
                if not match or not member.isfile():
                    continue
                split, polarity, review_id, _ = match.groups()
                raw = archive.extractfile(member).read()
                text = clean_review(raw.decode("utf-8"))
                label = 1 if polarity == "pos" else 0
                found[split].append((label, int(review_id), text))
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise DataFormatError(
            f"{path} is not a readable tar.gz file ({error}); it is "
            f"truncated or corrupted."
        ) from error
    except UnicodeDecodeError as error:
        raise DataFormatError(f"{path}: a review is not UTF-8 ({error})")
    result = {}
    for split, reviews in found.items():
        if not reviews:
            raise DataFormatError(f"{path}: no {split} reviews found")
        reviews.sort()
        texts = [text for _, _, text in reviews]
        labels = np.array([label for label, _, _ in reviews], dtype=np.int64)
        result[split] = (texts, labels)
    return result


def _pack_strings(strings) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one uint8 array of UTF-8 bytes plus end offsets (so the
    cache can be read back without pickle)."""
    encoded = [s.encode("utf-8") for s in strings]
    ends = np.cumsum([len(b) for b in encoded], dtype=np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ends


def _unpack_strings(data: np.ndarray, ends: np.ndarray) -> list[str]:
    raw = data.tobytes()
    starts = np.concatenate([[0], ends[:-1]])
    return [raw[a:b].decode("utf-8") for a, b in zip(starts, ends)]


def _pack_sequences(sequences) -> tuple[np.ndarray, np.ndarray]:
    """Lists of ints as one flat int32 array plus end offsets."""
    ends = np.cumsum([len(s) for s in sequences], dtype=np.int64)
    flat = np.fromiter(
        (i for s in sequences for i in s), dtype=np.int32, count=ends[-1]
    )
    return flat, ends


def _unpack_sequences(flat: np.ndarray, ends: np.ndarray) -> list:
    starts = np.concatenate([[0], ends[:-1]])
    return [flat[a:b].tolist() for a, b in zip(starts, ends)]


def _imdb_texts_info(mirror_or_url: str, reviews: dict, origin: str):
    note = _IMDB_TEXT_NOTE if origin == "mirror" else None
    return dict(
        location=mirror_or_url,
        note=note,
        n_train=len(reviews["train"][0]),
        n_test=len(reviews["test"][0]),
    )


def _texts_arrays(reviews: dict) -> dict:
    arrays = {}
    for split, (texts, labels) in reviews.items():
        data, ends = _pack_strings(texts)
        arrays[f"{split}_text"], arrays[f"{split}_ends"] = data, ends
        arrays[f"y_{split}"] = labels
    return arrays


def _build_imdb_text(mirror: Path):
    path = _mirror_file(mirror, _IMDB_FILE)
    reviews = _read_aclimdb(path)
    info = _imdb_texts_info(str(mirror / "imdb"), reviews, "mirror")
    info["source_files"] = _source_files(mirror, [_IMDB_FILE])
    return _texts_arrays(reviews), info


def _online_imdb_text():
    import keras

    path = keras.utils.get_file(
        "aclImdb_v1.tar.gz", ACLIMDB_URL, file_hash=ACLIMDB_SHA256
    )
    reviews = _read_aclimdb(Path(path))
    info = _imdb_texts_info(ACLIMDB_URL, reviews, "online")
    return _texts_arrays(reviews), DataSource("imdb_text", "online", **info)


def _rank_words(train_tokens) -> list[str]:
    """Words by decreasing training-set frequency (ties alphabetical)."""
    from collections import Counter

    counts = Counter(word for tokens in train_tokens for word in tokens)
    return sorted(counts, key=lambda word: (-counts[word], word))


def _build_imdb(mirror: Path):
    """Tokenise the mirror's reviews; word ranks start at 1 as in Keras."""
    path = _mirror_file(mirror, _IMDB_FILE)
    reviews = _read_aclimdb(path)
    tokens = {
        split: [imdb_tokenize(text) for text in texts]
        for split, (texts, _) in reviews.items()
    }
    vocabulary = _rank_words(tokens["train"])
    rank = {word: i + 1 for i, word in enumerate(vocabulary)}
    arrays = {}
    for split, (_, labels) in reviews.items():
        # Words never seen in training are skipped, as in Keras's copy.
        sequences = [
            [rank[w] for w in words if w in rank] for words in tokens[split]
        ]
        flat, ends = _pack_sequences(sequences)
        arrays[f"{split}_words"], arrays[f"{split}_ends"] = flat, ends
        arrays[f"y_{split}"] = labels
    arrays["vocabulary"] = _pack_strings(["\n".join(vocabulary)])[0]
    info = _imdb_texts_info(str(mirror / "imdb"), reviews, "mirror")
    info["note"] = _IMDB_NOTE + "The m" + _IMDB_TEXT_NOTE[5:]
    info["source_files"] = _source_files(mirror, [_IMDB_FILE])
    return arrays, info


def _keras_imdb_steps(
    x_train,
    labels_train,
    x_test,
    labels_test,
    num_words,
    skip_top,
    maxlen,
    seed,
    start_char,
    oov_char,
    index_from,
):
    """The steps of ``keras.datasets.imdb.load_data`` after it reads its
    file (shuffle, start/offset, maxlen filter, num_words/skip_top), copied
    so that the offline copy follows the same conventions."""
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train = x_train[indices]
    labels_train = labels_train[indices]

    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test = x_test[indices]
    labels_test = labels_test[indices]

    if start_char is not None:
        x_train = [[start_char] + [w + index_from for w in x] for x in x_train]
        x_test = [[start_char] + [w + index_from for w in x] for x in x_test]
    elif index_from:
        x_train = [[w + index_from for w in x] for x in x_train]
        x_test = [[w + index_from for w in x] for x in x_test]
    else:
        x_train = [list(x) for x in x_train]
        x_test = [list(x) for x in x_test]

    if maxlen:
        x_train, labels_train = _remove_long(maxlen, x_train, labels_train)
        x_test, labels_test = _remove_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen="
                f"{maxlen}, no sequence was kept. Increase maxlen."
            )

    xs = x_train + x_test
    labels = np.concatenate([labels_train, labels_test])
    if not num_words:  # Keras's rule: the largest index itself is OOV
        num_words = max(max(x) for x in xs if x)
    if oov_char is not None:
        xs = [
            [w if (skip_top <= w < num_words) else oov_char for w in x]
            for x in xs
        ]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]

    split = len(x_train)
    x_train, y_train = _object_array(xs[:split]), labels[:split]
    x_test, y_test = _object_array(xs[split:]), labels[split:]
    return (x_train, y_train), (x_test, y_test)


def _remove_long(maxlen, sequences, labels):
    """Keep the sequences shorter than ``maxlen`` (as Keras does)."""
    kept = [(x, y) for x, y in zip(sequences, labels) if len(x) < maxlen]
    return [x for x, _ in kept], np.array([y for _, y in kept], np.int64)


def _object_array(lists) -> np.ndarray:
    """A 1-D object array of lists (``np.array`` would make it 2-D when
    all lists happen to have the same length)."""
    array = np.empty(len(lists), dtype=object)
    for i, item in enumerate(lists):
        array[i] = item
    return array


def load_imdb(
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """IMDB reviews as word indices, like ``keras.datasets.imdb.load_data``.

    Returns ``(x_train, y_train), (x_test, y_test)``: object arrays of
    lists of ints and int64 labels (1 = positive), with the same arguments
    and conventions as Keras (0 padding, ``start_char``, ``oov_char``, real
    words from ``index_from`` on, ranked by training-set frequency).

    Offline, the reviews are tokenised here from the aclImdb text (see
    :func:`imdb_tokenize`), so the word indices differ from Keras's
    published ones: decode them with :func:`imdb_word_index`, which always
    matches the source that was used.
    """
    arrays, source = _load_arrays(
        "imdb",
        lambda: _online_imdb(
            num_words, skip_top, maxlen, seed, start_char, oov_char, index_from
        ),
        "the online loader keras.datasets.imdb.load_data()",
        _build_imdb,
    )
    if source.origin != "online":
        sequences = {}
        for split in ("train", "test"):
            words = arrays[f"{split}_words"]
            lists = _unpack_sequences(words, arrays[f"{split}_ends"])
            sequences[split] = _object_array(lists)
        result = _keras_imdb_steps(
            sequences["train"],
            arrays["y_train"].astype(np.int64),
            sequences["test"],
            arrays["y_test"].astype(np.int64),
            num_words,
            skip_top,
            maxlen,
            seed,
            start_char,
            oov_char,
            index_from,
        )
        arrays = dict(x_train=result[0][0], y_train=result[0][1])
        arrays.update(x_test=result[1][0], y_test=result[1][1])
        source = _with_counts(source, arrays)
    _report(source)
    return _split(arrays)


def _with_counts(source: DataSource, arrays: dict) -> DataSource:
    """``source`` with the sizes of ``arrays`` (after a maxlen filter)."""
    from dataclasses import replace

    return replace(
        source, n_train=len(arrays["x_train"]), n_test=len(arrays["x_test"])
    )


def _online_imdb(*args):
    import keras

    names = ("num_words", "skip_top", "maxlen", "seed")
    names += ("start_char", "oov_char", "index_from")
    loader = keras.datasets.imdb.load_data
    (x_train, y_train), (x_test, y_test) = loader(**dict(zip(names, args)))
    arrays = dict(x_train=x_train, y_train=y_train)
    arrays.update(x_test=x_test, y_test=y_test)
    source = DataSource(
        name="imdb",
        origin="online",
        n_train=len(x_train),
        n_test=len(x_test),
        location="keras.datasets.imdb.load_data()",
    )
    return arrays, source


def imdb_word_index() -> dict[str, int]:
    """The word -> index table of the IMDB copy that :func:`load_imdb`
    uses (index 1 is the most frequent word; add ``index_from`` to match
    the sequences). Loads the data first if it has not been loaded."""
    source = SOURCES.get("imdb") or _load_imdb_source()
    if source.origin == "online":
        import keras

        return keras.datasets.imdb.get_word_index()
    cached = _read_cache("imdb")
    if cached is None:  # deleted since the load: build it again
        load_imdb()
        cached = _read_cache("imdb")
    vocabulary = cached[0]["vocabulary"].tobytes().decode("utf-8")
    return {word: i + 1 for i, word in enumerate(vocabulary.split("\n"))}


def _load_imdb_source() -> DataSource:
    load_imdb()
    return SOURCES["imdb"]


def load_imdb_text(seed=113):
    """The raw IMDB reviews: ``(texts_train, y_train), (texts_test,
    y_test)`` with lists of str (``<br />`` replaced by spaces) and int64
    labels (1 = positive).

    The reviews are shuffled with ``np.random.RandomState(seed)`` as
    Keras shuffles its sequences (``seed=None`` keeps the file order:
    negatives then positives, by review id). Online they come from the
    Stanford aclImdb archive, offline from the mirror's copy of it.
    """
    arrays, source = _load_arrays(
        "imdb_text",
        _online_imdb_text,
        f"the online download {ACLIMDB_URL}",
        _build_imdb_text,
    )
    result = []
    rng = np.random.RandomState(seed) if seed is not None else None
    for split in ("train", "test"):
        texts = _unpack_strings(
            arrays[f"{split}_text"], arrays[f"{split}_ends"]
        )
        labels = arrays[f"y_{split}"].astype(np.int64)
        order = np.arange(len(texts))
        if rng is not None:
            rng.shuffle(order)
        result.append(([texts[i] for i in order], labels[order]))
    _report(source)
    return tuple(result)


# --------------------------------------------------------------------------
# Cats vs dogs: a small binary image folder built from CIFAR-10
# --------------------------------------------------------------------------

_CATS_DOGS = {"cats": 3, "dogs": 5}  # folder -> CIFAR-10 label
_CATS_DOGS_NOTE = (
    "CIFAR-10's 32x32 cat and dog photos stand in for Kaggle's Dogs vs. "
    "Cats (the classic subset's sizes, much smaller images); "
    "{validation:,} validation images too."
)


def _cats_dogs_counts(n_train, n_validation, n_test) -> dict[str, int]:
    return {"train": n_train, "validation": n_validation, "test": n_test}


def _cats_dogs_complete(folder: Path, counts: dict) -> bool:
    """True when every split/class folder holds exactly its images."""
    for split, n in counts.items():
        for animal in _CATS_DOGS:
            directory = folder / split / animal
            if not directory.is_dir():
                return False
            if len(list(directory.glob("*.jpg"))) != n:
                return False
    return True


def _choose(n_available: int, counts: list[int], rng, what: str):
    """Split a random permutation into consecutive groups of ``counts``."""
    if sum(counts) > n_available:
        raise DataFormatError(
            f"{what}: {n_available:,} images available, {sum(counts):,} "
            f"needed"
        )
    order = rng.permutation(n_available)
    groups, start = [], 0
    for n in counts:
        groups.append(np.sort(order[start : start + n]))
        start += n
    return groups


def _write_cats_dogs_from_mirror(mirror: Path, target: Path, counts):
    """Copy the JPEG bytes of the mirror's cats and dogs, unchanged."""
    paths = _mirror_files(mirror, _CIFAR_FILES)
    rng = np.random.default_rng(0)
    archives = {
        "train": _open_zip(paths[_CIFAR_FILES[0]]),
        "test": _open_zip(paths[_CIFAR_FILES[1]]),
    }
    with archives["train"], archives["test"]:
        for animal, label in _CATS_DOGS.items():
            for split, wanted in (
                ("train", ["train", "validation"]),
                ("test", ["test"]),
            ):
                archive = archives[split]
                path = paths[_CIFAR_FILES[split == "test"]]
                members = [
                    member
                    for y, member in cifar_zip_members(archive, split, path)
                    if y == label
                ]
                groups = _choose(
                    len(members),
                    [counts[w] for w in wanted],
                    rng,
                    f"{path} {animal}",
                )
                for out_split, chosen in zip(wanted, groups):
                    folder = target / out_split / animal
                    folder.mkdir(parents=True, exist_ok=True)
                    for i, index in enumerate(chosen):
                        data = _read_member(archive, members[index], path)
                        name = f"{animal[:-1]}.{i}.jpg"
                        (folder / name).write_bytes(data)


def _write_cats_dogs_online(target: Path, counts):
    """Write keras's CIFAR-10 cats and dogs as JPEG (quality 95)."""
    import keras
    from PIL import Image

    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    rng = np.random.default_rng(0)
    for animal, label in _CATS_DOGS.items():
        for x, y, wanted in (
            (x_train, y_train, ["train", "validation"]),
            (x_test, y_test, ["test"]),
        ):
            images = x[y.reshape(-1) == label]
            groups = _choose(
                len(images), [counts[w] for w in wanted], rng, animal
            )
            for out_split, chosen in zip(wanted, groups):
                folder = target / out_split / animal
                folder.mkdir(parents=True, exist_ok=True)
                for i, index in enumerate(chosen):
                    name = f"{animal[:-1]}.{i}.jpg"
                    Image.fromarray(images[index]).save(
                        folder / name, quality=95
                    )


def cats_vs_dogs_dir(n_train=1000, n_validation=500, n_test=500) -> Path:
    """A folder of cat and dog photos for ``image_dataset_from_directory``.

    Layout: ``train/``, ``validation/`` and ``test/``, each with ``cats/``
    and ``dogs/`` holding ``n_train``, ``n_validation`` and ``n_test``
    JPEGs per class (by default 2,000 / 1,000 / 1,000 images in all, the
    sizes of the classic Dogs-vs-Cats subset). The photos are CIFAR-10's
    cats and dogs (32x32), chosen with a fixed seed: train and validation
    from CIFAR-10's training split, test from its test split. Built once
    in the cache and rebuilt if incomplete.
    """
    counts = _cats_dogs_counts(n_train, n_validation, n_test)
    name = "cats_vs_dogs"
    if counts != _cats_dogs_counts(1000, 500, 500):
        name += f"_{n_train}_{n_validation}_{n_test}"
    folder = _cache_root() / name
    record = _cache_root() / f"{name}.json"
    note = _CATS_DOGS_NOTE.format(validation=2 * n_validation)
    sizes = dict(n_train=2 * n_train, n_test=2 * n_test, note=note)

    if folder.exists():
        info = _read_json(record)
        if not _cats_dogs_complete(folder, counts):
            problem = "some of its images are missing"
        else:
            problem = _cache_problem(info, folder, sha=False)
        if not problem:
            _report(_cache_source("cats_vs_dogs", info, folder))
            return folder
        _say_rebuild("cats_vs_dogs", folder, problem)
        shutil.rmtree(folder)
        record.unlink(missing_ok=True)

    cache_dir()
    building = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(building, ignore_errors=True)
    looked = [f"the cache: {_show(folder)} does not exist"]
    info = None
    online_name = "the online loader keras.datasets.cifar10.load_data()"
    if offline():
        looked.append(f"{online_name}: skipped ({OFFLINE_VARIABLE}=1)")
    else:
        try:
            _write_cats_dogs_online(building, counts)
            info = dict(
                sizes,
                built_from="online",
                location="keras.datasets.cifar10.load_data()",
            )
        except Exception as error:
            shutil.rmtree(building, ignore_errors=True)
            looked.append(f"{online_name}: {_online_failure(error)}")
    if info is None:

        def build(mirror):
            _write_cats_dogs_from_mirror(mirror, building, counts)
            return dict(
                sizes,
                built_from="mirror",
                location=str(mirror / "cifar10"),
                source_files=_source_files(mirror, _CIFAR_FILES),
            )

        try:
            info = _from_mirror("cats_vs_dogs", build, looked)
        except DataError:
            shutil.rmtree(building, ignore_errors=True)
            raise
        if info is None:
            shutil.rmtree(building, ignore_errors=True)
            raise _not_found("cats_vs_dogs", looked)
    os.replace(building, folder)
    _write_json(record, dict(info, name=name, format=CACHE_FORMAT))
    source = _fresh_source("cats_vs_dogs", info)
    _report(_relocated(source, f"{source.location} -> {_show(folder)}"))
    return folder


def _relocated(source: DataSource, location: str) -> DataSource:
    """``source`` with another ``location`` string."""
    from dataclasses import replace

    return replace(source, location=location)


# --------------------------------------------------------------------------
# ImageNet names and the TFLite models
# --------------------------------------------------------------------------

_CLASS_INDEX_FILE = "imagenet/imagenet_class_index.json"


def _parse_class_index(path: Path) -> list[str]:
    try:
        index = json.loads(Path(path).read_text())
        names = [index[str(i)][1] for i in range(1000)]
    except (OSError, ValueError, KeyError, IndexError, TypeError) as error:
        raise DataFormatError(
            f"{path}: not an ImageNet class index ({error!r})"
        ) from error
    return names


def imagenet_class_names() -> list[str]:
    """The 1,000 ImageNet class names in Keras's index order, exactly as
    ``keras.applications.*.decode_predictions`` prints them (for example
    ``"tabby"``, ``"great_white_shark"``)."""
    cached = _cache_root() / "imagenet_class_index.json"
    record = _cache_root() / "imagenet_class_index.source.json"
    if cached.exists():
        info = _read_json(record)
        problem = _cache_problem(info, cached, sha=True)
        if not problem:
            names = _parse_class_index(cached)
            _report(_cache_source("imagenet_class_names", info, cached))
            return names
        _say_rebuild("imagenet_class_names", cached, problem)
        cached.unlink()
        record.unlink(missing_ok=True)

    looked = [f"the cache: {_show(cached)} does not exist"]
    online_name = f"keras.utils.get_file({IMAGENET_CLASS_INDEX_URL})"
    if offline():
        looked.append(f"{online_name}: skipped ({OFFLINE_VARIABLE}=1)")
    else:
        try:
            import keras

            path = keras.utils.get_file(
                "imagenet_class_index.json",
                IMAGENET_CLASS_INDEX_URL,
                cache_subdir="models",
                file_hash=IMAGENET_CLASS_INDEX_MD5,
            )
            names = _parse_class_index(path)
            source = DataSource(
                "imagenet_class_names", "online", 1000, None, online_name
            )
            _report(source)
            return names
        except DataFormatError:
            raise
        except Exception as error:
            looked.append(f"{online_name}: {_online_failure(error)}")

    def build(mirror):
        path = _mirror_file(mirror, _CLASS_INDEX_FILE)
        names = _parse_class_index(path)
        cache_dir()
        shutil.copyfile(path, cached)
        info = dict(
            name="imagenet_class_names",
            built_from="mirror",
            location=str(path),
            n_train=1000,
            format=CACHE_FORMAT,
            cache_sha256=_sha256(cached),
            source_files=_source_files(mirror, [_CLASS_INDEX_FILE]),
        )
        _write_json(record, info)
        return names, info

    built = _from_mirror("imagenet_class_names", build, looked)
    if built is None:
        raise _not_found("imagenet_class_names", looked)
    names, info = built
    _report(_fresh_source("imagenet_class_names", info))
    return names


def _mirror_only(what: str, relative: str) -> Path:
    """A verified file that only the offline mirror has."""
    mirror = mirror_dir()
    try:
        if mirror is None:
            raise _MissingInMirror(
                f"no offline mirror found ({MIRROR_VARIABLE} is unset)"
            )
        return _mirror_file(mirror, relative)
    except _MissingInMirror as missing:
        raise DataNotFoundError(
            f"{what} is not available: {missing}. It comes only from the "
            f"offline data mirror ({relative}); the book wires in no "
            f"online copy. Set {MIRROR_VARIABLE}=PATH to a copy of the "
            f"mirror."
        ) from None


def imagenet_tflite_model(name: str = "mobilenet_v2_1.0_224_quant") -> Path:
    """The path of an ImageNet-trained, uint8-quantised TFLite MobileNet in
    the offline mirror (1001 outputs; see :func:`imagenet_tflite_labels`).
    Mirror only: :class:`DataNotFoundError` elsewhere."""
    if name not in TFLITE_MODELS:
        raise _unknown("TFLite model", name, TFLITE_MODELS)
    path = _mirror_only(f"the TFLite model {name}", f"imagenet/{name}.tflite")
    _report(
        DataSource(
            "imagenet_tflite",
            "mirror",
            None,
            None,
            str(path),
            note="uint8-quantised, 1001 outputs (index 0 is background).",
        )
    )
    return path


def imagenet_tflite_labels() -> list[str]:
    """The 1001 labels of the TFLite models (index 0 is ``"background"``),
    from the offline mirror only."""
    path = _mirror_only("the TFLite labels", "imagenet/imagenet_labels.txt")
    labels = path.read_text().splitlines()
    if len(labels) != 1001:
        raise DataFormatError(f"{path}: {len(labels)} labels, expected 1001")
    return labels


# --------------------------------------------------------------------------
# Sample photos from scikit-image
# --------------------------------------------------------------------------


def load_sample_image(name: str) -> np.ndarray:
    """A photo bundled with scikit-image (public domain / CC0), as uint8
    (H, W, 3); ``"camera"`` is greyscale and comes as uint8 (H, W)."""
    if name not in SAMPLE_IMAGES:
        raise _unknown("sample image", name, SAMPLE_IMAGES)
    import skimage.data

    image = np.asarray(getattr(skimage.data, name)(), dtype=np.uint8)
    kind = "RGB" if image.ndim == 3 else "greyscale"
    size = "x".join(str(s) for s in image.shape[:2])
    _report(
        DataSource(
            "sample_images",
            "package",
            1,
            None,
            f"skimage.data.{name}",
            note=f"{name!r}, {size} {kind}, public domain / CC0.",
        )
    )
    return image


# --------------------------------------------------------------------------
# Subsets and the dispatcher
# --------------------------------------------------------------------------


def _class_quotas(counts: np.ndarray, n: int) -> np.ndarray:
    """How many samples of each class an ``n``-sample subset gets: the
    proportional share rounded by largest remainder, at least 1 each."""
    exact = n * counts / counts.sum()
    quota = np.maximum(np.floor(exact).astype(int), 1)
    while quota.sum() < n:  # give the largest remainders one more
        room = np.where(quota < counts, exact - quota, -np.inf)
        quota[np.argmax(room)] += 1
    while quota.sum() > n:  # take back from the most over-served
        excess = np.where(quota > 1, quota - exact, -np.inf)
        quota[np.argmax(excess)] -= 1
    return quota


def stratified_subset(x, y, n, seed=0):
    """``n`` samples of ``(x, y)`` with the class proportions kept.

    Labels may have shape (N,) or (N, 1). Each class gets its share of
    ``n`` (rounded, at least one sample); the subset is shuffled with
    ``np.random.default_rng(seed)``, so the same call returns the same
    samples. Raises ``ValueError`` if ``n`` exceeds the number of samples
    or is smaller than the number of classes.
    """
    labels = np.asarray(y).reshape(len(y), -1)[:, 0]
    if len(labels) != len(x):
        raise ValueError(f"{len(x)} samples but {len(labels)} labels")
    classes, counts = np.unique(labels, return_counts=True)
    if n > len(labels):
        raise ValueError(f"n={n} exceeds the {len(labels)} samples")
    if n < len(classes):
        raise ValueError(
            f"n={n} is smaller than the number of classes ({len(classes)})"
        )
    rng = np.random.default_rng(seed)
    chosen = []
    for label, quota in zip(classes, _class_quotas(counts, n)):
        members = np.flatnonzero(labels == label)
        chosen.append(rng.choice(members, size=quota, replace=False))
    index = rng.permutation(np.concatenate(chosen))
    if isinstance(x, np.ndarray):
        x_sub = x[index]
    else:
        x_sub = [x[i] for i in index]
    return x_sub, np.asarray(y)[index]


_LOADERS = {
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "cifar10": load_cifar10,
    "imdb": load_imdb,
    "cats_vs_dogs": cats_vs_dogs_dir,
    "imagenet_class_names": imagenet_class_names,
}


def load(name, /, **kwargs):
    """Load a dataset by name (see :data:`DATASETS`); ``kwargs`` go to its
    loader. ``load("sample_images")`` returns ``{name: image}`` for all the
    sample photos, ``load("sample_images", name="chelsea")`` one of them.
    """
    if name == "sample_images":
        if "name" in kwargs:
            return load_sample_image(kwargs["name"])
        return {image: load_sample_image(image) for image in SAMPLE_IMAGES}
    if name not in _LOADERS:
        raise _unknown("dataset", name, DATASETS)
    return _LOADERS[name](**kwargs)
