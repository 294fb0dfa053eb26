"""The sizing formulas of cnnbook.sizing against real Keras layers."""

import math

import keras
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnbook.architectures.classic import (
    EuclideanRBF,
    Subsampling2D,
    TableConv2D,
    lenet5_c3_table,
    shapes_only,
)
from cnnbook.ops import conv2d
from tests.refusals import check_refusal, expected_error, not_whole
from cnnbook.sizing import (
    conv_multiplies,
    conv_output_size,
    conv_params,
    extended_layer_sizes,
    extended_layer_table,
    grouped_conv_multiplies,
    grouped_conv_params,
    keras_output_size,
    layer_sizes,
    layer_table,
    network_depth,
    network_layer_sizes,
    network_table,
    pool_output_size,
    receptive_field_size,
    same_padding,
    table_conv_multiplies,
    table_conv_params,
)

MANY = settings(max_examples=300, deadline=None)
FEW = settings(max_examples=40, deadline=None)

sizes = st.integers(1, 64)
kernels = st.integers(1, 7)
strides = st.integers(1, 4)
paddings = st.sampled_from(["valid", "same"])


def built(layer, input_shape):
    """``layer`` built for ``input_shape`` without drawing its random
    initial weights (``shapes_only``): the tests that use it compare
    shapes and counts only, and drawing the weights was most of their
    time (hundreds of examples each)."""

    def build():
        layer.build(input_shape)
        return layer

    return shapes_only(build)


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
    built(layer, (None, h, w, d_in))
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
    built(layer, (None, w, w, d_in))
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
    built(dense, (None, *grid, d_in))
    shape, params, mults = layer_sizes(dense, (*grid, d_in))
    assert shape == tuple(dense.compute_output_shape((None, *grid, d_in)))[1:]
    assert params == dense.count_params() == units * (d_in + bias)
    assert mults == math.prod(grid) * d_in * units
    one_by_one = keras.layers.Conv2D(units, 1, use_bias=bias)
    built(one_by_one, (None, 5, 5, d_in))
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
        ((5, 7), "f=7 is wider than the input w=5"),
        ((0, 3), r"w \(the input width\) must be a whole number >= 1"),
        ((10, 3, 0), r"s \(the stride\) must be a whole number >= 1"),
        ((10, 3, 1, -1), r"p \(the zeros of padding on each side\) must"),
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


def test_global_pooling_keeps_dims_when_asked():
    layer = keras.layers.GlobalMaxPooling2D(keepdims=True)
    shape = tuple(layer.compute_output_shape((None, 5, 5, 7)))[1:]
    assert layer_sizes(layer, (5, 5, 7)) == (shape, 0, 0) == ((1, 1, 7), 0, 0)


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
    model = shapes_only(keras.Sequential, layers)  # shapes and counts only
    rows = layer_table(model)
    for (name, shape, params, _), layer in zip(rows, model.layers):
        assert shape == tuple(layer.output.shape[1:]), name
        assert params == layer.count_params(), name


# --- Chapter 7: grouped and partially connected layers --------------------


@MANY
@given(
    h=st.integers(3, 20),
    f=kernels,
    s=strides,
    padding=paddings,
    groups=st.integers(1, 4),
    per_in=st.integers(1, 4),
    per_out=st.integers(1, 4),
    bias=st.booleans(),
)
def test_grouped_conv_counts_match_keras(
    h, f, s, padding, groups, per_in, per_out, bias
):
    if padding == "valid":
        assume(h >= f)
    d_in, d_out = groups * per_in, groups * per_out
    layer = keras.layers.Conv2D(
        d_out, f, strides=s, padding=padding, groups=groups, use_bias=bias
    )
    built(layer, (None, h, h, d_in))
    side = keras_output_size(h, f, s, padding)
    params = grouped_conv_params(f, d_in, d_out, groups, bias)
    mults = grouped_conv_multiplies(f, d_in, side, side, d_out, groups)
    assert params == layer.count_params()
    assert mults == math.prod(layer.kernel.shape) * side * side
    assert extended_layer_sizes(layer, (h, h, d_in)) == (
        (side, side, d_out), params, mults)
    assert grouped_conv_params(f, d_in, d_out, 1, bias) == conv_params(
        f, d_in, d_out, bias)


