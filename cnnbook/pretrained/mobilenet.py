"""The ImageNet-trained MobileNets: load, preprocess, decode.

See :mod:`cnnbook.pretrained` for what a chapter needs to know; this module
holds the search order (online, cache, offline mirror), the cache of
converted weights and the small image helpers.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnbook.data import sources
from cnnbook.data.sources import (
    CACHE_FORMAT,
    MIRROR_VARIABLE,
    OFFLINE_VARIABLE,
    DataNotFoundError,
    DataSource,
    _cache_problem,
    _cache_root,
    _online_failure,
    _read_json,
    _report,
    _say_rebuild,
    _sha256,
    _show,
    _write_json,
    cache_dir,
    offline,
)

#: Bump when the conversion changes: older cached weights are rebuilt.
CONVERTER_VERSION = 1


@dataclass(frozen=True)
class MobileNetVersion:
    """One MobileNet the book uses: the ``keras.applications`` builder,
    its width multiplier ``alpha``, its input size and the TFLite model of
    the offline mirror that holds the same network."""

    application: str
    alpha: float
    size: int
    tflite: str

    @property
    def stem(self) -> str:
        """e.g. ``"mobilenet_v2_1.0_224"``, the TFLite name less _quant."""
        return self.tflite.removesuffix("_quant")


#: The versions :func:`load_mobilenet` knows.
MOBILENETS = {
    "v2": MobileNetVersion("MobileNetV2", 1.0, 224,
                           "mobilenet_v2_1.0_224_quant"),
    "v1": MobileNetVersion("MobileNet", 0.5, 160,
                           "mobilenet_v1_0.5_160_quant"),
}


#: The pretrained networks that ``data_scripts/fetch_data.py`` prepares
#: (``--list`` shows them, ``all`` includes them): name -> what it is.
PRETRAINED = {
    "mobilenet": "ImageNet weights of the MobileNets of chapters 11 and 13 ("
    + "; ".join(f"{spec.application} alpha {spec.alpha}, "
                f"{spec.size}x{spec.size}" for spec in MOBILENETS.values())
    + ")",
}


class WeightsNotFoundError(DataNotFoundError):
    """Neither the internet, the cache nor the offline mirror can provide
    a network's ImageNet weights (no random weights are ever used)."""


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------


def _version(version: str) -> MobileNetVersion:
    if version not in MOBILENETS:
        raise ValueError(
            f"version={version!r} is not a MobileNet the book provides; "
            f"allowed: {', '.join(repr(v) for v in MOBILENETS)} "
            f"(MobileNetV2 alpha 1.0 at 224x224, MobileNet alpha 0.5 at "
            f"160x160)"
        )
    return MOBILENETS[version]


def input_size(version: str = "v2") -> int:
    """The side of the square images the network was trained on: 224 for
    ``"v2"``, 160 for ``"v1"``."""
    return _version(version).size


def _native(spec) -> tuple[int, int, int]:
    return (spec.size, spec.size, 3)


def _input_shape(spec, include_top, input_shape):
    native = _native(spec)
    if input_shape is None:
        return native
    try:
        shape = tuple(int(n) for n in input_shape)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 3 or shape[2] != 3 or min(shape[:2]) < 32:
        raise ValueError(
            f"input_shape={input_shape!r}: expected (height, width, 3) "
            f"with height and width >= 32, e.g. {native}"
        )
    if include_top and shape != native:
        raise ValueError(
            f"input_shape={shape}: with include_top=True the classifier "
            f"needs the training size {native}; use include_top=False for "
            f"other sizes"
        )
    return shape


def _check_options(include_top, pooling, classifier_activation):
    if not isinstance(include_top, bool):
        raise ValueError(f"include_top must be True or False, got "
                         f"{include_top!r}")
    if pooling not in (None, "avg", "max"):
        raise ValueError(
            f"pooling={pooling!r}: allowed are None (the 4-D feature "
            f"maps), 'avg' or 'max' (one vector per image)"
        )
    if include_top and pooling is not None:
        raise ValueError(
            f"pooling={pooling!r} applies to the base only: pass "
            f"include_top=False with it (the classifier already pools)"
        )
    if classifier_activation not in (None, "softmax"):
        raise ValueError(
            f"classifier_activation={classifier_activation!r}: allowed "
            f"are 'softmax' (probabilities) or None (logits), as for "
            f"keras.applications with ImageNet weights"
        )


