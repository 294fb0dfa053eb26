"""The classic ConvNets, built from their papers' layer tables (Chapter 7).

- :func:`lenet5`: LeNet-5 (LeCun et al., 1998), as published (partial
  connections in C3, trainable subsampling, RBF output) or in its modern
  form (ReLU, max pooling, full connections, softmax);
- :func:`alexnet`: AlexNet (Krizhevsky et al., 2012), with the paper's two
  GPU towers (``groups=2`` where the paper splits) or as one tower;
- :func:`zfnet`: ZFNet (Zeiler and Fergus, 2014);
- :func:`vgg`: VGG-11, -13, -16 and -19 (Simonyan and Zisserman, 2015).

Chapter 7 shows every function here line for line; the layers that Keras
lacks (:class:`TableConv2D`, :class:`Subsampling2D`, :class:`EuclideanRBF`)
are plumbing and live here only.
"""

from __future__ import annotations

import numpy as np

import keras
from keras import layers, ops

# LeNet-5's Table I: row i marks with X the C3 maps that S2's map i feeds.
LENET5_C3_ROWS = (
    "X...XXX..XXXX.XX",
    "XX...XXX..XXXX.X",
    "XXX...XXX..X.XXX",
    ".XXX..XXXX..X.XX",
    "..XXX..XXXX.XX.X",
    "...XXX..XXXX.XXX",
)

# VGG's Table 1: 3 x 3 convolutions per block, by depth (configurations A,
# B, D and E); the filters double from block to block, from 64 to 512,
# and stay at 512 in the fifth block.
VGG_BLOCKS = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2),
              16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}


@keras.saving.register_keras_serializable(package="cnnbook")
class TableConv2D(layers.Layer):
    """A "valid" convolution in which output map j sees only the input maps
    i with ``table[i][j]`` set (LeNet-5's C3).

    Only the connected F x F filters are weights, so ``count_params()``
    gives F F x (ones in the table) + one bias per output map.
    """

    def __init__(self, table, kernel_size, activation=None, **kwargs):
        super().__init__(**kwargs)
        table = np.asarray(table)
        if table.ndim != 2 or not np.isin(table, (0, 1)).all():
            raise ValueError(
                "table must be a 2-D array of 0/1 or booleans (input maps x "
                f"output maps), not one of shape {table.shape}"
            )
        if not table.any(axis=0).all():
            raise ValueError("every output map needs at least one input map")
        if int(kernel_size) != kernel_size or kernel_size < 1:
            raise ValueError(
                f"kernel_size must be a whole number >= 1, not {kernel_size}"
            )
        self.table = table.astype(bool).tolist()
        self.kernel_size = int(kernel_size)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        table = np.array(self.table)
        if input_shape[-1] != table.shape[0]:
            raise ValueError(
                f"the table has {table.shape[0]} rows, one per input map, "
                f"but the input has {input_shape[-1]} maps"
            )
        n, f = int(table.sum()), self.kernel_size
        # LeCun's uniform initialisation, with the mean fan-in of a map
        limit = (3.0 / (f * f * table.sum(axis=0).mean())) ** 0.5
        self.kernel = self.add_weight(
            shape=(f, f, n), name="kernel",
            initializer=keras.initializers.RandomUniform(-limit, limit),
        )
        self.bias = self.add_weight(
            shape=(table.shape[1],), name="bias", initializer="zeros"
        )
        # where each (input, output) filter sits in the kernel; n = a zero
        index = np.full(table.shape, n, dtype="int32")
        index[table] = np.arange(n)
        self.index = index

    def call(self, x):
        zero = ops.zeros((self.kernel_size, self.kernel_size, 1), x.dtype)
        filters = ops.concatenate([self.kernel, zero], axis=-1)
        full = ops.take(filters, self.index, axis=2)
        return self.activation(ops.conv(x, full) + self.bias)

    def compute_output_shape(self, input_shape):
        h, w = (None if n is None else n - self.kernel_size + 1
                for n in input_shape[1:3])
        return (input_shape[0], h, w, len(self.table[0]))

    def get_config(self):
        return {**super().get_config(), "table": self.table,
                "kernel_size": self.kernel_size,
                "activation": keras.activations.serialize(self.activation)}