@pytest.mark.parametrize("groups", [0, 3, 2.5, -2])
def test_bad_groups_raise(groups):
    with pytest.raises(ValueError, match="divides both"):
        grouped_conv_params(3, 4, 8, groups)
# --- refusals ---------------------------------------------------------------

WHOLE, PADDING = not_whole(1), not_whole(0)
MODES = st.one_of(st.text(max_size=5), st.none()).filter(
    lambda m: m not in ("exact", "floor")
)
PADDINGS = st.one_of(st.text(max_size=5), st.none()).filter(
    lambda m: m not in ("valid", "same")
)
FILTERS = st.one_of(
    WHOLE, st.sampled_from([(3,), (3, 0), (3, 3, 3), (3, 1.5), [0, 2]])
)
SIZING = {
    conv_output_size: (
        dict(w=10, f=3, s=1, p=0, mode="exact"),
        {"w": WHOLE, "f": st.one_of(WHOLE, st.just(11)), "s": WHOLE,
         "p": PADDING, "mode": MODES},
    ),
    pool_output_size: (
        dict(w=10, f=2, s=None, mode="exact"),
        {"w": WHOLE, "f": st.one_of(WHOLE, st.just(11)),
         "s": WHOLE.filter(lambda v: v is not None), "mode": MODES},
    ),
    keras_output_size: (
        dict(w=10, f=3, s=1, padding="valid"),
        {"w": WHOLE, "f": WHOLE, "s": WHOLE, "padding": PADDINGS},
    ),
    same_padding: (
        dict(w=10, f=3, s=1),
        {"w": WHOLE, "f": WHOLE, "s": WHOLE},
    ),
    conv_params: (
        dict(f=3, d_in=3, d_out=8, bias=True),
        {"f": FILTERS, "d_in": WHOLE, "d_out": WHOLE,
         "bias": st.sampled_from([0, 1, "yes", None, 1.0])},
    ),
    conv_multiplies: (
        dict(f=3, d_in=3, w_out=8, h_out=8, d_out=8),
        {"f": FILTERS, "d_in": WHOLE, "w_out": WHOLE, "h_out": WHOLE,
         "d_out": WHOLE},
    ),
    layer_sizes: (
        dict(layer=keras.layers.Conv2D(4, 3), input_shape=(8, 8, 3)),
        {
            "layer": st.sampled_from(
                [None, "Conv2D", 3, keras.layers.Conv2D(
                    4, 3, data_format="channels_first")]
            ),
            "input_shape": st.one_of(
                st.sampled_from([None, "abc", (8, 8), (8, 8, 3, 1), ()]),
                st.tuples(st.just(8), WHOLE, st.just(3)),
            ),
        },
    ),
    layer_table: (
        dict(model=keras.Sequential([keras.Input((4,)),
                                     keras.layers.Dense(2)])),
        {"model": st.sampled_from([None, keras.layers.Dense(2), [1]])},
    ),
}


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_sizing_helpers_refuse_invalid_arguments(data):
    function = data.draw(st.sampled_from(list(SIZING)), label="function")
    valid, invalid = SIZING[function]
    name = data.draw(st.sampled_from(sorted(invalid)), label="argument")
    value = data.draw(invalid[name], label="value")
    error = None
    if name in ("mode", "padding"):
        error = ValueError  # a string outside the allowed ones
    elif name == "bias":
        error = TypeError  # not True or False
    elif name == "f" and isinstance(value, (tuple, list)):
        pairs = function in (conv_params, conv_multiplies)
        error = ValueError if pairs and 1.5 not in value else TypeError
    elif name == "layer":
        error = ValueError if isinstance(value, keras.Layer) else TypeError
    elif name == "input_shape":
        error = TypeError
        if isinstance(value, tuple) and len(value) in (2, 4):
            error = ValueError
        elif isinstance(value, tuple) and len(value) == 3:
            error = expected_error(value[1])
    check_refusal(function, valid, name, value, error)


