"""Efficient convolutions and the networks built from them (Chapter 9).

Depthwise separable convolutions (MobileNet v1 and Xception), inverted
residual blocks with linear bottlenecks (MobileNet v2), grouped
convolutions (ResNeXt) and squeeze-and-excitation. Chapter 9 shows every
function here line for line (``tests/book/test_helpers_in_sync.py`` keeps
the copies identical). The three whole networks have exactly the
parameter counts of ``keras.applications.MobileNet``, ``MobileNetV2`` and
``Xception`` (``weights=None``), and the same shape at the end of every
stage.
"""

from __future__ import annotations

import keras
from keras import layers


def require_positive(name, value, whole=False):
    """Refuse a size or multiplier that is not a positive number (or, with
    ``whole=True``, not a positive whole number), saying what is allowed.
    Chapter 9."""
    kind = "a whole number" if whole else "a number"
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and whole:
        ok = float(value).is_integer()
    if not ok or value <= 0:
        raise ValueError(
            f"{name} must be {kind} greater than 0, not {value!r}"
        )
    return int(value) if whole else value


def make_divisible(value, divisor=8):
    """Round a channel count to the nearest multiple of ``divisor``, never
    below ``divisor`` nor more than 10% below ``value`` (MobileNet v2's
    rule for scaled widths). Chapter 9."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def conv_bn_relu6(x, filters, kernel_size=3, strides=1, relu=True,
                  name="conv"):
    """Conv2D (no bias: the batch norm's offset plays its part), batch
    normalization and ReLU6 (left out with ``relu=False``). Chapter 9."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same",
                      use_bias=False, name=name)(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(6.0, name=f"{name}_relu")(x) if relu else x


def separable_block(x, filters, strides=1, depth_multiplier=1, name="sep"):
    """MobileNet v1's unit: a 3 x 3 depthwise convolution and a 1 x 1
    pointwise one, each followed by batch norm and ReLU6. Chapter 9."""
    depth_multiplier = require_positive(
        "depth_multiplier", depth_multiplier, whole=True
    )
    x = layers.DepthwiseConv2D(3, strides=strides, padding="same",
                               depth_multiplier=depth_multiplier,
                               use_bias=False, name=f"{name}_dw")(x)
    x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
    x = layers.ReLU(6.0, name=f"{name}_dw_relu")(x)
    return conv_bn_relu6(x, filters, 1, name=f"{name}_pw")


# MobileNet v1 (Howard et al. 2017, Table 1): (filters, stride) of the
# 13 depthwise separable units after the first, full convolution.
MOBILENET_UNITS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1),
                   (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


def mobilenet(alpha=1.0, depth_multiplier=1, input_shape=(224, 224, 3),
              classes=1000, dropout=1e-3):
    """MobileNet v1 with width multiplier ``alpha``. Chapter 9.

    The classifier is a 1 x 1 convolution on the pooled features, as in
    ``keras.applications.MobileNet``: a dense layer by another name.
    """
    alpha = require_positive("alpha (the width multiplier)", alpha)
    require_positive("depth_multiplier", depth_multiplier, whole=True)
    classes = require_positive("classes", classes, whole=True)
    inputs = keras.Input(input_shape)
    x = conv_bn_relu6(inputs, int(32 * alpha), 3, strides=2, name="conv1")
    for i, (filters, strides) in enumerate(MOBILENET_UNITS, start=1):
        x = separable_block(x, int(filters * alpha), strides,
                            depth_multiplier, name=f"unit{i}")
    x = layers.GlobalAveragePooling2D(keepdims=True)(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv2D(classes, 1, name="classifier")(x)
    outputs = layers.Activation("softmax")(layers.Flatten()(x))
    return keras.Model(inputs, outputs, name="mobilenet")


def inverted_residual(x, filters, strides=1, expansion=6, name="block"):
    """MobileNet v2's unit: expand with a 1 x 1 convolution (ReLU6), filter
    each channel with a 3 x 3 depthwise one (ReLU6), project back with a
    linear 1 x 1 (no activation: the linear bottleneck), and add the input
    when the shapes allow. Chapter 9."""
    expansion = require_positive("expansion", expansion, whole=True)
    d_in = x.shape[-1]
    y = x
    if expansion > 1:
        y = conv_bn_relu6(y, expansion * d_in, 1, name=f"{name}_expand")
    y = layers.DepthwiseConv2D(3, strides=strides, padding="same",
                               use_bias=False, name=f"{name}_dw")(y)
    y = layers.BatchNormalization(name=f"{name}_dw_bn")(y)
    y = layers.ReLU(6.0, name=f"{name}_dw_relu")(y)
    y = conv_bn_relu6(y, filters, 1, relu=False, name=f"{name}_project")
    if strides == 1 and d_in == filters:
        y = layers.Add(name=f"{name}_add")([x, y])
    return y


# MobileNet v2 (Sandler et al. 2018, Table 2): expansion t, output
# channels c, repeats n and first stride s of each bottleneck sequence.
MOBILENET_V2_SEQUENCES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                          (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                          (6, 320, 1, 1)]


def mobilenet_v2(alpha=1.0, input_shape=(224, 224, 3), classes=1000):
    """MobileNet v2 with width multiplier ``alpha``. Chapter 9."""
    alpha = require_positive("alpha (the width multiplier)", alpha)
    classes = require_positive("classes", classes, whole=True)
    inputs = keras.Input(input_shape)
    x = conv_bn_relu6(inputs, make_divisible(32 * alpha), 3, strides=2,
                name="conv1")
    block = 0
    for t, c, n, s in MOBILENET_V2_SEQUENCES:
        for i in range(n):
            x = inverted_residual(x, make_divisible(c * alpha),
                                  s if i == 0 else 1, t, name=f"b{block}")
            block += 1
    last = make_divisible(1280 * alpha) if alpha > 1.0 else 1280
    x = conv_bn_relu6(x, last, 1, name="conv_last")
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="mobilenet_v2")


def xception_unit(x, filters, name):
    """ReLU, 3 x 3 separable convolution (no bias), batch norm: the
    repeated piece of Xception. Chapter 9."""
    x = layers.ReLU(name=f"{name}_relu")(x)
    x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False,
                               name=name)(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x)


