"""The builders of cnnbook.architectures.modern against the papers' tables
and keras.applications.

Networks that are only counted and measured are built with
``shapes_only`` (no random initial weights drawn; the counts are the same,
``tests/test_architectures_classic.py`` proves it).
"""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook.architectures.modern import (
    DENSENET_LAYERS,
    GOOGLENET_INCEPTION,
    RESNET_LAYERS,
    PadChannels,
    bottleneck_block,
    check_whole,
    cifar_resnet,
    dense_block,
    densenet,
    googlenet,
    inception_module,
    resnet,
    residual_block,
    transition_layer,
)
from cnnbook.architectures.classic import shapes_only
from cnnbook.sizing import layer_table, network_depth, network_table

FEW = settings(max_examples=15, deadline=None)


def model_of(shape, block, *args, **kwargs):
    inputs = keras.Input(shape)
    return keras.Model(inputs, block(inputs, *args, **kwargs))


def totals(model):
    rows = network_table(model)
    return sum(r[2] for r in rows), sum(r[3] for r in rows)


# --- arguments ------------------------------------------------------------


@FEW
@given(value=st.integers(-5, 50), smallest=st.integers(0, 3))
def test_check_whole_accepts_whole_numbers_from_smallest(value, smallest):
    if value >= smallest:
        check_whole("n", value, smallest)
    else:
        with pytest.raises(ValueError, match=f">= {smallest}"):
            check_whole("n", value, smallest)


@pytest.mark.parametrize("value", [2.0, "3", True, None, np.float32(4)])
def test_check_whole_refuses_what_is_not_a_whole_number(value):
    with pytest.raises(ValueError, match="whole number"):
        check_whole("filters", value)


def test_check_whole_accepts_numpy_integers():
    check_whole("filters", np.int64(3))


# --- Inception --------------------------------------------------------------


def test_inception_module_textbook_example():
    naive = model_of((28, 28, 256), inception_module, 128, None, 192, None,
                     96, None)
    reduced = model_of((28, 28, 256), inception_module, 128, 64, 192, 64,
                       96, 64)
    assert naive.output.shape[-1] == 672
    assert reduced.output.shape[-1] == 480
    counts = [sum(r[3] for r in layer_table(m)) for m in (naive, reduced)]
    assert counts == [854_196_224, 271_351_808]
    assert [totals(m)[0] for m in (naive, reduced)] == [
        m.count_params() for m in (naive, reduced)]


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, 1, 1, 1, 1, 1), "filters_1x1=0"),
        ((1, -1, 1, 1, 1, 1), "reduce_3x3=-1.*or None"),
        ((1, 1, 1, 1, 1.5, 1), "filters_5x5=1.5"),
    ],
)
def test_inception_module_refuses_bad_filters(args, message):
    with pytest.raises(ValueError, match=message):
        model_of((8, 8, 4), inception_module, *args)


@pytest.fixture(scope="module")
def googlenet_model():
    return shapes_only(googlenet)


def test_googlenet_follows_table_1(googlenet_model):
    paper_maps = {"3a": 256, "3b": 480, "4a": 512, "4b": 512, "4c": 512,
                  "4d": 528, "4e": 832, "5a": 832, "5b": 1024}
    sides = {"3": 28, "4": 14, "5": 7}
    for module, filters in GOOGLENET_INCEPTION.items():
        shape = googlenet_model.get_layer(f"inception_{module}").output.shape
        assert shape[-1] == paper_maps[module] == sum(filters[i]
                                                      for i in (0, 2, 4, 5))
        assert shape[1:3] == (sides[module[0]],) * 2
    assert googlenet_model.output_names == ["main", "aux_4a", "aux_4d"]
    assert network_depth(googlenet_model) == 22


def test_googlenet_parameters(googlenet_model):
    assert googlenet_model.count_params() == 13_378_280
    params, mults = totals(googlenet_model)
    assert params == 13_378_280
    main = shapes_only(googlenet, auxiliary=False)
    assert main.count_params() == 6_998_552
    assert len(main.outputs) == 1
    assert 1.5e9 < totals(main)[1] < mults < 1.6e9