def _build(spec, weights, include_top, input_shape, pooling, activation):
    import keras

    builder = getattr(keras.applications, spec.application)
    with warnings.catch_warnings():
        if weights is None:
            # Keras warns that it would load 224 x 224 weights for another
            # input size; here it loads none (ours come from the mirror's
            # model, and a convolution's weights fit any input size).
            warnings.filterwarnings(
                "ignore", message=".*input_shape. is undefined or non-square"
            )
        return builder(
            alpha=spec.alpha,
            include_top=include_top,
            weights=weights,
            input_shape=input_shape,
            pooling=pooling,
            classifier_activation=activation,
        )


# --------------------------------------------------------------------------
# The cache of converted weights
# --------------------------------------------------------------------------


def _cache_paths(spec) -> tuple[Path, Path]:
    root = _cache_root()
    stem = f"{spec.stem}_from_tflite"
    return root / f"{stem}.weights.h5", root / f"{stem}.json"


def _cached_weights(name, spec):
    """``(path, info)`` of usable cached weights, or ``None`` (a damaged
    or outdated cache is deleted, with a printed line)."""
    import keras

    path, record = _cache_paths(spec)
    if not path.exists():
        return None
    info = _read_json(record)
    problem = _cache_problem(info, path, sha=True)
    if not problem and info.get("converter") != CONVERTER_VERSION:
        problem = "it was written by an older converter"
    if not problem and info.get("keras") != keras.__version__:
        problem = f"it was written by Keras {info.get('keras')}"
    if problem:
        _say_rebuild(name, path, problem)
        path.unlink(missing_ok=True)
        record.unlink(missing_ok=True)
        return None
    return path, info


def _convert(name, spec, tflite_path: Path):
    """Convert the TFLite model into a ``.weights.h5`` file in the cache
    and write its record; returns ``(path, info)``."""
    import time

    import keras

    from cnnbook.pretrained.convert import (
        calibrate_batch_norm,
        convert_weights,
        read_tflite,
    )

    started = time.perf_counter()
    model = _build(spec, None, True, _native(spec), None, "softmax")
    done = convert_weights(model, read_tflite(tflite_path))
    images = _calibration_images(spec.size)
    calibrate_batch_norm(model, np.array_split(images, 2))
    path, record = _cache_paths(spec)
    cache_dir()
    temporary = path.with_name(path.name.replace(
        ".weights.h5", f".{os.getpid()}.tmp.weights.h5"))
    model.save_weights(temporary)
    relative = f"imagenet/{spec.tflite}.tflite"
    source_sha256 = sources._read_checksums(sources.mirror_dir())[relative]
    info = dict(
        name=name,
        built_from="mirror",
        location=_show(tflite_path),
        source_files={relative: source_sha256},
        source_sha256=source_sha256,
        format=CACHE_FORMAT,
        converter=CONVERTER_VERSION,
        keras=keras.__version__,
        cache_sha256=_sha256(temporary),
        seconds=round(time.perf_counter() - started, 2),
        batch_norm_statistics=CALIBRATION,
        **done,
    )
    os.replace(temporary, path)
    _write_json(record, info)
    return path, info


#: The photos whose statistics the converted batch norms get.
CALIBRATION_PHOTOS = ("chelsea", "coffee", "astronaut", "rocket",
                      "stereo_motorcycle")
CALIBRATION = (
    f"20 views (whole, and three squares) of the scikit-image photos "
    f"{', '.join(CALIBRATION_PHOTOS)}"
)


