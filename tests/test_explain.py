"""cnnbook.explain (Chapter 13) on small Keras models, TensorFlow and JAX.

The tests run on the backend this process uses (TensorFlow by default);
``test_the_same_tests_pass_under_jax`` runs this file again in a
subprocess with ``KERAS_BACKEND=jax``. Chapter 13's copies of the
functions are checked against the module in
``test_chapter_copies_match_the_module``.
"""

import ast
import inspect
import os
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook import explain
from cnnbook.authoring.notebooks import without_magics
from cnnbook.explain import (
    class_gradients,
    class_model_image,
    deep_dream,
    fgsm,
    grad_cam,
    gradient_ascent,
    invert_features,
    nearest_neighbours,
    occlusion_map,
    receptive_boxes,
    relu_with_rule,
    saliency,
    smooth_gradients,
    split_model,
    top_activations,
    total_variation,
    upsample,
    with_relu_rule,
)
from cnnbook.gradients import gradient
from cnnbook.sizing import conv_output_size
from tests.helpers import assert_file_passes_under_jax

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "13_visualising_convnets.ipynb"
BACKEND = keras.backend.backend()


def layers_list():
    # Built with zeros, then given NumPy's random weights (random_weights):
    # under JAX, Keras's random initializers compile JAX's generator for
    # every new weight shape (1-2 s of CPU each).
    return [
        keras.layers.Conv2D(4, 3, padding="same", activation="relu",
                            kernel_initializer="zeros", name="conv_a"),
        keras.layers.Conv2D(6, 3, strides=2, padding="same",
                            kernel_initializer="zeros", name="conv_b"),
        keras.layers.ReLU(max_value=6.0, name="relu6"),
        keras.layers.GlobalAveragePooling2D(name="pool"),
        keras.layers.Dense(3, kernel_initializer="zeros", name="scores"),
    ]


