"""Inception/GoogLeNet, ResNet and DenseNet, built from the papers' tables.

Chapter 8 shows every function here in full
(``tests/book/test_helpers_in_sync.py`` keeps the two copies identical).
The blocks take a Keras tensor and return one, so that they compose with
the functional API; the network builders return a ``keras.Model``. Every
builder checks its arguments and says what the paper allows.

Sources: Szegedy et al. (2015), *Going deeper with convolutions*, Table 1
and section 5 (GoogLeNet); He et al. (2016), *Deep residual learning for
image recognition*, Table 1 and section 4.2 (ResNets for ImageNet and
CIFAR-10); Huang et al. (2017), *Densely connected convolutional
networks*, Table 1 (DenseNet).
"""

from __future__ import annotations

import numbers

import keras
from keras import layers

# --------------------------------------------------------------------------
# The papers' tables
# --------------------------------------------------------------------------

# Szegedy et al. (2015), Table 1: for each Inception module the filters of
# its branches (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj).
GOOGLENET_INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}
# Section 5: the auxiliary classifiers sit on top of 4a and 4d, and their
# losses are added to the main loss with weight 0.3 during training.
GOOGLENET_AUXILIARY = ("4a", "4d")
AUXILIARY_LOSS_WEIGHT = 0.3

# He et al. (2016), Table 1: the block and the number of blocks in the
# stages conv2_x, conv3_x, conv4_x and conv5_x of the ImageNet ResNets.
RESNET_LAYERS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
BOTTLENECK_EXPANSION = 4  # a bottleneck block outputs 4x its 3x3 filters

# Huang et al. (2017), Table 1: layers in each of the four dense blocks.
DENSENET_LAYERS = {
    121: (6, 12, 24, 16),
    169: (6, 12, 32, 32),
    201: (6, 12, 48, 32),
    264: (6, 12, 64, 48),
}


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------


