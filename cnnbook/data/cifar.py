"""CIFAR-10 and the image folders built from it (cats vs dogs).

Offline, CIFAR-10 comes from the mirror's JPEG copy (decoded once into the
cache); :func:`cats_vs_dogs_dir` writes a folder of real cat and dog photos
for ``keras.utils.image_dataset_from_directory``.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from cnnbook.data.sources import (
    CACHE_FORMAT,
    OFFLINE_VARIABLE,
    DataFormatError,
    DataSource,
    _built,
    _cache_lock,
    _cache_problem,
    _cache_root,
    _cache_source,
    _fresh_source,
    _from_mirror,
    _keras_online,
    _load_arrays,
    _mirror_files,
    _not_found,
    _online_failure,
    _progress,
    _read_json,
    _report,
    _say_rebuild,
    _show,
    _source_files,
    _split,
    _write_json,
    cache_dir,
    offline,
)

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

def _decode_jpeg(data: bytes, where: str, shape=(32, 32, 3)) -> np.ndarray:
    """Decode one JPEG to a uint8 RGB array of ``shape``."""
    from PIL import Image

    # Fast path: libjpeg decodes straight into an RGB image of the expected
    # size, without Pillow's header parsing in Python (about twice as fast
    # over CIFAR-10's 60,000 tiny JPEGs; the same pixels as the path
    # below). The decoder refuses a JPEG of another size; that, and every
    # other refusal (CMYK, damaged data), takes the general path below,
    # which decodes what it can and words the error.
    try:
        image = Image.frombytes("RGB", shape[1::-1], data, "jpeg", "RGB", "")
        return np.asarray(image)
    except Exception:  # PIL raises several kinds
        pass
    try:
        with Image.open(io.BytesIO(data)) as image:
            array = np.asarray(image.convert("RGB"))
    except Exception as error:  # PIL raises several kinds
        raise DataFormatError(f"{where}: unreadable JPEG ({error})") from error
    if array.shape != shape:
        raise DataFormatError(f"{where}: image of shape {array.shape}")
    return array


# --------------------------------------------------------------------------
# CIFAR-10
# --------------------------------------------------------------------------

_CIFAR_FILES = (
    "cifar10/cifar10-jpeg-train.zip",
    "cifar10/cifar10-jpeg-test.zip",
)
#: the seed of each split's shuffle (see _decode_cifar_zip)
_CIFAR_SEEDS = {"train": 0, "test": 1}
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
    train, test = (paths[file] for file in _CIFAR_FILES)
    x_train, y_train = _decode_cifar_zip(train, "train", _CIFAR_SEEDS["train"])
    x_test, y_test = _decode_cifar_zip(test, "test", _CIFAR_SEEDS["test"])
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


def _check_counts(n_train, n_validation, n_test) -> None:
    """Refuse counts the CIFAR-10 cats and dogs cannot supply."""
    limits = {
        "n_train": (n_train, 5000),
        "n_validation": (n_validation, 5000),
        "n_test": (n_test, 1000),
    }
    for argument, (value, most) in limits.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(
                f"{argument} must be a whole number of images per class, "
                f"got {value!r}"
            )
        if not 1 <= value <= most:
            raise ValueError(
                f"{argument}={value}: each class needs between 1 and "
                f"{most:,} images here"
            )
    if n_train + n_validation > 5000:
        raise ValueError(
            f"n_train + n_validation = {n_train + n_validation:,}: CIFAR-10 "
            f"has 5,000 training images per class to split between them"
        )


def _folder_sha256(folder: Path) -> str:
    """One SHA-256 over every file of ``folder`` (relative path and bytes),
    so that a changed, emptied or extra file is noticed."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _cats_dogs_problem(folder: Path, counts: dict, info) -> str:
    """Why a cached cats-vs-dogs folder cannot be used ('' if it can)."""
    if not _cats_dogs_complete(folder, counts):
        return "some of its images are missing"
    problem = _cache_problem(info, folder, sha=False)
    if problem:
        return problem
    if info.get("folder_sha256") != _folder_sha256(folder):
        return "its files differ from those it was built with"
    return ""


