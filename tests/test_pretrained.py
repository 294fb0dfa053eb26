"""Tests of :mod:`cnnbook.pretrained` (chapters 11 and 13).

Offline, on the real mirror (skipped where there is none): the Keras
MobileNets built from the mirror's uint8 TFLite models are compared with
the TFLite interpreter (``ai-edge-litert``, or ``tf.lite.Interpreter``),
the reference, on 18 real photos (8 from scikit-image, the first CIFAR-10
test photo of each class), layer by layer, under TensorFlow and under JAX
(in a subprocess without TensorFlow), with gradients. Each version is
converted once per session, into a temporary cache.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import shutil
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest

import keras

from cnnbook import data
from cnnbook.data import sources
from cnnbook.pretrained import (
    MOBILENETS,
    PRETRAINED,
    WeightsNotFoundError,
    decode,
    input_size,
    load_mobilenet,
    preprocess,
    resize_images,
)
from cnnbook.pretrained import mobilenet as mobilenet_module
from cnnbook.pretrained.convert import read_tflite, same_padding
from tests.data.fixtures import FETCH, REAL_MIRROR, needs_real_mirror

# Keep this module's tests on one xdist worker: they share the conversions.
pytestmark = pytest.mark.xdist_group("pretrained")
VERSIONS = ["v2", "v1"]
CONVOLUTIONS = ("CONV_2D", "DEPTHWISE_CONV_2D")


def _interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            import tensorflow as tf

            Interpreter = tf.lite.Interpreter
        except (ImportError, AttributeError):
            return None
    return Interpreter


needs_interpreter = pytest.mark.skipif(
    _interpreter_class() is None,
    reason="no TFLite interpreter (pip install ai-edge-litert)",
)


# --------------------------------------------------------------------------
# Fixtures: one temporary cache, the conversions, the photos, interpreters
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def offline_mirror(tmp_path_factory):
    """Offline, with the real mirror and a fresh cache for this module."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CNNBOOK_CACHE", str(cache))
        patch.setenv("CNNBOOK_OFFLINE", "1")
        patch.setenv("CNNBOOK_DATA_MIRROR", str(REAL_MIRROR))
        yield cache


@pytest.fixture(scope="module")
def logit_models(offline_mirror):
    """{version: the converted model with logits out}, built lazily."""
    built = {}

    def get(version):
        if version not in built:
            built[version] = load_mobilenet(
                version, classifier_activation=None
            )
        return built[version]

    return get


@pytest.fixture(scope="module")
def photos(offline_mirror) -> dict:
    """18 real photos of various sizes, uint8 RGB."""
    import skimage.data

    found = {
        name: data.load_sample_image(name)
        for name in ("chelsea", "coffee", "astronaut", "rocket", "camera")
    }
    for name in ("clock", "coins"):
        found[name] = getattr(skimage.data, name)()  # grey photos
    found["motorcycle"] = skimage.data.stereo_motorcycle()[0]
    path = sources._mirror_file(
        REAL_MIRROR, "cifar10/cifar10-jpeg-test.zip"
    )
    with zipfile.ZipFile(path) as archive:
        seen = set()
        for label, member in data.cifar_zip_members(archive, "test", path):
            if label not in seen:
                seen.add(label)
                name = f"cifar10_{data.CIFAR10_CLASSES[label]}"
                found[name] = data.cifar._decode_jpeg(
                    archive.read(member), member
                )
    assert len(found) == 18
    return found


def _tflite_path(version):
    return data.imagenet_tflite_model(MOBILENETS[version].tflite)


def _interpreter(version):
    Interpreter = _interpreter_class()
    with warnings.catch_warnings():  # "intended for debugging purposes"
        warnings.simplefilter("ignore")
        interpreter = Interpreter(
            model_path=str(_tflite_path(version)),
            experimental_preserve_all_tensors=True,
        )
    interpreter.allocate_tensors()
    return interpreter


def _real(interpreter, details):
    """A tensor of the interpreter, dequantised, and its step."""
    scale, zero = details["quantization"]
    q = interpreter.get_tensor(details["index"]).astype(np.float64)
    return (q - zero) * scale, scale