def check_whole(name, value, smallest=1, allowed=""):
    """Raise ``ValueError`` unless ``value`` is a whole number >= smallest.

    Chapter 8: every builder checks its filters, layers and depths with
    it; ``allowed`` adds what the paper uses to the message.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < smallest
    ):
        raise ValueError(
            f"{name}={value!r}: must be a whole number >= {smallest}"
            f"{allowed}"
        )


# --------------------------------------------------------------------------
# Inception
# --------------------------------------------------------------------------


def inception_module(
    x,
    filters_1x1,
    reduce_3x3,
    filters_3x3,
    reduce_5x5,
    filters_5x5,
    pool_proj,
    name="inception",
):
    """Four branches side by side, concatenated along the channels.

    Chapter 8 (Szegedy et al. 2015, figure 2): 1 x 1, 3 x 3 and 5 x 5
    convolutions and a 3 x 3 max pooling, all at stride 1 with "same"
    padding. ``reduce_3x3``, ``reduce_5x5`` and ``pool_proj`` are the
    1 x 1 convolutions that shrink the depth; None leaves one out (all
    three None: the naive module, whose pooling branch passes every input
    channel through).
    """
    for arg, value in [("filters_1x1", filters_1x1),
                       ("filters_3x3", filters_3x3),
                       ("filters_5x5", filters_5x5)]:
        check_whole(arg, value)
    for arg, value in [("reduce_3x3", reduce_3x3),
                       ("reduce_5x5", reduce_5x5), ("pool_proj", pool_proj)]:
        if value is not None:
            check_whole(arg, value, allowed=" (or None: no 1 x 1 layer)")

    def conv(y, filters, size, part):
        return layers.Conv2D(filters, size, padding="same",
                             activation="relu", name=f"{name}_{part}")(y)

    branch_1 = conv(x, filters_1x1, 1, "1x1")
    branch_3 = x if reduce_3x3 is None else conv(x, reduce_3x3, 1,
                                                 "3x3_reduce")
    branch_3 = conv(branch_3, filters_3x3, 3, "3x3")
    branch_5 = x if reduce_5x5 is None else conv(x, reduce_5x5, 1,
                                                 "5x5_reduce")
    branch_5 = conv(branch_5, filters_5x5, 5, "5x5")
    branch_pool = layers.MaxPooling2D(3, strides=1, padding="same",
                                      name=f"{name}_pool")(x)
    if pool_proj is not None:
        branch_pool = conv(branch_pool, pool_proj, 1, "pool_proj")
    return layers.Concatenate(name=name)(
        [branch_1, branch_3, branch_5, branch_pool])


def auxiliary_classifier(x, classes, name="aux"):
    """GoogLeNet's side classifier (Szegedy et al. 2015, section 5).

    Chapter 8: 5 x 5 average pooling at stride 3, 128 1 x 1 filters, a
    dense layer of 1,024 ReLU units, 70% dropout and a softmax.
    """
    check_whole("classes", classes)
    y = layers.AveragePooling2D(5, strides=3, name=f"{name}_pool")(x)
    y = layers.Conv2D(128, 1, activation="relu", name=f"{name}_conv")(y)
    y = layers.Flatten(name=f"{name}_flatten")(y)
    y = layers.Dense(1024, activation="relu", name=f"{name}_fc")(y)
    y = layers.Dropout(0.7, name=f"{name}_dropout")(y)
    return layers.Dense(classes, activation="softmax", name=name)(y)


def googlenet(input_shape=(224, 224, 3), classes=1000, auxiliary=True):
    """GoogLeNet from Table 1 of Szegedy et al. (2015) (Chapter 8).

    With ``auxiliary=True`` the model has three outputs: the main softmax
    and the two side classifiers on top of modules 4a and 4d, whose losses
    the paper weights by 0.3 (``AUXILIARY_LOSS_WEIGHT``). The local
    response normalisation of the paper's figure 3 is left out: Keras has
    no such layer, and it has no parameters.
    """
    check_whole("classes", classes)
    side = min(input_shape[:2])
    if auxiliary and side < 65:
        raise ValueError(
            f"input_shape={input_shape}: the side classifiers need at "
            f"least 5 x 5 maps after module 4a, so images of at least "
            f"65 x 65 pixels (224 x 224 in the paper); or auxiliary=False"
        )
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(64, 7, strides=2, padding="same", activation="relu",
                      name="conv1")(inputs)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    x = layers.Conv2D(64, 1, activation="relu", name="conv2_reduce")(x)
    x = layers.Conv2D(192, 3, padding="same", activation="relu",
                      name="conv2")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)
    side_outputs = []
    for module, filters in GOOGLENET_INCEPTION.items():
        if module in ("4a", "5a"):  # halve the maps between stages
            x = layers.MaxPooling2D(3, strides=2, padding="same",
                                    name=f"pool_before_{module}")(x)
        x = inception_module(x, *filters, name=f"inception_{module}")
        if auxiliary and module in GOOGLENET_AUXILIARY:
            side_outputs.append(
                auxiliary_classifier(x, classes, name=f"aux_{module}"))
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(0.4, name="dropout")(x)
    main = layers.Dense(classes, activation="softmax", name="main")(x)
    return keras.Model(inputs, [main, *side_outputs], name="googlenet")


# --------------------------------------------------------------------------
# ResNet
# --------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="cnnbook")
class PadChannels(layers.Layer):
    """Append ``extra`` channels of zeros (Chapter 8).

    The parameter-free shortcut of He et al. (option A): when a stage
    widens, the identity is padded with zero maps to the new depth.
    """

    def __init__(self, extra, **kwargs):
        super().__init__(**kwargs)
        check_whole("extra", extra, smallest=0)
        self.extra = extra

    def call(self, x):
        return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [0, self.extra]])

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.extra)

    def get_config(self):
        return {**super().get_config(), "extra": self.extra}


def residual_block(
    x,
    filters,
    strides=1,
    residual=True,
    shortcut="projection",
    regularizer=None,
    name="block",
):
    """Two 3 x 3 convolutions with batch normalisation, plus a shortcut.

    Chapter 8 (He et al. 2016, figure 2): out = ReLU(F(x) + x). Where the
    block changes the shape (``strides`` 2 or more filters) the shortcut
    is a 1 x 1 convolution (``"projection"``, option B of the paper) or
    the identity subsampled and padded with zero maps (``"padding"``,
    option A, no parameters). ``residual=False`` leaves the shortcut out:
    the plain block that the paper compares with.
    """
    check_whole("filters", filters)
    check_whole("strides", strides, allowed=" (1, or 2 to halve the maps)")
    if shortcut not in ("projection", "padding"):
        raise ValueError(
            f'shortcut={shortcut!r}: use "projection" (1 x 1 convolution) '
            f'or "padding" (zero maps, no parameters)'
        )
    options = dict(kernel_initializer="he_normal",
                   kernel_regularizer=regularizer)
    y = layers.Conv2D(filters, 3, strides=strides, padding="same",
                      name=f"{name}_1_conv", **options)(x)
    y = layers.BatchNormalization(name=f"{name}_1_bn")(y)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv",
                      **options)(y)
    y = layers.BatchNormalization(name=f"{name}_2_bn")(y)
    if residual:
        if strides != 1 or x.shape[-1] != filters:
            if shortcut == "projection":
                x = layers.Conv2D(filters, 1, strides=strides,
                                  name=f"{name}_0_conv", **options)(x)
                x = layers.BatchNormalization(name=f"{name}_0_bn")(x)
            else:
                x = layers.MaxPooling2D(1, strides=strides,
                                        name=f"{name}_0_subsample")(x)
                x = PadChannels(filters - x.shape[-1],
                                name=f"{name}_0_pad")(x)
        y = layers.Add(name=f"{name}_add")([x, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def bottleneck_block(x, filters, strides=1, name="block"):
    """1 x 1, 3 x 3 and 1 x 1 convolutions, plus a shortcut (Chapter 8).

    He et al. (2016), figure 5: the first 1 x 1 layer reduces the depth to
    ``filters``, the 3 x 3 layer works at that depth, the last 1 x 1 layer
    restores 4 x ``filters`` maps. The shortcut is the identity, or a
    projection (1 x 1 convolution and batch normalisation) where the
    shape changes. The stride sits on the first 1 x 1 layer, as in the
    authors' released models and ``keras.applications.ResNet50`` (the
    paper says only that a stage's first block downsamples).
    """
    check_whole("filters", filters)
    check_whole("strides", strides, allowed=" (1, or 2 to halve the maps)")
    out = BOTTLENECK_EXPANSION * filters
    shortcut = x
    if strides != 1 or x.shape[-1] != out:
        shortcut = layers.Conv2D(out, 1, strides=strides,
                                 name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_0_bn")(shortcut)
    y = layers.Conv2D(filters, 1, strides=strides, name=f"{name}_1_conv")(x)
    y = layers.BatchNormalization(name=f"{name}_1_bn")(y)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(y)
    y = layers.BatchNormalization(name=f"{name}_2_bn")(y)
    y = layers.Activation("relu", name=f"{name}_2_relu")(y)
    y = layers.Conv2D(out, 1, name=f"{name}_3_conv")(y)
    y = layers.BatchNormalization(name=f"{name}_3_bn")(y)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def resnet(depth=50, input_shape=(224, 224, 3), classes=1000):
    """An ImageNet ResNet from Table 1 of He et al. (2016) (Chapter 8).

    A 7 x 7 convolution and a max pooling, then four stages (conv2_x to
    conv5_x) of basic (depths 18, 34) or bottleneck (50, 101, 152) blocks
    with 64, 128, 256 and 512 filters; each later stage starts at stride
    2. Global average pooling and a softmax end it. Layer names follow
    ``keras.applications``, so the stage outputs can be compared by name.
    """
    if depth not in RESNET_LAYERS:
        raise ValueError(
            f"depth={depth!r}: He et al.'s Table 1 defines ResNets of "
            f"depth {', '.join(map(str, RESNET_LAYERS))}; for the CIFAR-10 "
            f"networks (6n + 2 layers) use cifar_resnet"
        )
    check_whole("classes", classes)
    kind, blocks = RESNET_LAYERS[depth]
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(64, 7, strides=2, padding="same",
                      name="conv1_conv")(inputs)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same",
                            name="pool1_pool")(x)
    for stage, (count, filters) in enumerate(
            zip(blocks, (64, 128, 256, 512)), start=2):
        for index in range(1, count + 1):
            strides = 2 if index == 1 and stage > 2 else 1
            name = f"conv{stage}_block{index}"
            if kind == "bottleneck":
                x = bottleneck_block(x, filters, strides, name=name)
            else:
                x = residual_block(x, filters, strides, name=name)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(classes, activation="softmax",
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"resnet{depth}")


def cifar_resnet(
    depth=20,
    residual=True,
    classes=10,
    weight_decay=1e-4,
    input_shape=(32, 32, 3),
):
    """The CIFAR-10 networks of He et al. (2016), section 4.2 (Chapter 8).

    A 3 x 3 convolution with 16 filters, then three stages of n basic
    blocks with 16, 32 and 64 filters on 32 x 32, 16 x 16 and 8 x 8 maps,
    global average pooling and a 10-way softmax: 6n + 2 weighted layers.
    The shortcuts are parameter free (option A), so that a residual net
    and its plain twin (``residual=False``) have the same parameters.
    ``weight_decay`` is the paper's 0.0001: an L2 penalty of half that
    on every kernel, whose gradient is 0.0001 times the weight.
    """
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral) \
            or depth < 8 or (depth - 2) % 6:
        raise ValueError(
            f"depth={depth!r}: the CIFAR-10 networks of He et al. have "
            f"6n + 2 layers with n >= 1 (8, 14, 20, 32, 44, 56, 110, ...)"
        )
    check_whole("classes", classes)
    if weight_decay < 0:
        raise ValueError(f"weight_decay={weight_decay}: must be >= 0")
    regularizer = (keras.regularizers.L2(weight_decay / 2)
                   if weight_decay else None)
    blocks = (depth - 2) // 6
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(16, 3, padding="same", kernel_initializer="he_normal",
                      kernel_regularizer=regularizer,
                      name="conv1_conv")(inputs)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    for stage, filters in enumerate((16, 32, 64), start=2):
        for index in range(1, blocks + 1):
            strides = 2 if index == 1 and stage > 2 else 1
            x = residual_block(x, filters, strides, residual=residual,
                               shortcut="padding", regularizer=regularizer,
                               name=f"conv{stage}_block{index}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(classes, activation="softmax",
                           kernel_regularizer=regularizer,
                           name="predictions")(x)
    kind = "resnet" if residual else "plain"
    return keras.Model(inputs, outputs, name=f"{kind}{depth}")


# --------------------------------------------------------------------------
# DenseNet
# --------------------------------------------------------------------------


def dense_block(x, num_layers, growth_rate, name="dense"):
    """Layers that each read everything before them (Chapter 8).

    Huang et al. (2017): layer i reads the concatenation of the block's
    input and the outputs of layers 1 to i - 1, and adds ``growth_rate``
    (k) maps of its own through BN-ReLU-1 x 1 conv (4k maps) and
    BN-ReLU-3 x 3 conv (k maps). The block returns its input and all the
    new maps, concatenated: k0 + L k channels.
    """
    check_whole("num_layers", num_layers)
    check_whole("growth_rate", growth_rate,
                allowed=" (the paper uses k = 12 to 48)")
    features = [x]
    for i in range(1, num_layers + 1):
        y = features[0] if i == 1 else layers.Concatenate(
            name=f"{name}_block{i}_in")(features)
        y = layers.BatchNormalization(name=f"{name}_block{i}_0_bn")(y)
        y = layers.Activation("relu", name=f"{name}_block{i}_0_relu")(y)
        y = layers.Conv2D(4 * growth_rate, 1, use_bias=False,
                          name=f"{name}_block{i}_1_conv")(y)
        y = layers.BatchNormalization(name=f"{name}_block{i}_1_bn")(y)
        y = layers.Activation("relu", name=f"{name}_block{i}_1_relu")(y)
        y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False,
                          name=f"{name}_block{i}_2_conv")(y)
        features.append(y)
    return layers.Concatenate(name=f"{name}_block{num_layers}_concat")(
        features)


def transition_layer(x, compression=0.5, name="transition"):
    """Between two dense blocks: BN-ReLU-1 x 1 conv, 2 x 2 average pooling.

    Chapter 8 (Huang et al. 2017): the 1 x 1 convolution keeps a fraction
    ``compression`` (theta) of the maps, the pooling halves their size.
    """
    if not 0 < compression <= 1:
        raise ValueError(
            f"compression={compression!r}: must be in (0, 1] "
            f"(1 keeps every map; DenseNet-BC uses 0.5)"
        )
    y = layers.BatchNormalization(name=f"{name}_bn")(x)
    y = layers.Activation("relu", name=f"{name}_relu")(y)
    y = layers.Conv2D(int(x.shape[-1] * compression), 1, use_bias=False,
                      name=f"{name}_conv")(y)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(y)


def densenet(
    depth=121,
    growth_rate=32,
    compression=0.5,
    input_shape=(224, 224, 3),
    classes=1000,
):
    """An ImageNet DenseNet-BC from Table 1 of Huang et al. (Chapter 8).

    A 7 x 7 convolution with 2k filters at stride 2 and a max pooling,
    four dense blocks with transition layers between them, then BN, ReLU,
    global average pooling and a softmax. Layer names at the ends of the
    stages follow ``keras.applications``.
    """
    if depth not in DENSENET_LAYERS:
        raise ValueError(
            f"depth={depth!r}: Huang et al.'s Table 1 defines DenseNets of "
            f"depth {', '.join(map(str, DENSENET_LAYERS))}"
        )
    check_whole("growth_rate", growth_rate,
                allowed=" (the paper uses k = 12 to 48)")
    check_whole("classes", classes)
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(2 * growth_rate, 7, strides=2, padding="same",
                      use_bias=False, name="conv1_conv")(inputs)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    blocks = DENSENET_LAYERS[depth]
    for stage, num_layers in enumerate(blocks, start=2):
        x = dense_block(x, num_layers, growth_rate, name=f"conv{stage}")
        if stage < 1 + len(blocks):
            x = transition_layer(x, compression, name=f"pool{stage}")
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(classes, activation="softmax",
                           name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"densenet{depth}")
