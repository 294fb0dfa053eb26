"""Forward and backward passes of ConvNet layers in NumPy (Chapter 4).

Each public function here is derived in a chapter and shown there line
for line (``tests/book/test_helpers_in_sync.py`` keeps the two copies
identical): Chapter 4 for the layers' passes, Chapter 12 for
``matrix_of`` and ``conv_transpose``.
``correlate2d`` and ``correlate2d_backward`` work on one-channel 2-D
arrays; the other layers use the Keras layout: an input is ``(H, W, D)``
or a batch ``(N, H, W, D)``, and kernels are ``(F, F, D, K)``. Every
``*_backward`` function takes what its forward pass saw and the gradient of
the loss with respect to its output, and returns the gradient with respect
to its input (and, for a convolution, to its kernels). Each of Chapter
4's functions refuses bad arguments with a one-line call to a
``_check_...`` function defined at the end of this module, which the
chapter imports.
"""

from __future__ import annotations

import numpy as np

from cnnbook import _checks


def correlate2d(x, w):
    """'Valid' cross-correlation of one-channel 2-D arrays, as Conv2D does."""
    _check_correlate2d(x, w)
    out_h, out_w = x.shape[0] - w.shape[0] + 1, x.shape[1] - w.shape[1] + 1
    out = np.zeros((out_h, out_w))
    for j in range(out_h):
        for k in range(out_w):
            out[j, k] = np.sum(x[j : j + w.shape[0], k : k + w.shape[1]] * w)
    return out


def correlate2d_backward(x, w, grad_out):
    """Gradients of ``correlate2d(x, w)``: (grad_x, grad_w).

    grad_x slides the flipped filter over the gradient map padded with
    F - 1 zeros; grad_w slides the gradient map over the input.
    """
    _check_correlate2d(x, w, grad_out)
    f_h, f_w = w.shape
    padded = np.pad(grad_out, ((f_h - 1, f_h - 1), (f_w - 1, f_w - 1)))
    grad_x = correlate2d(padded, w[::-1, ::-1])
    grad_w = correlate2d(x, grad_out)
    return grad_x, grad_w


def conv_forward(x, kernels):
    """Stride-1 'valid' convolution of (..., H, W, D) with (F, F, D, K).

    Chapter 4 writes it as a sum over the F x F taps of the filter: tap
    (l, m) multiplies the input shifted by (l, m), at every output position
    at once, by its (D, K) weight matrix.
    """
    _check_conv(x, kernels)
    f = kernels.shape[0]
    out_h, out_w = x.shape[-3] - f + 1, x.shape[-2] - f + 1
    out = 0.0
    for l in range(f):
        for m in range(f):
            window = x[..., l : l + out_h, m : m + out_w, :]
            out = out + window @ kernels[l, m]
    return out


def conv_backward(x, kernels, grad_out):
    """Gradients of ``conv_forward(x, kernels)``: (grad_x, grad_kernels).

    grad_x is a convolution of the zero-padded gradient map with the
    flipped kernels (input and output channels swapped); the gradient of
    tap (l, m) sums, over every position it was used at, the input it saw
    times the gradient there.
    """
    _check_conv(x, kernels, grad_out)
    f = kernels.shape[0]
    out_h, out_w = grad_out.shape[-3], grad_out.shape[-2]
    flipped = kernels[::-1, ::-1].transpose(0, 1, 3, 2)
    pad = [(0, 0)] * (grad_out.ndim - 3) + [(f - 1, f - 1)] * 2 + [(0, 0)]
    grad_x = conv_forward(np.pad(grad_out, pad), flipped)
    grad_kernels = np.zeros(kernels.shape)
    for l in range(f):
        for m in range(f):
            window = x[..., l : l + out_h, m : m + out_w, :]
            depth, n_filters = kernels.shape[2:]
            grad_kernels[l, m] = (
                window.reshape(-1, depth).T @ grad_out.reshape(-1, n_filters)
            )
    return grad_x, grad_kernels


def conv_forward_strided(x, kernels, stride=1, padding=0):
    """Convolution of (..., H, W, D) with stride S and P zeros of padding.

    Chapter 4: pad, convolve at stride 1, and keep every S-th row and
    column: the outputs at positions 0, S, 2S, ... are the strided ones.
    """
    _check_strided(x, kernels, stride, padding)
    pad = [(0, 0)] * (x.ndim - 3) + [(padding, padding)] * 2 + [(0, 0)]
    full = conv_forward(np.pad(x, pad), kernels)
    return full[..., ::stride, ::stride, :]