def test_channels_first_layers_are_refused_clearly():
    layer = keras.layers.MaxPooling2D(2, data_format="channels_first")
    with pytest.raises(ValueError, match="data_format='channels_first'"):
        layer_sizes(layer, (3, 8, 8))


# --- Chapter 8: layers of modern networks ---------------------------------


@FEW
@given(
    table=st.lists(
        st.lists(st.booleans(), min_size=4, max_size=4), min_size=1,
        max_size=5,
    ),
    f=kernels,
    bias=st.booleans(),
)
def test_table_conv_counts(table, f, bias):
    table = np.array(table)
    assume(table.any(axis=0).all())
    ones = int(table.sum())
    assert table_conv_params(f, table, bias) == f * f * ones + 4 * bias
    assert table_conv_multiplies(f, table, 3, 2) == f * f * ones * 6
    full = np.ones_like(table)
    assert table_conv_params(f, full, bias) == conv_params(
        f, len(table), 4, bias)


@pytest.mark.parametrize(
    "table, message",
    [([[1, 0], [1, 0]], "no input map"), ([1, 1], "2-D"), ([[2]], "0/1"),
     ([[]], "non-empty")],
)
def test_bad_tables_raise(table, message):
    with pytest.raises(ValueError, match=message):
        table_conv_params(3, table)


def test_extended_sizes_of_padding_and_the_classic_layers():
    pad = keras.layers.ZeroPadding2D(((1, 2), (0, 3)))
    assert extended_layer_sizes(pad, (5, 6, 2)) == ((8, 9, 2), 0, 0)
    assert pad.compute_output_shape((None, 5, 6, 2))[1:] == (8, 9, 2)
    model = keras.Sequential([
        keras.Input((14, 14, 6)),
        TableConv2D(lenet5_c3_table(), 5),
        Subsampling2D(2),
        keras.layers.Flatten(),
        EuclideanRBF(10),
    ])
    rows = extended_layer_table(model)
    assert rows == [
        (model.layers[0].name, (10, 10, 16), 1516, 150_000),
        (model.layers[1].name, (5, 5, 16), 32, 400),
        (model.layers[2].name, (400,), 0, 0),
        (model.layers[3].name, (10,), 4000, 4000),
    ]
    for (_, shape, params, _), layer in zip(rows, model.layers):
        assert shape == tuple(layer.output.shape[1:])
        assert params == layer.count_params()
    # everything else is what layer_sizes says
    small = small_convnet()
    assert extended_layer_table(small) == layer_table(small)
    with pytest.raises(ValueError, match="dilation"):
        extended_layer_sizes(keras.layers.Conv2D(4, 3, dilation_rate=2),
                             (10, 10, 3))


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
    built(layer, (None, h, w, d))
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
    def two_paths():
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
        return keras.Model(inputs, keras.layers.Dense(3)(x))

    model = shapes_only(two_paths)  # only its graph is looked at
    assert network_depth(model) == max(short, long) + 1
    # every layer: the input, the longer branch (two layers a step on the
    # long one), the concatenation, the pooling and the Dense layer
    assert network_depth(model, counted=None) == (
        1 + max(short, 2 * long) + 3)


# --- receptive fields (chapter 10) ----------------------------------------


def measured_field(specs, width):
    """Input positions that reach the first unit of a Conv1D/MaxPooling1D
    stack, found with impulses (one input per position) and all-ones
    filters, as chapter 2 measures fields."""
    layers = [keras.Input((width, 1))]
    for kind, f, s in specs:
        if kind == "conv":
            layers.append(
                keras.layers.Conv1D(
                    1, f, strides=s, use_bias=False,
                    kernel_initializer="ones",
                )
            )
        else:
            layers.append(keras.layers.MaxPooling1D(f, strides=s))
    model = keras.Sequential(layers)
    impulses = np.eye(width, dtype="float32")[..., None]
    out = keras.ops.convert_to_numpy(model(impulses))
    return np.flatnonzero(out[:, 0, 0] > 0)


