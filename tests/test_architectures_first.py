"""Chapter 5's modern small ConvNet (cnnbook.architectures.first): its
layers, parameter count, output, schedule and argument checks."""

import keras
import numpy as np
import pytest
from keras import layers

from cnnbook.architectures.first import (
    build_modern_convnet,
    compile_modern,
    conv_bn_relu,
    residual_unit,
)

WIDTHS = (16, 32, 64, 128)


def conv_params(c_in, c_out):
    """A 3 x 3 convolution without bias and its batch norm (4 numbers a
    channel: scale, offset, running mean and variance)."""
    return 9 * c_in * c_out + 4 * c_out


def test_parameter_count_is_the_sum_of_its_blocks():
    model = build_modern_convnet((32, 32, 3), WIDTHS, layers.Identity())
    a, b, c, d = WIDTHS
    expected = (conv_params(3, a) + conv_params(a, b) + 2 * conv_params(b, b)
                + conv_params(b, c) + conv_params(c, d)
                + 2 * conv_params(d, d) + d * 10 + 10)
    assert model.count_params() == expected == 414_074  # chapter 5's count
    adds = [x for x in model.layers if isinstance(x, layers.Add)]
    pools = [x for x in model.layers if isinstance(x, layers.MaxPooling2D)]
    assert len(adds) == 2 and len(pools) == 3
    assert adds[-1].output.shape[1:] == (4, 4, d)
    norms = [x for x in model.layers
             if isinstance(x, layers.BatchNormalization)]
    assert {x.momentum for x in norms} == {0.9}
    assert not any(x.use_bias for x in model.layers
                   if isinstance(x, layers.Conv2D))


def test_outputs_are_probabilities_and_augmentation_is_applied():
    seen = []

    class Spy(layers.Layer):
        def call(self, x):
            seen.append(tuple(x.shape[1:]))
            return x

    model = build_modern_convnet((28, 28, 1), WIDTHS, Spy(), "digits")
    assert model.name == "digits" and seen == [(28, 28, 1)]
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    p = keras.ops.convert_to_numpy(model(x, training=False))
    assert p.shape == (3, 10)
    assert np.allclose(p.sum(axis=1), 1, atol=1e-5) and (p >= 0).all()


def test_residual_unit_adds_its_input():
    inputs = keras.Input((8, 8, 4))
    model = keras.Model(inputs, residual_unit(inputs, 4))
    for weights in model.trainable_weights:  # zero convolutions: y = 0
        if len(weights.shape) == 4:
            weights.assign(np.zeros(weights.shape, "float32"))
    x = np.random.default_rng(1).normal(size=(2, 8, 8, 4)).astype("float32")
    out = keras.ops.convert_to_numpy(model(x, training=False))
    # zero kernels, then BN (offset 0) and ReLU: the unit returns its input
    assert np.allclose(out, x, atol=1e-5)


def test_conv_bn_relu_keeps_the_size_and_is_non_negative():
    inputs = keras.Input((5, 7, 3))
    model = keras.Model(inputs, conv_bn_relu(inputs, 6))
    assert model.output.shape[1:] == (5, 7, 6)
    x = np.random.default_rng(2).normal(size=(2, 5, 7, 3)).astype("float32")
    assert (keras.ops.convert_to_numpy(model(x)) >= 0).all()


def test_schedule_warms_up_then_decays_to_zero():
    model = build_modern_convnet((16, 16, 3), (4, 4, 4, 4),
                                 layers.Identity())
    schedule = compile_modern(model, 100, peak=1e-2, weight_decay=0.01)
    rates = np.array([float(schedule(step)) for step in range(101)])
    assert int(rates.argmax()) == 15
    assert rates[0] == pytest.approx(1e-3) and rates.max() == (
        pytest.approx(1e-2))
    assert rates[100] < 1e-6 and (np.diff(rates[15:]) <= 1e-9).all()
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    assert model.optimizer.weight_decay == pytest.approx(0.01)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: build_modern_convnet((4, 4, 3), WIDTHS, layers.Identity()),
         ValueError, "sides >= 8"),
        (lambda: build_modern_convnet((32, 32), WIDTHS, layers.Identity()),
         ValueError, "(rows, columns, channels)"),
        (lambda: build_modern_convnet((32, 32, 3), (16, 32, 64),
                                      layers.Identity()),
         ValueError, "4 numbers of filters"),
        (lambda: build_modern_convnet((32, 32, 3), WIDTHS, "flip"),
         TypeError, "augmentation"),
        (lambda: build_modern_convnet((32, 32, 3), (16, 0, 64, 128),
                                      layers.Identity()),
         ValueError, "filters"),
        (lambda: build_modern_convnet((32, 32, 3), (16, 32.5, 64, 128),
                                      layers.Identity()),
         TypeError, "filters"),
        (lambda: residual_unit(keras.Input((8, 8, 4)), 8),
         ValueError, "filters must be 4"),
        (lambda: conv_bn_relu(keras.Input((8, 8, 4)), -1),
         ValueError, "filters"),
    ],
)
def test_builders_refuse_bad_arguments(call, error, words):
    with pytest.raises(error, match=None) as caught:
        call()
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"total_steps": 0}, ValueError, "total_steps"),
        ({"total_steps": 10.0}, TypeError, "total_steps"),
        ({"total_steps": 10, "peak": 0}, ValueError, "peak must be > 0"),
        ({"total_steps": 10, "weight_decay": -1}, ValueError,
         "weight_decay >= 0"),
    ],
)
def test_compile_modern_refuses_bad_arguments(kwargs, error, words):
    model = build_modern_convnet((8, 8, 1), (2, 2, 2, 2), layers.Identity())
    with pytest.raises(error) as caught:
        compile_modern(model, **kwargs)
    assert words in str(caught.value)