@keras.saving.register_keras_serializable(package="cnnbook")
class Subsampling2D(layers.Layer):
    """LeNet-5's S2 and S4: each map's non-overlapping blocks are summed,
    multiplied by a trainable coefficient and shifted by a trainable bias
    (two parameters per map)."""

    def __init__(self, pool_size=2, activation=None, **kwargs):
        super().__init__(**kwargs)
        if int(pool_size) != pool_size or pool_size < 1:
            raise ValueError(
                f"pool_size must be a whole number >= 1, not {pool_size}"
            )
        self.pool_size = int(pool_size)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        depth = input_shape[-1]
        area = self.pool_size**2
        self.coefficient = self.add_weight(
            shape=(depth,), name="coefficient",
            initializer=keras.initializers.Constant(1.0 / area),
        )
        self.bias = self.add_weight(
            shape=(depth,), name="bias", initializer="zeros"
        )

    def call(self, x):
        p = self.pool_size
        sums = ops.average_pool(x, p, strides=p, padding="valid") * (p * p)
        return self.activation(sums * self.coefficient + self.bias)

    def compute_output_shape(self, input_shape):
        h, w = (None if n is None else n // self.pool_size
                for n in input_shape[1:3])
        return (input_shape[0], h, w, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size,
                "activation": keras.activations.serialize(self.activation)}


@keras.saving.register_keras_serializable(package="cnnbook")
class EuclideanRBF(layers.Layer):
    """LeNet-5's output layer: unit i outputs the penalty
    y_i = sum_j (x_j - w_ij)^2, the squared distance of its input to a
    fixed code of +-1 entries; the smallest penalty wins.

    The paper drew each code as a 7 x 12 bitmap of its character; here the
    codes are +-1 entries drawn with a fixed ``seed``. They are not
    trained (``trainable=False``), as in the paper.
    """

    def __init__(self, units, seed=0, **kwargs):
        super().__init__(**kwargs)
        if int(units) != units or units < 1:
            raise ValueError(f"units must be a whole number >= 1: {units}")
        self.units, self.seed = int(units), int(seed)

    def build(self, input_shape):
        rng = np.random.default_rng(self.seed)
        codes = rng.choice([-1.0, 1.0], size=(input_shape[-1], self.units))
        self.codes = self.add_weight(
            shape=codes.shape, name="codes", trainable=False,
            initializer=keras.initializers.Constant(0.0),
        )
        self.codes.assign(codes)

    def call(self, x):
        return ops.sum(ops.square(x[..., :, None] - self.codes), axis=-2)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "seed": self.seed}


# --- The builders, shown line for line in Chapter 7 ---------------------


def check_image_input(input_shape, num_classes, min_side, network):
    """Refuse an input shape or a number of classes a network cannot take.

    Chapter 7: ``input_shape`` is (rows, columns, channels), and both sides
    need at least ``min_side`` pixels for the layers of ``network`` to fit.
    """
    shape = tuple(input_shape)
    if len(shape) != 3 or not all(
        isinstance(n, (int, np.integer)) and n >= 1 for n in shape
    ):
        raise ValueError(
            f"{network}: input_shape must be (rows, columns, channels), "
            f"three whole numbers >= 1, not {input_shape!r}"
        )
    if min(shape[:2]) < min_side:
        raise ValueError(
            f"{network} needs images of at least {min_side} x {min_side} "
            f"pixels for its layers to fit, not {shape[0]} x {shape[1]}"
        )
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
        raise ValueError(
            f"{network}: num_classes must be a whole number >= 2, "
            f"not {num_classes!r}"
        )
    return shape


