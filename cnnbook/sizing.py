"""Sizing formulas for ConvNets: output sizes, parameters, multiplications.

Chapter 3 derives every function here and shows it line for line
(``tests/test_helpers_in_sync.py`` keeps the two copies identical); later
chapters import them from here. Shapes follow Keras's ``channels_last``
layout: (rows, columns, channels), without the batch axis.
"""

from __future__ import annotations

import numpy as np


def conv_output_size(w, f, s=1, p=0, mode="exact"):
    """Width of a convolution's output: W' = (W - F + 2P)/S + 1.

    Chapter 3. With ``mode="exact"`` (the textbook's rule) a configuration
    where the filter does not fit a whole number of times is an error; with
    ``mode="floor"`` the leftover rows or columns are dropped, as Keras and
    TensorFlow do.
    """
    if min(w, f, s) < 1 or p < 0:
        raise ValueError(
            f"W={w}, F={f}, S={s}, P={p}: W, F and S must be at least 1 "
            f"and P at least 0"
        )
    span = w - f + 2 * p
    if span < 0:
        raise ValueError(
            f"W={w}, F={f}, P={p}: the filter is wider than the padded "
            f"input ({w + 2 * p}); use a smaller filter or more padding"
        )
    if mode not in ("exact", "floor"):
        raise ValueError(f'mode must be "exact" or "floor", not {mode!r}')
    if mode == "exact" and span % s:
        raise ValueError(
            f"W={w}, F={f}, S={s}, P={p} gives (W - F + 2P)/S + 1 = "
            f"{span / s + 1:g}, not a whole number: use a stride that "
            f"divides W - F + 2P = {span}, or change P or F "
            f'(mode="floor" drops the leftover, as Keras does)'
        )
    return span // s + 1


def pool_output_size(w, f, s=None, mode="exact"):
    """Width of a pooling layer's output: W' = (W - F)/S + 1.

    Chapter 3. The stride defaults to the pool size, as in Keras. Pooling
    uses no padding here, so this is the convolution formula with P = 0.
    """
    return conv_output_size(w, f, f if s is None else s, 0, mode)


