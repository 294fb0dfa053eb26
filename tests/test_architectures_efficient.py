"""Chapter 9's builders against keras.applications and the papers.

Networks that are only counted and measured are built with
``shapes_only`` (no random initial weights drawn; the counts are the same,
``tests/test_architectures_classic.py`` proves it).
"""

import keras
import numpy as np
import pytest

from cnnbook.architectures import efficient
from cnnbook.architectures.efficient import (
    require_positive,
    inverted_residual,
    make_divisible,
    mobilenet,
    mobilenet_v2,
    resnext_block,
    separable_block,
    squeeze_excite,
    stage_shapes,
    xception,
)
from cnnbook.architectures.classic import shapes_only
from cnnbook.sizing import model_counts


def keras_app(name, **kwargs):
    """A keras.applications network, for counts and shapes only."""
    builder = getattr(keras.applications, name)
    return shapes_only(builder, weights=None, **kwargs)


BUILDERS = {"MobileNet": mobilenet, "MobileNetV2": mobilenet_v2,
            "Xception": xception}


@pytest.fixture(scope="module")
def built():
    """Each network once, ours and Keras's (building them is the slow
    part of these tests)."""
    return {name: (shapes_only(build), keras_app(name))
            for name, build in BUILDERS.items()}


@pytest.mark.parametrize(
    "name, expected",
    [("MobileNet", 4_253_864), ("MobileNetV2", 3_538_984),
     ("Xception", 22_910_480)],
)
def test_networks_match_keras_applications(built, name, expected):
    model, reference = built[name]
    assert model.count_params() == reference.count_params() == expected
    assert stage_shapes(model) == stage_shapes(reference)
    assert model_counts(model)[0] == expected


def test_width_multipliers_match_keras():
    assert shapes_only(mobilenet_v2, 1.3).count_params() == keras_app(
        "MobileNetV2", alpha=1.3
    ).count_params()
    ours = shapes_only(mobilenet, 0.75, depth_multiplier=2)
    assert ours.count_params() == keras_app(
        "MobileNet", alpha=0.75, depth_multiplier=2
    ).count_params()


def test_mult_adds_match_the_papers(built):
    assert round(model_counts(built["MobileNet"][0])[1] / 1e6) == 569
    assert int(model_counts(built["MobileNetV2"][0])[1] / 1e6) == 300
    half = shapes_only(mobilenet, 0.5)
    assert round(model_counts(half)[1] / 1e6, 1) == 149.5


def test_small_inputs_and_classes():
    model = mobilenet_v2(0.5, input_shape=(32, 32, 3), classes=10)
    assert model.output.shape[-1] == 10
    out = model(np.zeros((2, 32, 32, 3), "float32"))
    assert out.shape == (2, 10)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out).sum(1), 1,
                               rtol=1e-5)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: mobilenet(alpha=0), "alpha"),
        (lambda: mobilenet(alpha=-0.5), "greater than 0"),
        (lambda: mobilenet(alpha="big"), "a number"),
        (lambda: mobilenet(depth_multiplier=1.5), "whole number"),
        (lambda: mobilenet(depth_multiplier=0), "depth_multiplier"),
        (lambda: mobilenet_v2(alpha=0), "alpha"),
        (lambda: mobilenet(classes=0), "classes"),
        (lambda: xception(middle_blocks=0), "middle_blocks"),
    ],
)
def test_builders_refuse_bad_arguments(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_blocks_refuse_bad_arguments():
    x = keras.Input((8, 8, 16))
    with pytest.raises(ValueError, match="expansion"):
        inverted_residual(x, 16, expansion=0)
    with pytest.raises(ValueError, match="expansion"):
        inverted_residual(x, 16, expansion=2.5)
    with pytest.raises(ValueError, match="cardinality"):
        resnext_block(x, 16, cardinality=-1)
    with pytest.raises(ValueError, match="divide"):
        squeeze_excite(x, ratio=3)
    with pytest.raises(ValueError, match="ratio"):
        squeeze_excite(x, ratio=0)
    with pytest.raises(ValueError, match="depth_multiplier"):
        separable_block(x, 16, depth_multiplier=0)


def test_check_positive():
    assert require_positive("a", 2.0, whole=True) == 2
    assert require_positive("a", 0.25) == 0.25
    for bad in (0, -1, True, None, "1"):
        with pytest.raises(ValueError, match="greater than 0"):
            require_positive("a", bad)


@pytest.mark.parametrize("value", [3, 8, 12, 16.8, 22.4, 100, 1280 * 1.4])
def test_make_divisible(value):
    rounded = make_divisible(value)
    assert rounded % 8 == 0 and rounded >= 8
    assert rounded >= 0.9 * value and abs(rounded - value) <= 8


def test_inverted_residual_adds_only_when_shapes_match():
    x = keras.Input((8, 8, 16))
    same = keras.Model(x, inverted_residual(x, 16, name="same"))
    wider = keras.Model(x, inverted_residual(x, 24, name="wider"))
    strided = keras.Model(x, inverted_residual(x, 16, 2, name="strided"))
    kinds = lambda m: [type(layer).__name__ for layer in m.layers]  # noqa
    assert "Add" in kinds(same)
    assert "Add" not in kinds(wider) and "Add" not in kinds(strided)
    # the projection is linear: the block's last layer is a batch norm
    assert kinds(wider)[-1] == "BatchNormalization"


def test_resnext_block_weights():
    x = keras.Input((14, 14, 256))
    block = keras.Model(x, resnext_block(x, 256, cardinality=32, width=4))
    grouped = block.get_layer("resnext_grouped")
    assert grouped.groups == 32
    assert grouped.kernel.shape == (3, 3, 4, 128)
    assert model_counts(block)[0] == block.count_params()


def test_squeeze_excite_scales_channels():
    x = keras.Input((5, 5, 32))
    model = keras.Model(x, squeeze_excite(x, ratio=8))
    assert model.count_params() == 2 * 32 * 4 + 4 + 32
    image = np.random.default_rng(0).uniform(0.5, 1.5, size=(1, 5, 5, 32))
    out = keras.ops.convert_to_numpy(model(image.astype("float32")))
    gates = out / image
    # one gate per channel, the same at every position, between 0 and 1
    np.testing.assert_allclose(
        gates, np.broadcast_to(gates[:, :1, :1, :], gates.shape), rtol=1e-4
    )
    assert np.all((gates > 0) & (gates < 1))


def test_stage_shapes_skips_padding():
    x = keras.Input((9, 9, 3))
    y = keras.layers.ZeroPadding2D(1)(x)
    y = keras.layers.Conv2D(4, 3, strides=2)(y)
    assert stage_shapes(keras.Model(x, y)) == [(5, 5, 4)]


def test_module_docstring_names_the_chapter():
    assert "Chapter 9" in efficient.__doc__