def _range(details):
    """The real values a uint8 tensor can hold."""
    scale, zero = details["quantization"]
    return scale * (0 - zero), scale * (255 - zero)


def _tensors(interpreter) -> dict:
    return {d["name"]: d for d in interpreter.get_tensor_details()}


@pytest.fixture(scope="module")
def reference(offline_mirror, photos):
    """{version: (uint8 inputs, TFLite logits, TFLite probabilities)},
    the 1001 outputs less "background", from the interpreter."""
    made = {}

    def get(version):
        if version in made:
            return made[version]
        interpreter = _interpreter(version)
        tensors = _tensors(interpreter)
        squeeze = [n for n in tensors if n.endswith("Squeeze1")]
        assert len(squeeze) == 1, squeeze
        images = resize_images(list(photos.values()), input_size(version))
        logits, probabilities = [], []
        for image in images:
            interpreter.set_tensor(
                interpreter.get_input_details()[0]["index"], image[None]
            )
            interpreter.invoke()
            logits.append(_real(interpreter, tensors[squeeze[0]])[0][0])
            output = interpreter.get_output_details()[0]
            probabilities.append(_real(interpreter, output)[0][0])
        made[version] = (
            images,
            np.array(logits)[:, 1:],
            np.array(probabilities)[:, 1:],
        )
        return made[version]

    return get


# --------------------------------------------------------------------------
# Facts about the TFLite models that the converter relies on
# --------------------------------------------------------------------------


@needs_real_mirror
@pytest.mark.parametrize("version", VERSIONS)
def test_tflite_facts(offline_mirror, version):
    operators = read_tflite(_tflite_path(version))
    first = operators[0].inputs[0]
    # uint8 pixels q stand for q / 128 - 1
    assert first.dtype is np.uint8
    assert first.scale.tolist() == [1 / 128] and first.zero_point[0] == 128
    assert operators[-1].kind == "SOFTMAX"
    assert operators[-1].outputs[0].shape == (1, 1001)
    size = input_size(version)
    assert first.shape == (1, size, size, 3)
    for op in operators:
        if op.kind not in CONVOLUTIONS:
            continue
        data_in, weights, bias = op.inputs
        # int32 bias: scale = input scale * weight scale, zero point 0
        assert bias.data.dtype == np.int32 and not bias.zero_point.any()
        np.testing.assert_allclose(
            bias.scale, data_in.scale * weights.scale, rtol=1e-5
        )
        assert op.options["padding"] == "SAME"
        activation = op.options["activation"]
        assert activation in ("RELU6", None)
        if activation == "RELU6":  # uint8 0..255 covers exactly [0, 6]
            out = op.outputs[0]
            assert out.zero_point[0] == 0
            assert out.scale[0] * 255 == pytest.approx(6.0, rel=1e-4)


@needs_real_mirror
def test_labels_align_with_keras(offline_mirror):
    """TFLite output i + 1 is Keras class i, for all 1000 classes."""
    names = data.imagenet_class_names()
    labels = data.imagenet_tflite_labels()
    assert labels[0] == "background"

    def norm(text):
        for old, new in (("_", " "), ("-", " "), ("'", "")):
            text = text.replace(old, new)
        return text.lower().strip()

    same = [
        norm(name) in [norm(synonym) for synonym in label.split(",")]
        for name, label in zip(names, labels[1:])
    ]
    assert sum(same) == 1000


def test_same_padding_matches_keras_padding():
    """TFLite's SAME equals Keras's correct_pad (MobileNetV2) at every
    size; MobileNet's fixed ((0, 1), (0, 1)) equals it at even sizes only.
    """
    from keras.src.applications import imagenet_utils

    for size in range(8, 300):
        tensor = keras.KerasTensor((1, size, size, 8))
        keras_pad = imagenet_utils.correct_pad(tensor, 3)
        assert tuple(keras_pad) == (same_padding(size, 3, 2),) * 2, size
        fixed_matches = same_padding(size, 3, 2) == (0, 1)
        assert fixed_matches == (size % 2 == 0), size


# --------------------------------------------------------------------------
# The converted networks against the TFLite interpreter
# --------------------------------------------------------------------------


