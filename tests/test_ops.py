"""The NumPy reference convolution (chapter 1) against Keras."""


import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook.ops import conv2d
from tests.refusals import check_refusal, not_whole, wrong_arrays


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(4, 10),
    depth=st.integers(1, 3),
    f=st.integers(1, 4),
    filters=st.integers(1, 3),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_conv2d_matches_keras(size, depth, f, filters, stride, padding, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(size, size, depth)).astype("float32")
    w = rng.normal(size=(f, f, depth, filters)).astype("float32")
    b = rng.normal(size=filters).astype("float32")
    padded = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))
    layer = keras.layers.Conv2D(filters, f, strides=stride)
    layer.build((None, *padded.shape))
    layer.set_weights([w, b])
    expected = keras.ops.convert_to_numpy(layer(padded[None]))[0]
    np.testing.assert_allclose(
        conv2d(x, w, b, stride, padding), expected, atol=1e-4
    )


def test_conv2d_rejects_a_filter_of_the_wrong_depth():
    with pytest.raises(ValueError, match="kernels have depth 2 but x has 3"):
        conv2d(np.zeros((5, 5, 3)), np.zeros((3, 3, 2, 1)))


# --- refusals ---------------------------------------------------------------

CONV2D_VALID = dict(
    x=np.zeros((5, 5, 2)),
    kernels=np.zeros((3, 3, 2, 4)),
    bias=np.zeros(4),
    stride=1,
    padding=0,
)
CONV2D_INVALID = {
    "x": st.one_of(
        wrong_arrays((5, 5, 2), ndims=[0, 1, 2, 4]),
        st.just(np.zeros((5, 5, 3))),  # depth differs from the kernels'
        st.just(np.zeros((2, 2, 2))),  # smaller than the filter
    ),
    "kernels": st.one_of(
        wrong_arrays((3, 3, 2, 4), ndims=[0, 1, 2, 3, 5]),
        st.just(np.zeros((3, 3, 3, 4))),
        st.just(np.zeros((6, 6, 2, 4))),
    ),
    "bias": st.one_of(
        wrong_arrays((4,), sizes=True), st.just([0.0] * 4)
    ),
    "stride": not_whole(1),
    "padding": st.one_of(not_whole(0), st.sampled_from(["same", "valid"])),
}


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_conv2d_refuses_invalid_arguments(data):
    name = data.draw(st.sampled_from(sorted(CONV2D_INVALID)))
    value = data.draw(CONV2D_INVALID[name])
    if name == "bias" and value is None:
        return  # no bias is allowed
    check_refusal(conv2d, CONV2D_VALID, name, value)


def test_conv2d_points_same_padding_to_the_sizing_module():
    with pytest.raises(TypeError, match="same_padding"):
        conv2d(np.zeros((5, 5, 1)), np.zeros((3, 3, 1, 1)), padding="same")
