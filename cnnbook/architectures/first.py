"""The modern small ConvNet of chapter 5, and its optimizer.

Chapter 5 ("A modern small ConvNet") shows every function here in full
(``tests/book/test_helpers_in_sync.py`` keeps the two copies identical):
conv-batch norm-ReLU blocks with "same" padding, three pooled stages with
two residual units, a global average pooling head, and AdamW with a
warm-up and a cosine decay. Chapter 13 trains the same network on CIFAR-10
and looks inside it.

The argument checks come from :mod:`cnnbook._checks` (not taught).
"""

from __future__ import annotations

import keras
from keras import layers

from cnnbook._checks import whole


def conv_bn_relu(x, filters):
    """A 3 x 3 convolution ("same" padding, no bias), batch normalisation
    (momentum 0.9) and a ReLU, applied to the Keras tensor ``x``.

    Chapter 5: the building block of the modern small ConvNet.
    """
    whole(filters, "filters")
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(momentum=0.9)(x)
    return layers.ReLU()(x)


def residual_unit(x, filters):
    """Two conv-BN-ReLU blocks whose output is added to their input ``x``,
    which must have ``filters`` channels. Chapter 5."""
    whole(filters, "filters")
    if x.shape[-1] != filters:
        raise ValueError(
            f"a residual unit adds its input to its output: the input has "
            f"{x.shape[-1]} channels, so filters must be {x.shape[-1]}, "
            f"not {filters}"
        )
    y = conv_bn_relu(conv_bn_relu(x, filters), filters)
    return layers.Add()([x, y])


def build_modern_convnet(input_shape, widths, augmentation,
                         name="modern_convnet"):
    """Chapter 5's modern small ConvNet for 10 classes (a softmax output).

    A conv-BN-ReLU block of ``widths[0]`` filters, then three stages of a
    block of ``widths[1]``, ``widths[2]``, ``widths[3]`` filters and 2 x 2
    max pooling, with a residual unit after the first and the third stage;
    global average pooling and a dense classifier. ``augmentation`` (Keras
    layers, active only in training) is applied to the input first.
    ``input_shape`` is (rows, columns, channels), both sides at least 8.
    """
    shape = tuple(input_shape)
    if len(shape) != 3 or min(shape[:2]) < 8:
        raise ValueError(
            f"input_shape must be (rows, columns, channels) with both "
            f"sides >= 8 (three 2 x 2 poolings), not {input_shape!r}"
        )
    if len(widths) != 4:
        raise ValueError(
            f"widths must give 4 numbers of filters (the first block and "
            f"three stages), not {len(widths)}: {widths!r}"
        )
    if not callable(augmentation):
        raise TypeError(
            f"augmentation must be Keras layers (a callable; "
            f"keras.layers.Identity() for none), not {augmentation!r}"
        )
    inputs = keras.Input(shape=shape)
    x = augmentation(inputs)
    x = conv_bn_relu(x, widths[0])
    for stage, filters in enumerate(widths[1:]):
        x = conv_bn_relu(x, filters)
        x = layers.MaxPooling2D()(x)
        if stage != 1:  # residual blocks after stages 1 and 3
            x = residual_unit(x, filters)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=name)


def compile_modern(model, total_steps, peak=3e-3, weight_decay=0.05):
    """Compile ``model`` with AdamW and a schedule over ``total_steps``
    optimizer steps: a linear warm-up from ``peak / 10`` to ``peak`` over
    the first 15%, then a cosine decay to zero. Returns the schedule.

    Chapter 5: the loss is sparse categorical cross-entropy on the
    model's probabilities; the metric is accuracy.
    """
    whole(total_steps, "total_steps")
    if not peak > 0 or not weight_decay >= 0:
        raise ValueError(
            f"peak must be > 0 and weight_decay >= 0, not peak={peak!r}, "
            f"weight_decay={weight_decay!r}"
        )
    warmup = int(0.15 * total_steps)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak / 10, warmup_target=peak,
        warmup_steps=warmup, decay_steps=total_steps - warmup)
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=schedule,
                                         weight_decay=weight_decay),
        loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return schedule
