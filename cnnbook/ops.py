"""NumPy reference implementations that a chapter derives in full.

Each function here is shown, line for line, in the chapter that teaches it
(``tests/test_helpers_in_sync.py`` keeps the two copies identical) and is
imported from here by later chapters.
"""

from __future__ import annotations

import numpy as np


def conv2d(x, kernels, bias=None, stride=1, padding=0):
    """Convolve an (H, W, D) input with (F, F, D, K) kernels, as Conv2D does.

    Chapter 1 derives it from the convolution equation: output position
    (j, k) of map q is the bias plus the sum, over the filter's rows l,
    columns m and input channels p, of w[l, m, p, q] * x[jS + l, kS + m, p].
    ``padding`` zeros are added on every side first.
    """
    x = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))
    f_h, f_w, depth, n_filters = kernels.shape
    if x.shape[2] != depth:
        raise ValueError(f"filter depth {depth} != input depth {x.shape[2]}")
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
    output channel g is the maximum of input channels gk, ..., gk + k - 1,
    so the depth shrinks from D to D / k and no parameter is added.
    """
    height, width, depth = x.shape
    if depth % k:
        raise ValueError(f"depth {depth} is not a multiple of k={k}")
    return x.reshape(height, width, depth // k, k).max(axis=-1)
