"""Gradients of a scalar function of Keras tensors, on any supported backend.

Chapter 4 introduces this helper to check hand-written backward passes
against automatic differentiation; Chapter 13 uses it for saliency maps.
Keras 3 has no backend-neutral ``gradient`` of its own: TensorFlow records
operations on a ``tf.GradientTape``, JAX transforms functions with
``jax.value_and_grad``, PyTorch keeps a graph behind tensors that
``require_grad``. The two functions here hide that difference:

>>> gradient(lambda v: keras.ops.sum(v**2), np.array([1.0, -2.0]))
array([ 2., -4.])

``f`` receives backend tensors, so write it with ``keras.ops`` (or Keras
layers and models), never with NumPy, which the backend cannot
differentiate. Supported backends: TensorFlow, JAX and PyTorch
(``SUPPORTED_BACKENDS``); any other backend raises a ``RuntimeError`` that
names them. Inputs keep their floating-point dtype: float64 arrays are
differentiated in float64 on every backend (under JAX inside
``jax.enable_x64``), which is what a gradient check needs.
"""

from __future__ import annotations

import contextlib

import numpy as np

SUPPORTED_BACKENDS = ("tensorflow", "jax", "torch")


def gradient(f, x):
    """Gradient of the scalar ``f(x)`` with respect to ``x``, as NumPy.

    ``x`` is an array (the result has its shape) or a tuple or list of
    arrays, passed to ``f`` as separate arguments (the result is then a
    tuple with one gradient per array). See ``value_and_gradient``.
    """
    return value_and_gradient(f, x)[1]


def value_and_gradient(f, x):
    """``(f(x), gradient)``: the value as a Python float and the gradient.

    ``f`` maps backend tensors to a scalar tensor (a tensor of one entry,
    such as a loss); ``x`` is a float array, a Keras tensor, or a tuple or
    list of them (then ``f(*x)`` is differentiated with respect to each,
    and the gradient is a tuple). Each gradient is a NumPy array with the
    shape of its input. Chapter 4 introduces it.
    """
    if not callable(f):
        raise TypeError(
            f"f must be a function of tensors returning a scalar, not a "
            f"{type(f).__name__}"
        )
    several = isinstance(x, (tuple, list))
    names = [f"x[{i}]" for i in range(len(x))] if several else ["x"]
    arrays = [
        _as_float_array(value, name)
        for value, name in zip(x if several else [x], names)
    ]
    if not arrays:
        raise ValueError("x is an empty tuple: give at least one array")
    backend = _backend()
    if backend not in SUPPORTED_BACKENDS:
        raise RuntimeError(
            f"cnnbook.gradients supports the backends "
            f"{', '.join(SUPPORTED_BACKENDS)}; Keras runs on {backend!r}. "
            f"Set KERAS_BACKEND to one of them before importing keras."
        )
    differentiate = {
        "tensorflow": _tensorflow,
        "jax": _jax,
        "torch": _torch,
    }[backend]
    value, grads = differentiate(_scalar_of(f), arrays)
    grads = tuple(np.asarray(g).reshape(a.shape) for g, a in zip(grads, arrays))
    return value, (grads if several else grads[0])


# --- backends ---------------------------------------------------------------


def _backend():
    import keras

    return keras.backend.backend()


def _tensorflow(f, arrays):
    import tensorflow as tf

    tensors = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        for t in tensors:
            tape.watch(t)
        value = f(*tensors)
    grads = tape.gradient(
        value, tensors, unconnected_gradients=tf.UnconnectedGradients.ZERO
    )
    return float(value.numpy()), [g.numpy() for g in grads]


def _jax(f, arrays):
    import jax

    float64 = any(a.dtype == np.float64 for a in arrays)
    context = jax.enable_x64(True) if float64 else contextlib.nullcontext()
    with context:
        tensors = [jax.numpy.asarray(a) for a in arrays]
        try:
            value, grads = jax.value_and_grad(
                f, argnums=tuple(range(len(tensors)))
            )(*tensors)
        except jax.errors.TracerArrayConversionError as error:
            raise TypeError(
                "f converted a tensor to NumPy, which JAX cannot "
                "differentiate: write f with keras.ops"
            ) from error
        return float(value), [np.asarray(g) for g in grads]


def _torch(f, arrays):
    import keras
    import torch

    tensors = [
        keras.ops.convert_to_tensor(a).detach().requires_grad_(True)
        for a in arrays
    ]
    value = f(*tensors)
    grads = torch.autograd.grad(value, tensors, allow_unused=True)
    return float(value.detach().cpu()), [
        np.zeros(a.shape, a.dtype) if g is None else g.detach().cpu().numpy()
        for g, a in zip(grads, arrays)
    ]


# --- checks ---------------------------------------------------------------


def _as_float_array(value, name):
    """A floating-point NumPy array of ``value``, or a clear error."""
    import keras

    if keras.ops.is_tensor(value):
        value = keras.ops.convert_to_numpy(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = float(value)  # a Python number: float64
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be an array of floats, not {type(value).__name__}"
        ) from error
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"{name} has dtype {array.dtype}; gradients need floating-point "
            f"inputs (float16, float32 or float64): pass "
            f"{name}.astype('float64')"
        )
    return np.array(array)  # a copy: f never sees the caller's array


def _scalar_of(f):
    """Wrap ``f`` so that its result is checked and reshaped to a scalar."""
    import keras

    def scalar(*tensors):
        value = f(*tensors)
        if not keras.ops.is_tensor(value):
            raise TypeError(
                f"f returned a {type(value).__name__}, not a tensor: write "
                f"f with keras.ops (NumPy breaks the chain of gradients)"
            )
        shape = tuple(value.shape)
        if int(np.prod(shape)) != 1:
            raise ValueError(
                f"f must return a scalar (one number, such as a loss); it "
                f"returned shape {shape}: reduce it, e.g. keras.ops.sum"
            )
        return keras.ops.reshape(value, ())

    return scalar
