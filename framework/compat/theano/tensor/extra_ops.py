"""``theano.tensor.extra_ops``: cumsum, cumprod, repeat, bincount, to_one_hot, squeeze, diff, compress,
fill_diagonal, fill_diagonal_offset, searchsorted, unravel_index, ravel_multi_index, and the op classes
``CumOp``, ``SearchsortedOp``, ``Unique``, ``UnravelIndex``, ``RavelMultiIndex``."""
from __future__ import annotations

from typing import Any

import numpy as np

from ....core.extra_ops import (CumOp, RavelMultiIndex, SearchSorted, Unique, UnravelIndex, bincount, cumprod,
                                cumsum, ravel_multi_index, repeat, searchsorted, to_one_hot, unravel_index)
from ....core.shape_ops import squeeze as _squeeze
from ....core.variable import TensorVariable, as_tensor_variable

SearchsortedOp = SearchSorted  # Theano's class name: SearchsortedOp(side)(x, v[, sorter])

__all__ = ["cumsum", "cumprod", "repeat", "bincount", "to_one_hot", "squeeze", "diff", "compress", "fill_diagonal",
           "fill_diagonal_offset", "searchsorted", "unravel_index", "ravel_multi_index", "CumOp", "SearchsortedOp",
           "Unique", "UnravelIndex", "RavelMultiIndex"]


def squeeze(x: Any) -> TensorVariable:
    """Remove the broadcastable (static size 1) dimensions of ``x``, as Theano's ``extra_ops.squeeze``."""
    return _squeeze(x)


def diff(x: Any, n: int = 1, axis: int = -1) -> TensorVariable:
    """The ``n``-th discrete difference along ``axis``, as ``numpy.diff``."""
    x = as_tensor_variable(x)
    ax = axis % x.ndim
    for _ in range(n):
        hi = [slice(None)] * x.ndim
        lo = [slice(None)] * x.ndim
        hi[ax], lo[ax] = slice(1, None), slice(None, -1)
        x = x[tuple(hi)] - x[tuple(lo)]
    return x


def compress(condition: Any, x: Any, axis: Any = None) -> TensorVariable:
    """Theano's ``compress``: the entries of ``x`` (along ``axis``; of ``x`` flattened when None)
    at the positions where ``condition`` is non-zero, as ``numpy.compress``."""
    from .subtensor import flatnonzero, take

    return take(x, flatnonzero(condition), axis=axis)


def _diagonal_value(a: TensorVariable, val: Any, label: str) -> TensorVariable:
    """``val`` as a scalar of ``a``'s dtype; Theano refuses one that would have to be narrowed."""
    from ....core import elemwise as _ew

    if isinstance(val, (bool, int, float)):  # a Python number takes a's dtype, as Theano's smallest-dtype rule allows
        return _ew.cast(as_tensor_variable(val), a.dtype)
    val = as_tensor_variable(val)
    if val.ndim != 0:
        raise TypeError(f"{label}: the value must be a scalar, got {val.type}")
    if not np.can_cast(val.dtype, a.dtype, "safe"):
        raise TypeError(f"{label}: the value's dtype {val.dtype} cannot be upcast to {a.dtype}, the dtype of a")
    return _ew.cast(val, a.dtype)


def fill_diagonal(a: Any, val: Any) -> TensorVariable:
    """Theano's ``fill_diagonal(a, val)``: a copy of ``a`` with ``val`` on its main diagonal
    (``numpy.fill_diagonal``: ``min(rows, cols)`` entries of a matrix; an array of more dimensions
    must have them all of one length, else an ``AssertionError`` when the function runs). The
    gradient of ``a`` is zero on the diagonal; ``val``'s is the sum of the diagonal's."""
    from ....tensor import arange, minimum, set_subtensor
    from .checks import Assert

    a = as_tensor_variable(a)
    if a.ndim < 2:
        raise TypeError(f"fill_diagonal: a must have at least two dimensions, got {a.type}")
    val = _diagonal_value(a, val, "fill_diagonal")
    if a.ndim == 2:
        steps = arange(minimum(a.shape[0], a.shape[1]))
        return set_subtensor(a[steps, steps], val)
    from ....tensor import all as _all, eq, stack

    sizes = [a.shape[k] for k in range(a.ndim)]
    checked = Assert("fill_diagonal: all dimensions of a must be of equal length")(
        a, _all(eq(stack(sizes), sizes[0])))
    steps = arange(sizes[0])
    return set_subtensor(checked[(steps,) * a.ndim], val)


def fill_diagonal_offset(a: Any, val: Any, offset: Any) -> TensorVariable:
    """Theano's ``fill_diagonal_offset(a, val, offset)``: a copy of the matrix ``a`` with ``val`` on
    its ``offset``-th diagonal (above the main one for a positive ``offset``, below for a negative
    one); ``offset`` may be symbolic."""
    from ....core import elemwise as _ew
    from ....tensor import arange, maximum, minimum, set_subtensor

    a = as_tensor_variable(a)
    if a.ndim != 2:
        raise TypeError(f"fill_diagonal_offset: a must be a matrix, got {a.type}")
    val = _diagonal_value(a, val, "fill_diagonal_offset")
    off = as_tensor_variable(offset)
    if off.ndim != 0 or not str(off.dtype).startswith(("int", "uint")):
        raise TypeError(f"fill_diagonal_offset: offset must be an integer scalar, got {off.type}")
    off = _ew.cast(off, "int64")
    first_row, first_col = maximum(-off, 0), maximum(off, 0)
    n = maximum(minimum(a.shape[0] - first_row, a.shape[1] - first_col), 0)
    steps = arange(n)
    return set_subtensor(a[steps + first_row, steps + first_col], val)


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
