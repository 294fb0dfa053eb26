"""The classic networks of cnnbook.architectures.classic against their
papers' counts, keras.applications and the formulas of cnnbook.sizing.

A test that compares only shapes and counts builds its networks with
``shapes_only`` (no random initial weights drawn: VGG16 has 138 million);
``test_shapes_only_counts_like_a_full_build`` proves the counts the same.
"""

import keras
import numpy as np
import pytest

from cnnbook.architectures import classic
from cnnbook.architectures.classic import (
    EuclideanRBF,
    Subsampling2D,
    TableConv2D,
    shapes_only,
)
from cnnbook.sizing import extended_layer_table


def totals(model):
    """(parameters, multiplies) summed over the sizing table."""
    rows = extended_layer_table(model)
    return sum(r[2] for r in rows), sum(r[3] for r in rows)


# --- LeNet-5 ------------------------------------------------------------


def test_c3_table_is_the_papers_rule():
    table = classic.lenet5_c3_table()
    assert table.shape == (6, 16) and table.sum() == 60
    inputs = [set(np.flatnonzero(table[:, j])) for j in range(16)]
    for j in range(6):  # contiguous triples, then contiguous quadruples
        assert inputs[j] == {(j + k) % 6 for k in range(3)}
        assert inputs[6 + j] == {(j + k) % 6 for k in range(4)}
    assert inputs[12:15] == [{0, 1, 3, 4}, {1, 2, 4, 5}, {0, 2, 3, 5}]
    assert inputs[15] == set(range(6))


def test_lenet5_paper_counts():
    model = classic.lenet5("paper")
    counts = {layer.name: layer.count_params() for layer in model.layers}
    assert counts == {"C1": 156, "S2": 12, "C3": 1516, "S4": 32,
                      "C5": 48120, "flatten": 0, "F6": 10164, "output": 840}
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 60_000  # the paper's "60,000 trainable parameters"
    assert totals(model)[0] == model.count_params() == 60_840
    assert model.layers[-1].output.shape[1:] == (10,)


def test_lenet5_modern_counts_and_softmax():
    model = classic.lenet5()
    assert model.count_params() == totals(model)[0] == 61_706
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    p = keras.ops.convert_to_numpy(model(x))
    assert p.shape == (4, 10) and np.allclose(p.sum(axis=1), 1, atol=1e-5)


def test_table_conv_equals_a_masked_full_convolution():
    table = classic.lenet5_c3_table()
    layer = TableConv2D(table, 5)
    x = np.random.default_rng(1).normal(size=(2, 14, 14, 6)).astype("f4")
    got = keras.ops.convert_to_numpy(layer(x))
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    full = np.zeros((5, 5, 6, 16), "float32")
    full[:, :, table.astype(bool)] = kernel
    conv = keras.layers.Conv2D(16, 5)
    conv.build((None, 14, 14, 6))
    conv.set_weights([full, keras.ops.convert_to_numpy(layer.bias)])
    assert np.allclose(got, keras.ops.convert_to_numpy(conv(x)), atol=1e-4)
    assert layer.compute_output_shape((None, 14, 14, 6)) == (None, 10, 10, 16)


def test_subsampling_sums_blocks_then_scales_and_shifts():
    layer = Subsampling2D(2)
    x = np.arange(2 * 4 * 4 * 3, dtype="float32").reshape(2, 4, 4, 3)
    layer.build(x.shape)
    coefficient, bias = np.array([1.0, 2.0, -1.0]), np.array([0.5, 0, 1])
    layer.set_weights([coefficient, bias])
    sums = x.reshape(2, 2, 2, 2, 2, 3).sum(axis=(2, 4))
    expected = sums * coefficient + bias
    got = keras.ops.convert_to_numpy(layer(x))
    assert np.allclose(got, expected)
    assert layer.count_params() == 6


def test_rbf_outputs_squared_distances_to_fixed_codes():
    layer = EuclideanRBF(10, seed=3)
    x = np.random.default_rng(2).normal(size=(5, 84)).astype("float32")
    got = keras.ops.convert_to_numpy(layer(x))
    codes = keras.ops.convert_to_numpy(layer.codes)
    assert set(np.unique(codes)) == {-1.0, 1.0}
    assert not layer.trainable_weights and layer.count_params() == 840
    expected = ((x[:, :, None] - codes[None]) ** 2).sum(axis=1)
    assert np.allclose(got, expected, rtol=1e-5)
    same = EuclideanRBF(10, seed=3)
    same.build((None, 84))
    assert np.array_equal(keras.ops.convert_to_numpy(same.codes), codes)


def test_paper_lenet5_survives_a_keras_round_trip(tmp_path):
    model = classic.lenet5("paper")
    x = np.random.default_rng(4).random((3, 32, 32, 1)).astype("float32")
    path = tmp_path / "lenet5.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    assert np.allclose(keras.ops.convert_to_numpy(model(x)),
                       keras.ops.convert_to_numpy(again(x)), atol=1e-5)


# --- AlexNet, ZFNet ------------------------------------------------------


