"""Argument checks shared by the reader's helpers (not taught).

Every public helper of ``cnnbook.ops``, ``cnnbook.sizing`` and
``cnnbook.backprop`` refuses bad arguments with a message that names the
argument, says what is wrong and what is allowed. The chapters show the
helpers' computations; the checks live here, so that one line such as
``_check_conv2d(x, kernels, bias, stride, padding)`` stands for them.
Wrong types raise ``TypeError``, wrong values ``ValueError``.
"""

from __future__ import annotations

import numbers

import numpy as np


def is_whole(value) -> bool:
    """An int (Python or NumPy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(
        value, (bool, np.bool_)
    )


def whole(value, name: str, minimum: int = 1, meaning: str = "") -> None:
    """``value`` must be an int >= ``minimum``."""
    what = f"{name} ({meaning})" if meaning else name
    if not is_whole(value):
        raise TypeError(
            f"{what} must be a whole number (an int) >= {minimum}, not "
            f"{value!r} ({type(value).__name__})"
        )
    if value < minimum:
        raise ValueError(
            f"{what} must be a whole number >= {minimum}, not {value!r}"
        )


def array(value, name: str, ndim=None, what: str = "") -> None:
    """``value`` must be a NumPy array of real numbers (of ``ndim`` axes:
    an int, or a tuple of allowed numbers of axes)."""
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"{name} must be a NumPy array{what and ' ' + what}, not "
            f"{type(value).__name__}: wrap it in np.asarray"
        )
    if not (
        np.issubdtype(value.dtype, np.number)
        or np.issubdtype(value.dtype, np.bool_)
    ) or np.iscomplexobj(value):
        raise TypeError(
            f"{name} must hold real numbers, not dtype {value.dtype}"
        )
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and value.ndim not in allowed:
        axes = " or ".join(str(n) for n in allowed)
        raise ValueError(
            f"{name} must have {axes} axes{what and ' ' + what}, not shape "
            f"{value.shape}"
        )


def float_array(value, name: str) -> None:
    """``value`` must be a NumPy array of floats."""
    array(value, name)
    if not np.issubdtype(value.dtype, np.floating):
        raise TypeError(
            f"{name} has dtype {value.dtype}: it must be a float array (a "
            f"nudge of 1e-6 to an int array is lost): pass "
            f"{name}.astype(float)"
        )


def callable_(value, name: str, what: str) -> None:
    if not callable(value):
        raise TypeError(
            f"{name} must be a function {what}, not {type(value).__name__}"
        )


def same_shape(a, a_name: str, expected, why: str) -> None:
    """``a.shape`` must equal ``expected``."""
    if tuple(a.shape) != tuple(expected):
        raise ValueError(
            f"{a_name} has shape {tuple(a.shape)}, but {why} has shape "
            f"{tuple(expected)}: they must match"
        )