def random_weights(model, seed=0):
    """Give every weight of ``model`` (biases too) values drawn uniformly
    from [-0.5, 0.5]."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32)
                       for w in model.weights])
    return model


@pytest.fixture(scope="module")
def sequential():
    model = keras.Sequential([keras.Input((12, 12, 3)), *layers_list()])
    return random_weights(model)


@pytest.fixture(scope="module")
def functional(sequential):
    inputs = keras.Input((12, 12, 3))
    x = inputs
    for layer in layers_list():
        x = layer(x)
    model = keras.Model(inputs, x)
    model.set_weights(sequential.get_weights())
    return model


@pytest.fixture(scope="module")
def images():
    # Under JAX, eager operations compile for every new shape: the tests
    # keep to this batch of 4 where they can (SmoothGrad: 2 images x 2).
    return np.random.default_rng(0).uniform(-1, 1, (4, 12, 12, 3)).astype(
        np.float32)


# --- ReLU rules ---------------------------------------------------------


@pytest.mark.parametrize("top", [None, 6.0])
def test_relu_rules_on_known_values(top):
    x = np.array([-1.0, 0.5, 2.0, 7.0], np.float32)
    g = np.array([1.0, -1.0, 1.0, 1.0], np.float32)
    in_range = (x > 0) & ((x < top) if top else True)
    expected = {
        "backprop": g * in_range,
        "deconvnet": np.maximum(g, 0),
        "guided": np.maximum(g, 0) * in_range,
    }
    for rule, want in expected.items():
        relu = relu_with_rule(rule, top)
        got = gradient(lambda v: keras.ops.sum(relu(v) * g), x)
        np.testing.assert_allclose(got, want, err_msg=rule)
        forward = keras.ops.convert_to_numpy(relu(x))
        np.testing.assert_allclose(forward, np.clip(x, 0, top or np.inf))


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="deconvnet"):
        relu_with_rule("zeiler")


def test_backprop_rule_keeps_the_gradient(functional, images):
    plain = class_gradients(functional, images, 1)
    copy = with_relu_rule(functional, "backprop")
    rewritten = gradient(
        lambda x: keras.ops.sum(copy(x, training=False)[:, 1]), images)
    np.testing.assert_allclose(plain, rewritten, rtol=1e-5, atol=1e-6)
    out = keras.ops.convert_to_numpy(copy(images))
    want = keras.ops.convert_to_numpy(functional(images))
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)


def test_guided_differs_and_is_finite(sequential, images):
    plain = class_gradients(sequential, images, 0)
    guided = class_gradients(sequential, images, 0, "guided")
    assert np.isfinite(guided).all()
    assert not np.allclose(plain, guided)


def test_saliency_is_max_abs_over_channels(images):
    grads = images - 0.2
    np.testing.assert_allclose(saliency(grads),
                               np.abs(grads).max(axis=-1))
    with pytest.raises(ValueError, match="expected"):
        saliency(grads[0])


def test_smooth_gradients_with_no_noise_is_the_gradient(sequential, images):
    # 2 images x 2 samples: a batch of 4, as below
    smooth = smooth_gradients(sequential, images[:2], [0, 2], samples=2,
                              noise=0.0)
    plain = class_gradients(sequential, images, [0, 2, 1, 1])[:2]
    np.testing.assert_allclose(smooth, plain, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="samples"):
        smooth_gradients(sequential, images, 0, samples=0)


def test_class_index_is_checked(sequential, images):
    with pytest.raises(ValueError, match="0..2"):
        class_gradients(sequential, images, 3)
    with pytest.raises(ValueError, match="one per image"):
        class_gradients(sequential, images, [0, 1, 2])


# --- occlusion, split, Grad-CAM ------------------------------------------


@given(patch=st.integers(1, 12), stride=st.integers(1, 6))
@settings(max_examples=3, deadline=None)
def test_occlusion_grid_size(sequential, images, patch, stride):
    grid = occlusion_map(sequential, images[0], 1, patch, stride)
    side = conv_output_size(12, patch, stride, mode="floor")
    assert grid.shape == (side, side)
    assert ((grid >= 0) & (grid <= 1)).all()


def test_split_model_reassembles(sequential, functional, images):
    for model in (sequential, functional):
        head, tail = split_model(model, "conv_b")
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(tail(head(images))),
            keras.ops.convert_to_numpy(model(images)), rtol=1e-5,
            atol=1e-6)
    with pytest.raises(ValueError, match="no layer"):
        split_model(sequential, "nope")


def test_split_model_refuses_a_skip_connection():
    # zeros: no random weights to draw (see layers_list)
    inputs = keras.Input((8, 8, 2))
    a = keras.layers.Conv2D(2, 3, padding="same", name="a",
                            kernel_initializer="zeros")(inputs)
    out = keras.layers.Add()([a, inputs])
    scores = keras.layers.Dense(2, kernel_initializer="zeros")(
        keras.layers.Flatten()(out))
    model = keras.Model(inputs, scores)
    with pytest.raises(ValueError, match="skip connection"):
        split_model(model, "a")


def test_grad_cam_same_on_sequential_functional_and_nested(
        sequential, functional, images):
    cams = [grad_cam(m, images, 1, "conv_b")
            for m in (sequential, functional)]
    nested = keras.Sequential([keras.Input((12, 12, 3)), functional])
    cams.append(grad_cam(nested, images, 1, "conv_b"))
    for cam in cams[1:]:
        np.testing.assert_allclose(cam, cams[0], rtol=1e-5, atol=1e-6)
    assert cams[0].shape == (4, 6, 6)
    assert (cams[0] >= 0).all()


def test_grad_cam_weighting_by_hand(sequential, images):
    head, tail = split_model(sequential, "conv_b")
    a = keras.ops.convert_to_numpy(head(images))
    grads = gradient(lambda v: keras.ops.sum(tail(v)[:, 2]), a)
    want = np.maximum((a * grads.mean(axis=(1, 2))[:, None, None]).sum(-1),
                      0)
    np.testing.assert_allclose(grad_cam(sequential, images, 2, "conv_b"),
                               want, rtol=1e-5, atol=1e-6)


def test_upsample_shape_and_constant():
    maps = np.full((2, 3, 3), 0.5)
    out = upsample(maps, (6, 9))
    assert out.shape == (2, 6, 9)
    np.testing.assert_allclose(out, 0.5, atol=1e-6)


# --- neighbours, units ----------------------------------------------------


def test_nearest_neighbours_matches_brute_force():
    rng = np.random.default_rng(1)
    bank, queries = rng.normal(size=(20, 4, 2)), rng.normal(size=(3, 4, 2))
    d = ((queries.reshape(3, 1, -1) - bank.reshape(1, 20, -1)) ** 2).sum(-1)
    np.testing.assert_array_equal(nearest_neighbours(queries, bank, 4),
                                  np.argsort(d, axis=1)[:, :4])
    with pytest.raises(ValueError, match="like with like"):
        nearest_neighbours(queries, bank[:, :2], 1)


def test_top_activations_finds_the_peaks():
    maps = np.zeros((4, 3, 3, 2))
    maps[2, 1, 2, 1] = 5.0
    maps[0, 0, 1, 1] = 3.0
    np.testing.assert_array_equal(top_activations(maps, 1, k=2),
                                  [[2, 1, 2], [0, 0, 1]])
    with pytest.raises(ValueError, match="channel"):
        top_activations(maps, 2)


def test_receptive_boxes_of_a_3x3_then_strided_3x3(images):
    # conv (3x3) then conv (3x3, stride 2), linear with positive weights:
    # a 5x5 field, 2 px a step, cut at the image's edges; Keras's "same"
    # padding of the strided convolution puts its one row of zeros at the
    # bottom (Chapter 3). Shaped like the fixture's conv_a and conv_b, so
    # that JAX reuses their compiled operations.
    features = keras.Sequential([
        keras.Input((12, 12, 3)),
        keras.layers.Conv2D(4, 3, padding="same", kernel_initializer="ones"),
        keras.layers.Conv2D(6, 3, strides=2, padding="same",
                            kernel_initializer="ones"),
    ])
    units = [[2, 2, 0], [0, 0, 1], [5, 5, 3], [3, 0, 5]]
    np.testing.assert_array_equal(
        receptive_boxes(features, images, units),
        [[3, 3, 8, 8], [0, 0, 4, 4], [9, 9, 12, 12], [5, 0, 10, 4]])
    with pytest.raises(ValueError, match="one"):
        receptive_boxes(features, images, [[0, 0, 0]])


# --- images made to order ---------------------------------------------------


def test_total_variation_value_and_gradient():
    x = np.random.default_rng(2).normal(size=(1, 4, 5, 2))
    right = x[:, :-1, 1:] - x[:, :-1, :-1]
    down = x[:, 1:, :-1] - x[:, :-1, :-1]
    value = float(keras.ops.convert_to_numpy(total_variation(x)))
    np.testing.assert_allclose(value, (right**2 + down**2).sum(), rtol=1e-5)
    grad = gradient(lambda v: total_variation(v), x)
    eps, probe = 1e-2, np.zeros_like(x)  # exact for a quadratic
    probe[0, 1, 2, 1] = eps
    numeric = (float(keras.ops.convert_to_numpy(total_variation(x + probe)))
               - float(keras.ops.convert_to_numpy(total_variation(
                   x - probe)))) / (2 * eps)
    np.testing.assert_allclose(grad[0, 1, 2, 1], numeric, rtol=1e-3)
    with pytest.raises(ValueError, match="beta"):
        total_variation(x, beta=0.5)


def test_gradient_ascent_climbs_a_concave_bowl():
    target = np.full((1, 4, 4, 1), 0.5, np.float32)

    def objective(x):
        return -keras.ops.sum((x - target) ** 2)

    x, values = gradient_ascent(objective, np.zeros_like(target), 20, 0.05,
                                jitter=1, blur_every=5)
    assert values[-1] > values[0]
    assert np.abs(x - target).max() < 0.3


def test_class_model_image_raises_its_score(sequential):
    image, values = class_model_image(sequential, 2, steps=15,
                                      learning_rate=0.05, l2=1e-3, tv=1e-3)
    assert image.shape == (1, 12, 12, 3)
    assert values[-1] > values[0]


def test_deep_dream_and_inversion(sequential, images):
    features = keras.Sequential(sequential.layers[:2])
    _, dream = deep_dream(features, images[:1], steps=5, learning_rate=0.05)
    assert dream[-1] > dream[0]
    _, loss = invert_features(features, images[:1], steps=30,
                              learning_rate=0.05)
    assert loss[-1] < 0.8 * loss[0]


def test_fgsm_respects_the_bound_and_raises_the_loss(sequential, images):
    labels = keras.ops.convert_to_numpy(sequential(images)).argmax(1)
    eps = 0.05
    adversarial = fgsm(sequential, images, labels, eps)
    assert np.abs(adversarial - images).max() <= eps + 1e-6

    def loss(x):
        return float(keras.ops.convert_to_numpy(keras.ops.sum(
            keras.losses.sparse_categorical_crossentropy(
                labels, sequential(x), from_logits=True))))

    assert loss(adversarial) > loss(images)
    with pytest.raises(ValueError, match="epsilon"):
        fgsm(sequential, images, labels, -1.0)


def test_images_are_checked(sequential):
    with pytest.raises(ValueError, match="N, H, W, C"):
        class_gradients(sequential, np.zeros((12, 12)), 0)
    with pytest.raises(ValueError, match="NaN"):
        class_gradients(sequential, np.full((1, 12, 12, 3), np.nan), 0)


# --- the chapter's copies, and JAX ----------------------------------------


def test_chapter_copies_match_the_module():
    if not CHAPTER.exists():
        pytest.skip("chapter 13 not written yet")
    nb = nbformat.read(CHAPTER, as_version=4)
    shown = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            source = without_magics(cell.source)
            for node in ast.parse(source).body:
                if isinstance(node, ast.FunctionDef):
                    shown[node.name] = ast.get_source_segment(source, node)
    taught = {"relu_with_rule", "with_relu_rule", "class_gradients",
              "saliency", "smooth_gradients", "occlusion_map", "split_model",
              "grad_cam", "upsample", "fgsm"}
    assert taught <= set(shown), f"not shown: {sorted(taught - set(shown))}"
    for name, text in shown.items():
        if hasattr(explain, name):
            module = inspect.getsource(getattr(explain, name)).strip()
            assert text.strip() == module, (
                f"chapter 13 shows {name} differently from cnnbook.explain")


@pytest.mark.skipif(BACKEND != "tensorflow", reason="runs once, from TF")
@pytest.mark.skipif(
    os.environ.get("CNNBOOK_JAX_PASS") == "1",
    reason="scripts/test.sh runs this file under JAX itself",
)
def test_the_same_tests_pass_under_jax():
    pytest.importorskip("jax")
    assert_file_passes_under_jax(__file__)


def test_unsupported_backend_is_named(monkeypatch):
    monkeypatch.setattr(explain, "_backend", lambda: "torch")
    with pytest.raises(RuntimeError, match="tensorflow, jax"):
        explain._check_backend()