@FEW
@given(
    specs=st.lists(
        st.tuples(
            st.sampled_from(["conv", "max"]),
            st.integers(1, 7),
            st.integers(1, 3),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_receptive_field_matches_impulses(specs):
    size = receptive_field_size([f for _, f, _ in specs],
                                strides=[s for _, _, s in specs])
    # Wide enough for every layer to have at least one output.
    width = size + sum(f for _, f, _ in specs) * 27
    seen = measured_field(specs, width)
    assert (seen.min(), seen.max()) == (0, size - 1)  # the span
    if all(s <= f for _, f, s in specs):  # no window skips an input
        assert seen.tolist() == list(range(size))


def test_receptive_field_of_the_source_text_model():
    # Conv1D(7), MaxPooling1D(5), Conv1D(7): 7, then 4 more, then 6 x 5.
    assert receptive_field_size([7, 5, 7], strides=[1, 5, 1]) == 41
    assert receptive_field_size([]) == 1
    assert receptive_field_size([3] * 4) == 9


# --- Chapter 9: depthwise, separable, grouped and dilated convolutions ---

from cnnbook.sizing import (  # noqa: E402
    depthwise_multiplies,
    depthwise_params,
    dilated_size,
    layer_counts,
    model_counts,
    separable_multiplies,
    separable_params,
)


def _kernel_multiplies(layer, h_out, w_out):
    """Multiplies of a conv-like layer: its kernel weights times positions."""
    return sum(
        int(np.prod(w.shape)) for w in layer.weights if len(w.shape) == 4
    ) * h_out * w_out


@FEW
@given(
    h=sizes,
    f=kernels,
    s=strides,
    padding=paddings,
    d_in=st.integers(1, 8),
    m=st.integers(1, 3),
    d_out=st.integers(1, 8),
    bias=st.booleans(),
)
def test_depthwise_and_separable_against_keras(
    h, f, s, padding, d_in, m, d_out, bias
):
    if padding == "valid":
        assume(h >= f)
    shape = (None, h, h, d_in)
    depthwise = keras.layers.DepthwiseConv2D(
        f, strides=s, padding=padding, depth_multiplier=m, use_bias=bias
    )
    built(depthwise, shape)
    h_out = keras_output_size(h, f, s, padding)
    assert depthwise.count_params() == depthwise_params(f, d_in, m, bias)
    assert depthwise_multiplies(f, d_in, h_out, h_out, m) == (
        _kernel_multiplies(depthwise, h_out, h_out)
    )
    separable = keras.layers.SeparableConv2D(
        d_out, f, strides=s, padding=padding, depth_multiplier=m,
        use_bias=bias,
    )
    built(separable, shape)
    assert separable.count_params() == separable_params(
        f, d_in, d_out, m, bias
    )
    # the pointwise step runs at the output positions too
    assert separable_multiplies(f, d_in, h_out, h_out, d_out, m) == (
        _kernel_multiplies(separable, h_out, h_out)
    )
    for layer in (depthwise, separable):
        out = layer.compute_output_shape(shape)
        got = layer_counts(layer, (h, h, d_in))
        assert got[0] == layer.count_params()
        assert got[1] == _kernel_multiplies(layer, out[1], out[2])


@FEW
@given(
    h=sizes,
    f=kernels,
    d=st.integers(1, 4),
    s=strides,
    padding=paddings,
    groups=st.sampled_from([1, 2, 4]),
    per_group_in=st.integers(1, 3),
    per_group_out=st.integers(1, 3),
    bias=st.booleans(),
)
def test_grouped_and_dilated_conv2d_against_keras(
    h, f, d, s, padding, groups, per_group_in, per_group_out, bias
):
    assume(d == 1 or s == 1)  # Keras: no dilation with a stride
    if padding == "valid":
        assume(h >= dilated_size(f, d))
    d_in, d_out = groups * per_group_in, groups * per_group_out
    layer = keras.layers.Conv2D(
        d_out, f, strides=s, padding=padding, dilation_rate=d,
        groups=groups, use_bias=bias,
    )
    shape = (None, h, h, d_in)
    built(layer, shape)
    out = layer.compute_output_shape(shape)
    assert layer.count_params() == grouped_conv_params(f, d_in, d_out, groups,
                                                  bias)
    mults = _kernel_multiplies(layer, out[1], out[2])
    assert grouped_conv_multiplies(f, d_in, out[1], out[2], d_out, groups) == (
        mults
    )
    assert layer_counts(layer, (h, h, d_in)) == (layer.count_params(), mults)


def test_grouped_and_depthwise_refuse_bad_arguments():
    with pytest.raises(ValueError, match="divides both"):
        grouped_conv_params(3, 16, 32, 3)
    with pytest.raises(ValueError, match="divides both"):
        grouped_conv_multiplies(3, 16, 4, 4, 30, 4)
    with pytest.raises(ValueError, match="at least 1"):
        grouped_conv_params(3, 16, 32, 0)
    with pytest.raises(ValueError, match="at least 1"):
        depthwise_params(3, 16, 0)
    with pytest.raises(ValueError, match="at least 1"):
        dilated_size(3, 0)


def test_depthwise_is_grouped_with_one_group_per_channel():
    assert grouped_conv_params(3, 32, 64, 32, True) == depthwise_params(
        3, 32, 2, True
    )


@FEW
@given(
    layers_=st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 4)),
        min_size=1,
        max_size=4,
    )
)
def test_receptive_field_by_impulse(layers_):
    """The extent of an all-ones stack's impulse response (stride 1)."""
    kernels_ = [f for f, _, _ in layers_]
    dilations = [d for _, _, d in layers_]
    field = receptive_field_size(kernels_, dilations=dilations)
    size = 2 * field + 1
    x = np.zeros((1, size, size, 1), "float32")
    x[0, size // 2, size // 2] = 1
    for f, d in zip(kernels_, dilations):
        layer = keras.layers.Conv2D(
            1, f, dilation_rate=d, padding="same", use_bias=False,
            kernel_initializer="ones",
        )
        x = keras.ops.convert_to_numpy(layer(x))
    rows = np.flatnonzero(x[0, :, :, 0].any(axis=1))
    assert rows[-1] - rows[0] + 1 == field


def test_receptive_field_with_strides():
    # AlexNet-like: 11/4, then 3/2 pooling, then 5/1
    field = receptive_field_size([11, 3, 5], strides=[4, 2, 1])
    assert field == 11 + 2 * 4 + 4 * 8
    assert receptive_field_size([3] * 4, dilations=[1, 2, 4, 8]) == 31
    with pytest.raises(ValueError, match="one of each per layer"):
        receptive_field_size([3, 3], strides=[1])
    with pytest.raises(ValueError, match="at least 1"):
        receptive_field_size([3], strides=[0])


def test_layer_counts_batch_norm_and_unknown_layers():
    bn = keras.layers.BatchNormalization(scale=False)
    bn.build((None, 4, 4, 8))
    assert layer_counts(bn, (4, 4, 8)) == (bn.count_params(), 0)
    emb = keras.layers.Embedding(10, 4)
    emb.build((None, 3))
    with pytest.raises(ValueError, match="does not know"):
        layer_counts(emb, (3,))


def test_model_counts_on_a_small_model():
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.SeparableConv2D(8, 3, padding="same")(inputs)
    x = keras.layers.BatchNormalization()(x)
    y = keras.layers.Conv2D(8, 3, padding="same", groups=2)(x)
    x = keras.layers.Add()([x, y])
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(5)(x))
    params, mults = model_counts(model)
    assert params == model.count_params()
    expected = (
        separable_multiplies(3, 3, 16, 16, 8)
        + grouped_conv_multiplies(3, 8, 16, 16, 8, 2)
        + 8 * 5
    )
    assert mults == expected
