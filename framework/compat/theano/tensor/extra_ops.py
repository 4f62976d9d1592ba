"""``theano.tensor.extra_ops``: cumsum, cumprod, repeat, bincount, to_one_hot, squeeze, diff, compress,
fill_diagonal, fill_diagonal_offset, searchsorted, unravel_index, ravel_multi_index, bartlett, and the op
classes ``CumOp``, ``SearchsortedOp``, ``Unique``, ``UnravelIndex``, ``RavelMultiIndex``, ``DiffOp``,
``Bartlett``."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ....core.errors import format_trace, user_trace
from ....core.graph import Apply, Variable
from ....core.op import Op
from ....core.types import TensorType, is_int

from ....core.extra_ops import (CumOp, RavelMultiIndex, SearchSorted, Unique, UnravelIndex, bincount, cumprod,
                                cumsum, ravel_multi_index, repeat, searchsorted, to_one_hot, unravel_index)
from ....core.shape_ops import squeeze as _squeeze
from ....core.variable import TensorVariable, as_tensor_variable

SearchsortedOp = SearchSorted  # Theano's class name: SearchsortedOp(side)(x, v[, sorter])

__all__ = ["cumsum", "cumprod", "repeat", "bincount", "to_one_hot", "squeeze", "diff", "compress", "fill_diagonal",
           "fill_diagonal_offset", "searchsorted", "unravel_index", "ravel_multi_index", "CumOp", "SearchsortedOp",
           "Unique", "UnravelIndex", "RavelMultiIndex", "DiffOp", "bartlett", "Bartlett"]


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


class DiffOp:
    """Theano's ``DiffOp(n=1, axis=-1)``: ``DiffOp(n, axis)(x)`` is ``diff(x, n, axis)`` (built here from
    slices and a subtraction, so no node of the graph is a ``DiffOp``)."""

    def __init__(self, n: int = 1, axis: int = -1) -> None:
        self.n, self.axis = int(n), int(axis)

    def __call__(self, x: Any) -> TensorVariable:
        return diff(x, self.n, self.axis)


class Bartlett(Op):
    """``Bartlett()(M)``: NumPy's ``bartlett(M)``, the triangular window of ``M`` points (float64; empty
    for ``M < 1``), ``M`` an integer scalar. No gradient (``M`` is an integer), as Theano's."""
    complex_grad = True  # no input gradient (an integer size)

    __props__ = ()
    name = "bartlett"

    def make_node(self, m: Any) -> Apply:
        m = as_tensor_variable(m)
        if m.ndim != 0 or not is_int(m.dtype) or m.dtype == "bool":
            raise TypeError(f"bartlett: M must be an integer scalar, got {m.type} (at {format_trace(user_trace())})")
        return Apply(self, [m], [TensorType("float64", (None,))])

    def host_int_inputs(self, node: Apply) -> frozenset:
        return frozenset({0})  # M: a size, read on the host

    def impl(self, xp: Any, m: Any) -> Any:
        return xp.asarray(xp.bartlett(int(m)), dtype="float64")

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        from ....core import elemwise as _ew

        return [(_ew.maximum(_ew.cast(node.inputs[0], "int64"), 0),)]

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [None]


def bartlett(M: Any) -> TensorVariable:  # noqa: N803 -- Theano's name
    """Theano's ``bartlett(M)``: the Bartlett (triangular) window of ``M`` points, as ``numpy.bartlett``."""
    return Bartlett()(M)


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
