"""Sorting: ``sort``, ``argsort`` and the k largest (or smallest) entries, ``topk``.

Theano keeps these in ``theano.tensor.sort``. Two ops are declared here, each
once, with its type rule, shape rule, gradient and a reference implementation
over ``xp`` (NumPy's ``sort``/``argsort``, CuPy's on the GPU); ``topk`` and
its relatives are built from ``argsort`` and indexing, so their gradients come
from those ops.

``axis=None`` sorts the flattened input (the functions flatten it first, as
Theano 1.0 does), so the ops always sort along one static axis and their
output has the input's shape. NaN sorts last, as in NumPy.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from .errors import axis_int, format_trace, user_trace
from .graph import Apply, Variable
from .op import Op
from .types import TensorType, is_int
from .variable import TensorVariable, as_tensor_variable

KINDS = ("quicksort", "mergesort", "heapsort", "stable")
"""NumPy's sorting algorithms. They differ in speed and in how ties are ordered (``stable`` and
``mergesort`` keep the input order of equal values; ``quicksort``, NumPy's default, does not)."""


def _check_kind(opname: str, kind: Optional[str], order: Any) -> str:
    if order is not None:
        raise ValueError(f"{opname}: order={order!r} sorts the fields of a structured array, and tensors here "
                         f"have no fields; leave it None (at {format_trace(user_trace())})")
    if kind is None:
        return "quicksort"
    if kind not in KINDS:
        raise ValueError(f"{opname}: kind must be one of {', '.join(map(repr, KINDS))}, got {kind!r} "
                         f"(at {format_trace(user_trace())})")
    return kind


def _check_axis(opname: str, axis: Any, ndim: int) -> int:
    a = axis_int(axis, opname)
    if not -ndim <= a < ndim:
        what = "a 0-d input has no axis to sort along (axis=None sorts it as a 1-element vector)" if ndim == 0 \
            else f"axis {a} is out of range for a {ndim}-d input"
        raise ValueError(f"{opname}: {what} (at {format_trace(user_trace())})")
    return a % ndim


def _sort_kwargs(xp: Any, kind: str) -> dict:
    """NumPy takes every kind; CuPy's sorts are always stable and accept no ``kind`` (a stable
    result is a correct result of every kind: the others leave the order of ties unspecified)."""
    return {"kind": kind} if getattr(xp, "__name__", "") == "numpy" else {}


class _SortBase(Op):
    """What ``Sort`` and ``ArgSort`` share: one static ``axis`` and the algorithm ``kind``."""

    __props__ = ("axis", "kind")
    fresh_storage = True  # outputs are new arrays

    def __init__(self, axis: int, kind: str = "quicksort") -> None:
        self.axis, self.kind = int(axis), kind

    def __str__(self) -> str:
        return f"{self.name}{{axis={self.axis}" + ("" if self.kind == "quicksort" else f", kind={self.kind}") + "}"

    def _input(self, x: Any) -> TensorVariable:
        x = as_tensor_variable(x)
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"{self.name}: axis {self.axis} is out of range for a {x.ndim}-d input "
                             f"(at {format_trace(user_trace())})")
        if x.dtype.startswith("complex"):
            raise TypeError(f"{self.name}: complex values have no order here, got {x.type} "
                            f"(at {format_trace(user_trace())})")
        return x

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [tuple(input_shapes[0])]  # a permutation along one axis keeps the shape

    def shape_constraints(self, node: Apply) -> list:
        return []  # the kernel checks no size

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        extra = "" if self.kind == "quicksort" else f", kind={self.kind!r}"
        return f"{self.name}({args[0]}, axis={self.axis}{extra})", 0


class Sort(_SortBase):
    """``xp.sort(x, axis, kind)``: ``x``'s values in increasing order along ``axis`` (NaN last)."""
    complex_grad = True  # a permutation

    name = "sort"

    def make_node(self, x: Any) -> Apply:
        x = self._input(x)
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)])

    def impl(self, xp: Any, x: Any) -> Any:
        return xp.sort(x, axis=self.axis, **_sort_kwargs(xp, self.kind))

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        # out = x[perm] along the axis, so x's gradient is g read back through the inverse permutation:
        # gx[..., i, ...] = g[..., inv[i], ...] with inv = argsort(perm) (a permutation's inverse, whatever
        # the kind). Ties: any order of equal values gives the same output, and each gets one slot's gradient.
        (x,), g = node.inputs, output_grads[0]
        if is_int(x.dtype) or x.dtype == "bool":
            return [None]
        perm = ArgSort(self.axis, self.kind)(x)
        inverse = ArgSort(self.axis, "stable")(perm)
        return [take_along_axis(g, inverse, self.axis)]