def keras_output_size(w, f, s=1, padding="valid"):
    """Output width of a Keras Conv2D or pooling layer (Chapter 3).

    "valid" slides the window only where it fits and drops any leftover:
    floor((W - F)/S) + 1. "same" pads so that the output has ceil(W/S)
    positions, whatever the filter size.
    """
    if padding == "valid":
        return conv_output_size(w, f, s, 0, mode="floor")
    if padding == "same":
        return -(-w // s)
    raise ValueError(f'padding must be "valid" or "same", not {padding!r}')


def same_padding(w, f, s=1):
    """Zeros that Keras's "same" padding adds (before, after) on one axis.

    Chapter 3: the output has ceil(W/S) positions; the total padding is
    what the last window needs to fit, and when it is odd the extra zero
    goes after (at the bottom or on the right).
    """
    w_out = keras_output_size(w, f, s, "same")
    total = max((w_out - 1) * s + f - w, 0)
    return total // 2, total - total // 2


def conv_params(f, d_in, d_out, bias=True):
    """Parameters of a convolutional layer: D'(F F D + 1) (Chapter 3).

    ``f`` is the filter size, or a (rows, columns) pair for a rectangular
    filter such as 1 x 3. Without a bias each filter has F F D weights.
    """
    rows, cols = (f, f) if np.isscalar(f) else f
    return d_out * (rows * cols * d_in + int(bias))


def conv_multiplies(f, d_in, w_out, h_out, d_out):
    """Multiplications a convolutional layer makes: F F D x W' H' x D'.

    Chapter 3: each of the W' H' D' outputs is the dot product of a filter
    (F F D weights) with a patch of the input; the bias is an addition.
    """
    rows, cols = (f, f) if np.isscalar(f) else f
    return rows * cols * d_in * w_out * h_out * d_out


def layer_sizes(layer, input_shape):
    """(output shape, parameters, multiplies) of a Keras layer, by formula.

    Chapter 3. ``input_shape`` leaves out the batch axis (a list of shapes
    for Concatenate). Dense acts on the last axis, as a 1 x 1 convolution
    would; pooling and reshaping layers have no parameters or multiplies.
    """
    kind = type(layer).__name__
    if kind == "Conv2D" and (layer.dilation_rate, layer.groups) != ((1, 1), 1):
        kind = "Conv2D with dilation or groups"
    if kind == "Conv2D":
        (h, w, d), f = input_shape, layer.kernel_size
        h_out, w_out = (
            keras_output_size(n, k, s, layer.padding)
            for n, k, s in zip((h, w), f, layer.strides)
        )
        params = conv_params(f, d, layer.filters, layer.use_bias)
        mults = conv_multiplies(f, d, w_out, h_out, layer.filters)
        return (h_out, w_out, layer.filters), params, mults
    if kind == "Dense":
        *grid, d = input_shape
        positions = int(np.prod(grid))
        params = conv_params(1, d, layer.units, layer.use_bias)
        mults = conv_multiplies(1, d, positions, 1, layer.units)
        return (*grid, layer.units), params, mults
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        h, w, d = input_shape
        h_out, w_out = (
            keras_output_size(n, k, s, layer.padding)
            for n, k, s in zip((h, w), layer.pool_size, layer.strides)
        )
        return (h_out, w_out, d), 0, 0
    if kind in ("GlobalMaxPooling2D", "GlobalAveragePooling2D"):
        return (input_shape[-1],), 0, 0
    if kind == "Flatten":
        return (int(np.prod(input_shape)),), 0, 0
    if kind == "Concatenate":
        depth = sum(shape[-1] for shape in input_shape)
        return (*input_shape[0][:-1], depth), 0, 0
    if kind in ("Activation", "Dropout", "ReLU"):
        return tuple(input_shape), 0, 0
    raise ValueError(
        f"layer_sizes does not know layer {layer.name!r} ({kind}); it "
        f"handles Conv2D, Dense, pooling, Flatten, "
        f"Concatenate, Activation, ReLU and Dropout"
    )


def layer_table(model):
    """Rows (name, output shape, parameters, multiplies) for a Keras model.

    Chapter 3: each row comes from the formulas of the chapter, using only
    the layer's settings and the shape of the tensor that flows into it.
    """
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        if isinstance(layer.input, list):
            shape = [tuple(t.shape[1:]) for t in layer.input]
        else:
            shape = tuple(layer.input.shape[1:])
        rows.append((layer.name, *layer_sizes(layer, shape)))
    return rows


def network_layer_sizes(layer, input_shape):
    """(output shape, parameters, multiplies) of a layer of a modern network.

    Chapter 8 adds the layers that ``layer_sizes`` does not know. Batch
    normalisation keeps four numbers per channel (a learned scale and
    shift, a running mean and variance); like the papers, we count the
    multiplies of convolutions and dense layers only, not its one scaling
    per value. The sum of a residual connection, zero padding and the
    zero maps of a parameter-free shortcut (``PadChannels``) have neither.
    """
    kind = type(layer).__name__
    if kind == "BatchNormalization":
        per_channel = int(layer.scale) + int(layer.center) + 2
        return tuple(input_shape), per_channel * input_shape[-1], 0
    if kind == "Add":
        return tuple(input_shape[0]), 0, 0
    if kind == "ZeroPadding2D":
        (top, bottom), (left, right) = layer.padding
        h, w, d = input_shape
        return (h + top + bottom, w + left + right, d), 0, 0
    if kind == "PadChannels":
        *grid, d = input_shape
        return (*grid, d + layer.extra), 0, 0
    return layer_sizes(layer, input_shape)


def network_table(model):
    """Rows (name, output shape, parameters, multiplies) for a Keras model
    with branches: ``layer_table`` with ``network_layer_sizes`` (Chapter 8).
    """
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        if isinstance(layer.input, list):
            shape = [tuple(t.shape[1:]) for t in layer.input]
        else:
            shape = tuple(layer.input.shape[1:])
        rows.append((layer.name, *network_layer_sizes(layer, shape)))
    return rows


def network_depth(model):
    """Weighted layers on the longest path from the input to an output.

    Chapter 8: the depth the papers quote ("22 layers", "ResNet-50")
    counts the convolutional and dense layers one after the other. A
    shortcut's projection or a side classifier lies on a shorter path
    and does not add to it.
    """
    depth = {}
    for layer in model.layers:
        inputs = layer.input if isinstance(layer.input, list) else [
            layer.input]
        before = max((depth[id(t)] for t in inputs if id(t) in depth),
                     default=0)
        weighted = type(layer).__name__ in ("Conv2D", "Dense")
        depth[id(layer.output)] = before + int(weighted)
    return max(depth[id(t)] for t in model.outputs)