def cats_vs_dogs_dir(n_train=1000, n_validation=500, n_test=500) -> Path:
    """A folder of cat and dog photos for ``image_dataset_from_directory``.

    Layout: ``train/``, ``validation/`` and ``test/``, each with ``cats/``
    and ``dogs/`` holding ``n_train``, ``n_validation`` and ``n_test``
    JPEGs per class (by default 2,000 / 1,000 / 1,000 images in all, the
    sizes of the classic Dogs-vs-Cats subset). The photos are CIFAR-10's
    cats and dogs (32x32), chosen with a fixed seed: train and validation
    from CIFAR-10's training split, test from its test split. Built once
    in the cache, verified file by file on every call, and rebuilt if
    anything changed.
    """
    _check_counts(n_train, n_validation, n_test)
    counts = _cats_dogs_counts(n_train, n_validation, n_test)
    name = "cats_vs_dogs"
    if counts != _cats_dogs_counts(1000, 500, 500):
        name += f"_{n_train}_{n_validation}_{n_test}"
    with _cache_lock(name):
        return _cats_vs_dogs(name, counts)


def _cats_vs_dogs(name: str, counts: dict) -> Path:
    folder = _cache_root() / name
    record = _cache_root() / f"{name}.json"
    note = _CATS_DOGS_NOTE.format(validation=2 * counts["validation"])
    sizes = dict(
        n_train=2 * counts["train"], n_test=2 * counts["test"], note=note
    )

    if folder.exists():
        info = _read_json(record)
        problem = _cats_dogs_problem(folder, counts, info)
        if not problem:
            _report(_cache_source("cats_vs_dogs", info, folder))
            return folder
        _say_rebuild("cats_vs_dogs", folder, problem)
        shutil.rmtree(folder)
        record.unlink(missing_ok=True)

    building = Path(
        tempfile.mkdtemp(dir=cache_dir(), prefix=f".{name}.", suffix=".tmp")
    )
    try:
        info = _build_cats_dogs(name, building, counts, sizes, folder)
        info = dict(info, folder_sha256=_folder_sha256(building))
        os.replace(building, folder)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    _write_json(record, dict(info, name=name, format=CACHE_FORMAT))
    source = _fresh_source("cats_vs_dogs", info)
    _report(_relocated(source, f"{source.location} -> {_show(folder)}"))
    return folder


def _build_cats_dogs(name, building: Path, counts, sizes, folder) -> dict:
    """Write the photos into ``building``: online, else from the mirror.
    Returns the record's facts; raises when every source fails."""
    looked = [f"the cache: {_show(folder)} does not exist"]
    online_name = "the online loader keras.datasets.cifar10.load_data()"
    if offline():
        looked.append(f"{online_name}: skipped ({OFFLINE_VARIABLE}=1)")
    else:
        try:
            _write_cats_dogs_online(building, counts)
            return dict(
                sizes,
                built_from="online",
                location="keras.datasets.cifar10.load_data()",
            )
        except Exception as error:
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir()
            looked.append(f"{online_name}: {_online_failure(error)}")

    def build(mirror):
        _write_cats_dogs_from_mirror(mirror, building, counts)
        return dict(
            sizes,
            built_from="mirror",
            location=str(mirror / "cifar10"),
            source_files=_source_files(mirror, _CIFAR_FILES),
        )

    info = _from_mirror("cats_vs_dogs", build, looked)
    if info is None:
        raise _not_found("cats_vs_dogs", looked)
    return info


def _relocated(source: DataSource, location: str) -> DataSource:
    """``source`` with another ``location`` string."""
    from dataclasses import replace

    return replace(source, location=location)