def test_googlenet_refuses_too_small_images_for_side_classifiers():
    with pytest.raises(ValueError, match="65 x 65"):
        googlenet((64, 64, 3))
    assert shapes_only(googlenet, (64, 64, 3), classes=10, auxiliary=False)
    with pytest.raises(ValueError, match="classes=0"):
        googlenet(classes=0)


# --- ResNet -----------------------------------------------------------------


def test_pad_channels_appends_zero_maps_and_round_trips():
    layer = PadChannels(3)
    x = np.arange(2 * 2 * 2 * 2, dtype="float32").reshape(2, 2, 2, 2)
    y = keras.ops.convert_to_numpy(layer(x))
    assert y.shape == (2, 2, 2, 5)
    assert np.array_equal(y[..., :2], x) and not y[..., 2:].any()
    clone = PadChannels.from_config(layer.get_config())
    assert clone.extra == 3
    with pytest.raises(ValueError, match="extra=-1"):
        PadChannels(-1)


def test_residual_block_shortcuts():
    shape = (16, 16, 8)
    identity = model_of(shape, residual_block, 8)
    assert identity.output.shape[1:] == shape
    assert "block_add" in [layer.name for layer in identity.layers]
    plain = model_of(shape, residual_block, 16, 2, residual=False)
    zeros = model_of(shape, residual_block, 16, 2, shortcut="padding")
    projection = model_of(shape, residual_block, 16, 2)
    assert "block_add" not in [layer.name for layer in plain.layers]
    assert plain.count_params() == zeros.count_params()
    assert projection.count_params() - zeros.count_params() == (
        (8 + 1) * 16 + 4 * 16)
    for model in (plain, zeros, projection):
        assert model.output.shape[1:] == (8, 8, 16)
    with pytest.raises(ValueError, match='"projection"'):
        model_of(shape, residual_block, 8, shortcut="identity")
    with pytest.raises(ValueError, match="strides=0"):
        model_of(shape, residual_block, 8, strides=0)


def test_padding_shortcut_carries_the_input():
    """With the residual branch silenced, a zero-map shortcut block
    returns ReLU of its subsampled input, padded with zeros."""
    model = model_of((4, 4, 2), residual_block, 4, 2, shortcut="padding")
    for layer in model.layers:
        if layer.name.endswith("_2_bn"):
            layer.gamma.assign(np.zeros(4))
    x = np.random.default_rng(0).normal(size=(1, 4, 4, 2)).astype("float32")
    y = keras.ops.convert_to_numpy(model(x, training=False))
    assert np.allclose(y[..., :2], np.maximum(x[:, ::2, ::2, :], 0),
                       atol=1e-5)
    assert not y[..., 2:].any()


def test_bottleneck_block_parameters():
    model = model_of((14, 14, 256), bottleneck_block, 64)
    convs = (256 * 64 + 64) + (9 * 64 * 64 + 64) + (64 * 256 + 256)
    batch_norms = 4 * (64 + 64 + 256)
    assert model.count_params() == convs + batch_norms
    assert model.output.shape[1:] == (14, 14, 256)
    widening = model_of((14, 14, 256), bottleneck_block, 128, 2)
    assert widening.output.shape[1:] == (7, 7, 512)
    assert "block_0_conv" in [layer.name for layer in widening.layers]


def test_basic_block_resnet_has_its_depth():
    model = shapes_only(resnet, 18)
    assert network_depth(model) == 18
    assert model.get_layer("conv5_block2_out").output.shape[1:] == (
        7, 7, 512)


def test_resnet50_matches_keras_applications():
    ours = shapes_only(resnet, 50)
    theirs = shapes_only(keras.applications.ResNet50, weights=None)
    assert ours.count_params() == theirs.count_params() == 25_636_712
    for stage, blocks in zip((2, 3, 4, 5), RESNET_LAYERS[50][1]):
        name = f"conv{stage}_block{blocks}_out"
        assert ours.get_layer(name).output.shape == (
            theirs.get_layer(name).output.shape)
    assert network_depth(ours) == 50
    params, mults = totals(ours)
    assert params == 25_636_712 and abs(mults / 1e9 - 3.8) < 0.1


@pytest.mark.parametrize("depth", [0, 20, 42, 51, "50"])
def test_resnet_refuses_depths_outside_table_1(depth):
    with pytest.raises(ValueError, match="18, 34, 50, 101, 152"):
        resnet(depth)


