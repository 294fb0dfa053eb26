"""The NumPy reference convolution (chapter 1) against Keras."""


import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook.ops import conv2d


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
    with pytest.raises(ValueError, match="depth"):
        conv2d(np.zeros((5, 5, 3)), np.zeros((3, 3, 2, 1)))
