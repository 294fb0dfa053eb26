"""The NumPy layers of Chapter 4 against numerical gradients and autodiff.

Every backward function is checked twice over random shapes: against
central differences (relative error below 1e-6 in float64) and against
automatic differentiation of the matching ``keras.ops`` operation, through
``cnnbook.gradients`` (on the backend the tests run with).
"""

import keras
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnbook import backprop as bp
from cnnbook.gradients import gradient
from cnnbook.ops import conv2d
from tests.refusals import check_refusal, not_whole, wrong_arrays

EXAMPLES = settings(max_examples=50, deadline=None)
TOLERANCE = 1e-6

seeds = st.integers(0, 2**16)
batch_shapes = st.sampled_from([(), (1,), (2,)])


def tape_gradients(function, *arrays):
    """Gradients of function(*tensors) with respect to each array."""
    return list(gradient(function, tuple(np.float64(a) for a in arrays)))


def as_batch(x):
    """TensorFlow's ops want a batch axis."""
    return x if x.ndim == 4 else x[None]


# --- Convolution ----------------------------------------------------------

conv_cases = st.fixed_dictionaries(
    {
        "batch": batch_shapes,
        "height": st.integers(3, 7),
        "width": st.integers(3, 7),
        "depth": st.integers(1, 3),
        "f": st.integers(1, 3),
        "filters": st.integers(1, 3),
        "seed": seeds,
    }
)


def conv_problem(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.normal(size=(*case["batch"], case["height"], case["width"],
                         case["depth"]))
    kernels = rng.normal(
        size=(case["f"], case["f"], case["depth"], case["filters"])
    )
    out_shape = bp.conv_forward(x, kernels).shape
    return x, kernels, rng.normal(size=out_shape)


@EXAMPLES
@given(case=conv_cases)
def test_conv_forward_matches_the_chapter_1_loop(case):
    x, kernels, _ = conv_problem(case)
    single = x.reshape(-1, *x.shape[-3:])[0]
    np.testing.assert_allclose(
        bp.conv_forward(single, kernels), conv2d(single, kernels), atol=1e-12
    )


@EXAMPLES
@given(case=conv_cases)
def test_conv_backward_matches_numerical_gradients(case):
    x, kernels, grad_out = conv_problem(case)
    grad_x, grad_kernels = bp.conv_backward(x, kernels, grad_out)
    numeric_x = bp.numerical_gradient(
        lambda v: np.sum(bp.conv_forward(v, kernels) * grad_out), x.copy()
    )
    numeric_k = bp.numerical_gradient(
        lambda v: np.sum(bp.conv_forward(x, v) * grad_out), kernels.copy()
    )
    assert grad_x.shape == x.shape
    assert grad_kernels.shape == kernels.shape
    assert bp.relative_error(grad_x, numeric_x) < TOLERANCE
    assert bp.relative_error(grad_kernels, numeric_k) < TOLERANCE


@EXAMPLES
@given(case=conv_cases)
def test_conv_backward_matches_autodiff(case):
    x, kernels, grad_out = conv_problem(case)
    grad_x, grad_kernels = bp.conv_backward(x, kernels, grad_out)
    tf_x, tf_k = tape_gradients(
        lambda a, w: keras.ops.sum(
            keras.ops.conv(as_batch(a), w) * as_batch(grad_out)
        ),
        x,
        kernels,
    )
    assert bp.relative_error(grad_x, tf_x) < 1e-12
    assert bp.relative_error(grad_kernels, tf_k) < 1e-12


@EXAMPLES
@given(
    height=st.integers(2, 7),
    width=st.integers(2, 7),
    f_h=st.integers(1, 3),
    f_w=st.integers(1, 3),
    seed=seeds,
)
def test_one_channel_correlation_and_its_backward(height, width, f_h, f_w,
                                                  seed):
    assume(f_h <= height and f_w <= width)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(height, width))
    w = rng.normal(size=(f_h, f_w))
    out = bp.correlate2d(x, w)
    grad_out = rng.normal(size=out.shape)
    expected = conv2d(x[:, :, None], w[:, :, None, None])[:, :, 0]
    np.testing.assert_allclose(out, expected, atol=1e-12)
    grad_x, grad_w = bp.correlate2d_backward(x, w, grad_out)
    numeric_x = bp.numerical_gradient(
        lambda v: np.sum(bp.correlate2d(v, w) * grad_out), x.copy()
    )
    numeric_w = bp.numerical_gradient(
        lambda v: np.sum(bp.correlate2d(x, v) * grad_out), w.copy()
    )
    assert bp.relative_error(grad_x, numeric_x) < TOLERANCE
    assert bp.relative_error(grad_w, numeric_w) < TOLERANCE
    tf_x, tf_w = tape_gradients(
        lambda a, k: keras.ops.sum(
            keras.ops.conv(a[None, :, :, None], k[:, :, None, None])[
                0, :, :, 0
            ]
            * grad_out
        ),
        x,
        w,
    )
    assert bp.relative_error(grad_x, tf_x) < 1e-12
    assert bp.relative_error(grad_w, tf_w) < 1e-12