@pytest.mark.parametrize("towers, params, mults", [
    (2, 60_965_224, 724_406_816), (1, 62_378_344, 1_135_256_096)])
def test_alexnet_counts(towers, params, mults):
    model = shapes_only(classic.alexnet, towers)
    assert model.count_params() == params
    assert totals(model) == (params, mults)
    groups = {l.name: l.groups for l in model.layers if hasattr(l, "groups")}
    split = {"conv2", "conv4", "conv5"}
    assert groups == {n: towers if n in split else 1 for n in groups}
    assert model.get_layer("pool5").output.shape[1:] == (6, 6, 256)


def test_zfnet_map_sizes_follow_its_figure():
    model = shapes_only(classic.zfnet)
    sides = [model.get_layer(n).output.shape[1] for n in
             ("conv1", "pool1", "conv2", "pool2", "conv5", "pool5")]
    assert sides == [110, 55, 26, 13, 13, 6]
    assert model.count_params() == totals(model)[0] == 62_357_608


# --- VGG ----------------------------------------------------------------


def test_vgg16_matches_keras_applications_layer_by_layer():
    ours = shapes_only(classic.vgg, 16)
    keras_vgg = shapes_only(keras.applications.VGG16, weights=None)

    def shapes(model):
        return {layer.name: [tuple(w.shape) for w in layer.weights]
                for layer in model.layers if layer.weights}

    assert shapes(ours) == shapes(keras_vgg)
    assert ours.count_params() == keras_vgg.count_params() == 138_357_544


def test_vgg19_count():
    model = shapes_only(classic.vgg, 19)
    assert model.count_params() == totals(model)[0] == 143_667_240


@pytest.mark.parametrize("depth", [11, 13, 16, 19])
def test_vgg_depths_on_small_images(depth):
    model = shapes_only(classic.vgg, depth, (32, 32, 3), num_classes=10,
                        dense_units=64)
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)]
    assert len(convs) + len(dense) == depth
    expected, depth_in = 0, 3
    for layer in convs:
        expected += layer.filters * (9 * depth_in + 1)
        depth_in = layer.filters
    expected += (512 + 1) * 64 + (64 + 1) * 64 + (64 + 1) * 10
    assert model.count_params() == totals(model)[0] == expected


# --- Arguments are checked ----------------------------------------------


@pytest.mark.parametrize("build, message", [
    (lambda: classic.lenet5("1998"), '"paper" or "modern"'),
    (lambda: classic.lenet5("paper", (28, 28, 1)), "at least 32 x 32"),
    (lambda: classic.lenet5(input_shape=(20, 28, 1)), "at least 28 x 28"),
    (lambda: classic.lenet5(num_classes=1), "num_classes"),
    (lambda: classic.lenet5(input_shape=(28, 28)), "(rows, columns"),
    (lambda: classic.lenet5(input_shape=(28, 28, 1.5)), "whole numbers"),
    (lambda: classic.alexnet(3), "towers must be 1 or 2"),
    (lambda: classic.alexnet(input_shape=(66, 66, 3)), "at least 67"),
    (lambda: classic.zfnet(input_shape=(52, 52, 3)), "at least 53"),
    (lambda: classic.vgg(15), "11, 13, 16 and 19"),
    (lambda: classic.vgg(input_shape=(31, 31, 3)), "at least 32"),
    (lambda: classic.vgg(dense_units=0), "dense_units"),
    (lambda: TableConv2D([[0, 1], [0, 1]], 3), "at least one input"),
    (lambda: TableConv2D([[2, 1]], 3), "0/1"),
    (lambda: TableConv2D([[1, 1]], 0), "kernel_size"),
    (lambda: Subsampling2D(0), "pool_size"),
    (lambda: EuclideanRBF(0), "units"),
])
def test_bad_arguments_raise_and_say_what_is_allowed(build, message):
    with pytest.raises(ValueError, match=None) as error:
        build()
    assert message in str(error.value)


def test_smallest_inputs_build():
    for build, side in [(classic.alexnet, 67), (classic.zfnet, 53)]:
        model = shapes_only(build, input_shape=(side, side, 3),
                            num_classes=10)
        assert model.layers[-1].output.shape[1:] == (10,)
    model = classic.lenet5("paper", (32, 40, 1))
    assert model.get_layer("C5").output.shape[1:3] == (1, 3)


def test_table_rows_must_match_the_input_depth():
    layer = TableConv2D(classic.lenet5_c3_table(), 5)
    with pytest.raises(ValueError, match="6 rows"):
        layer.build((None, 14, 14, 5))


def test_shapes_only_counts_like_a_full_build():
    def build(width):
        return keras.Sequential([keras.Input((8, 8, 3)),
                                 keras.layers.Conv2D(width, 3),
                                 keras.layers.Flatten(),
                                 keras.layers.Dense(5)])

    full, counted = build(4), shapes_only(build, width=4)
    assert counted.count_params() == full.count_params() == (
        (3 * 3 * 3 + 1) * 4 + (6 * 6 * 4 + 1) * 5)
    assert [l.output.shape for l in counted.layers] == [
        l.output.shape for l in full.layers]
