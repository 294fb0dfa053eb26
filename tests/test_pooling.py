"""The NumPy pooling operations of Chapter 2 against Keras's layers."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook.ops import avg_pool2d, max_pool2d, maxout, pool2d
from tests.refusals import check_refusal, not_whole, wrong_arrays


@st.composite
def pooling_cases(draw):
    """A random input and a window size and stride that fit it."""
    height = draw(st.integers(1, 12))
    width = draw(st.integers(1, 12))
    depth = draw(st.integers(1, 4))
    size = draw(st.integers(1, min(height, width, 4)))
    stride = draw(st.one_of(st.none(), st.integers(1, 4)))
    seed = draw(st.integers(0, 2**16))
    x = np.random.default_rng(seed).normal(size=(height, width, depth))
    return x.astype("float32"), size, stride


def keras_pool(layer_class, x, size, stride):
    layer = layer_class(pool_size=size, strides=stride)
    return keras.ops.convert_to_numpy(layer(x[None]))[0]


@pytest.mark.parametrize(
    "ours, layer_class, atol",
    [
        (max_pool2d, keras.layers.MaxPooling2D, 1e-6),
        (avg_pool2d, keras.layers.AveragePooling2D, 1e-5),
    ],
    ids=["max", "average"],
)
@settings(max_examples=60, deadline=None)
@given(case=pooling_cases())
def test_pooling_matches_keras(ours, layer_class, atol, case):
    x, size, stride = case
    expected = keras_pool(layer_class, x, size, stride)
    got = ours(x, size, stride)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=atol)


def test_the_worked_example_of_the_slides():
    x = np.array(
        [[12, 20, 30, 0], [8, 12, 2, 0], [34, 70, 37, 4], [112, 100, 25, 12]],
        dtype=float,
    )[:, :, None]
    assert max_pool2d(x)[:, :, 0].tolist() == [[20, 30], [112, 37]]
    assert avg_pool2d(x)[:, :, 0].tolist() == [[13, 8], [79, 19.5]]


def test_default_stride_is_the_window_size():
    x = np.arange(36.0).reshape(6, 6, 1)
    assert max_pool2d(x, 3).shape == (2, 2, 1)
    assert max_pool2d(x, 3, 1).shape == (4, 4, 1)
    assert np.array_equal(pool2d(x, np.min, 2)[..., 0], x[::2, ::2, 0])


@settings(max_examples=40, deadline=None)
@given(
    groups=st.integers(1, 5),
    k=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_maxout_is_a_max_over_consecutive_channels(groups, k, seed):
    x = np.random.default_rng(seed).normal(size=(3, 4, groups * k))
    out = maxout(x, k)
    assert out.shape == (3, 4, groups)
    for g in range(groups):
        np.testing.assert_array_equal(
            out[:, :, g], np.max(x[:, :, g * k : (g + 1) * k], axis=2)
        )


def test_maxout_rejects_a_depth_that_k_does_not_divide():
    with pytest.raises(ValueError, match="k=4 does not divide the depth 6"):
        maxout(np.zeros((2, 2, 6)), 4)


# --- refusals ---------------------------------------------------------------

POOL_X = st.one_of(
    wrong_arrays((6, 6, 2), ndims=[0, 1, 2, 4]),
    st.just(np.zeros((1, 6, 2))),  # smaller than a 2 x 2 window
)
POOLING = {
    pool2d: (
        dict(x=np.zeros((6, 6, 2)), reduce=np.max, size=2, stride=None),
        {
            "x": POOL_X,
            "reduce": st.sampled_from([None, "max", 3]),
            "size": st.one_of(not_whole(1), st.just(7)),
            "stride": not_whole(1).filter(lambda v: v is not None),
        },
    ),
    max_pool2d: (
        dict(x=np.zeros((6, 6, 2)), size=2, stride=None),
        {
            "x": POOL_X,
            "size": st.one_of(not_whole(1), st.just(7)),
            "stride": not_whole(1).filter(lambda v: v is not None),
        },
    ),
    maxout: (
        dict(x=np.zeros((3, 3, 6)), k=2),
        {
            "x": wrong_arrays((3, 3, 6), ndims=[0, 1, 2, 4]),
            "k": st.one_of(not_whole(1), st.just(4)),
        },
    ),
}
POOLING[avg_pool2d] = POOLING[max_pool2d]


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_pooling_helpers_refuse_invalid_arguments(data):
    function = data.draw(st.sampled_from(list(POOLING)), label="function")
    valid, invalid = POOLING[function]
    name = data.draw(st.sampled_from(sorted(invalid)), label="argument")
    value = data.draw(invalid[name], label="value")
    error = TypeError if name == "reduce" else None
    check_refusal(function, valid, name, value, error)