def shapes_only(build, *args, **kwargs):
    """``build(*args, **kwargs)`` without drawing its random initial
    weights (Chapter 7): Keras defers creating the weights of a model
    built inside a ``StatelessScope``, and ``clear_session`` drops the
    deferred ones. The model has its layers, shapes and parameter
    counts; it is for counting and drawing, not for training."""
    with keras.StatelessScope(initialize_variables=False):
        model = build(*args, **kwargs)
    keras.utils.clear_session(free_memory=False)
    return model


def lenet5_c3_table():
    """LeNet-5's Table I as a 6 x 16 array of 0/1 (Chapter 7): entry
    [i, j] is 1 when S2's map i feeds C3's map j."""
    return np.array([[int(c == "X") for c in row] for row in LENET5_C3_ROWS])


def scaled_tanh(x):
    """LeNet-5's squashing function, f(a) = 1.7159 tanh(2a/3) (Chapter 7)."""
    return 1.7159 * ops.tanh(2.0 * x / 3.0)


keras.saving.register_keras_serializable(package="cnnbook")(scaled_tanh)


def lenet5(version="modern", input_shape=None, num_classes=10):
    """LeNet-5 (LeCun et al., 1998), Chapter 7.

    ``version="paper"``: 32 x 32 inputs, scaled tanh, trainable
    subsampling (S2, S4), C3 partially connected by Table I, and an RBF
    output layer whose outputs are penalties (the smallest wins).
    ``version="modern"``: 28 x 28 inputs ("same" padding in C1 instead of
    padding the images to 32 x 32), ReLU, max pooling, full connections
    and a softmax output.
    """
    if version not in ("paper", "modern"):
        raise ValueError(
            f'version must be "paper" or "modern", not {version!r}'
        )
    paper = version == "paper"
    if input_shape is None:
        input_shape = (32, 32, 1) if paper else (28, 28, 1)
    check_image_input(input_shape, num_classes, 32 if paper else 28,
                      f"LeNet-5 ({version})")
    if paper:
        act = scaled_tanh
        body = [
            layers.Conv2D(6, 5, activation=act, name="C1"),
            Subsampling2D(2, activation=act, name="S2"),
            TableConv2D(lenet5_c3_table(), 5, activation=act, name="C3"),
            Subsampling2D(2, activation=act, name="S4"),
        ]
    else:
        act = "relu"
        body = [
            layers.Conv2D(6, 5, padding="same", activation=act, name="C1"),
            layers.MaxPooling2D(2, name="S2"),
            layers.Conv2D(16, 5, activation=act, name="C3"),
            layers.MaxPooling2D(2, name="S4"),
        ]
    head = [
        layers.Conv2D(120, 5, activation=act, name="C5"),
        layers.Flatten(name="flatten"),
        layers.Dense(84, activation=act, name="F6"),
        EuclideanRBF(num_classes, name="output") if paper
        else layers.Dense(num_classes, activation="softmax", name="output"),
    ]
    return keras.Sequential([keras.Input(input_shape), *body, *head],
                            name=f"lenet5_{version}")


def alexnet(towers=2, input_shape=(227, 227, 3), num_classes=1000):
    """AlexNet (Krizhevsky et al., 2012), Chapter 7.

    ``towers=2``: the paper's network, split over two GPUs; conv2, conv4
    and conv5 see only the maps of their own GPU (``groups=2``), conv3 and
    the dense layers see both. ``towers=1``: the same layers, unsplit. The
    paper's 224 x 224 crops only fit conv1 as 227 x 227 (see the chapter);
    local response normalisation is left out.
    """
    if towers not in (1, 2):
        raise ValueError(f"towers must be 1 or 2, not {towers!r}")
    check_image_input(input_shape, num_classes, 67, "AlexNet")
    conv = dict(padding="same", activation="relu")
    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1"),
        layers.MaxPooling2D(3, strides=2, name="pool1"),
        layers.Conv2D(256, 5, groups=towers, name="conv2", **conv),
        layers.MaxPooling2D(3, strides=2, name="pool2"),
        layers.Conv2D(384, 3, name="conv3", **conv),
        layers.Conv2D(384, 3, groups=towers, name="conv4", **conv),
        layers.Conv2D(256, 3, groups=towers, name="conv5", **conv),
        layers.MaxPooling2D(3, strides=2, name="pool5"),
        layers.Flatten(name="flatten"),
        layers.Dense(4096, activation="relu", name="fc6"),
        layers.Dropout(0.5, name="drop6"),
        layers.Dense(4096, activation="relu", name="fc7"),
        layers.Dropout(0.5, name="drop7"),
        layers.Dense(num_classes, activation="softmax", name="fc8"),
    ], name=f"alexnet_{towers}_tower")


