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


# --------------------------------------------------------------------------
# Chapter 9: depthwise, separable, grouped and dilated convolutions
# --------------------------------------------------------------------------


def depthwise_params(f, d_in, multiplier=1, bias=True):
    """Parameters of a depthwise convolution: D m (F F + 1) (Chapter 9).

    Each of the ``d_in`` input channels gets ``multiplier`` filters of its
    own, F x F x 1, so the layer has D m outputs and never mixes channels
    (Keras's ``DepthwiseConv2D``, ``depth_multiplier=m``).
    """
    if min(d_in, multiplier) < 1:
        raise ValueError(
            f"d_in={d_in}, multiplier={multiplier}: both must be whole "
            f"numbers of at least 1"
        )
    rows, cols = (f, f) if np.isscalar(f) else f
    return d_in * multiplier * (rows * cols + int(bias))


def depthwise_multiplies(f, d_in, w_out, h_out, multiplier=1):
    """Multiplications of a depthwise convolution: F F x W' H' x D m.

    Chapter 9: every output position of every one of the D m maps is the
    dot product of one F x F filter with a patch of one channel.
    """
    rows, cols = (f, f) if np.isscalar(f) else f
    return rows * cols * w_out * h_out * d_in * multiplier


def separable_params(f, d_in, d_out, multiplier=1, bias=True):
    """Parameters of a depthwise separable convolution (Chapter 9).

    A depthwise F x F step (D m filters, no bias) then a pointwise 1 x 1
    convolution from D m to D' channels with a bias, as Keras's
    ``SeparableConv2D``: D m F F + D m D' (+ D').
    """
    depthwise = depthwise_params(f, d_in, multiplier, bias=False)
    return depthwise + conv_params(1, d_in * multiplier, d_out, bias)


def separable_multiplies(f, d_in, w_out, h_out, d_out, multiplier=1):
    """Multiplications of a depthwise separable convolution (Chapter 9):
    the depthwise step's F F W' H' D m plus the pointwise step's
    D m W' H' D'."""
    depthwise = depthwise_multiplies(f, d_in, w_out, h_out, multiplier)
    pointwise = conv_multiplies(1, d_in * multiplier, w_out, h_out, d_out)
    return depthwise + pointwise


def grouped_params(f, d_in, d_out, groups, bias=True):
    """Parameters of a grouped convolution: D'(F F D/G + 1) (Chapter 9).

    The D input channels are split into G groups of D/G, and each group
    has D'/G filters that see only its own channels (ResNeXt; Keras's
    ``Conv2D(groups=G)``). G must divide both D and D'.
    """
    if groups < 1 or d_in % groups or d_out % groups:
        raise ValueError(
            f"groups={groups} must be a whole number of at least 1 that "
            f"divides both d_in={d_in} and d_out={d_out}"
        )
    return conv_params(f, d_in // groups, d_out, bias)


def grouped_multiplies(f, d_in, w_out, h_out, d_out, groups):
    """Multiplications of a grouped convolution: F F D/G x W' H' x D'
    (Chapter 9), G times fewer than the ungrouped layer."""
    grouped_params(f, d_in, d_out, groups)  # validates the groups
    return conv_multiplies(f, d_in // groups, w_out, h_out, d_out)


def dilated_size(f, d):
    """The span of an F-tap filter with dilation d: d (F - 1) + 1.

    Chapter 9: the taps sit d pixels apart, so a 3 x 3 filter with d = 2
    covers 5 x 5 pixels with 9 weights.
    """
    if min(f, d) < 1:
        raise ValueError(f"F={f}, d={d}: both must be at least 1")
    return d * (f - 1) + 1


def receptive_field_size(kernels, strides=None, dilations=None):
    """Receptive field of a stack of layers on the input (Chapter 9).

    Layer i adds (span_i - 1) times the product of the strides before it,
    where span_i = d_i (F_i - 1) + 1: r = 1 + sum_i (span_i - 1) J_i.
    ``strides`` and ``dilations`` default to 1 for every layer.
    """
    n = len(kernels)
    strides = [1] * n if strides is None else list(strides)
    dilations = [1] * n if dilations is None else list(dilations)
    if not len(strides) == len(dilations) == n:
        raise ValueError(
            f"{n} kernels, {len(strides)} strides and {len(dilations)} "
            f"dilations: give one of each per layer"
        )
    field, jump = 1, 1
    for f, s, d in zip(kernels, strides, dilations):
        if s < 1:
            raise ValueError(f"stride {s}: strides must be at least 1")
        field += (dilated_size(f, d) - 1) * jump
        jump *= s
    return field


def layer_counts(layer, input_shape):
    """(parameters, multiplies) of one Keras layer, by formula (Chapter 9).

    Adds this chapter's convolutions (Conv2D with groups or dilation,
    DepthwiseConv2D, SeparableConv2D); Dense and BatchNormalization are
    counted by Chapter 8's ``network_layer_sizes``, and layers without
    weights count zero. Multiplies are those of the convolutional and
    dense layers, the count the MobileNet paper calls mult-adds.
    """
    kind = type(layer).__name__
    *grid, d_in = input_shape
    if kind in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D"):
        f = layer.kernel_size
        h_out, w_out = (
            keras_output_size(n, dilated_size(k, d), s, layer.padding)
            for n, k, s, d in zip(grid, f, layer.strides, layer.dilation_rate)
        )
        bias = layer.use_bias
    if kind == "Conv2D":
        d_out, groups = layer.filters, layer.groups
        return (
            grouped_params(f, d_in, d_out, groups, bias),
            grouped_multiplies(f, d_in, w_out, h_out, d_out, groups),
        )
    if kind == "DepthwiseConv2D":
        m = layer.depth_multiplier
        return (
            depthwise_params(f, d_in, m, bias),
            depthwise_multiplies(f, d_in, w_out, h_out, m),
        )
    if kind == "SeparableConv2D":
        m, d_out = layer.depth_multiplier, layer.filters
        return (
            separable_params(f, d_in, d_out, m, bias),
            separable_multiplies(f, d_in, w_out, h_out, d_out, m),
        )
    if kind in ("Dense", "BatchNormalization"):
        return network_layer_sizes(layer, tuple(input_shape))[1:]
    if not layer.weights:
        return 0, 0
    raise ValueError(
        f"layer_counts does not know layer {layer.name!r} ({kind}); it "
        f"handles Conv2D, DepthwiseConv2D, SeparableConv2D, Dense, "
        f"BatchNormalization and layers without weights"
    )


def model_counts(model):
    """Total (parameters, multiplies) of a Keras model, by formula.

    Chapter 9: sums :func:`layer_counts` over the layers, each given the
    shape of the tensor that flows into it (the first input where a layer
    takes several, as Add and Concatenate do; they have no weights).
    """
    params = mults = 0
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        inputs = layer.input if isinstance(layer.input, list) else [
            layer.input
        ]
        p, m = layer_counts(layer, tuple(inputs[0].shape[1:]))
        params, mults = params + p, mults + m
    return params, mults