@pytest.mark.parametrize("depth, params", [(20, 271_786), (56, 859_114)])
def test_cifar_resnets_match_the_paper(depth, params):
    res = shapes_only(cifar_resnet, depth)
    plain = shapes_only(cifar_resnet, depth, residual=False)
    # the paper's Table 6: 0.27M and 0.85M parameters (BN's running
    # statistics included here)
    assert res.count_params() == plain.count_params() == params
    assert network_depth(res) == network_depth(plain) == depth
    assert totals(res) == totals(plain)
    assert res.name == f"resnet{depth}" and plain.name == f"plain{depth}"
    assert not any(layer.name.endswith("_add") for layer in plain.layers)


@pytest.mark.parametrize("depth", [7, 9, 21, 2, True, 20.0])
def test_cifar_resnet_refuses_depths_not_6n_plus_2(depth):
    with pytest.raises(ValueError, match="6n \\+ 2"):
        cifar_resnet(depth)


def test_cifar_resnet_weight_decay():
    model = cifar_resnet(8, weight_decay=1e-4)
    kernels = [layer.kernel_regularizer for layer in model.layers
               if isinstance(layer, (keras.layers.Conv2D,
                                     keras.layers.Dense))]
    assert all(np.isclose(reg.l2, 5e-5) for reg in kernels)
    assert cifar_resnet(8, weight_decay=0).losses == []
    with pytest.raises(ValueError, match="weight_decay"):
        cifar_resnet(8, weight_decay=-1)


# --- DenseNet ---------------------------------------------------------------


@FEW
@given(num_layers=st.integers(1, 6), k=st.integers(1, 8),
       k0=st.integers(1, 8))
def test_dense_block_connections_and_channels(num_layers, k, k0):
    model = shapes_only(model_of, (4, 4, k0), dense_block, num_layers, k,
                        name="d")
    names = {layer.name for layer in model.layers}
    connections = sum(
        len(model.get_layer(f"d_block{i}_in").input)
        if f"d_block{i}_in" in names else 1
        for i in range(1, num_layers + 1)
    )
    assert connections == num_layers * (num_layers + 1) // 2
    for i in range(1, num_layers + 1):
        maps = model.get_layer(f"d_block{i}_0_bn").input.shape[-1]
        assert maps == k0 + k * (i - 1)
    assert model.output.shape[-1] == k0 + num_layers * k


@pytest.mark.parametrize("growth_rate", [0, -4, 2.5])
def test_dense_block_refuses_bad_growth_rates(growth_rate):
    with pytest.raises(ValueError, match="12 to 48"):
        model_of((4, 4, 8), dense_block, 3, growth_rate)
    with pytest.raises(ValueError, match="12 to 48"):
        densenet(121, growth_rate=growth_rate)


@pytest.mark.parametrize("compression, maps", [(0.5, 10), (1, 20),
                                               (0.25, 5)])
def test_transition_layer(compression, maps):
    model = model_of((8, 8, 20), transition_layer, compression)
    assert model.output.shape[1:] == (4, 4, maps)


@pytest.mark.parametrize("compression", [0, -0.5, 1.5])
def test_transition_layer_refuses_bad_compression(compression):
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        model_of((8, 8, 20), transition_layer, compression)


def test_densenet121_matches_keras_applications():
    ours = shapes_only(densenet, 121)
    theirs = shapes_only(keras.applications.DenseNet121, weights=None)
    assert ours.count_params() == theirs.count_params() == 8_062_504
    names = ["pool1", "pool2_pool", "pool3_pool", "pool4_pool", "relu"]
    names += [f"conv{stage}_block{n}_concat"
              for stage, n in zip((2, 3, 4, 5), DENSENET_LAYERS[121])]
    for name in names:
        assert ours.get_layer(name).output.shape == (
            theirs.get_layer(name).output.shape)
    assert network_depth(ours) == 121
    assert totals(ours)[0] == 8_062_504


@pytest.mark.parametrize("depth", [100, 122, 161])
def test_densenet_refuses_depths_outside_table_1(depth):
    with pytest.raises(ValueError, match="121, 169, 201, 264"):
        densenet(depth)