def test_single_channel_1d_example_uses_the_flipped_filter():
    """A 1 x 5 input and a 1 x 3 filter: dL/dz = flipped w over padded d."""
    z = np.array([1.0, 2.0, 0.0, -1.0, 3.0]).reshape(1, 5, 1)
    w = np.array([1.0, -1.0, 2.0]).reshape(1, 3, 1, 1)
    delta = np.array([-1.0, -1.0, 2.0])
    w_2d = np.zeros((3, 3, 1, 1))
    w_2d[1] = w[0]  # the 1-D filter as the middle row of a 3 x 3 one
    z_2d = np.pad(z, ((1, 1), (0, 0), (0, 0)))
    grad_x, grad_w = bp.conv_backward(z_2d, w_2d, delta.reshape(1, 3, 1))
    expected = np.convolve(delta, w.ravel(), mode="full")
    np.testing.assert_allclose(grad_x[1, :, 0], expected)
    np.testing.assert_allclose(
        grad_w[1, :, 0, 0], np.correlate(z.ravel(), delta, mode="valid")
    )


# --- Max pooling ------------------------------------------------------------

pool_cases = st.fixed_dictionaries(
    {
        "batch": batch_shapes,
        "height": st.integers(2, 9),
        "width": st.integers(2, 9),
        "depth": st.integers(1, 3),
        "size": st.integers(2, 3),
        "seed": seeds,
    }
).filter(lambda c: min(c["height"], c["width"]) >= c["size"])