class ArgSort(_SortBase):
    """``xp.argsort(x, axis, kind)`` as int64: the positions that sort ``x`` along ``axis``."""
    complex_grad = True  # integer outputs

    name = "argsort"

    def make_node(self, x: Any) -> Apply:
        x = self._input(x)
        return Apply(self, [x], [TensorType("int64", x.type.shape)])

    def impl(self, xp: Any, x: Any) -> Any:
        return xp.argsort(x, axis=self.axis, **_sort_kwargs(xp, self.kind)).astype("int64", copy=False)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [None]  # integer positions: piecewise constant in x, no gradient flows


def take_along_axis(x: Any, indices: Any, axis: int) -> TensorVariable:
    """``numpy.take_along_axis(x, indices, axis)`` for ``indices`` of ``x``'s shape, from advanced
    indexing (so its gradient is the indexing's: a scatter-add)."""
    from .shape_ops import arange, shape_i

    x, indices = as_tensor_variable(x), as_tensor_variable(indices)
    index: List[Any] = []
    for i in range(x.ndim):
        if i == axis:
            index.append(indices)
        else:
            pattern = ["x"] * x.ndim
            pattern[i] = 0
            index.append(arange(shape_i(x, i)).dimshuffle(*pattern))
    return x[tuple(index)]


def _flat_or(x: Any, axis: Any, opname: str) -> Tuple[TensorVariable, int]:
    """``x`` and its axis (normalised), or ``x`` flattened and 0 when ``axis`` is None."""
    x = as_tensor_variable(x)
    if axis is None:
        return x.flatten(), 0
    return x, _check_axis(opname, axis, x.ndim)


def sort(a: Any, axis: Optional[int] = -1, kind: Optional[str] = None, order: Any = None) -> TensorVariable:
    """A sorted copy of ``a`` along ``axis`` (None: of the flattened array), as ``numpy.sort``;
    NaN last. ``kind`` is NumPy's algorithm ('quicksort' by default, 'mergesort', 'heapsort',
    'stable'). The gradient sends each output's gradient back to the entry it came from."""
    kind = _check_kind("sort", kind, order)
    x, ax = _flat_or(a, axis, "sort")
    return Sort(ax, kind)(x)


def argsort(a: Any, axis: Optional[int] = -1, kind: Optional[str] = None, order: Any = None) -> TensorVariable:
    """The int64 positions that sort ``a`` along ``axis`` (None: the flattened array), as
    ``numpy.argsort``; equal values come in their input order with ``kind='stable'`` (or
    'mergesort') only -- NumPy's default quicksort does not promise it. No gradient."""
    kind = _check_kind("argsort", kind, order)
    x, ax = _flat_or(a, axis, "argsort")
    return ArgSort(ax, kind)(x)


# --- the k largest entries: built from argsort ----------------------------------------------------

def _topk_positions(x: TensorVariable, kth: Any, axis: int, opname: str) -> TensorVariable:
    """The positions of the ``kth`` largest entries along ``axis``, largest first (``kth < 0``: the
    ``-kth`` smallest, smallest first)."""
    from . import elemwise as E
    from .shape_ops import shape_i

    k = as_tensor_variable(kth)
    if k.ndim != 0 or not is_int(k.dtype):
        raise TypeError(f"{opname}: kth must be an integer scalar, got {k.type} (at {format_trace(user_trace())})")
    order = ArgSort(axis, "stable")(x)
    rev = [slice(None)] * x.ndim
    rev[axis] = slice(None, None, -1)
    largest_first = order[tuple(rev)]
    static_k = _static_int(k)
    n = x.type.shape[axis]
    if static_k is not None:
        if static_k == 0:
            raise ValueError(f"{opname}: kth must not be 0 (at {format_trace(user_trace())})")
        if n is not None and abs(static_k) > n:
            raise ValueError(f"{opname}: kth={static_k} is larger than axis {axis}'s size {n} "
                             f"(at {format_trace(user_trace())})")
        chosen, count = (largest_first, static_k) if static_k > 0 else (order, -static_k)
        if n is None:
            count = _checked_count(as_tensor_variable(np.int64(count)), shape_i(x, axis), opname)
    else:
        chosen, count = E.switch(E.gt(k, 0), largest_first, order), E.abs_(k)
        count = _checked_count(count, shape_i(x, axis), opname)
    cut = [slice(None)] * x.ndim
    cut[axis] = slice(None, count)
    return chosen[tuple(cut)]


