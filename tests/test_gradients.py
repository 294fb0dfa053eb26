"""cnnbook.gradients against central differences, on TensorFlow and JAX.

The tests run on the backend this process uses (TensorFlow by default);
``test_the_same_tests_pass_under_jax`` runs this file again in a
subprocess with ``KERAS_BACKEND=jax``.
"""

import contextlib
import os
import re
from pathlib import Path

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook import gradients
from cnnbook.backprop import numerical_gradient, relative_error
from cnnbook.gradients import gradient, value_and_gradient
from tests.helpers import assert_file_passes_under_jax

ROOT = Path(__file__).resolve().parents[1]
# JAX compiles every operation for every new shape: fewer examples there.
EXAMPLES = settings(
    max_examples=4 if keras.backend.backend() == "jax" else 10, deadline=None
)
seeds = st.integers(0, 2**16)


def evaluate(f, arrays):
    """f(*arrays) in float64 on this backend, forward only."""
    context = contextlib.nullcontext()
    if keras.backend.backend() == "jax":
        import jax

        context = jax.enable_x64(True)
    with context:
        tensors = [keras.ops.convert_to_tensor(a) for a in arrays]
        return float(keras.ops.convert_to_numpy(f(*tensors)))


def finite_differences(f, arrays, eps=1e-6):
    """Central differences of the float64 value of f, one per input."""
    grads = []
    for i, array in enumerate(arrays):

        def value(v, i=i):
            inputs = list(arrays)
            inputs[i] = v
            return evaluate(f, inputs)

        grads.append(numerical_gradient(value, array.copy(), eps))
    return grads


def assert_matches_finite_differences(f, arrays, tolerance=1e-6):
    grads = gradient(f, tuple(arrays))
    for got, expected, array in zip(
        grads, finite_differences(f, arrays), arrays
    ):
        assert got.shape == array.shape
        error = relative_error(got, expected)
        assert error < tolerance, (
            f"relative error {error:.2e} >= {tolerance} "
            f"({keras.backend.backend()})"
        )


@EXAMPLES
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=seeds)
def test_an_elementwise_function(shape, seed):
    rng = np.random.default_rng(seed)
    x, r = rng.normal(size=shape), rng.normal(size=shape)
    grad = gradient(lambda v: keras.ops.sum(keras.ops.exp(v) * r), x)
    np.testing.assert_allclose(grad, np.exp(x) * r, rtol=1e-12)
    assert_matches_finite_differences(
        lambda v: keras.ops.sum(keras.ops.exp(v) * r), [x]
    )


@EXAMPLES
@given(
    size=st.integers(3, 5),
    depth=st.integers(1, 2),
    f=st.integers(1, 3),
    filters=st.integers(1, 2),
    stride=st.integers(1, 2),
    padding=st.sampled_from(["valid", "same"]),
    seed=seeds,
)
def test_a_convolution_with_respect_to_input_and_kernel(
    size, depth, f, filters, stride, padding, seed
):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, size, size, depth))
    w = rng.normal(size=(f, f, depth, filters))
    r = rng.normal(size=(4,))

    def loss(a, b):
        out = keras.ops.conv(a, b, strides=stride, padding=padding)
        return keras.ops.sum(keras.ops.relu(out) ** 2) + keras.ops.sum(r)

    assert_matches_finite_differences(loss, [x, w])


@EXAMPLES
@given(size=st.integers(2, 3), seed=seeds)
def test_max_pooling_without_ties(size, seed):
    x = np.random.default_rng(seed).normal(size=(1, 6, 6, 2))
    assert_matches_finite_differences(
        lambda v: keras.ops.sum(
            keras.ops.max_pool(v, (size, size), (size, size)) ** 3
        ),
        [x],
    )


def test_a_keras_model_with_respect_to_its_input():
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=(5, 3)), rng.normal(size=3)
    # (zeros: the weights are set below; under JAX a random initializer
    # compiles JAX's generator for the shape, a second of CPU)
    model = keras.Sequential([
        keras.Input((5,)),
        keras.layers.Dense(3, activation="tanh", kernel_initializer="zeros"),
    ])
    model.set_weights([kernel, bias])
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in model.weights)
    x = rng.normal(size=(1, 5)).astype("float32")
    value, grad = value_and_gradient(lambda v: model(v)[0, 1], x)
    pre = x @ kernel + bias
    assert value == pytest.approx(float(np.tanh(pre[0, 1])), rel=1e-5)
    expected = (1 - np.tanh(pre[0, 1]) ** 2) * kernel[:, 1]
    np.testing.assert_allclose(grad[0], expected, rtol=1e-4)
    assert grad.dtype == np.float32


