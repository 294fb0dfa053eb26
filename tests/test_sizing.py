"""The sizing formulas of cnnbook.sizing against real Keras layers."""

import math

import keras
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnbook.ops import conv2d
from cnnbook.sizing import (
    conv_multiplies,
    conv_output_size,
    conv_params,
    keras_output_size,
    layer_sizes,
    layer_table,
    network_depth,
    network_layer_sizes,
    network_table,
    pool_output_size,
    same_padding,
)

MANY = settings(max_examples=300, deadline=None)
FEW = settings(max_examples=40, deadline=None)

sizes = st.integers(1, 64)
kernels = st.integers(1, 7)
strides = st.integers(1, 4)
paddings = st.sampled_from(["valid", "same"])


@MANY
@given(
    h=sizes,
    w=sizes,
    f_h=kernels,
    f_w=kernels,
    s_h=strides,
    s_w=strides,
    padding=paddings,
    d_in=st.integers(1, 8),
    d_out=st.integers(1, 8),
    bias=st.booleans(),
)
def test_conv2d_shapes_params_and_multiplies(
    h, w, f_h, f_w, s_h, s_w, padding, d_in, d_out, bias
):
    if padding == "valid":
        assume(h >= f_h and w >= f_w)
    layer = keras.layers.Conv2D(
        d_out,
        (f_h, f_w),
        strides=(s_h, s_w),
        padding=padding,
        use_bias=bias,
    )
    shape = layer.compute_output_shape((None, h, w, d_in))
    h_out = keras_output_size(h, f_h, s_h, padding)
    w_out = keras_output_size(w, f_w, s_w, padding)
    assert tuple(shape) == (None, h_out, w_out, d_out)
    layer.build((None, h, w, d_in))
    assert layer.count_params() == conv_params((f_h, f_w), d_in, d_out, bias)
    # one dot product of the whole kernel per output position and filter
    kernel_size = int(np.prod(layer.kernel.shape[:3]))
    expected = kernel_size * h_out * w_out * d_out
    assert conv_multiplies((f_h, f_w), d_in, w_out, h_out, d_out) == expected
    got = layer_sizes(layer, (h, w, d_in))
    assert got == ((h_out, w_out, d_out), layer.count_params(), expected)


@MANY
@given(
    w=sizes,
    f=kernels,
    s=strides,
    d_in=st.integers(1, 8),
    d_out=st.integers(1, 8),
    bias=st.booleans(),
)
def test_square_conv_matches_the_textbook_formula(w, f, s, d_in, d_out, bias):
    assume(w >= f)
    layer = keras.layers.Conv2D(d_out, f, strides=s, use_bias=bias)
    layer.build((None, w, w, d_in))
    assert layer.count_params() == d_out * (f * f * d_in + bias)
    assert conv_params(f, d_in, d_out, bias) == layer.count_params()
    out = layer.compute_output_shape((None, w, w, d_in))[1]
    assert conv_output_size(w, f, s, mode="floor") == out
    if (w - f) % s == 0:
        assert conv_output_size(w, f, s) == out == (w - f) / s + 1
    else:
        with pytest.raises(ValueError, match="not a whole number"):
            conv_output_size(w, f, s)


@MANY
@given(w=sizes, f=kernels, s=strides, p=st.integers(0, 4))
def test_explicit_padding(w, f, s, p):
    assume(w + 2 * p >= f)
    padded = keras.layers.ZeroPadding2D(p).compute_output_shape(
        (None, w, w, 1)
    )
    layer = keras.layers.Conv2D(1, f, strides=s)
    out = layer.compute_output_shape(padded)[1]
    assert conv_output_size(w, f, s, p, mode="floor") == out
    if (w - f + 2 * p) % s == 0:
        assert conv_output_size(w, f, s, p) == out


@MANY
@given(
    kind=st.sampled_from(["MaxPooling2D", "AveragePooling2D"]),
    h=sizes,
    w=sizes,
    f_h=st.integers(1, 4),
    f_w=st.integers(1, 4),
    s=st.one_of(st.none(), st.integers(1, 4)),
    padding=paddings,
    depth=st.integers(1, 8),
)
def test_pooling(kind, h, w, f_h, f_w, s, padding, depth):
    if padding == "valid":
        assume(h >= f_h and w >= f_w)
    layer = getattr(keras.layers, kind)((f_h, f_w), s, padding=padding)
    shape = tuple(layer.compute_output_shape((None, h, w, depth)))
    s_h, s_w = (f_h, f_w) if s is None else (s, s)
    h_out = keras_output_size(h, f_h, s_h, padding)
    w_out = keras_output_size(w, f_w, s_w, padding)
    assert shape == (None, h_out, w_out, depth)
    assert layer_sizes(layer, (h, w, depth)) == ((h_out, w_out, depth), 0, 0)
    if padding == "valid" and f_h == f_w and (h - f_h) % s_h == 0:
        assert pool_output_size(h, f_h, s) == h_out
    layer.build((None, h, w, depth))
    assert layer.count_params() == 0


