"""ImageNet: class names, the mirror's TFLite MobileNets, sample photos.

The pretrained networks built from these live in :mod:`cnnbook.pretrained`;
this module only finds and verifies the files.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from cnnbook.data.sources import (
    CACHE_FORMAT,
    MIRROR_VARIABLE,
    OFFLINE_VARIABLE,
    DataFormatError,
    DataNotFoundError,
    DataSource,
    _cache_lock,
    _cache_problem,
    _cache_root,
    _cache_source,
    _fresh_source,
    _from_mirror,
    _mirror_file,
    _MissingInMirror,
    _not_found,
    _online_failure,
    _read_json,
    _report,
    _say_rebuild,
    _sha256,
    _show,
    _source_files,
    _temporary_beside,
    _unknown,
    _write_json,
    cache_dir,
    mirror_dir,
    offline,
)

#: The uint8 TensorFlow Lite classifiers in the offline mirror.
TFLITE_MODELS = (
    "mobilenet_v2_1.0_224_quant",
    "mobilenet_v1_0.5_160_quant",
    "mobilenet_v1_0.25_128_quant",
)

#: Photos that ``skimage.data`` ships inside its wheel (no download).
SAMPLE_IMAGES = ("chelsea", "astronaut", "coffee", "rocket", "camera")

IMAGENET_CLASS_INDEX_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/"
    "data/imagenet_class_index.json"
)
IMAGENET_CLASS_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"

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
    with _cache_lock("imagenet_class_names"):
        return _imagenet_class_names()


def _imagenet_class_names() -> list[str]:
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
        temporary = _temporary_beside(cached)
        shutil.copyfile(path, temporary)
        os.replace(temporary, cached)
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


