"""NumPy reference implementations that a chapter derives in full.

Each function here is shown, line for line, in the chapter that teaches it
(``tests/book/test_helpers_in_sync.py`` keeps the two copies identical) and is
imported from here by later chapters. Each one refuses bad arguments with
a one-line call to a ``_check_...`` function defined at the end of this
module (the chapters import those checks and show only the computation).
"""

from __future__ import annotations

import numpy as np

from cnnbook import _checks


def conv2d(x, kernels, bias=None, stride=1, padding=0):
    """Convolve an (H, W, D) input with (F, F, D, K) kernels, as Conv2D does.

    Chapter 1 derives it from the convolution equation: output position
    (j, k) of map q is the bias plus the sum, over the filter's rows l,
    columns m and input channels p, of w[l, m, p, q] * x[jS + l, kS + m, p].
    ``padding`` zeros are added on every side first.
    """
    _check_conv2d(x, kernels, bias, stride, padding)
    x = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))
    f_h, f_w, depth, n_filters = kernels.shape
    out_h = (x.shape[0] - f_h) // stride + 1
    out_w = (x.shape[1] - f_w) // stride + 1
    out = np.zeros((out_h, out_w, n_filters))
    for j in range(out_h):
        for k in range(out_w):
            top, left = j * stride, k * stride
            patch = x[top : top + f_h, left : left + f_w]
            out[j, k] = np.tensordot(patch, kernels, axes=3)
    if bias is not None:
        out += bias
    return out


def pool2d(x, reduce, size=2, stride=None):
    """Pool an (H, W, D) input: ``reduce`` each size x size window per channel.

    Chapter 2 derives it: output (j, k, p) is ``reduce`` over the window
    x[jS : jS + F, kS : kS + F, p]. The stride S defaults to the window
    size F (windows side by side, no overlap); windows that would stick
    out of the input are dropped, as with Keras's ``padding="valid"``.
    """
    _check_pool2d(x, reduce, size, stride)
    stride = size if stride is None else stride
    out_h = (x.shape[0] - size) // stride + 1
    out_w = (x.shape[1] - size) // stride + 1
    out = np.zeros((out_h, out_w, x.shape[2]))
    for j in range(out_h):
        for k in range(out_w):
            top, left = j * stride, k * stride
            window = x[top : top + size, left : left + size]
            out[j, k] = reduce(window, axis=(0, 1))
    return out


def max_pool2d(x, size=2, stride=None):
    """Max pooling of an (H, W, D) input, as MaxPooling2D does (Chapter 2)."""
    return pool2d(x, np.max, size, stride)


def avg_pool2d(x, size=2, stride=None):
    """Average pooling of an (H, W, D) input, as AveragePooling2D does
    (Chapter 2)."""
    return pool2d(x, np.mean, size, stride)


def maxout(x, k):
    """Max over groups of k consecutive channels of an (H, W, D) input.

    Chapter 2 derives it (pooling along the channels, as in maxout units):
    at every position, output channel g is the maximum of input channels
    gk, ..., gk + k - 1, so the depth shrinks from D to D / k and no
    parameter is added.
    """
    _check_maxout(x, k)
    height, width, depth = x.shape
    return x.reshape(height, width, depth // k, k).max(axis=-1)


# --- argument checks (not taught) ---------------------------------------


def _check_conv2d(x, kernels, bias, stride, padding):
    """Refuse what ``conv2d`` cannot compute, saying what is allowed."""
    _checks.array(x, "x", 3, "(H, W, D)")
    _checks.array(kernels, "kernels", 4, "(F, F, D, K)")
    _checks.whole(stride, "stride", 1)
    if isinstance(padding, str):
        raise TypeError(
            f"padding is a number of zeros on every side (an int >= 0), not "
            f"{padding!r}; for Keras's padding={padding!r} use "
            f"cnnbook.sizing.same_padding and np.pad"
        )
    _checks.whole(padding, "padding", 0)
    f_h, f_w, depth, n_filters = kernels.shape
    if x.shape[2] != depth:
        raise ValueError(
            f"kernels have depth {depth} but x has {x.shape[2]} channels: "
            f"a filter runs through the full depth of its input"
        )
    rows, cols = x.shape[0] + 2 * padding, x.shape[1] + 2 * padding
    if f_h > rows or f_w > cols:
        raise ValueError(
            f"kernels of {f_h} x {f_w} do not fit in x padded to "
            f"{rows} x {cols}: use smaller kernels or more padding"
        )
    if bias is not None:
        _checks.array(bias, "bias", 1, "(K,)")
        if bias.shape != (n_filters,):
            raise ValueError(
                f"bias has shape {bias.shape}: it needs one entry per "
                f"filter, shape ({n_filters},)"
            )


def _check_pool2d(x, reduce, size, stride):
    """Refuse what ``pool2d`` cannot compute, saying what is allowed."""
    _checks.array(x, "x", 3, "(H, W, D)")
    _checks.callable_(reduce, "reduce", "such as np.max, called as "
                      "reduce(window, axis=(0, 1))")
    _checks.whole(size, "size", 1, "the window size")
    if stride is not None:
        _checks.whole(stride, "stride", 1)
    if size > min(x.shape[:2]):
        raise ValueError(
            f"size {size}: a {size} x {size} window does not fit in x of "
            f"{x.shape[0]} x {x.shape[1]}; use a window no larger than "
            f"the input"
        )


def _check_maxout(x, k):
    """Refuse what ``maxout`` cannot compute, saying what is allowed."""
    _checks.array(x, "x", 3, "(H, W, D)")
    _checks.whole(k, "k", 1, "the group size")
    if x.shape[2] % k:
        raise ValueError(
            f"k={k} does not divide the depth {x.shape[2]} of x: the "
            f"channels must split into groups of k"
        )
