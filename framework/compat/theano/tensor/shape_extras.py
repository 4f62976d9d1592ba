"""Theano 1.0's array-layout helpers that framework's tensor namespace does not name:
``swapaxes``, ``diagonal``, ``tri``, ``tril``, ``triu`` and ``split``.

Each is built from framework's own ops (transposes, indexing, comparisons, ``switch``), so its
gradient and shape rules are theirs. Where Theano's implementation and its documentation part,
the documentation is followed (``tril``/``triu`` zero what lies outside the triangle, also a
NaN or an infinity there -- Theano multiplied by a 0/1 mask, which leaves NaN); docs/theano.md.
"""
from __future__ import annotations

import builtins
from typing import Any, List, Optional

import numpy as np

from ....config import config
from ....core import elemwise as _ew
from ....core import reduce as _red
from ....core import shape_ops as _so
from ....core.errors import format_trace, user_trace
from ....core.types import as_dtype
from ....core.variable import TensorVariable, as_tensor_variable

__all__ = ["diagonal", "split", "swapaxes", "tri", "tril", "triu"]


def swapaxes(y: Any, axis1: int, axis2: int) -> TensorVariable:
    """``y`` with ``axis1`` and ``axis2`` exchanged (a transpose)."""
    return as_tensor_variable(y).swapaxes(axis1, axis2)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> TensorVariable:
    """NumPy's and Theano's ``diagonal``: the ``offset``-th diagonal of the two axes, as the last
    axis of the result (``x.diagonal(...)`` too)."""
    return as_tensor_variable(a).diagonal(offset, axis1, axis2)


def _size(n: Any, what: str) -> Any:
    if isinstance(n, (bool, np.bool_)):
        raise TypeError(f"{what} must be an integer size, got {n!r} (at {format_trace(user_trace())})")
    if isinstance(n, (int, np.integer)):
        if n < 0:
            raise ValueError(f"{what} must be >= 0, got {n} (at {format_trace(user_trace())})")
        return int(n)
    v = as_tensor_variable(n)
    if v.ndim != 0 or v.dtype[:3] not in ("int", "uin"):
        raise TypeError(f"{what} must be an integer scalar, got {v.type} (at {format_trace(user_trace())})")
    return v


def _offset(k: Any) -> int:
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k (the diagonal's offset) must be an integer, got {k!r} (at {format_trace(user_trace())})")
    return int(k)


def _lower_mask(n: Any, m: Any, k: int) -> TensorVariable:
    """The bool (n, m) mask of the entries on and below the ``k``-th diagonal: ``j <= i + k``."""
    rows = _so.arange(n).dimshuffle(0, "x")
    cols = _so.arange(m).dimshuffle("x", 0)
    return _ew.le(cols, rows + k) if k else _ew.le(cols, rows)


def tri(N: Any, M: Optional[Any] = None, k: int = 0, dtype: Optional[str] = None) -> TensorVariable:
    """Theano's ``tri``: an ``N`` x ``M`` (default ``N`` x ``N``) array with ones on and below the
    ``k``-th diagonal (``k > 0`` above the main one) and zeros elsewhere, of ``dtype`` (default
    ``config.floatX``). ``N`` and ``M`` may be symbolic integer scalars."""
    n = _size(N, "tri(N, ...): N")
    m = n if M is None else _size(M, "tri(N, M, ...): M")
    return _ew.cast(_lower_mask(n, m, _offset(k)), as_dtype(dtype or config.floatX))


def _triangle(m: Any, k: int, lower: bool, what: str) -> TensorVariable:
    x = as_tensor_variable(m)
    if x.ndim < 2:
        raise ValueError(f"{what}() needs at least 2 dimensions, got {x.ndim} ({x.type}; at "
                         f"{format_trace(user_trace())})")
    k = _offset(k)
    mask = _lower_mask(_so.shape_i(x, x.ndim - 2), _so.shape_i(x, x.ndim - 1), k if lower else k - 1)
    zero = _ew.cast(as_tensor_variable(0), x.dtype)
    # the last two axes, as NumPy's tril/triu (for a matrix: Theano's)
    return _ew.switch(mask, x, zero) if lower else _ew.switch(mask, zero, x)


def tril(m: Any, k: int = 0) -> TensorVariable:
    """The lower triangle of ``m``: entries above the ``k``-th diagonal set to zero (of the last two
    axes; a new array)."""
    return _triangle(m, k, True, "tril")


def triu(m: Any, k: int = 0) -> TensorVariable:
    """The upper triangle of ``m``: entries below the ``k``-th diagonal set to zero (of the last two
    axes; a new array)."""
    return _triangle(m, k, False, "triu")


def split(x: Any, splits_size: Any, n_splits: int, axis: int = 0) -> List[TensorVariable]:
    """Theano's ``split``: ``x`` cut along ``axis`` into ``n_splits`` consecutive pieces whose sizes
    are ``splits_size`` (a list of ints or a symbolic integer vector). When the call runs, a
    ``splits_size`` of another length than ``n_splits``, with a negative size, or whose sizes do not
    add up to ``x``'s length along ``axis`` is an ``AssertionError`` naming the condition (Theano's
    ``Split`` raised ``ValueError``). The pieces are slices: each one's gradient is the slice's."""
    from .checks import Assert

    x = as_tensor_variable(x)
    if isinstance(n_splits, (bool, np.bool_)) or not isinstance(n_splits, (int, np.integer)) or n_splits < 1:
        raise TypeError(f"split(x, splits_size, n_splits, axis): n_splits must be an int >= 1 (the number of "
                        f"outputs), got {n_splits!r} (at {format_trace(user_trace())})")
    n_splits = int(n_splits)
    if x.ndim == 0:
        raise ValueError(f"split(): cannot split a 0-d value (at {format_trace(user_trace())})")
    ax = _so._axis(axis, x.ndim, "split")
    sizes = as_tensor_variable(np.asarray(splits_size, dtype="int64") if isinstance(splits_size, (list, tuple))
                               else splits_size)
    if sizes.ndim != 1 or sizes.dtype[:3] not in ("int", "uin"):
        raise TypeError(f"split(): splits_size must be a vector of integers, got {sizes.type} "
                        f"(at {format_trace(user_trace())})")
    sizes = _ew.cast(sizes, "int64")
    checked = sizes
    for cond, msg in ((_ew.eq(_so.shape_i(sizes, 0), n_splits), f"splits_size does not hold n_splits={n_splits} sizes"),
                      (_red.all(_ew.ge(sizes, 0)), "splits_size holds a negative size"),
                      (_ew.eq(_red.sum(sizes), _so.shape_i(x, ax)),
                       f"the sizes in splits_size do not add up to x's length along axis {ax}")):
        checked = Assert(f"split(x, splits_size, n_splits, axis={ax}): {msg}")(checked, cond)  # the error adds
        # the user's line that built the node
    ends = _cumsum(checked)
    pieces = []
    for i in builtins.range(n_splits):
        start = ends[i] - checked[i]
        index = tuple([slice(None)] * ax + [slice(start, ends[i])])
        pieces.append(x[index])
    return pieces


def _cumsum(v: TensorVariable) -> TensorVariable:
    from ....core import extra_ops

    return extra_ops.cumsum(v, 0)
