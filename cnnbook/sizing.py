"""Sizing formulas for ConvNets: output sizes, parameters, multiplications,
receptive fields.

Chapter 3 derives the output sizes, parameters and multiplications and
shows them line for line; chapter 7 adds the classic networks' layers
(``extended_layer_sizes``, ``extended_layer_table``, grouped and partially
connected convolutions), chapter 8 the layers of modern networks
(``network_layer_sizes``, ``network_table``, ``network_depth``), chapter 9
depthwise, separable and dilated convolutions and the receptive field
(``receptive_field_size``, used on text in chapter 10), and chapter 12
transposed convolutions. Each is shown in its chapter
(``tests/book/test_helpers_in_sync.py`` keeps the copies identical); later
chapters import them from here. Shapes follow Keras's ``channels_last``
layout: (rows, columns, channels), without the batch axis. Chapter 3's
functions refuse bad arguments with a one-line call to a ``_check_...``
function defined at the end of this module.
"""

from __future__ import annotations

import numpy as np

from cnnbook import _checks


def conv_output_size(w, f, s=1, p=0, mode="exact"):
    """Width of a convolution's output: W' = (W - F + 2P)/S + 1.

    Chapter 3. With ``mode="exact"`` (the textbook's rule) a configuration
    where the filter does not fit a whole number of times is an error; with
    ``mode="floor"`` the leftover rows or columns are dropped, as Keras and
    TensorFlow do.
    """
    _check_sizes(w=w, f=f, s=s, p=p)
    span = w - f + 2 * p
    if span < 0:
        raise ValueError(
            f"f={f} is wider than the input w={w} padded with p={p} zeros "
            f"on each side ({w + 2 * p}): use a smaller filter or more "
            f"padding"
        )
    if mode not in ("exact", "floor"):
        raise ValueError(f'mode must be "exact" or "floor", not {mode!r}')
    if mode == "exact" and span % s:
        raise ValueError(
            f"w={w}, f={f}, s={s}, p={p} gives (W - F + 2P)/S + 1 = "
            f"{span / s + 1:g}, not a whole number: use a stride s that "
            f"divides W - F + 2P = {span}, or change p or f "
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
    _check_sizes(w=w, f=f, s=s)
    if padding == "valid":
        return conv_output_size(w, f, s, 0, mode="floor")
    if padding == "same":
        return -(-w // s)
    raise ValueError(f'padding must be "valid" or "same", not {padding!r}')


def same_padding(w, f, s=1):
    """Padding that Keras's "same" adds (before, after) on one axis: zeros
    for a convolution; a pooling layer leaves the padded positions out.

    Chapter 3: the output has ceil(W/S) positions; the total padding is
    what the last window needs to fit, and when it is odd the extra row
    or column goes after (at the bottom or on the right).
    """
    w_out = keras_output_size(w, f, s, "same")
    total = max((w_out - 1) * s + f - w, 0)
    return total // 2, total - total // 2


def conv_params(f, d_in, d_out, bias=True):
    """Parameters of a convolutional layer: D'(F F D + 1) (Chapter 3).

    ``f`` is the filter size, or a (rows, columns) pair for a rectangular
    filter such as 1 x 3. Without a bias each filter has F F D weights.
    """
    _check_sizes(f=f, d_in=d_in, d_out=d_out, bias=bias)
    rows, cols = (f, f) if np.isscalar(f) else f
    return d_out * (rows * cols * d_in + int(bias))


def conv_multiplies(f, d_in, w_out, h_out, d_out):
    """Multiplications a convolutional layer makes: F F D x W' H' x D'.

    Chapter 3: each of the W' H' D' outputs is the dot product of a filter
    (F F D weights) with a patch of the input; the bias is an addition.
    """
    _check_sizes(f=f, d_in=d_in, w_out=w_out, h_out=h_out, d_out=d_out)
    rows, cols = (f, f) if np.isscalar(f) else f
    return rows * cols * d_in * w_out * h_out * d_out


def layer_sizes(layer, input_shape):
    """(output shape, parameters, multiplies) of a Keras layer, by formula.

    Chapter 3. ``input_shape`` leaves out the batch axis (a list of shapes
    for Concatenate). Dense acts on the last axis, as a 1 x 1 convolution
    would; pooling and reshaping layers have no parameters or multiplies.
    """
    _check_layer_input(layer, input_shape)
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
        depth = input_shape[-1]
        return ((1, 1, depth) if layer.keepdims else (depth,)), 0, 0
    if kind == "Flatten":
        return (int(np.prod(input_shape)),), 0, 0
    if kind == "Concatenate":
        depth = sum(shape[-1] for shape in input_shape)
        return (*input_shape[0][:-1], depth), 0, 0
    if kind in ("Activation", "Dropout", "ReLU", "Softmax"):
        return tuple(input_shape), 0, 0
    raise ValueError(
        f"layer_sizes does not know layer {layer.name!r} ({kind}); it "
        f"handles Conv2D, Dense, pooling, Flatten, "
        f"Concatenate, Activation, ReLU, Softmax and Dropout"
    )


def layer_table(model, sizes=layer_sizes):
    """Rows (name, output shape, parameters, multiplies) for a Keras model.

    Chapter 3: each row comes from the formulas of the chapter, using only
    the layer's settings and the shape of the tensor that flows into it.
    Later chapters pass their own ``sizes`` for the layers they add.
    """
    _check_model(model)
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        if isinstance(layer.input, list):
            shape = [tuple(t.shape[1:]) for t in layer.input]
        else:
            shape = tuple(layer.input.shape[1:])
        rows.append((layer.name, *sizes(layer, shape)))
    return rows


# --- Chapter 7: grouped and partially connected layers ------------------


def grouped_conv_params(f, d_in, d_out, groups=1, bias=True):
    """Parameters of a grouped convolution: D'(F F D/G + 1) (Chapter 7).

    The input maps and the filters are split into G groups, and each
    filter sees only the D/G maps of its own group, as AlexNet's layers
    split between two GPUs. ``groups=1`` is the convolution of Chapter 3.
    """
    if int(groups) != groups or groups < 1 or d_in % groups or d_out % groups:
        raise ValueError(
            f"groups={groups}: the number of groups must be a whole number "
            f"of at least 1 that divides both the input depth D={d_in} and "
            f"the number of filters D'={d_out}"
        )
    return conv_params(f, d_in // groups, d_out, bias)


def grouped_conv_multiplies(f, d_in, w_out, h_out, d_out, groups=1):
    """Multiplications of a grouped convolution: F F (D/G) x W' H' x D'.

    Chapter 7: every weight is used once at each of the W' H' output
    positions, so the count is the number of weights times W' H'.
    """
    weights = grouped_conv_params(f, d_in, d_out, groups, bias=False)
    return weights * w_out * h_out


def table_conv_params(f, table, bias=True):
    """Parameters of a partially connected convolution (Chapter 7).

    ``table[i][j]`` is 1 (or True) when input map i feeds output map j, as
    in LeNet-5's layer C3. Each connection has its own F x F filter and
    each output map one bias: F F x (ones in the table) + D'.
    """
    table = np.asarray(table)
    if table.ndim != 2 or table.size == 0 or not np.isin(table, (0, 1)).all():
        raise ValueError(
            f"table must be a non-empty 2-D array of 0/1 or booleans "
            f"(input maps x output maps), not one of shape {table.shape}"
        )
    unfed = np.flatnonzero(table.sum(axis=0) == 0)
    if unfed.size:
        raise ValueError(
            f"output maps {unfed.tolist()} have no input map: every column "
            f"of the table needs at least one 1"
        )
    rows, cols = (f, f) if np.isscalar(f) else f
    return int(rows * cols * table.sum() + int(bias) * table.shape[1])


def table_conv_multiplies(f, table, w_out, h_out):
    """Multiplications of a partially connected convolution (Chapter 7):
    its weights, F F x (ones in the table), each used at W' H' positions.
    """
    return table_conv_params(f, table, bias=False) * w_out * h_out


def extended_layer_sizes(layer, input_shape):
    """(output shape, parameters, multiplies) of a layer, by formula.

    Chapter 7: :func:`layer_sizes` and, in addition, the layers of the
    classic networks: grouped Conv2D (AlexNet), ZeroPadding2D (ZFNet) and
    LeNet-5's partially connected convolution, trainable subsampling (one
    coefficient and one bias per map, one multiply per output) and RBF
    output layer (one squared difference per weight).
    """
    kind = type(layer).__name__
    grouped = kind == "Conv2D" and layer.groups > 1
    if grouped and layer.dilation_rate == (1, 1):
        (h, w, d), f = input_shape, layer.kernel_size
        h_out, w_out = (
            keras_output_size(n, k, s, layer.padding)
            for n, k, s in zip((h, w), f, layer.strides)
        )
        n, groups = layer.filters, layer.groups
        params = grouped_conv_params(f, d, n, groups, layer.use_bias)
        mults = grouped_conv_multiplies(f, d, w_out, h_out, n, groups)
        return (h_out, w_out, n), params, mults
    if kind == "TableConv2D":
        (h, w, _), f = input_shape, layer.kernel_size
        h_out, w_out = h - f + 1, w - f + 1
        params = table_conv_params(f, layer.table)
        mults = table_conv_multiplies(f, layer.table, w_out, h_out)
        return (h_out, w_out, len(layer.table[0])), params, mults
    if kind == "Subsampling2D":
        (h, w, d), f = input_shape, layer.pool_size
        h_out, w_out = keras_output_size(h, f, f), keras_output_size(w, f, f)
        return (h_out, w_out, d), 2 * d, h_out * w_out * d
    if kind == "EuclideanRBF":
        *grid, d = input_shape
        weights = d * layer.units
        return (*grid, layer.units), weights, int(np.prod(grid)) * weights
    if kind == "ZeroPadding2D":
        (h, w, d), ((top, bottom), (left, right)) = input_shape, layer.padding
        return (h + top + bottom, w + left + right, d), 0, 0
    return layer_sizes(layer, input_shape)


def extended_layer_table(model, sizes=extended_layer_sizes):
    """Rows (name, output shape, parameters, multiplies) for a Keras model,
    with ``sizes`` for each layer: :func:`extended_layer_sizes` in
    Chapter 7, :func:`network_layer_sizes` in Chapter 8. A layer with
    several inputs (a sum) gets the list of their shapes."""
    return layer_table(model, sizes)


def network_layer_sizes(layer, input_shape):
    """(output shape, parameters, multiplies) of a layer of a modern network.

    Chapter 8 adds the layers that Chapter 7's ``extended_layer_sizes``
    does not know. Batch normalisation keeps four numbers per channel (a
    learned scale and shift, a running mean and variance); like the papers,
    we count the multiplies of convolutions and dense layers only, not its
    one scaling per value. The sum of a residual connection and the zero
    maps of a parameter-free shortcut (``PadChannels``) have neither.
    """
    kind = type(layer).__name__
    if kind == "BatchNormalization":
        per_channel = int(layer.scale) + int(layer.center) + 2
        return tuple(input_shape), per_channel * input_shape[-1], 0
    if kind == "Add":
        return tuple(input_shape[0]), 0, 0
    if kind == "PadChannels":
        *grid, d = input_shape
        return (*grid, d + layer.extra), 0, 0
    return extended_layer_sizes(layer, input_shape)


def network_table(model):
    """Rows (name, output shape, parameters, multiplies) for a Keras model
    with branches: ``extended_layer_table`` with ``network_layer_sizes``
    (Chapter 8)."""
    return extended_layer_table(model, sizes=network_layer_sizes)


def network_depth(model, counted=("Conv2D", "Dense")):
    """Layers of the kinds ``counted`` on the longest path from the input
    to an output.

    Chapter 8: the depth the papers quote ("22 layers", "ResNet-50")
    counts the convolutional and dense layers one after the other. A
    shortcut's projection or a side classifier lies on a shorter path
    and does not add to it. Chapter 9: ``counted=None`` counts every
    layer, the input included: the *topological* depth of the graph.
    """
    depth = {}
    for layer in model.layers:
        inputs = layer.input if isinstance(layer.input, (list, tuple)) else [
            layer.input]
        before = max((depth[id(t)] for t in inputs if id(t) in depth),
                     default=0)
        here = counted is None or type(layer).__name__ in counted
        depth[id(layer.output)] = before + int(here)
    return max(depth[id(t)] for t in model.outputs)


# --- argument checks (not taught) ---------------------------------------

_MEANINGS = {
    "w": "the input width",
    "f": "the filter or window width",
    "s": "the stride",
    "p": "the zeros of padding on each side",
    "d_in": "the input depth",
    "d_out": "the number of filters",
    "w_out": "the output width",
    "h_out": "the output height",
}


def _check_sizes(**sizes):
    """Each size must be a whole number: at least 0 for the padding ``p``,
    at least 1 otherwise; ``bias`` must be True or False. Beside ``d_in``
    (conv_params, conv_multiplies), ``f`` may be a (rows, columns) pair."""
    for name, value in sizes.items():
        if name == "bias":
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(
                    f"bias must be True or False, not {value!r}"
                )
        elif name == "f" and "d_in" in sizes and isinstance(
            value, (tuple, list)
        ):
            if len(value) != 2:
                raise ValueError(
                    f"f must be one filter size or a (rows, columns) pair, "
                    f"not {value!r}"
                )
            for part in value:
                _checks.whole(part, "f", 1, "each side of the filter")
        else:
            minimum = 0 if name == "p" else 1
            _checks.whole(value, name, minimum, _MEANINGS.get(name, ""))


def _check_layer_input(layer, input_shape):
    """A Keras layer in channels_last layout, and a shape without the batch
    axis (a list of shapes for Concatenate) whose sizes are whole numbers."""
    import keras

    if not isinstance(layer, keras.layers.Layer):
        raise TypeError(
            f"layer must be a Keras layer, not {type(layer).__name__}"
        )
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise ValueError(
            f"layer {layer.name!r} has data_format={layer.data_format!r}: "
            f"layer_sizes computes the channels_last layout only, (rows, "
            f"columns, channels); build the layer with "
            f"data_format='channels_last'"
        )
    shapes = input_shape if type(layer).__name__ == "Concatenate" else [
        input_shape
    ]
    for shape in shapes:
        if not isinstance(shape, (tuple, list)) or not shape:
            raise TypeError(
                f"input_shape must be a tuple of sizes without the batch "
                f"axis, such as (28, 28, 1) (a list of them for "
                f"Concatenate), not {input_shape!r}"
            )
        for size in shape:
            _checks.whole(size, "input_shape", 1, "every size in it")
    kind = type(layer).__name__
    spatial = ("Conv2D", "MaxPooling2D", "AveragePooling2D",
               "GlobalMaxPooling2D", "GlobalAveragePooling2D")
    if kind in spatial and len(input_shape) != 3:
        raise ValueError(
            f"input_shape {tuple(input_shape)} for {kind} {layer.name!r} "
            f"must be (rows, columns, channels), without the batch axis"
        )


def _check_model(model):
    """A Keras model whose layers can be listed."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(
            f"model must be a Keras model, not {type(model).__name__}"
        )
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
    ``strides`` and ``dilations`` default to 1 for every layer. A pooling
    layer counts as a layer with its window and stride. Chapter 10 uses
    it on words; on an image it holds for each axis.
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
            grouped_conv_params(f, d_in, d_out, groups, bias),
            grouped_conv_multiplies(f, d_in, w_out, h_out, d_out, groups),
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
def transposed_output_size(w, f, s=1, p=0, output_padding=0):
    """Width of a transposed convolution's output: (W - 1)S + F - 2P + A.

    Chapter 12. A transposed convolution runs a convolution (filter F,
    stride S, padding P) backwards, so its output is as wide as that
    convolution's *input*. With S > 1, S input widths give the same
    convolution output (the floor drops up to S - 1 leftover columns);
    ``output_padding`` A, from 0 to S - 1, says which one is meant.
    """
    if min(w, f, s) < 1 or p < 0:
        raise ValueError(
            f"W={w}, F={f}, S={s}, P={p}: W, F and S must be at least 1 "
            f"and P at least 0"
        )
    if not 0 <= output_padding < s:
        raise ValueError(
            f"output_padding={output_padding} with S={s}: it picks one of "
            f"the S input widths that the convolution maps to W={w}, so it "
            f"must lie between 0 and S - 1 = {s - 1}"
        )
    width = (w - 1) * s + f - 2 * p + output_padding
    if width < 1:
        raise ValueError(
            f"W={w}, F={f}, S={s}, P={p}, output_padding={output_padding} "
            f"gives (W - 1)S + F - 2P + A = {width}: the padding removes "
            f"more than the output has; use less padding or a larger filter"
        )
    return width


def keras_transposed_output_size(w, f, s=1, padding="valid",
                                 output_padding=None):
    """Output width of a Keras Conv2DTranspose layer (Chapter 12).

    For the size, Keras counts "valid" as no padding and "same" as F // 2
    on each side; which rows a "same" layer actually cuts is another
    matter (Chapter 12 shows it). With ``output_padding=None`` Keras
    chooses A itself: "valid" gives (W - 1)S + max(F, S) and "same" gives
    W S, so that a Conv2D with the same settings maps the output back to
    width W.
    """
    if padding not in ("valid", "same"):
        raise ValueError(
            f'padding must be "valid" or "same", not {padding!r}'
        )
    if output_padding is None and padding == "same":
        transposed_output_size(w, f, s)  # checks W, F and S
        return w * s
    if output_padding is None:
        output_padding = max(s - f, 0)
    p = 0 if padding == "valid" else f // 2
    return transposed_output_size(w, f, s, p, output_padding)
