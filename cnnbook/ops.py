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