@MANY
@given(
    grid=st.lists(st.integers(1, 6), max_size=2),
    d_in=st.integers(1, 64),
    units=st.integers(1, 64),
    bias=st.booleans(),
)
def test_dense_is_a_1x1_convolution(grid, d_in, units, bias):
    dense = keras.layers.Dense(units, use_bias=bias)
    dense.build((None, *grid, d_in))
    shape, params, mults = layer_sizes(dense, (*grid, d_in))
    assert shape == tuple(dense.compute_output_shape((None, *grid, d_in)))[1:]
    assert params == dense.count_params() == units * (d_in + bias)
    assert mults == math.prod(grid) * d_in * units
    one_by_one = keras.layers.Conv2D(units, 1, use_bias=bias)
    one_by_one.build((None, 5, 5, d_in))
    assert conv_params(1, d_in, units, bias) == one_by_one.count_params()


@MANY
@given(w=sizes, f=kernels, s=strides)
def test_same_padding_gives_ceil_w_over_s(w, f, s):
    before, after = same_padding(w, f, s)
    assert 0 <= after - before <= 1
    padded = w + before + after
    out = keras.layers.Conv2D(1, f, strides=s).compute_output_shape(
        (None, padded, padded, 1)
    )[1]
    assert out == math.ceil(w / s) == keras_output_size(w, f, s, "same")