def conv_backward_strided(x, kernels, grad_out, stride=1, padding=0):
    """Gradients of ``conv_forward_strided``: (grad_x, grad_kernels).

    Chapter 4: the stride-1 outputs that the stride skipped get gradient
    0, so the gradient map is spread out with S - 1 zeros between its
    entries; the stride-1 backward pass follows; the padding's rows and
    columns are cut off, because the zeros were not inputs.
    """
    _check_strided(x, kernels, stride, padding, grad_out)
    pad = [(0, 0)] * (x.ndim - 3) + [(padding, padding)] * 2 + [(0, 0)]
    padded = np.pad(x, pad)
    f = kernels.shape[0]
    full_h, full_w = padded.shape[-3] - f + 1, padded.shape[-2] - f + 1
    spread = np.zeros((*grad_out.shape[:-3], full_h, full_w,
                       grad_out.shape[-1]))
    spread[..., ::stride, ::stride, :] = grad_out
    grad_padded, grad_kernels = conv_backward(padded, kernels, spread)
    height, width = x.shape[-3], x.shape[-2]
    rows = slice(padding, padding + height)
    cols = slice(padding, padding + width)
    return grad_padded[..., rows, cols, :], grad_kernels


def maxpool_forward(x, size=2):
    """Max pooling of (..., H, W, D) over size x size windows, stride size.

    Returns the pooled maps and the *switches*: for every output, the index
    (row * size + column) of the maximum inside its window; at a tie, the
    first maximum in that order.
    """
    _check_maxpool(x, size)
    out_h, out_w = x.shape[-3] // size, x.shape[-2] // size
    candidates = np.stack(
        [
            x[..., r : out_h * size : size, c : out_w * size : size, :]
            for r in range(size)
            for c in range(size)
        ]
    )
    return candidates.max(axis=0), candidates.argmax(axis=0)


def maxpool_backward(x_shape, switches, grad_out, size=2):
    """Route each output gradient to the input its switch recorded."""
    _check_maxpool_backward(x_shape, switches, grad_out, size)
    grad_x = np.zeros(x_shape)
    out_h, out_w = grad_out.shape[-3], grad_out.shape[-2]
    for index in range(size * size):
        r, c = divmod(index, size)
        grad_x[..., r : out_h * size : size, c : out_w * size : size, :] = (
            np.where(switches == index, grad_out, 0.0)
        )
    return grad_x


def relu_forward(x):
    """max(x, 0), element by element."""
    _check_relu(x)
    return np.maximum(x, 0.0)


def relu_backward(x, grad_out):
    """Backprop: pass the gradient where the forward input was positive."""
    _check_same_shape(x, grad_out)
    return grad_out * (x > 0)


def relu_backward_deconvnet(x, grad_out):
    """DeconvNet: pass the signal where *it* is positive (x is ignored)."""
    _check_same_shape(x, grad_out)
    return grad_out * (grad_out > 0)


def relu_backward_guided(x, grad_out):
    """Guided backprop: pass it only where both x and the signal are > 0."""
    _check_same_shape(x, grad_out)
    return grad_out * (x > 0) * (grad_out > 0)


def numerical_gradient(loss, x, eps=1e-6):
    """Central differences: d loss / d x[i] ~ (L(x+eps) - L(x-eps)) / 2eps."""
    _check_numerical_gradient(loss, x, eps)
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        above = loss(x)
        x[index] = saved - eps
        below = loss(x)
        x[index] = saved
        grad[index] = (above - below) / (2 * eps)
    return grad


def relative_error(a, b):
    """|a - b| / (|a| + |b|) with Euclidean norms; 0 when both are 0."""
    _check_relative_error(a, b)
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


# --- argument checks (not taught) ---------------------------------------

_FORWARD = object()  # no gradient to check: a forward pass