def _static_int(v: Variable) -> Optional[int]:
    from .shape_ops import static_int

    return static_int(v)


def _checked_count(count: TensorVariable, size: TensorVariable, opname: str) -> TensorVariable:
    """``count`` itself, with a run-time check that it is in ``1..size`` (an error naming ``opname``,
    the sizes and the user's line otherwise: the node records the line)."""
    return _TopKCount(opname)(count, size)


class _TopKCount(Op):
    """``|kth|`` passed through after checking ``1 <= |kth| <= size`` (a symbolic ``kth`` of topk)."""
    complex_grad = True  # integer outputs

    __props__ = ("opname",)
    name = "topk_count"
    host_bookkeeping = True

    def __init__(self, opname: str) -> None:
        self.opname = opname

    def __str__(self) -> str:
        return f"{self.opname}_count"

    def host_int_inputs(self, node: Apply) -> frozenset:
        return frozenset({0, 1})

    def make_node(self, count: Any, size: Any) -> Apply:
        count, size = as_tensor_variable(count), as_tensor_variable(size)
        return Apply(self, [count, size], [TensorType("int64", ())])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [()]

    def impl(self, xp: Any, count: Any, size: Any) -> Any:
        c, n = int(count), int(size)
        if c == 0:
            raise ValueError(f"{self.opname}: kth must not be 0")
        if c > n:
            raise ValueError(f"{self.opname}: |kth| = {c} is larger than the size {n} of the axis it selects along")
        return np.asarray(c, dtype="int64")

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [None, None]


def _topk_setup(x: Any, axis: Optional[int], idx_dtype: str, opname: str) -> Tuple[TensorVariable, int, str]:
    from .types import as_dtype

    x = as_tensor_variable(x)
    if axis is None:
        x, ax = x.flatten(), 0
    else:
        ax = _check_axis(opname, axis, x.ndim)
    dt = as_dtype(idx_dtype)
    if not is_int(dt):
        raise TypeError(f"{opname}: idx_dtype must be an integer dtype, got {idx_dtype!r} "
                        f"(at {format_trace(user_trace())})")
    return x, ax, dt


def topk_and_argtopk(x: Any, kth: Any, axis: Optional[int] = -1, sorted: bool = True,  # noqa: A002
                     idx_dtype: str = "int64") -> Tuple[TensorVariable, TensorVariable]:
    """The ``kth`` largest entries of ``x`` along ``axis`` and their positions (``kth < 0``: the
    ``-kth`` smallest); ``axis=None`` works on the flattened array. The entries come largest first
    (smallest first for ``kth < 0``) whatever ``sorted`` says (Theano leaves the order unspecified
    with ``sorted=False``); ties are taken in an unspecified order."""
    from . import elemwise as E

    x, ax, dt = _topk_setup(x, axis, idx_dtype, "topk")
    pos = _topk_positions(x, kth, ax, "topk")
    return take_along_axis(x, pos, ax), (pos if dt == "int64" else E.cast(pos, dt))


def topk(x: Any, kth: Any, axis: Optional[int] = -1, sorted: bool = True,  # noqa: A002
         idx_dtype: str = "int64") -> TensorVariable:
    """The ``kth`` largest entries of ``x`` along ``axis`` (see :func:`topk_and_argtopk`)."""
    return topk_and_argtopk(x, kth, axis, sorted, idx_dtype)[0]


def argtopk(x: Any, kth: Any, axis: Optional[int] = -1, sorted: bool = True,  # noqa: A002
            idx_dtype: str = "int64") -> TensorVariable:
    """The positions of the ``kth`` largest entries of ``x`` along ``axis`` (see :func:`topk_and_argtopk`)."""
    from . import elemwise as E

    x, ax, dt = _topk_setup(x, axis, idx_dtype, "argtopk")
    pos = _topk_positions(x, kth, ax, "argtopk")
    return pos if dt == "int64" else E.cast(pos, dt)