@FEW
@given(
    w=st.integers(1, 12),
    f=st.integers(1, 5),
    s=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_same_padding_reproduces_keras_values(w, f, s, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(w, w, 1)).astype("float32")
    k = rng.normal(size=(f, f, 1, 1)).astype("float32")
    layer = keras.layers.Conv2D(
        1, f, strides=s, padding="same", use_bias=False
    )
    layer.build((None, w, w, 1))
    layer.set_weights([k])
    expected = keras.ops.convert_to_numpy(layer(x[None]))[0]
    before, after = same_padding(w, f, s)
    padded = np.pad(x, ((before, after), (before, after), (0, 0)))
    np.testing.assert_allclose(
        conv2d(padded, k, stride=s), expected, atol=1e-4
    )


# --- errors ---------------------------------------------------------------


def test_the_textbook_invalid_case_raises_and_says_how_to_fix_it():
    with pytest.raises(ValueError, match=r"4\.5.*stride.*divides.*7"):
        conv_output_size(10, 3, 2)
    assert conv_output_size(10, 3, 2, mode="floor") == 4
    assert conv_output_size(10, 3, 1) == 8
    assert keras_output_size(10, 3, 2, "valid") == 4


@pytest.mark.parametrize(
    "args, message",
    [
        ((5, 7), "wider than the padded input"),
        ((0, 3), "at least 1"),
        ((10, 3, 0), "at least 1"),
        ((10, 3, 1, -1), "at least 0"),
    ],
)
def test_impossible_configurations_raise(args, message):
    with pytest.raises(ValueError, match=message):
        conv_output_size(*args)


def test_unknown_options_raise():
    with pytest.raises(ValueError, match="mode must be"):
        conv_output_size(10, 3, mode="round")
    with pytest.raises(ValueError, match="padding must be"):
        keras_output_size(10, 3, 1, padding="full")
    with pytest.raises(ValueError, match="not a whole number"):
        pool_output_size(7, 2)


def test_unsupported_layers_raise():
    dilated = keras.layers.Conv2D(4, 3, dilation_rate=2)
    with pytest.raises(ValueError, match="dilation"):
        layer_sizes(dilated, (10, 10, 3))
    with pytest.raises(ValueError, match="LSTM"):
        layer_sizes(keras.layers.LSTM(4), (10, 3))


# --- whole models ---------------------------------------------------------


def small_convnet():
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def inception_block():
    inputs = keras.Input((28, 28, 16))
    branches = [
        keras.layers.Conv2D(32, 1, padding="same")(inputs),
        keras.layers.Conv2D(64, 3, padding="same")(inputs),
        keras.layers.Conv2D(8, 5, padding="same")(inputs),
        keras.layers.MaxPooling2D(2, strides=1, padding="same")(inputs),
    ]
    merged = keras.layers.Concatenate()(branches)
    pooled = keras.layers.GlobalAveragePooling2D()(merged)
    outputs = keras.layers.Dense(10, use_bias=False)(pooled)
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("build", [small_convnet, inception_block])
def test_layer_table_matches_keras(build):
    model = build()
    rows = layer_table(model)
    layers = [l for l in model.layers if type(l).__name__ != "InputLayer"]
    assert [row[0] for row in rows] == [l.name for l in layers]
    for (name, shape, params, mults), layer in zip(rows, layers):
        assert shape == tuple(layer.output.shape[1:]), name
        assert params == layer.count_params(), name
        if hasattr(layer, "kernel"):
            positions = math.prod(layer.output.shape[1:-1])
            assert mults == math.prod(layer.kernel.shape) * positions, name
        else:
            assert mults == 0, name
    assert sum(row[2] for row in rows) == model.count_params()


def test_small_convnet_totals():
    rows = layer_table(small_convnet())
    assert sum(row[2] for row in rows) == 93_322
    assert rows[0][1:] == ((26, 26, 32), 320, 3 * 3 * 26 * 26 * 32)


@FEW
@given(
    size=st.integers(8, 40),
    specs=st.lists(
        st.tuples(
            st.sampled_from(["conv", "max", "avg"]),
            st.integers(1, 4),
            st.integers(1, 3),
            paddings,
            st.integers(1, 6),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_layer_table_on_random_models(size, specs):
    layers, side = [keras.Input((size, size, 3))], size
    for kind, f, s, padding, filters in specs:
        if padding == "valid":
            assume(side >= f)
        side = keras_output_size(side, f, s, padding)
        if kind == "conv":
            layers.append(keras.layers.Conv2D(filters, f, s, padding))
        else:
            pool = {
                "max": keras.layers.MaxPooling2D,
                "avg": keras.layers.AveragePooling2D,
            }[kind]
            layers.append(pool(f, s, padding))
    layers += [keras.layers.Flatten(), keras.layers.Dense(3)]
    model = keras.Sequential(layers)
    rows = layer_table(model)
    for (name, shape, params, _), layer in zip(rows, model.layers):
        assert shape == tuple(layer.output.shape[1:]), name
        assert params == layer.count_params(), name


# --- Chapter 8: layers of modern networks ---------------------------------


@FEW
@given(
    h=sizes,
    w=sizes,
    d=st.integers(1, 8),
    center=st.booleans(),
    scale=st.booleans(),
)
def test_batch_normalization_sizes(h, w, d, center, scale):
    layer = keras.layers.BatchNormalization(center=center, scale=scale)
    layer.build((None, h, w, d))
    got = network_layer_sizes(layer, (h, w, d))
    assert got == ((h, w, d), layer.count_params(), 0)


@FEW
@given(
    h=sizes,
    w=sizes,
    d=st.integers(1, 8),
    pads=st.tuples(*[st.integers(0, 4)] * 4),
)
def test_zero_padding_sizes(h, w, d, pads):
    layer = keras.layers.ZeroPadding2D((pads[:2], pads[2:]))
    shape = layer.compute_output_shape((None, h, w, d))
    assert network_layer_sizes(layer, (h, w, d)) == (tuple(shape[1:]), 0, 0)


def test_add_and_pad_channels_sizes():
    from cnnbook.architectures.modern import PadChannels

    add = keras.layers.Add()
    assert network_layer_sizes(add, [(4, 4, 3), (4, 4, 3)]) == (
        (4, 4, 3), 0, 0)
    assert network_layer_sizes(PadChannels(5), (4, 4, 3)) == (
        (4, 4, 8), 0, 0)


def test_network_layer_sizes_falls_back_to_layer_sizes():
    layer = keras.layers.Conv2D(4, 3, padding="same")
    assert network_layer_sizes(layer, (8, 8, 2)) == layer_sizes(
        layer, (8, 8, 2))
    with pytest.raises(ValueError, match="does not know"):
        network_layer_sizes(keras.layers.LayerNormalization(), (4, 4, 2))


def test_network_table_matches_keras_on_a_residual_model():
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.ZeroPadding2D(1)(inputs)
    x = keras.layers.Conv2D(8, 3)(x)
    y = keras.layers.BatchNormalization()(x)
    y = keras.layers.Conv2D(8, 3, padding="same")(y)
    x = keras.layers.Add()([x, y])
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(10)(x))
    rows = network_table(model)
    assert sum(r[2] for r in rows) == model.count_params()
    for name, shape, _, _ in rows:
        assert tuple(shape) == tuple(model.get_layer(name).output.shape[1:])
    assert sum(r[3] for r in rows) == (
        3 * 3 * 3 * 16 * 16 * 8 + 3 * 3 * 8 * 16 * 16 * 8 + 8 * 10)


@FEW
@given(short=st.integers(0, 4), long=st.integers(1, 6))
def test_network_depth_counts_the_longest_weighted_path(short, long):
    inputs = keras.Input((8, 8, 2))
    a = inputs
    for _ in range(short):
        a = keras.layers.Conv2D(2, 1)(a)
    b = inputs
    for _ in range(long):
        b = keras.layers.Conv2D(2, 1)(b)
        b = keras.layers.Activation("relu")(b)
    x = keras.layers.Concatenate()([a, b])
    x = keras.layers.GlobalMaxPooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(3)(x))
    assert network_depth(model) == max(short, long) + 1
