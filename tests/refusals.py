"""Fault injection for the reader's helpers: invalid arguments, one at a time.

``check_refusal(function, valid, name, value)`` calls ``function`` with
the ``valid`` keyword arguments, ``name`` replaced by ``value``, and checks
that it raises the error the kind of value calls for (``TypeError`` for a
wrong type, ``ValueError`` for a wrong value of the right type) with a
message that names the argument. The strategies below make invalid values.
"""

import re

import numpy as np
import pytest
from hypothesis import strategies as st

from cnnbook._checks import is_whole


def not_whole(minimum):
    """Values that are not whole numbers >= minimum (ints below it too)."""
    return st.one_of(
        st.integers(max_value=minimum - 1),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.text(max_size=3),
        st.none(),
        st.just([minimum + 1]),
    )


def expected_error(value):
    """ValueError for an int or an array of numbers, TypeError otherwise."""
    if is_whole(value):
        return ValueError
    if isinstance(value, np.ndarray) and np.issubdtype(
        value.dtype, np.number
    ):
        return ValueError
    return TypeError


def check_refusal(function, valid, name, value, error=None):
    kwargs = {**valid, name: value}
    error = error or expected_error(value)
    with pytest.raises(error) as caught:
        function(**kwargs)
    message = str(caught.value)
    assert re.search(rf"(?<![\w.]){re.escape(name)}(?![\w(])", message), (
        f"{function.__name__}({name}={value!r}) raised "
        f"{type(caught.value).__name__} "
        f"without naming {name!r}: {message}"
    )


def wrong_arrays(shape, ndims=None, sizes=False):
    """Arrays and array-likes that are not float arrays of ``shape``:
    other numbers of axes, (with ``sizes``) other sizes, lists, strings."""
    ndims = ndims or [n for n in range(0, 6) if n != len(shape)]
    other_ndim = st.sampled_from(ndims).map(lambda n: np.zeros((2,) * n))
    other_size = st.integers(0, len(shape) - 1).map(
        lambda axis: np.zeros(
            tuple(n + 1 if i == axis else n for i, n in enumerate(shape))
        )
    )
    return st.one_of(
        other_ndim,
        *([other_size] if sizes else []),
        st.just(np.zeros(shape).tolist()),
        st.just(np.full(shape, "a")),
        st.none(),
    )