@needs_real_mirror
@needs_interpreter
@pytest.mark.parametrize("version", VERSIONS)
def test_top1_agrees_with_interpreter(logit_models, reference, version):
    images, tflite_logits, tflite_probabilities = reference(version)
    logits = np.asarray(
        logit_models(version).predict(preprocess(images, version),
                                      verbose=0)
    )
    probabilities = np.asarray(keras.ops.softmax(logits))
    n = len(images)
    agree = int((logits.argmax(1) == tflite_logits.argmax(1)).sum())
    top5 = np.argsort(-tflite_logits, axis=1)[:, :5]
    in_top5 = sum(a in t for a, t in zip(logits.argmax(1), top5))
    logit_gap = np.abs(logits - tflite_logits).max()
    probability_gap = np.abs(probabilities - tflite_probabilities).max()
    print(
        f"{version}: top-1 {agree}/{n}, in top-5 {in_top5}/{n}, max "
        f"|logit diff| {logit_gap:.3f}, max |probability diff| "
        f"{probability_gap:.3f}"
    )
    assert agree >= int(np.ceil(0.9 * n)), f"top-1 agrees on {agree}/{n}"
    assert in_top5 == n, f"Keras top-1 in TFLite top-5 on {in_top5}/{n}"
    assert logit_gap < 2.5, f"max |logit difference| {logit_gap:.3f}"
    assert probability_gap < 0.15, f"max |p difference| {probability_gap}"


@needs_real_mirror
@needs_interpreter
@pytest.mark.parametrize("version", VERSIONS)
def test_input_scaling_cost(logit_models, reference, version):
    """Keras scales by x / 127.5 - 1, TFLite by x / 128 - 1: measured."""
    images = reference(version)[0]
    ours = preprocess(images, version)
    keras_way = keras.applications.mobilenet_v2.preprocess_input(
        images.astype("float32")
    )
    np.testing.assert_array_equal(ours, np.asarray(keras_way))
    model = logit_models(version)
    a = np.asarray(model.predict(ours, verbose=0))
    b = np.asarray(model.predict(images / 128.0 - 1.0, verbose=0))
    gap = np.abs(a - b).max()
    print(f"{version}: x/127.5 vs x/128: top-1 same on "
          f"{(a.argmax(1) == b.argmax(1)).sum()}/{len(a)}, max |logit "
          f"diff| {gap:.3f}")
    assert (a.argmax(1) == b.argmax(1)).all()
    assert gap < 0.25, f"max |logit diff| {gap:.3f} between scalings"


def _keras_name(version, weights_name):
    """The Keras layer of a TFLite convolution, by the two naming schemes
    (independent of the converter, which matches by structure)."""
    parts = weights_name.split(";")[0].split("/")
    if version == "v2":
        block = parts[1]
        named = {"Conv": "Conv1", "Conv_1": "Conv_1", "Logits":
                 "predictions"}
        if block in named:
            return named[block]
        number = block.removeprefix("expanded_conv")
        prefix = "expanded_conv_" if not number else f"block{number}_"
        return prefix + parts[2]
    if parts[1] == "Logits":
        return "conv_preds"
    layer = parts[2]  # Conv2d_0, Conv2d_5_depthwise, Conv2d_5_pointwise
    if layer == "Conv2d_0":
        return "conv1"
    number, kind = layer.split("_")[1:]
    return f"conv_{'dw' if kind == 'depthwise' else 'pw'}_{number}"


def _chain(model, name):
    """The Keras layers computing what one TFLite convolution computes:
    [ZeroPadding2D] -> convolution -> [BatchNormalization] -> [ReLU]."""
    layer = model.get_layer(name)
    steps = [layer]
    before = layer.input._keras_history.operation
    if isinstance(before, keras.layers.ZeroPadding2D):
        steps.insert(0, before)
    while True:
        after = [
            other
            for other in model.layers[1:]  # not the InputLayer
            if not isinstance(other.input, list)
            and other.input._keras_history.operation is steps[-1]
        ]
        kinds = (keras.layers.BatchNormalization, keras.layers.ReLU)
        if len(after) == 1 and isinstance(after[0], kinds):
            steps.append(after[0])
        else:
            return steps