def _calibration_images(size: int) -> np.ndarray:
    """The preprocessed photos for :func:`calibrate_batch_norm`: 20 views
    of 5 real photos that ship inside scikit-image (no download)."""
    import skimage.data

    views = []
    for name in CALIBRATION_PHOTOS:
        photo = getattr(skimage.data, name)()
        photo = photo[0] if isinstance(photo, tuple) else photo
        h, w = photo.shape[:2]
        side = min(h, w)
        squares = [
            photo[(h - side) // 2 : (h + side) // 2,
                  (w - side) // 2 : (w + side) // 2],
            photo[:side, :side],
            photo[h - side :, w - side :],
        ]
        views += [photo] + squares
    return preprocess(views, size=size)


def _note(spec, path: Path, fresh: bool) -> str:
    what = (
        f"converted from the uint8 TFLite model {spec.tflite}.tflite "
        f"(dequantised; batch norm folded into the convolutions, its "
        f"statistics measured on 5 scikit-image photos)"
    )
    if fresh:
        return f"{what}; cached as {_show(path)}."
    return f"{what}."


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def _copy_weights(source, target) -> None:
    """Give every layer of ``target`` with weights those of the layer of
    the same name in ``source`` (shapes are checked by Keras)."""
    for layer in target.layers:
        if layer.weights:
            layer.set_weights(source.get_layer(layer.name).get_weights())


def _not_available(spec, looked) -> WeightsNotFoundError:
    places = "\n".join(f"  - {place}" for place in looked)
    return WeightsNotFoundError(
        f"No ImageNet weights for {spec.application} (alpha "
        f"{spec.alpha}, {spec.size}x{spec.size}). Looked in:\n{places}\n"
        f"To fix: connect to the internet (and unset {OFFLINE_VARIABLE}) "
        f"so that Keras can download them, or set {MIRROR_VARIABLE}=PATH "
        f"to a copy of the book's offline data mirror holding "
        f"imagenet/{spec.tflite}.tflite. To prepare them ahead of time "
        f"(say, for a machine that will be offline), run "
        f"{sources.fetch_command('mobilenet')}."
    )


def _weights_file(name, spec, looked):
    """``(path, info, source)`` of the converted weights: from the cache,
    or converted from the mirror's TFLite model into the cache."""
    cached = _cached_weights(name, spec)
    if cached is not None:
        path, info = cached
        source = DataSource(
            name, "cache", None, None, _show(path),
            note=_note(spec, path, fresh=False), built_from="mirror",
        )
        return path, info, source
    path, _ = _cache_paths(spec)
    looked.append(f"the cache: {_show(path)} does not exist")
    try:
        from cnnbook.data import imagenet_tflite_model

        tflite_path = imagenet_tflite_model(spec.tflite)
    except DataNotFoundError as missing:
        looked.append(f"the offline mirror: {missing}")
        raise _not_available(spec, looked) from None
    path, info = _convert(name, spec, tflite_path)
    source = DataSource(
        name, "mirror", None, None, _show(tflite_path),
        note=_note(spec, path, fresh=True),
    )
    return path, info, source


def load_mobilenet(
    version: str = "v2",
    include_top: bool = True,
    pooling: str | None = None,
    input_shape: tuple | None = None,
    classifier_activation: str | None = "softmax",
):
    """An ImageNet-trained MobileNet as a ``keras.Model`` (chapters 11, 13).

    ``version="v2"`` is ``keras.applications.MobileNetV2(alpha=1.0)`` at
    224x224, ``"v1"`` is ``keras.applications.MobileNet(alpha=0.5)`` at
    160x160; the arguments are those of ``keras.applications``:

    include_top: True for the 1000-class classifier; False for the
        convolutional base (transfer learning), whose ``input_shape`` may
        then be any ``(h, w, 3)`` with ``h, w >= 32``.
    pooling: with ``include_top=False``: None (feature maps), ``"avg"`` or
        ``"max"`` (one vector per image).
    classifier_activation: ``"softmax"`` (probabilities) or None
        (logits, for gradients of a class score).

    The weights come from the first place that has them, and one printed
    line (also in ``cnnbook.data.SOURCES["mobilenet_<version>"]``) says
    which:

    1. online: ``weights="imagenet"``, Keras's float weights (skipped when
       ``CNNBOOK_OFFLINE=1``; kept by Keras in ``~/.keras/models``), of
       the network trained at the native size whatever ``input_shape``
       (as on the other paths: the weights of a convolution fit any size);
    2. the cache: weights converted earlier, verified by SHA-256;
    3. the offline mirror: converted in seconds from the uint8 TFLite
       model (:mod:`cnnbook.pretrained.convert`), then cached.

    The converted network is the quantised model's, with float arithmetic:
    on real photos it agrees with the TFLite interpreter's top-1 class
    (``tests/test_pretrained.py`` measures how closely), but its weights
    are not Keras's float weights, so numbers differ slightly between the
    online and the offline paths. Its batch norms hold statistics measured
    on a few real photos (the originals were folded away), so, as with
    Keras's weights, fine-tune with batch normalisation in inference mode:
    set ``trainable = False`` on the ``BatchNormalization`` layers (in
    Keras 3, ``base(x, training=False)`` in a functional model is
    overridden by ``fit``; Chapter 11 measures it).

    Raises :class:`WeightsNotFoundError` when no source has the weights.
    """
    spec = _version(version)
    _check_options(include_top, pooling, classifier_activation)
    shape = _input_shape(spec, include_top, input_shape)
    name = f"mobilenet_{version}"
    looked = []
    online_failure = None
    online_name = f"keras.applications.{spec.application}(weights='imagenet')"
    full = None
    # Both paths load the network trained at the native size, with its
    # classifier, and copy its weights into the model asked for: for other
    # input sizes Keras would load a network trained at another size
    # (MobileNet v1 at 96 x 96: the 224 x 224 one), and the two paths
    # would then differ by more than quantisation.
    if offline():
        looked.append(f"{online_name}: skipped ({OFFLINE_VARIABLE}=1)")
    else:
        try:
            full = _build(spec, "imagenet", True, _native(spec), None,
                          classifier_activation)
        except Exception as error:  # offline: "URL fetch failure ..."
            online_failure = _online_failure(error)
            looked.append(f"{online_name}: {online_failure}")
        else:
            source = DataSource(name, "online", None, None, online_name)

    if full is None:
        # One process converts while others sharing the cache wait, then
        # read its file (pytest-xdist workers, or two notebooks on a cold
        # cache).
        with sources._cache_lock(f"{spec.stem}_from_tflite"):
            path, info, source = _weights_file(name, spec, looked)
        full = _build(spec, None, True, _native(spec), None,
                      classifier_activation)
        full.load_weights(path)
    if include_top:
        model = full
    else:
        model = _build(spec, None, False, shape, pooling, None)
        _copy_weights(full, model)
        del full
    if online_failure is not None:
        source = DataSource(
            source.name, source.origin, None, None, source.location,
            note=f"{source.note} The online weights failed to download "
            f"({online_failure}).",
            built_from=source.built_from,
        )
    _report(source)
    return model


def fetch_pretrained(name: str) -> None:
    """Load every version of the network ``name`` (see :data:`PRETRAINED`)
    once, so that its weights are ready for the notebooks: in Keras's
    download folder online, otherwise converted from the offline mirror
    into the cache (``data_scripts/fetch_data.py`` calls this). Raises
    :class:`WeightsNotFoundError` when a version cannot be had."""
    if name not in PRETRAINED:
        raise sources._unknown("pretrained network", name, PRETRAINED)
    for version in MOBILENETS:
        load_mobilenet(version)


# --------------------------------------------------------------------------
# Images in, class names out
# --------------------------------------------------------------------------


def _as_images(images) -> list[np.ndarray]:
    """A list of (H, W, 3) arrays from one image, a batch or a list."""
    if isinstance(images, (list, tuple)):
        items = [np.asarray(image) for image in images]
    else:
        array = np.asarray(images)
        items = list(array) if array.ndim == 4 else [array]
    out = []
    for k, image in enumerate(items):
        if image.ndim == 2:  # greyscale: the same value in R, G and B
            image = np.repeat(image[..., None], 3, axis=-1)
        if image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(
                f"image {k} has shape {image.shape}: expected (H, W, 3) RGB "
                f"or (H, W) grey, or a batch (N, H, W, 3), or a list of "
                f"those"
            )
        if image.dtype != np.uint8:
            if not np.issubdtype(image.dtype, np.number):
                raise ValueError(f"image {k} has dtype {image.dtype}")
            low, high = float(image.min()), float(image.max())
            if low < 0 or high > 255:
                raise ValueError(
                    f"image {k} has values in [{low:g}, {high:g}]: expected "
                    f"pixels in [0, 255] (not already preprocessed)"
                )
        out.append(image)
    if not out:
        raise ValueError("no images given")
    return out


def _resize_one(image, size, keep_aspect_ratio):
    from PIL import Image

    h, w = image.shape[:2]
    if keep_aspect_ratio and h != w:  # central square, as keras load_img
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        image = image[top : top + side, left : left + side]
    if image.shape[:2] == (size, size):
        return image
    if image.dtype == np.uint8:
        resized = Image.fromarray(image).resize((size, size),
                                                Image.BILINEAR)
        return np.asarray(resized)
    channels = [
        np.asarray(
            Image.fromarray(image[..., c].astype(np.float32), "F").resize(
                (size, size), Image.BILINEAR
            )
        )
        for c in range(3)
    ]
    return np.stack(channels, axis=-1)


def resize_images(images, size: int, keep_aspect_ratio: bool = False):
    """Photos of any size as one batch ``(N, size, size, 3)`` (chapters 11,
    13): bilinear resizing of the whole photo, as
    ``keras.utils.load_img(target_size=...)`` does, or of its central
    square with ``keep_aspect_ratio=True``. uint8 stays uint8 (what a
    figure shows); other pixel types come back as float32 in [0, 255].

    ``images``: one (H, W, 3) RGB or (H, W) grey image, a batch
    (N, H, W, 3), or a list of images of different sizes."""
    if int(size) != size or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    batch = [
        _resize_one(image, int(size), keep_aspect_ratio)
        for image in _as_images(images)
    ]
    dtype = np.uint8 if all(b.dtype == np.uint8 for b in batch) else (
        np.float32
    )
    return np.stack([b.astype(dtype) for b in batch])


def preprocess(images, version: str = "v2", size: int | None = None,
               keep_aspect_ratio: bool = False):
    """Photos with pixels in [0, 255] -> the network's input (chapters 11,
    13): resized to ``size`` (default: the version's training size, see
    :func:`resize_images`) and scaled to [-1, 1] by ``x / 127.5 - 1``,
    exactly ``keras.applications.mobilenet_v2.preprocess_input`` (and
    ``mobilenet.preprocess_input``, the same). Returns a float32 batch
    ``(N, size, size, 3)``.

    The TFLite models were trained with ``x / 128 - 1``; the 0.4 % scale
    difference is measured in ``tests/test_pretrained.py``."""
    spec = _version(version)
    size = spec.size if size is None else size
    batch = resize_images(images, size, keep_aspect_ratio)
    return batch.astype(np.float32) / np.float32(127.5) - np.float32(1.0)


_CLASS_NAMES: list[str] = []


def _class_names() -> list[str]:
    """The 1000 Keras class names, loaded (and reported) once."""
    if not _CLASS_NAMES:
        from cnnbook.data import imagenet_class_names

        _CLASS_NAMES.extend(imagenet_class_names())
    return _CLASS_NAMES


def decode(predictions, top: int = 5):
    """The ``top`` classes of each prediction, best first, as
    ``(class name, score)`` pairs (chapters 11, 13).

    ``predictions``: the classifier's output, probabilities or logits,
    shape (1000,) for one image (one list back) or (N, 1000) (a list per
    image). Names are Keras's (``"Egyptian_cat"``, ``"espresso"``), from
    :func:`cnnbook.data.imagenet_class_names`, which works offline."""
    import keras

    values = np.asarray(keras.ops.convert_to_numpy(predictions))
    if values.ndim not in (1, 2) or values.shape[-1] != 1000:
        raise ValueError(
            f"predictions of shape {values.shape}: expected (1000,) or "
            f"(N, 1000), one score per ImageNet class"
        )
    if int(top) != top or not 1 <= top <= 1000:
        raise ValueError(f"top must be an integer in 1..1000, got {top!r}")
    names = _class_names()
    rows = values[None] if values.ndim == 1 else values
    decoded = []
    for row in rows:
        best = np.argsort(-row, kind="stable")[: int(top)]
        decoded.append([(names[i], float(row[i])) for i in best])
    return decoded[0] if values.ndim == 1 else decoded