def xception_down(x, filters, name, relu_first=True):
    """Two separable units, 3 x 3 max pooling with stride 2, and a strided
    1 x 1 convolution on the shortcut. Chapter 9."""
    shortcut = layers.Conv2D(filters[1], 1, strides=2, padding="same",
                             use_bias=False, name=f"{name}_shortcut")(x)
    shortcut = layers.BatchNormalization(name=f"{name}_shortcut_bn")(shortcut)
    if relu_first:
        x = xception_unit(x, filters[0], f"{name}_sep1")
    else:  # the first block starts straight after a ReLU
        x = layers.SeparableConv2D(filters[0], 3, padding="same",
                                   use_bias=False, name=f"{name}_sep1")(x)
        x = layers.BatchNormalization(name=f"{name}_sep1_bn")(x)
    x = xception_unit(x, filters[1], f"{name}_sep2")
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    return layers.Add(name=f"{name}_add")([x, shortcut])


def xception(input_shape=(299, 299, 3), classes=1000, middle_blocks=8):
    """Xception: entry, middle and exit flows of separable convolutions
    with residual connections (Chollet 2017, Figure 5). Chapter 9."""
    classes = require_positive("classes", classes, whole=True)
    middle_blocks = require_positive("middle_blocks", middle_blocks, True)
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(32, 3, strides=2, use_bias=False, name="conv1")(inputs)
    x = layers.ReLU()(layers.BatchNormalization(name="conv1_bn")(x))
    x = layers.Conv2D(64, 3, use_bias=False, name="conv2")(x)
    x = layers.ReLU()(layers.BatchNormalization(name="conv2_bn")(x))
    x = xception_down(x, (128, 128), "entry1", relu_first=False)
    x = xception_down(x, (256, 256), "entry2")
    x = xception_down(x, (728, 728), "entry3")
    for i in range(middle_blocks):
        y = x
        for j in range(3):
            y = xception_unit(y, 728, f"middle{i + 1}_sep{j + 1}")
        x = layers.Add(name=f"middle{i + 1}_add")([x, y])
    x = xception_down(x, (728, 1024), "exit")
    for filters, name in ((1536, "exit_sep3"), (2048, "exit_sep4")):
        x = layers.SeparableConv2D(filters, 3, padding="same",
                                   use_bias=False, name=name)(x)
        x = layers.ReLU()(layers.BatchNormalization(name=f"{name}_bn")(x))
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="xception")


def resnext_block(x, filters, cardinality=32, width=4, strides=1,
                  name="resnext"):
    """ResNeXt's bottleneck block (Xie et al. 2017, Figure 3c): a 1 x 1
    convolution to C d channels, a 3 x 3 convolution in C groups of d, a
    1 x 1 convolution to ``filters``, plus the shortcut. Chapter 9."""
    cardinality = require_positive("cardinality", cardinality, whole=True)
    width = require_positive("width", width, whole=True)
    inner = cardinality * width
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=strides,
                                 use_bias=False, name=f"{name}_short")(x)
        shortcut = layers.BatchNormalization(
            name=f"{name}_short_bn")(shortcut)
    y = layers.Conv2D(inner, 1, use_bias=False, name=f"{name}_reduce")(x)
    y = layers.ReLU()(layers.BatchNormalization(name=f"{name}_r_bn")(y))
    y = layers.Conv2D(inner, 3, strides=strides, padding="same",
                      groups=cardinality, use_bias=False,
                      name=f"{name}_grouped")(y)
    y = layers.ReLU()(layers.BatchNormalization(name=f"{name}_g_bn")(y))
    y = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_expand")(y)
    y = layers.BatchNormalization(name=f"{name}_e_bn")(y)
    return layers.ReLU()(layers.Add(name=f"{name}_add")([shortcut, y]))


def squeeze_excite(x, ratio=16, name="se"):
    """Squeeze-and-excitation (Hu et al. 2018): average each channel over
    the map (squeeze), pass the C averages through a C/r bottleneck and a
    sigmoid (excite), and scale each channel by its weight. Chapter 9."""
    ratio = require_positive("ratio", ratio, whole=True)
    channels = x.shape[-1]
    if channels % ratio:
        raise ValueError(
            f"ratio={ratio} must divide the {channels} channels, so that "
            f"the bottleneck has a whole number of units"
        )
    s = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_sq")(x)
    s = layers.Dense(channels // ratio, activation="relu",
                     name=f"{name}_reduce")(s)
    s = layers.Dense(channels, activation="sigmoid", name=f"{name}_gate")(s)
    return layers.Multiply(name=f"{name}_scale")([x, s])


def stage_shapes(model):
    """The output shape at the end of each resolution stage of a model: the
    last layer output of every (rows, columns) size, in order. Chapter 9.
    """
    shapes = {}
    for layer in model.layers:
        if type(layer).__name__ in ("InputLayer", "ZeroPadding2D"):
            continue  # padding is a step inside a layer, not a stage
        shape = tuple(layer.output.shape[1:])
        if len(shape) == 3:
            shapes[shape[:2]] = shape
    return list(shapes.values())