@needs_real_mirror
@needs_interpreter
@pytest.mark.parametrize("version", VERSIONS)
def test_every_layer_within_half_a_step(logit_models, reference, version):
    """Each convolution alone, fed the interpreter's own input tensor,
    reproduces the interpreter's output to within its rounding (half a
    quantisation step): kernels, biases, padding, activations all right."""
    model = logit_models(version)
    interpreter = _interpreter(version)
    tensors = _tensors(interpreter)
    image = reference(version)[0][0]  # chelsea
    interpreter.set_tensor(
        interpreter.get_input_details()[0]["index"], image[None]
    )
    interpreter.invoke()
    operators = [
        op for op in read_tflite(_tflite_path(version))
        if op.kind in CONVOLUTIONS
    ]
    worst = 0.0
    for op in operators:
        x, _ = _real(interpreter, tensors[op.inputs[0].name])
        want, step = _real(interpreter, tensors[op.outputs[0].name])
        x = x.astype("float32")
        steps = _chain(model, _keras_name(version, op.inputs[1].name))
        if isinstance(steps[0], keras.layers.Dense):
            x = x.reshape(len(x), -1)
        for layer in steps:
            x = layer(x)
        # uint8 saturates: values outside its range are clamped
        low, high = _range(tensors[op.outputs[0].name])
        got = np.clip(np.asarray(x).reshape(-1), low, high)
        want = want.reshape(-1)
        if want.size == 1001:
            want = want[1:]
        error = np.abs(got - want).max() / step
        assert error <= 0.51, f"{steps[0].name}: {error:.2f} steps off"
        worst = max(worst, error)
    print(f"{version}: {len(operators)} layers, worst {worst:.3f} steps")