def zfnet(input_shape=(224, 224, 3), num_classes=1000):
    """ZFNet (Zeiler and Fergus, 2014), Chapter 7: AlexNet's layers with a
    7 x 7, stride 2 first layer, a stride 2 second layer and no split.

    The paper does not give the paddings; these reproduce the map sizes of
    its Fig. 3: 110, 55, 26, 13, 13, 13, 13 and 6.
    """
    check_image_input(input_shape, num_classes, 53, "ZFNet")
    return keras.Sequential([
        keras.Input(input_shape),
        layers.ZeroPadding2D(1, name="pad1"),
        layers.Conv2D(96, 7, strides=2, activation="relu", name="conv1"),
        layers.MaxPooling2D(3, strides=2, padding="same", name="pool1"),
        layers.Conv2D(256, 5, strides=2, activation="relu", name="conv2"),
        layers.MaxPooling2D(3, strides=2, padding="same", name="pool2"),
        layers.Conv2D(384, 3, padding="same", activation="relu",
                      name="conv3"),
        layers.Conv2D(384, 3, padding="same", activation="relu",
                      name="conv4"),
        layers.Conv2D(256, 3, padding="same", activation="relu",
                      name="conv5"),
        layers.MaxPooling2D(3, strides=2, name="pool5"),
        layers.Flatten(name="flatten"),
        layers.Dense(4096, activation="relu", name="fc6"),
        layers.Dropout(0.5, name="drop6"),
        layers.Dense(4096, activation="relu", name="fc7"),
        layers.Dropout(0.5, name="drop7"),
        layers.Dense(num_classes, activation="softmax", name="fc8"),
    ], name="zfnet")


def vgg(depth=16, input_shape=(224, 224, 3), num_classes=1000,
        dense_units=4096):
    """VGG (Simonyan and Zisserman, 2015), Chapter 7: five blocks of 3 x 3
    "same" convolutions, each followed by 2 x 2 max pooling, then two dense
    layers of ``dense_units`` with dropout and a softmax. Layer names
    follow ``keras.applications``.
    """
    if depth not in VGG_BLOCKS:
        raise ValueError(
            f"depth={depth!r}: the builder makes VGG's configurations A, "
            f"B, D and E of Table 1, depths 11, 13, 16 and 19 (not C, "
            f"whose 16 layers include 1 x 1 convolutions, nor A-LRN)"
        )
    check_image_input(input_shape, num_classes, 32, f"VGG-{depth}")
    if not isinstance(dense_units, (int, np.integer)) or dense_units < 1:
        raise ValueError(
            f"dense_units must be a whole number >= 1, not {dense_units!r}"
        )
    model = keras.Sequential([keras.Input(input_shape)], name=f"vgg{depth}")
    filters = (64, 128, 256, 512, 512)
    for block, (n_convs, n) in enumerate(zip(VGG_BLOCKS[depth], filters)):
        for conv in range(n_convs):
            model.add(layers.Conv2D(
                n, 3, padding="same", activation="relu",
                name=f"block{block + 1}_conv{conv + 1}"))
        model.add(layers.MaxPooling2D(2, name=f"block{block + 1}_pool"))
    model.add(layers.Flatten(name="flatten"))
    for i in (1, 2):
        model.add(layers.Dense(dense_units, activation="relu", name=f"fc{i}"))
        model.add(layers.Dropout(0.5, name=f"drop{i}"))
    model.add(layers.Dense(num_classes, activation="softmax",
                           name="predictions"))
    return model