def test_value_dtype_and_input_are_kept():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    saved = x.copy()
    value, grad = value_and_gradient(lambda v: keras.ops.sum(v**3), x)
    assert isinstance(value, float) and value == pytest.approx(35.0)
    assert grad.dtype == np.float64 and grad.shape == x.shape
    np.testing.assert_array_equal(grad, 3 * x**2)
    np.testing.assert_array_equal(x, saved)
    single = gradient(lambda v: v * v, np.float32(3.0))
    assert single.shape == () and single.dtype == np.float32
    assert float(single) == 6.0


def test_a_tensor_input_and_a_list_of_inputs():
    a = keras.ops.convert_to_tensor(np.array([1.0, 2.0]))
    b = [np.array([3.0, 4.0])]
    grads = gradient(lambda u, v: keras.ops.sum(u * v), [a, b[0]])
    assert isinstance(grads, tuple) and len(grads) == 2
    np.testing.assert_array_equal(grads[0], [3.0, 4.0])
    np.testing.assert_array_equal(grads[1], [1.0, 2.0])


def test_an_input_that_f_ignores_gets_a_zero_gradient():
    grads = gradient(
        lambda u, v: keras.ops.sum(u**2), (np.ones(2), np.ones(3))
    )
    np.testing.assert_array_equal(grads[1], np.zeros(3))


def test_relu_and_max_pooling_pick_the_same_subgradient_as_chapter_4():
    """At ReLU's kink the gradient is 0; at a tie the first maximum (in
    row-major order) takes the whole gradient, as ``maxpool_backward``."""
    relu_grad = gradient(
        lambda v: keras.ops.sum(keras.ops.relu(v)), np.zeros(3)
    )
    np.testing.assert_array_equal(relu_grad, np.zeros(3))
    x = np.ones((1, 2, 2, 1))
    pool_grad = gradient(
        lambda v: keras.ops.sum(keras.ops.max_pool(v, (2, 2), (2, 2))), x
    )
    np.testing.assert_array_equal(pool_grad[0, :, :, 0], [[1, 0], [0, 0]])


# --- refusals ---------------------------------------------------------------


not_callables = st.one_of(
    st.none(), st.integers(), st.text(max_size=3), st.lists(st.integers())
)
not_float_arrays = st.one_of(
    st.integers(-5, 5).map(lambda n: np.arange(abs(n) + 1)),
    st.booleans().map(lambda b: np.array([b, not b])),
    st.text(min_size=1, max_size=3).map(np.array),
    st.just(None),
    st.just({"a": 1.0}),
)


@settings(max_examples=30, deadline=None)
@given(f=not_callables)
def test_refuses_a_function_that_is_not_callable(f):
    with pytest.raises(TypeError, match=r"^f must be a function"):
        gradient(f, np.ones(2))


@settings(max_examples=30, deadline=None)
@given(x=not_float_arrays, position=st.sampled_from([None, 0, 1]))
def test_refuses_inputs_that_are_not_float_arrays(x, position):
    def f(*tensors):
        return keras.ops.sum(tensors[0])

    if position is None:
        args, name = x, "x"
    else:
        args = [np.ones(2), np.ones(2)]
        args[position] = x
        name = f"x[{position}]"
    with pytest.raises(TypeError, match="^" + re.escape(name) + " "):
        gradient(f, args)


def test_refuses_an_empty_tuple():
    with pytest.raises(ValueError, match="^x is an empty tuple"):
        gradient(lambda: keras.ops.zeros(()), ())


@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3))
def test_refuses_a_function_that_is_not_scalar(shape):
    if int(np.prod(shape)) == 1:
        shape = [*shape, 2]
    # f returns its input: no operation for JAX to compile for each shape
    with pytest.raises(ValueError, match=r"^f must return a scalar"):
        gradient(lambda v: v, np.ones(shape))


def test_refuses_a_function_written_with_numpy():
    if keras.backend.backend() == "jax":
        pytest.skip("JAX tracers answer NumPy's sum with a tensor")
    with pytest.raises(TypeError, match=r"^f returned a float64"):
        gradient(lambda v: np.sum(np.asarray(v)), np.ones(2))


def test_refuses_a_backend_it_does_not_support(monkeypatch):
    monkeypatch.setattr(gradients, "_backend", lambda: "openvino")
    with pytest.raises(RuntimeError, match="supports the backends "
                       "tensorflow, jax, torch; Keras runs on 'openvino'"):
        gradient(lambda v: keras.ops.sum(v), np.ones(2))


# --- the same tests under JAX -----------------------------------------------


@pytest.mark.skipif(
    keras.backend.backend() == "jax", reason="this process already is JAX"
)
@pytest.mark.skipif(
    os.environ.get("CNNBOOK_JAX_PASS") == "1",
    reason="scripts/test.sh runs this file under JAX itself",
)
def test_the_same_tests_pass_under_jax():
    pytest.importorskip("jax")
    assert_file_passes_under_jax(__file__, timeout=300)