@needs_real_mirror
@needs_interpreter
@pytest.mark.parametrize("version", VERSIONS)
def test_activations_through_the_network(logit_models, reference, version):
    """Whole-network activations drift from the quantised ones (the
    interpreter rounds at every layer, Keras does not) but stay close."""
    model = logit_models(version)
    interpreter = _interpreter(version)
    tensors = _tensors(interpreter)
    image = reference(version)[0][0]
    interpreter.set_tensor(
        interpreter.get_input_details()[0]["index"], image[None]
    )
    interpreter.invoke()
    operators = [
        op for op in read_tflite(_tflite_path(version))
        if op.kind in CONVOLUTIONS
    ][:-1]
    picked = [operators[k] for k in (0, len(operators) // 2, -1)]
    outputs = {}
    for op in picked:
        name = _keras_name(version, op.inputs[1].name)
        outputs[op.outputs[0].name] = _chain(model, name)[-1].output
    probe = keras.Model(model.input, outputs)
    # one image through a new model: a call, not predict (which would
    # trace a graph for it first)
    got = probe(image[None] / 128.0 - 1.0, training=False)
    for name, values in got.items():
        want, step = _real(interpreter, tensors[name])
        values = np.asarray(values)
        mean = np.abs(values - want).mean() / step
        r = np.corrcoef(values.ravel(), want.ravel())[0, 1]
        print(f"{version} {name.split(';')[0]}: mean |diff| {mean:.2f} "
              f"steps, r = {r:.4f}")
        assert mean < 3.0, f"{name}: mean difference {mean:.2f} steps"
        assert r > 0.98, f"{name}: correlation {r:.4f}"


@needs_real_mirror
def test_known_photos(offline_mirror, logit_models):
    """The classic examples: the cat is an Egyptian cat, the coffee an
    espresso, with the default softmax classifier (v2) and from logits
    (v1)."""
    images = [data.load_sample_image(n) for n in ("chelsea", "coffee")]
    model = load_mobilenet("v2")
    assert data.SOURCES["mobilenet_v2"].origin in ("cache", "mirror")
    # two images through new models: calls, not predict (no graph traced)
    probabilities = np.asarray(model(preprocess(images, "v2"),
                                     training=False))
    assert np.allclose(np.sum(probabilities, axis=1), 1, atol=1e-4)
    best = [classes[0] for classes in decode(probabilities, top=3)]
    assert [name for name, _ in best] == ["Egyptian_cat", "espresso"]
    assert all(0.5 < p <= 1 for _, p in best), best
    logits = np.asarray(logit_models("v1")(preprocess(images, "v1"),
                                           training=False))
    best = [classes[0][0] for classes in decode(logits, top=1)]
    assert best == ["Egyptian_cat", "espresso"]


@needs_real_mirror
def test_base_for_transfer_learning(logit_models):
    """include_top=False: the same weights, any input size, pooling."""
    full = logit_models("v2")
    base = load_mobilenet("v2", include_top=False)
    assert base.output_shape == (None, 7, 7, 1280)
    x = preprocess(data.load_sample_image("coffee"), "v2")
    top_features = keras.Model(full.input, full.get_layer("out_relu").output)
    np.testing.assert_allclose(  # calls: no graph traced for one image
        np.asarray(base(x, training=False)),
        np.asarray(top_features(x, training=False)),
        atol=1e-5,
    )
    small = load_mobilenet(
        "v1", include_top=False, pooling="avg", input_shape=(96, 96, 3)
    )
    assert small.output_shape == (None, 512)
    full = logit_models("v1")
    weighted = [layer for layer in small.layers if layer.weights]
    assert len(weighted) == 27 * 2  # 27 convolutions, each with batch norm
    for layer in weighted:
        for a, b in zip(layer.get_weights(),
                        full.get_layer(layer.name).get_weights()):
            np.testing.assert_array_equal(a, b)


@needs_real_mirror
def test_batch_norm_in_training_mode(logit_models, photos):
    """The converted batch norms hold statistics of real photos, so a
    batch of photos in training mode (batch statistics) is classified
    about as in inference mode, as with weights trained with batch norm;
    the identity-plus-bias layers before calibration would wreck it."""
    model = logit_models("v2")
    norm = model.get_layer("block_5_expand_BN")
    gamma, beta, mean, variance = norm.get_weights()
    np.testing.assert_allclose(gamma, np.sqrt(variance + norm.epsilon),
                               rtol=1e-6)
    assert (variance > 0).all() and mean.any()
    x = preprocess(list(photos.values())[:8], "v2")
    saved = model.get_weights()  # training mode updates the moving stats
    try:
        inference = np.asarray(model(x, training=False)).argmax(1)
        training = np.asarray(model(x, training=True)).argmax(1)
    finally:
        model.set_weights(saved)
    same = int((inference == training).sum())
    print(f"v2: training-mode top-1 = inference-mode top-1 on {same}/8")
    assert same >= 6, f"training mode changes top-1 on {8 - same}/8"


# --------------------------------------------------------------------------
# Gradients, TensorFlow and JAX
# --------------------------------------------------------------------------

_JAX_SCRIPT = r"""
import sys
sys.modules["tensorflow"] = None  # as on a GPU machine without TensorFlow
import numpy as np, jax, keras
from cnnbook.pretrained import load_mobilenet
assert keras.backend.backend() == "jax", keras.backend.backend()
given = np.load(sys.argv[1])
model = load_mobilenet("v1", classifier_activation=None)
logits = np.asarray(model.predict(given["x"], verbose=0))
trainable = [v.value for v in model.trainable_variables]
fixed = [v.value for v in model.non_trainable_variables]

def score(x):
    out, _ = model.stateless_call(trainable, fixed, x, training=False)
    return out[0, int(given["c"])]

grad = np.asarray(jax.jit(jax.grad(score))(given["x"][:1]))
np.savez(sys.argv[2], logits=logits, grad=grad)
"""


def _tf_gradient(model, x, c):
    import tensorflow as tf

    x = tf.convert_to_tensor(x[:1])
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = model(x, training=False)[0, c]
    return tape.gradient(score, x).numpy()


@needs_real_mirror
@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="the TensorFlow-side half runs under TensorFlow")
def test_gradients_and_jax(logit_models, reference, tmp_path):
    """Under TensorFlow and under JAX (converted afresh in a subprocess
    without TensorFlow): the same logits, the same top-1 classes, and the
    same finite, non-zero gradient of a class score w.r.t. the input."""
    # MobileNet V1 0.5 at 160 (the smaller network: JAX compiles its
    # gradient in a third of V2's time; the converter is the same code).
    model = logit_models("v1")
    images = reference("v1")[0] if _interpreter_class() else resize_images(
        [data.load_sample_image("chelsea")], 160
    )
    x = preprocess(images, "v1")
    logits = np.asarray(model.predict(x, verbose=0))
    c = int(logits[0].argmax())
    grad = _tf_gradient(model, x, c)
    assert np.isfinite(grad).all() and np.abs(grad).max() > 0
    probability = keras.Model(model.input, keras.ops.softmax(model.output))
    p_grad = _tf_gradient(probability, x, c)
    assert np.isfinite(p_grad).all() and np.abs(p_grad).max() > 0

    np.savez(tmp_path / "in.npz", x=x, c=c)
    env = dict(os.environ, KERAS_BACKEND="jax", CNNBOOK_OFFLINE="1")
    # XLA's backend optimisation off: compiling (the random initial
    # weights that the conversion then replaces, the forward pass, the
    # gradient) is nearly all of this subprocess's time, and -O0 halves it
    # (25 -> 14 CPU s); what is computed, and compared below, is the same.
    env["XLA_FLAGS"] = " ".join(
        [env.get("XLA_FLAGS", ""), "--xla_backend_optimization_level=0"]
    ).strip()
    env["CNNBOOK_CACHE"] = str(tmp_path / "jax_cache")
    env["CNNBOOK_DATA_MIRROR"] = str(REAL_MIRROR)
    run = subprocess.run(
        [sys.executable, "-c", _JAX_SCRIPT, str(tmp_path / "in.npz"),
         str(tmp_path / "out.npz")],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "from the offline mirror" in run.stdout, run.stdout
    jax_out = np.load(tmp_path / "out.npz")
    assert (jax_out["logits"].argmax(1) == logits.argmax(1)).all()
    gap = np.abs(jax_out["logits"] - logits).max()
    assert gap < 1e-3, f"JAX vs TensorFlow logits differ by {gap}"
    jax_grad = jax_out["grad"]
    assert np.isfinite(jax_grad).all() and np.abs(jax_grad).max() > 0
    cosine = (grad * jax_grad).sum() / np.linalg.norm(grad) / np.linalg.norm(
        jax_grad
    )
    print(f"JAX vs TF: max |logit diff| {gap:.2e}, gradient cosine "
          f"{cosine:.5f}")
    assert cosine > 0.999, f"gradient cosine similarity {cosine:.5f}"


# --------------------------------------------------------------------------
# The cache, the online path, the error
# --------------------------------------------------------------------------


@needs_real_mirror
def test_cache_record_and_damage(offline_mirror, logit_models, capsys):
    logit_models("v1")  # converted (or cached) in this module's cache
    spec = MOBILENETS["v1"]
    path, record = mobilenet_module._cache_paths(spec)
    info = json.loads(record.read_text())
    sums = sources._read_checksums(REAL_MIRROR)
    relative = f"imagenet/{spec.tflite}.tflite"
    assert info["source_sha256"] == sums[relative]
    assert info["cache_sha256"] == sources._sha256(path)
    assert path.parent == offline_mirror and path.stat().st_size > 1e6
    # loaded from this cache file by logit_models
    before = logit_models("v1").get_layer("conv_pw_13").get_weights()
    capsys.readouterr()
    with open(path, "r+b") as f:  # damage it
        f.seek(path.stat().st_size // 2)
        f.write(b"\0" * 64)
    after = load_mobilenet("v1").get_layer("conv_pw_13").get_weights()
    printed = capsys.readouterr().out
    assert "unusable" in printed and "from the offline mirror" in printed
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    assert json.loads(record.read_text())["cache_sha256"] == (
        sources._sha256(path)
    )


@pytest.fixture
def no_mirror(monkeypatch, tmp_path):
    """No mirror anywhere and an empty cache."""
    nowhere = tmp_path / "a" / "b" / "c"
    nowhere.mkdir(parents=True)
    monkeypatch.chdir(nowhere)
    monkeypatch.setattr(sources, "REPO_ROOT", nowhere)
    monkeypatch.delenv("CNNBOOK_DATA_MIRROR", raising=False)
    monkeypatch.setenv("CNNBOOK_CACHE", str(tmp_path / "empty_cache"))
    assert data.mirror_dir() is None


def test_no_weights_anywhere_is_a_clear_error(no_mirror, monkeypatch):
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    with pytest.raises(WeightsNotFoundError) as raised:
        load_mobilenet("v2")
    message = str(raised.value)
    assert isinstance(raised.value, data.DataNotFoundError)
    for needed in ("CNNBOOK_OFFLINE=1", "CNNBOOK_DATA_MIRROR=PATH",
                   "mobilenet_v2_1.0_224_quant.tflite", "internet"):
        assert needed in message, message


@needs_real_mirror
def test_the_fix_the_error_names_works(offline_mirror, logit_models,
                                      no_mirror, monkeypatch):
    """The message names `fetch_data.py --mirror PATH mobilenet` (as the
    datasets' do, tests/data/test_fetch_script.py): run offline from the
    real mirror into an empty cache, after which every version loads from
    the cache alone. The script's main runs in this process (a subprocess
    would import TensorFlow again: ~7 s); v2's conversion, done by this
    module already, is copied in, so the command converts v1 only."""
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    with pytest.raises(WeightsNotFoundError) as raised:
        load_mobilenet("v1")
    message = str(raised.value)
    commands = re.findall(
        r"`(python data_scripts/fetch_data\.py[^`]*)`", message
    )
    assert len(commands) == 2, message
    assert commands[1].split()[-1] == commands[0].split()[-1] == "mobilenet"
    script = runpy.run_path(str(FETCH))
    assert set(PRETRAINED) <= set(script["choices"]())  # --list, all
    with monkeypatch.context() as module_cache:
        module_cache.setenv("CNNBOOK_CACHE", str(offline_mirror))
        module_cache.setenv("CNNBOOK_DATA_MIRROR", str(REAL_MIRROR))
        logit_models("v2")  # converted (by earlier tests) in this cache
    cache = data.cache_dir()  # the empty one of no_mirror
    for path in mobilenet_module._cache_paths(MOBILENETS["v2"]):
        shutil.copy(offline_mirror / path.name, path)
    argv = commands[1].replace("PATH", str(REAL_MIRROR)).split()[2:]
    assert script["main"](argv) == 0
    assert data.SOURCES["mobilenet_v2"].origin == "cache"
    assert data.SOURCES["mobilenet_v1"].origin == "mirror"
    monkeypatch.delenv("CNNBOOK_DATA_MIRROR")  # set by the script
    assert data.mirror_dir() is None and data.cache_dir() == cache
    assert load_mobilenet("v1").output_shape == (None, 1000)
    assert data.SOURCES["mobilenet_v1"].origin == "cache"


def _failing_download(monkeypatch, application="MobileNetV2"):
    real = getattr(keras.applications, application)

    def fake(**kwargs):
        if kwargs.get("weights") == "imagenet":
            raise Exception("URL fetch failure on https://example: None -- "
                            "[Errno -2] Name or service not known")
        return real(**kwargs)

    monkeypatch.setattr(keras.applications, application, fake)


def test_failed_download_without_mirror(no_mirror, monkeypatch):
    monkeypatch.setenv("CNNBOOK_OFFLINE", "0")
    _failing_download(monkeypatch)
    with pytest.raises(WeightsNotFoundError, match="Name or service"):
        load_mobilenet("v2")


def test_online_weights_come_from_the_native_network(no_mirror, monkeypatch):
    """Online, the base at another input size gets the weights of the
    network trained at the native size (Keras alone would load, for
    MobileNet v1 at 96 x 96, the network trained at 224 x 224)."""
    real = keras.applications.MobileNet
    downloads = []  # (arguments, model) of each "download"

    def fake(**kwargs):  # "downloads" seeded weights, offline
        if kwargs.get("weights") != "imagenet":
            return real(**kwargs)
        model = real(**{**kwargs, "weights": None})
        rng = np.random.default_rng(0)
        model.set_weights([rng.standard_normal(w.shape).astype("float32")
                           for w in model.get_weights()])
        downloads.append((kwargs, model))
        return model

    monkeypatch.setenv("CNNBOOK_OFFLINE", "0")
    monkeypatch.setattr(keras.applications, "MobileNet", fake)
    base = load_mobilenet("v1", include_top=False, input_shape=(96, 96, 3))
    assert data.SOURCES["mobilenet_v1"].origin == "online"
    assert len(downloads) == 1, [kwargs for kwargs, _ in downloads]
    kwargs, native = downloads[0]
    assert kwargs["input_shape"] == (160, 160, 3), kwargs
    assert kwargs["include_top"] is True, kwargs
    assert base.input_shape == (None, 96, 96, 3)
    for name in ("conv1", "conv_dw_7", "conv_pw_13_bn"):
        for a, b in zip(base.get_layer(name).get_weights(),
                        native.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)


@needs_real_mirror
def test_failed_download_falls_back(offline_mirror, logit_models,
                                    monkeypatch, capsys):
    # v1, the smaller network to build (the path is the same for both)
    logit_models("v1")  # the cache holds the converted weights
    monkeypatch.setenv("CNNBOOK_OFFLINE", "0")
    _failing_download(monkeypatch, "MobileNet")
    model = load_mobilenet("v1")
    printed = " ".join(capsys.readouterr().out.split())
    assert "failed to download" in printed and "from the cache" in printed
    assert model.output_shape == (None, 1000)


# --------------------------------------------------------------------------
# Arguments and the image helpers
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(version="v3"), "allowed: 'v2', 'v1'"),
        (dict(pooling="avg"), "include_top=False"),
        (dict(include_top=False, pooling="mean"), "'avg' or 'max'"),
        (dict(input_shape=(96, 96, 3)), "include_top=False"),
        (dict(include_top=False, input_shape=(16, 16, 3)), ">= 32"),
        (dict(classifier_activation="relu"), "'softmax'"),
        (dict(include_top="no"), "True or False"),
    ],
)
def test_argument_errors(kwargs, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        load_mobilenet(**kwargs)


def test_resize_and_preprocess():
    rng = np.random.default_rng(0)
    wide = rng.integers(0, 256, (30, 60, 3), dtype=np.uint8)
    grey = rng.integers(0, 256, (50, 40), dtype=np.uint8)
    batch = resize_images([wide, grey], 32)
    assert batch.shape == (2, 32, 32, 3) and batch.dtype == np.uint8
    assert (batch[1, ..., 0] == batch[1, ..., 2]).all()
    cropped = resize_images(wide, 30, keep_aspect_ratio=True)
    np.testing.assert_array_equal(cropped[0], wide[:, 15:45])
    x = preprocess(wide, "v1")
    assert x.shape == (1, 160, 160, 3) and x.dtype == np.float32
    assert -1 <= x.min() and x.max() <= 1
    same = preprocess(wide.astype(np.float64), "v1", size=30,
                      keep_aspect_ratio=True)
    np.testing.assert_allclose(same[0], wide[:, 15:45] / 127.5 - 1,
                               atol=1e-6)
    assert input_size("v2") == 224 and input_size("v1") == 160
    with pytest.raises(ValueError, match="not already preprocessed"):
        preprocess(x, "v1")
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        preprocess(np.zeros((4, 4, 4)), "v2")


def test_decode(monkeypatch):
    names = [f"class_{i}" for i in range(1000)]
    monkeypatch.setattr(mobilenet_module, "_CLASS_NAMES", names)
    scores = np.zeros((2, 1000))
    scores[0, 7], scores[0, 3], scores[1, 999] = 0.9, 0.1, 1.0
    assert decode(scores[0], top=2) == [("class_7", 0.9), ("class_3", 0.1)]
    assert decode(scores, top=1) == [[("class_7", 0.9)],
                                     [("class_999", 1.0)]]
    with pytest.raises(ValueError, match="1000"):
        decode(np.zeros(1001))
    with pytest.raises(ValueError, match="top"):
        decode(scores, top=0)