def pool_problem(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.normal(size=(*case["batch"], case["height"], case["width"],
                         case["depth"]))
    out, switches = bp.maxpool_forward(x, case["size"])
    return x, out, switches, rng.normal(size=out.shape)


@EXAMPLES
@given(case=pool_cases)
def test_maxpool_matches_numerical_gradients(case):
    x, out, switches, grad_out = pool_problem(case)
    size = case["size"]
    grad_x = bp.maxpool_backward(x.shape, switches, grad_out, size)
    numeric = bp.numerical_gradient(
        lambda v: np.sum(bp.maxpool_forward(v, size)[0] * grad_out),
        x.copy(),
    )
    assert bp.relative_error(grad_x, numeric) < TOLERANCE
    # exactly one input per window receives that window's gradient
    assert np.count_nonzero(grad_x) == np.count_nonzero(grad_out)


@EXAMPLES
@given(case=pool_cases)
def test_maxpool_matches_keras_and_autodiff(case):
    x, out, switches, grad_out = pool_problem(case)
    size = case["size"]
    window = (size, size)
    expected = keras.ops.convert_to_numpy(
        keras.ops.max_pool(as_batch(x), window, window)
    )
    np.testing.assert_allclose(as_batch(out), expected, atol=1e-6)
    (tf_x,) = tape_gradients(
        lambda a: keras.ops.sum(
            keras.ops.max_pool(as_batch(a), window, window)
            * as_batch(grad_out)
        ),
        x,
    )
    grad_x = bp.maxpool_backward(x.shape, switches, grad_out, size)
    np.testing.assert_allclose(grad_x, tf_x, atol=1e-12)


def test_maxpool_switches_name_the_maximum():
    x = np.array([[1, 5], [7, 2.0]]).reshape(2, 2, 1)
    out, switches = bp.maxpool_forward(x)
    assert out.item() == 7 and switches.item() == 2  # row 1, column 0
    grad = bp.maxpool_backward(x.shape, switches, np.full((1, 1, 1), 3.0))
    np.testing.assert_array_equal(grad[..., 0], [[0, 0], [3, 0]])


# --- ReLU -------------------------------------------------------------------

relu_cases = st.fixed_dictionaries(
    {
        "shape": st.lists(st.integers(1, 6), min_size=1, max_size=4),
        "seed": seeds,
    }
)


def relu_problem(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.normal(size=case["shape"])
    return x, rng.normal(size=case["shape"])


@EXAMPLES
@given(case=relu_cases)
def test_relu_matches_numerical_gradients_and_autodiff(case):
    x, grad_out = relu_problem(case)
    grad_x = bp.relu_backward(x, grad_out)
    numeric = bp.numerical_gradient(
        lambda v: np.sum(bp.relu_forward(v) * grad_out), x.copy()
    )
    (tf_x,) = tape_gradients(
        lambda a: keras.ops.sum(keras.ops.relu(a) * grad_out), x
    )
    assert bp.relative_error(grad_x, numeric) < TOLERANCE
    np.testing.assert_array_equal(grad_x, tf_x)


@keras.ops.custom_gradient
def guided_relu(x):
    def grad(*args, upstream=None):
        upstream = args[0] if upstream is None else upstream
        keep = keras.ops.logical_and(x > 0, upstream > 0)
        return upstream * keras.ops.cast(keep, x.dtype)

    return keras.ops.relu(x), grad


@EXAMPLES
@given(case=relu_cases)
def test_the_three_relu_rules(case):
    x, signal = relu_problem(case)
    plain = bp.relu_backward(x, signal)
    deconv = bp.relu_backward_deconvnet(x, signal)
    guided = bp.relu_backward_guided(x, signal)
    np.testing.assert_array_equal(deconv, np.maximum(signal, 0))
    np.testing.assert_array_equal(guided, np.maximum(plain, 0))
    np.testing.assert_array_equal(guided, np.where(x > 0, deconv, 0))
    (tf_guided,) = tape_gradients(
        lambda a: keras.ops.sum(guided_relu(a) * signal), x
    )
    np.testing.assert_array_equal(guided, tf_guided)


# --- Helpers ----------------------------------------------------------------


def test_numerical_gradient_of_a_known_function():
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    numeric = bp.numerical_gradient(lambda v: np.sum(np.sin(v) * v), x)
    exact = np.cos(x) * x + np.sin(x)
    assert bp.relative_error(numeric, exact) < 1e-9
    np.testing.assert_array_equal(x, np.linspace(-1, 1, 12).reshape(3, 4))


@pytest.mark.parametrize(
    "a, b, expected",
    [(np.zeros(3), np.zeros(3), 0.0), (np.ones(2), -np.ones(2), 1.0),
     (np.array([3.0, 4.0]), np.array([3.0, 4.0]), 0.0)],
)
def test_relative_error(a, b, expected):
    assert bp.relative_error(a, b) == pytest.approx(expected)


# --- Stride and padding -----------------------------------------------------

strided_cases = st.fixed_dictionaries(
    {
        "batch": batch_shapes,
        "height": st.integers(2, 7),
        "width": st.integers(2, 7),
        "depth": st.integers(1, 2),
        "f": st.integers(1, 3),
        "filters": st.integers(1, 2),
        "stride": st.integers(1, 3),
        "padding": st.integers(0, 2),
        "seed": seeds,
    }
).filter(lambda c: min(c["height"], c["width"]) + 2 * c["padding"] >= c["f"])


def strided_problem(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.normal(size=(*case["batch"], case["height"], case["width"],
                         case["depth"]))
    kernels = rng.normal(
        size=(case["f"], case["f"], case["depth"], case["filters"])
    )
    out = bp.conv_forward_strided(x, kernels, case["stride"], case["padding"])
    return x, kernels, out, rng.normal(size=out.shape)


def keras_strided(x, kernels, stride, padding):
    """The same convolution with keras.ops: explicit zeros, then a
    strided 'valid' convolution."""
    pad = [(0, 0), (padding, padding), (padding, padding), (0, 0)]
    return keras.ops.conv(keras.ops.pad(x, pad), kernels, strides=stride)


@EXAMPLES
@given(case=strided_cases)
def test_strided_forward_matches_chapter_1_and_keras(case):
    x, kernels, out, _ = strided_problem(case)
    stride, padding = case["stride"], case["padding"]
    single = x.reshape(-1, *x.shape[-3:])[0]
    np.testing.assert_allclose(
        out.reshape(-1, *out.shape[-3:])[0],
        conv2d(single, kernels, stride=stride, padding=padding),
        atol=1e-12,
    )
    expected = keras.ops.convert_to_numpy(
        keras_strided(as_batch(x).astype("float32"),
                      kernels.astype("float32"), stride, padding)
    )
    np.testing.assert_allclose(as_batch(out), expected, atol=1e-4)


@EXAMPLES
@given(case=strided_cases)
def test_strided_backward_matches_numerical_gradients_and_autodiff(case):
    x, kernels, _, grad_out = strided_problem(case)
    stride, padding = case["stride"], case["padding"]
    grad_x, grad_k = bp.conv_backward_strided(x, kernels, grad_out, stride,
                                              padding)
    numeric_x = bp.numerical_gradient(
        lambda v: np.sum(
            bp.conv_forward_strided(v, kernels, stride, padding) * grad_out
        ),
        x.copy(),
    )
    numeric_k = bp.numerical_gradient(
        lambda v: np.sum(
            bp.conv_forward_strided(x, v, stride, padding) * grad_out
        ),
        kernels.copy(),
    )
    assert grad_x.shape == x.shape and grad_k.shape == kernels.shape
    assert bp.relative_error(grad_x, numeric_x) < TOLERANCE
    assert bp.relative_error(grad_k, numeric_k) < TOLERANCE
    auto_x, auto_k = tape_gradients(
        lambda a, w: keras.ops.sum(
            keras_strided(as_batch(a), w, stride, padding)
            * as_batch(grad_out)
        ),
        x,
        kernels,
    )
    assert bp.relative_error(grad_x, auto_x) < 1e-12
    assert bp.relative_error(grad_k, auto_k) < 1e-12


def test_stride_leaves_unused_inputs_without_gradient():
    """Width 6 and stride 2: a 1 x 1 filter reads columns 0, 2, 4; a 3 x 3
    filter fits at columns 0 and 2 and never reads column 5."""
    x = np.ones((1, 6, 1))
    kernels = np.ones((1, 1, 1, 1))  # 1 x 1: reads columns 0, 2 and 4
    grad_x, _ = bp.conv_backward_strided(x, kernels, np.ones((1, 3, 1)), 2)
    np.testing.assert_array_equal(grad_x[0, :, 0], [1, 0, 1, 0, 1, 0])
    three = np.ones((3, 3, 1, 1))
    grad_x, _ = bp.conv_backward_strided(
        np.ones((3, 6, 1)), three, np.ones((1, 2, 1)), 2
    )
    np.testing.assert_array_equal(grad_x[1, :, 0], [1, 1, 2, 1, 1, 0])


# --- Ties and kinks -----------------------------------------------------


def test_ties_and_kinks_pick_the_subgradient_the_frameworks_pick():
    """Max pooling: the first maximum in row-major order takes the whole
    gradient; ReLU at 0: gradient 0. Central differences give the average
    (half to each of two tied inputs), another valid subgradient."""
    x = np.array([[3.0, 3.0], [1.0, 2.0]]).reshape(2, 2, 1)
    out, switches = bp.maxpool_forward(x)
    assert switches.item() == 0
    grad = bp.maxpool_backward(x.shape, switches, np.ones((1, 1, 1)))
    (auto,) = tape_gradients(
        lambda a: keras.ops.sum(keras.ops.max_pool(a[None], (2, 2), (2, 2))),
        x,
    )
    np.testing.assert_array_equal(grad, auto)
    np.testing.assert_array_equal(grad[..., 0], [[1, 0], [0, 0]])
    numeric = bp.numerical_gradient(
        lambda v: np.sum(bp.maxpool_forward(v)[0]), x.copy()
    )
    np.testing.assert_allclose(numeric[..., 0], [[0.5, 0.5], [0, 0]])
    a = np.array([-1.0, 0.0, 2.0])
    (auto,) = tape_gradients(lambda v: keras.ops.sum(keras.ops.relu(v)), a)
    np.testing.assert_array_equal(bp.relu_backward(a, np.ones(3)), [0, 0, 1])
    np.testing.assert_array_equal(auto, [0, 0, 1])


# --- refusals ---------------------------------------------------------------

X4 = np.zeros((4, 4, 2))
K = np.zeros((3, 3, 2, 3))
X_INVALID = st.one_of(
    wrong_arrays((4, 4, 2), ndims=[0, 1, 2]),
    st.just(np.zeros((4, 4, 3))),  # depth differs from the kernels'
    st.just(np.zeros((2, 4, 2))),  # smaller than the filter
)
K_INVALID = st.one_of(
    wrong_arrays((3, 3, 2, 3), ndims=[0, 1, 2, 3, 5]),
    st.just(np.zeros((3, 2, 2, 3))),  # not square
    st.just(np.zeros((3, 3, 1, 3))),  # depth differs from the input's
    st.just(np.zeros((5, 5, 2, 3))),  # larger than the input
)
BACKPROP = {
    bp.correlate2d: (
        dict(x=np.zeros((4, 4)), w=np.zeros((2, 2))),
        {"x": st.one_of(wrong_arrays((4, 4)), st.just(np.zeros((1, 4)))),
         "w": st.one_of(wrong_arrays((2, 2)), st.just(np.zeros((5, 2))))},
    ),
    bp.correlate2d_backward: (
        dict(x=np.zeros((4, 4)), w=np.zeros((2, 2)),
             grad_out=np.zeros((3, 3))),
        {"grad_out": wrong_arrays((3, 3), sizes=True)},
    ),
    bp.conv_forward: (dict(x=X4, kernels=K),
                      {"x": X_INVALID, "kernels": K_INVALID}),
    bp.conv_backward: (
        dict(x=X4, kernels=K, grad_out=np.zeros((2, 2, 3))),
        {"x": X_INVALID, "kernels": K_INVALID,
         "grad_out": wrong_arrays((2, 2, 3), sizes=True)},
    ),
    bp.conv_forward_strided: (
        dict(x=X4, kernels=K, stride=2, padding=1),
        {"x": X_INVALID.filter(lambda v: not (
            isinstance(v, np.ndarray) and v.shape == (2, 4, 2))),
         "kernels": K_INVALID.filter(lambda v: not (
            isinstance(v, np.ndarray) and v.shape == (5, 5, 2, 3))),
         "stride": not_whole(1), "padding": not_whole(0)},
    ),
    bp.conv_backward_strided: (
        dict(x=X4, kernels=K, grad_out=np.zeros((2, 2, 3)), stride=2,
             padding=1),
        {"grad_out": wrong_arrays((2, 2, 3), sizes=True),
         "stride": not_whole(1), "padding": not_whole(0)},
    ),
    bp.maxpool_forward: (
        dict(x=X4, size=2),
        {"x": st.one_of(wrong_arrays((4, 4, 2), ndims=[0, 1, 2]),
                        st.just(np.zeros((1, 4, 2)))),
         "size": st.one_of(not_whole(1), st.just(5))},
    ),
    bp.maxpool_backward: (
        dict(x_shape=(4, 4, 2), switches=np.zeros((2, 2, 2), int),
             grad_out=np.zeros((2, 2, 2)), size=2),
        {"x_shape": st.sampled_from([None, (4, 4), (4, -4, 2), "442",
                                     (4.0, 4, 2)]),
         "switches": st.one_of(
             wrong_arrays((2, 2, 2)),
             st.just(np.zeros((2, 2, 2))),  # floats, not positions
             st.just(np.zeros((2, 3, 2), int)),
             st.just(np.full((2, 2, 2), 4)),  # outside a 2 x 2 window
         ),
         "grad_out": wrong_arrays((2, 2, 2), sizes=True),
         "size": st.one_of(not_whole(1), st.just(5))},
    ),
    bp.relu_forward: (dict(x=X4), {"x": st.sampled_from(
        [None, [1.0, -1.0], np.array(["a"])])}),
    bp.numerical_gradient: (
        dict(loss=np.sum, x=np.zeros(3), eps=1e-6),
        {"loss": st.sampled_from([None, 3, "sum"]),
         "x": st.sampled_from([np.arange(3), [0.0, 1.0], None,
                               np.array([True])]),
         "eps": st.one_of(st.sampled_from([0, -1e-6, 1.5, None, "a", True]),
                          st.floats(max_value=0))},
    ),
    bp.relative_error: (
        dict(a=np.zeros(3), b=np.zeros(3)),
        {"a": st.sampled_from([np.zeros(4), np.zeros((3, 1)), "abc"]),
         "b": st.sampled_from([np.zeros(2), None, "abc"])},
    ),
}
for rule in (bp.relu_backward, bp.relu_backward_deconvnet,
             bp.relu_backward_guided):
    BACKPROP[rule] = (
        dict(x=X4, grad_out=X4),
        {"x": st.sampled_from([None, [0.0]]),
         "grad_out": wrong_arrays((4, 4, 2), sizes=True)},
    )

TYPE_ERRORS = {"x_shape", "loss"}


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_backprop_helpers_refuse_invalid_arguments(data):
    function = data.draw(st.sampled_from(list(BACKPROP)), label="function")
    valid, invalid = BACKPROP[function]
    name = data.draw(st.sampled_from(sorted(invalid)), label="argument")
    value = data.draw(invalid[name], label="value")
    error = None
    if name in TYPE_ERRORS:
        error = TypeError
    elif name == "switches" and isinstance(value, np.ndarray):
        error = ValueError if value.dtype == int else TypeError
    elif name == "eps":
        number = isinstance(value, (int, float)) and not isinstance(
            value, bool
        )
        error = ValueError if number else TypeError
    elif name == "x" and function is bp.numerical_gradient:
        error = TypeError
    elif name in ("a", "b"):
        error = ValueError if isinstance(value, np.ndarray) else TypeError
    check_refusal(function, valid, name, value, error)
# --- Transposed convolution and the convolution matrix (Chapter 12) -------

transpose_cases = st.fixed_dictionaries(
    {
        "f": st.integers(1, 4),
        "stride": st.integers(1, 3),
        "padding": st.integers(0, 2),
        "depth": st.integers(1, 3),
        "n_filters": st.integers(1, 3),
        "h": st.integers(1, 4),
        "w": st.integers(1, 4),
        "a": st.integers(0, 2),
        "seed": seeds,
    }
)


@EXAMPLES
@given(case=transpose_cases)
def test_conv_transpose_is_the_transposed_convolution_matrix(case):
    f, s, p, a = case["f"], case["stride"], case["padding"], case["a"]
    assume(a < s)
    size_h = (case["h"] - 1) * s + f - 2 * p + a
    size_w = (case["w"] - 1) * s + f - 2 * p + a
    assume(min(size_h, size_w) >= 1)
    rng = np.random.default_rng(case["seed"])
    kernels = rng.normal(size=(f, f, case["depth"], case["n_filters"]))
    shape = (size_h, size_w, case["depth"])
    matrix = bp.matrix_of(
        lambda x: conv2d(x, kernels, stride=s, padding=p), shape)
    g = rng.normal(size=(case["h"], case["w"], case["n_filters"]))
    assert matrix.shape == (g.size, int(np.prod(shape)))
    out = bp.conv_transpose(g, kernels, s, p, a)
    assert out.shape == shape
    np.testing.assert_allclose(out.ravel(), matrix.T @ g.ravel(), atol=1e-12)


@EXAMPLES
@given(case=conv_cases)
def test_conv_transpose_is_conv_backward_at_stride_one(case):
    rng = np.random.default_rng(case["seed"])
    shape = (*case["batch"], case["height"], case["width"], case["depth"])
    x = rng.normal(size=shape)
    kernels = rng.normal(
        size=(case["f"], case["f"], case["depth"], case["filters"]))
    g = rng.normal(size=bp.conv_forward(x, kernels).shape)
    grad_x, _ = bp.conv_backward(x, kernels, g)
    np.testing.assert_allclose(bp.conv_transpose(g, kernels), grad_x,
                               atol=1e-10)


@pytest.mark.parametrize("s, p, a", [(1, 0, 0), (2, 0, 1), (2, 1, 0),
                                     (3, 1, 2)])
def test_conv_transpose_matches_keras(s, p, a):
    rng = np.random.default_rng(s + p + a)
    kernels = rng.normal(size=(3, 3, 2, 4))
    g = rng.normal(size=(2, 3, 4, 4))
    out = bp.conv_transpose(g, kernels, s, p, a)
    # Keras pads nothing ("valid"); our padding P crops P from each side.
    full = keras.ops.convert_to_numpy(keras.ops.conv_transpose(
        g, kernels, strides=s, padding="valid",
        output_padding=a if a else None))
    assert full.shape[1:3] == ((3 - 1) * s + 3 + a, (4 - 1) * s + 3 + a)
    h, w = full.shape[1:3]
    np.testing.assert_allclose(out, full[:, p : h - p, p : w - p], atol=1e-4)


def test_matrix_of_and_conv_transpose_say_what_is_wrong():
    with pytest.raises(ValueError, match="every axis at least 1"):
        bp.matrix_of(lambda x: x, (0, 3))
    kernels = np.ones((3, 3, 2, 4))
    with pytest.raises(ValueError, match="K = 4"):
        bp.conv_transpose(np.ones((3, 3, 2)), kernels)
    with pytest.raises(ValueError, match="between 0 and stride - 1"):
        bp.conv_transpose(np.ones((3, 3, 4)), kernels, stride=2,
                          output_padding=2)
    with pytest.raises(ValueError, match="less padding"):
        bp.conv_transpose(np.ones((1, 1, 4)), kernels, padding=2)