# --- Transposed convolutions (Chapter 12) ---------------------------------

from cnnbook.sizing import (  # noqa: E402
    keras_transposed_output_size,
    transposed_output_size,
)

output_paddings = st.one_of(st.none(), st.integers(0, 3))


@MANY
@given(
    h=st.integers(1, 20),
    w=st.integers(1, 20),
    f_h=kernels,
    f_w=kernels,
    s_h=strides,
    s_w=strides,
    padding=paddings,
    a=output_paddings,
    d_out=st.integers(1, 4),
)
def test_transposed_sizes_match_conv2d_transpose(
    h, w, f_h, f_w, s_h, s_w, padding, a, d_out
):
    assume(a is None or a < min(s_h, s_w))
    layer = keras.layers.Conv2DTranspose(
        d_out, (f_h, f_w), strides=(s_h, s_w), padding=padding,
        output_padding=a,
    )
    shape = tuple(layer.compute_output_shape((None, h, w, 3)))
    if min(shape[1:3]) < 1:  # Keras allows an empty output; we refuse it
        with pytest.raises(ValueError, match="removes more"):
            keras_transposed_output_size(h, f_h, s_h, padding, a)
            keras_transposed_output_size(w, f_w, s_w, padding, a)
        return
    h_out = keras_transposed_output_size(h, f_h, s_h, padding, a)
    w_out = keras_transposed_output_size(w, f_w, s_w, padding, a)
    assert shape == (None, h_out, w_out, d_out)


