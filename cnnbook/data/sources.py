"""Where data comes from: the cache, the online loaders, the offline mirror.

This module is the data layer's machinery, shared by every dataset family
(:mod:`cnnbook.data.mnist`, :mod:`~cnnbook.data.cifar`,
:mod:`~cnnbook.data.imdb`, :mod:`~cnnbook.data.imagenet`): the environment
variables, the errors, the mirror's checksums, the cache and the search
order of :func:`load_arrays`. A new dataset family imports from here and
adds a module of its own; readers never need to import it directly.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# --------------------------------------------------------------------------
# Names shared by every loader
# --------------------------------------------------------------------------





MIRROR_VARIABLE = "CNNBOOK_DATA_MIRROR"
CACHE_VARIABLE = "CNNBOOK_CACHE"
OFFLINE_VARIABLE = "CNNBOOK_OFFLINE"

#: The folder holding the ``cnnbook`` package (a checkout of the book).
REPO_ROOT = Path(__file__).resolve().parents[2]


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
    # the pretrained networks of cnnbook.pretrained (chapters 11 and 13)
    "mobilenet_v2": ("MobileNetV2 (alpha 1.0, 224x224)", "ImageNet weights"),
    "mobilenet_v1": ("MobileNet (alpha 0.5, 160x160)", "ImageNet weights"),
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
    try:
        root.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError, PermissionError) as error:
        setting = os.environ.get(CACHE_VARIABLE, "").strip()
        where = (
            f"{CACHE_VARIABLE}={setting}"
            if setting
            else "the default cache ~/.cache/cnnbook"
        )
        raise DataError(
            f"the cache folder {root} cannot be created ({where}): "
            f"{error.strerror or error}. Point {CACHE_VARIABLE} at a folder "
            f"you can write (it is created if missing), or unset it."
        ) from None
    return root


@contextlib.contextmanager
def _cache_lock(name: str):
    """Hold ``<cache>/.<name>.lock`` while a dataset is read or built, so
    that two processes sharing one cache (pytest-xdist, a class on one
    machine) never see each other's half-built files. A no-op where the
    platform has no ``fcntl`` (Windows)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path = cache_dir() / f".{name}.lock"
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _temporary_beside(path: Path) -> Path:
    """A fresh, unique name in ``path``'s folder for writing ``path``
    before an atomic rename."""
    handle, name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    os.close(handle)
    return Path(name)


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
    """A path as a reader would write it: beside the checkout as
    ``../shared/data``, in the home folder as ``~/...``."""
    text = str(path)
    shared = (REPO_ROOT.parent / "shared").resolve()
    try:
        inside = Path(path).resolve().relative_to(shared)
    except (ValueError, OSError):
        inside = None
    if inside is not None:
        return str(Path("..") / "shared" / inside)
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


#: Loader names that ``data_scripts/fetch_data.py`` knows by another name.
_FETCH_NAMES = {"imdb_text": "imdb"}


def fetch_command(name: str) -> str:
    """The commands that put ``name`` into the cache, for error messages
    (``tests/data/test_fetch_script.py`` runs every one of them)."""
    name = _FETCH_NAMES.get(name, name)
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
    temporary = _temporary_beside(path)
    temporary.write_text(json.dumps(info, indent=1, sort_keys=True))
    os.replace(temporary, path)


def _write_cache(name: str, arrays: dict, info: dict) -> Path:
    """Write ``arrays`` to ``<cache>/<name>.npz`` and ``info`` next to it.

    Both are written to a temporary name first, so an interrupted run
    leaves no half-written cache behind.
    """
    data_path, info_path = _cache_paths(name)
    cache_dir()
    temporary = _temporary_beside(data_path)
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
    caller reports it (it may first reshape the arrays). Holds the
    dataset's cache lock throughout, so concurrent loaders build it once.
    """
    with _cache_lock(name):
        return _find_arrays(name, online, online_name, build)


def _find_arrays(name: str, online, online_name: str, build):
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
# What the array loaders share
# --------------------------------------------------------------------------

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


def _split(arrays: dict):
    return (arrays["x_train"], arrays["y_train"]), (
        arrays["x_test"],
        arrays["y_test"],
    )


# --------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------


def _progress(iterable, description: str, total: int | None = None):
    """A tqdm progress bar on terminals; silent elsewhere (notebooks)."""
    from tqdm import tqdm

    return tqdm(
        iterable, desc=description, total=total, disable=None, leave=False
    )


