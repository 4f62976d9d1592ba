"""``theano.tensor.extra_ops``: cumsum, cumprod, repeat, bincount, to_one_hot, squeeze & co."""
from __future__ import annotations

from typing import Any

from ....core.extra_ops import bincount, cumprod, cumsum, repeat, to_one_hot
from ....core.shape_ops import squeeze as _squeeze
from ....core.variable import TensorVariable, as_tensor_variable

__all__ = ["cumsum", "cumprod", "repeat", "bincount", "to_one_hot", "squeeze", "diff"]


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