def _check_correlate2d(x, w, grad_out=_FORWARD):
    """Two 2-D arrays, the filter no larger than the input; a gradient map
    of the output's shape."""
    _checks.array(x, "x", 2, "(H, W)")
    _checks.array(w, "w", 2, "(F_h, F_w)")
    if w.shape[0] > x.shape[0] or w.shape[1] > x.shape[1]:
        raise ValueError(
            f"w of shape {w.shape} does not fit in x of shape {x.shape}: "
            f"the filter must be no larger than the input"
        )
    if grad_out is not _FORWARD:
        _checks.array(grad_out, "grad_out", 2)
        out = (x.shape[0] - w.shape[0] + 1, x.shape[1] - w.shape[1] + 1)
        _checks.same_shape(grad_out, "grad_out", out, "correlate2d(x, w)")


def _check_maps(x):
    """An array of maps, (H, W, D) or a batch (N, H, W, D)."""
    _checks.array(x, "x", None, "(..., H, W, D)")
    if x.ndim < 3:
        raise ValueError(
            f"x must have at least 3 axes, (H, W, D) or a batch (N, H, W, "
            f"D), not shape {x.shape}"
        )


def _check_conv(x, kernels, grad_out=_FORWARD, stride=1, padding=0):
    """(..., H, W, D) input, square (F, F, D, K) kernels that fit in it
    (once padded), and a gradient map of the output's shape."""
    _check_maps(x)
    _checks.array(kernels, "kernels", 4, "(F, F, D, K)")
    f, f_w, depth, n_filters = kernels.shape
    if f != f_w:
        raise ValueError(
            f"kernels of {f} x {f_w}: these functions take square filters"
        )
    if depth != x.shape[-1]:
        raise ValueError(
            f"kernels have depth {depth} but x has {x.shape[-1]} channels: "
            f"a filter runs through the full depth of its input"
        )
    height, width = x.shape[-3] + 2 * padding, x.shape[-2] + 2 * padding
    if f > min(height, width):
        raise ValueError(
            f"kernels of {f} x {f} do not fit in x of {height} x {width} "
            f"(padding included): use smaller kernels or pad x"
        )
    if grad_out is not _FORWARD:
        _checks.array(grad_out, "grad_out")
        out = (*x.shape[:-3], (height - f) // stride + 1,
               (width - f) // stride + 1, n_filters)
        _checks.same_shape(grad_out, "grad_out", out, "the convolution's "
                           "output")


def _check_strided(x, kernels, stride, padding, grad_out=_FORWARD):
    """A stride >= 1 and a padding >= 0, then as ``_check_conv``."""
    _checks.whole(stride, "stride", 1)
    _checks.whole(padding, "padding", 0, "zeros on each side")
    _check_conv(x, kernels, grad_out, stride, padding)


def _check_maxpool(x, size):
    """(..., H, W, D) input and a window size that fits it."""
    _check_maps(x)
    _checks.whole(size, "size", 1, "the window size")
    if size > min(x.shape[-3], x.shape[-2]):
        raise ValueError(
            f"size {size}: a {size} x {size} window does not fit in x of "
            f"{x.shape[-3]} x {x.shape[-2]}"
        )


def _check_maxpool_backward(x_shape, switches, grad_out, size):
    """Switches and gradient of the pooled shape that x_shape gives."""
    if not isinstance(x_shape, (tuple, list)) or len(x_shape) < 3 or not all(
        _checks.is_whole(n) and n >= 1 for n in x_shape
    ):
        raise TypeError(
            f"x_shape must be the shape of the pooled input, a tuple of at "
            f"least 3 sizes >= 1 such as x.shape, not {x_shape!r}"
        )
    _checks.whole(size, "size", 1, "the window size")
    *batch, height, width, depth = x_shape
    pooled = (*batch, height // size, width // size, depth)
    if min(pooled[-3:-1]) < 1:
        raise ValueError(
            f"size {size}: a {size} x {size} window does not fit in "
            f"x_shape {tuple(x_shape)}"
        )
    _checks.array(switches, "switches")
    if not np.issubdtype(switches.dtype, np.integer):
        raise TypeError(
            f"switches must be integers (window positions, as "
            f"maxpool_forward returns them), not dtype {switches.dtype}"
        )
    _checks.same_shape(switches, "switches", pooled,
                       "the pooled output of x_shape")
    if switches.size and (switches.min() < 0
                          or switches.max() >= size * size):
        raise ValueError(
            f"switches must lie in 0 ... {size * size - 1} (positions in a "
            f"{size} x {size} window)"
        )
    _checks.array(grad_out, "grad_out")
    _checks.same_shape(grad_out, "grad_out", pooled,
                       "the pooled output of x_shape")


def _check_relu(x):
    """An array."""
    _checks.array(x, "x")


def _check_same_shape(x, grad_out):
    """Two arrays of one shape."""
    _checks.array(x, "x")
    _checks.array(grad_out, "grad_out")
    _checks.same_shape(grad_out, "grad_out", x.shape, "x")


def _check_relative_error(a, b):
    """Two arrays (or numbers) of one shape."""
    for name, value in (("a", a), ("b", b)):
        if not np.issubdtype(np.asarray(value).dtype, np.number):
            raise TypeError(
                f"{name} must be an array of numbers, not {value!r}"
            )
    if np.shape(a) != np.shape(b):
        raise ValueError(
            f"a has shape {np.shape(a)} and b {np.shape(b)}: compare "
            f"gradients of one shape"
        )


def _check_numerical_gradient(loss, x, eps):
    """A function, a float array to nudge in place, a small step > 0."""
    _checks.callable_(loss, "loss", "of x returning a number")
    _checks.float_array(x, "x")
    if not isinstance(eps, (int, float, np.floating)) or isinstance(
        eps, bool
    ):
        raise TypeError(f"eps must be a number such as 1e-6, not {eps!r}")
    if not 0 < eps < 1:
        raise ValueError(
            f"eps must be a small step between 0 and 1, such as 1e-6, not "
            f"{eps!r}"
        )
def matrix_of(linear, input_shape):
    """The matrix M of a linear map: M @ x.ravel() == linear(x).ravel().

    Chapter 12 writes a convolution as a matrix C this way: column i is
    what the map makes of the i-th one-hot input (a single 1, all else 0).
    """
    input_shape = tuple(input_shape)
    if not input_shape or min(input_shape) < 1:
        raise ValueError(
            f"input_shape={input_shape}: give the shape of one input, "
            f"every axis at least 1"
        )
    size = int(np.prod(input_shape))
    columns = []
    for i in range(size):
        one_hot = np.zeros(size)
        one_hot[i] = 1.0
        columns.append(np.ravel(linear(one_hot.reshape(input_shape))))
    return np.stack(columns, axis=1)


def conv_transpose(x, kernels, stride=1, padding=0, output_padding=0):
    """Transposed convolution of (..., H, W, K) with (F, F, D, K) kernels.

    Chapter 12: the gradient of ``conv2d(., kernels, stride=stride,
    padding=padding)`` with respect to its input, as Conv2DTranspose
    computes it. Each input position (j, k) adds its values, weighted by
    the kernels, to the F x F window at (jS, kS) of an output that has
    ``output_padding`` extra rows and columns at the bottom and right
    (which no window reaches); then ``padding`` rows and columns are cut
    from every side of it.
    """
    f_h, f_w, depth, n_filters = np.shape(kernels)
    if np.ndim(x) < 3 or np.shape(x)[-1] != n_filters:
        raise ValueError(
            f"input of shape {np.shape(x)}: it must be (..., H, W, K) with "
            f"K = {n_filters}, the kernels' last axis (F, F, D, K)"
        )
    if stride < 1 or padding < 0 or not 0 <= output_padding < stride:
        raise ValueError(
            f"stride={stride}, padding={padding}, output_padding="
            f"{output_padding}: the stride must be at least 1, the padding "
            f"at least 0, and output_padding between 0 and stride - 1"
        )
    *batch, h, w, _ = np.shape(x)
    full_h = (h - 1) * stride + f_h + output_padding
    full_w = (w - 1) * stride + f_w + output_padding
    if min(full_h, full_w) <= 2 * padding:
        raise ValueError(
            f"padding={padding} removes the whole {full_h} x {full_w} "
            f"output; use less padding"
        )
    out = np.zeros((*batch, full_h, full_w, depth))
    for j in range(h):
        for k in range(w):
            top, left = j * stride, k * stride
            out[..., top : top + f_h, left : left + f_w, :] += np.tensordot(
                x[..., j, k, :], kernels, axes=([-1], [3])
            )
    return out[..., padding : full_h - padding, padding : full_w - padding, :]