@pytest.mark.parametrize(
    "w, f, s, padding, a",
    [(3, 3, 2, "valid", None), (4, 3, 2, "same", 1), (5, 4, 3, "same", None),
     (2, 2, 3, "valid", None), (3, 5, 2, "same", 0)],
)
def test_transposed_sizes_match_a_real_output(w, f, s, padding, a):
    layer = keras.layers.Conv2DTranspose(
        2, f, strides=s, padding=padding, output_padding=a)
    out = keras.ops.convert_to_numpy(layer(np.ones((1, w, w, 1), "float32")))
    size = keras_transposed_output_size(w, f, s, padding, a)
    assert out.shape == (1, size, size, 2)


@MANY
@given(w=sizes, f=kernels, s=strides, p=st.integers(0, 3),
       a=st.integers(0, 3))
def test_transposed_size_inverts_the_convolution(w, f, s, p, a):
    assume(a < s and (w - 1) * s + f - 2 * p + a >= 1)
    width = transposed_output_size(w, f, s, p, a)
    assume(width + 2 * p >= f)
    assert conv_output_size(width, f, s, p, mode="floor") == w


@MANY
@given(w=sizes, f=kernels, s=strides, padding=paddings)
def test_keras_default_output_padding_inverts_keras_conv2d(w, f, s, padding):
    width = keras_transposed_output_size(w, f, s, padding)
    assert keras_output_size(width, f, s, padding) == w


@pytest.mark.parametrize(
    "args, message",
    [((0, 3, 1, 0, 0), "at least 1"), ((4, 0, 1, 0, 0), "at least 1"),
     ((4, 3, 0, 0, 0), "at least 1"), ((4, 3, 1, -1, 0), "at least 0"),
     ((4, 3, 2, 0, 2), "between 0 and S - 1 = 1"),
     ((4, 3, 2, 0, -1), "between 0"), ((1, 1, 1, 1, 0), "removes more")],
)
def test_transposed_output_size_says_what_is_wrong(args, message):
    with pytest.raises(ValueError, match=message):
        transposed_output_size(*args)


def test_keras_transposed_output_size_says_what_is_wrong():
    with pytest.raises(ValueError, match='"valid" or "same"'):
        keras_transposed_output_size(4, 3, 2, "full")
    with pytest.raises(ValueError, match="at least 1"):
        keras_transposed_output_size(4, 3, 0, "same")
    with pytest.raises(ValueError, match="between 0 and S - 1"):
        keras_transposed_output_size(4, 3, 2, "valid", 2)


@pytest.mark.parametrize(
    "layer",
    [
        keras.layers.Softmax(),
        keras.layers.Activation("softmax"),
        keras.layers.ReLU(),
        keras.layers.Dropout(0.5),
    ],
    ids=["Softmax", "Activation", "ReLU", "Dropout"],
)
def test_layer_sizes_counts_nothing_for_weightless_elementwise_layers(layer):
    assert layer_sizes(layer, (10,)) == ((10,), 0, 0)
