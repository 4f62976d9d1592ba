"""Reductions: sum, prod, mean, max, min, argmax, argmin, all, any; var and std.

One op class, :class:`Reduce`, parametrised by the reduction and its axes.
``var`` and ``std`` are built from ``mean`` so their gradients come for free.
"""
from __future__ import annotations

import builtins

import numpy as np
from typing import Any, List, Optional, Sequence, Tuple, Union

from .errors import axis_int, format_trace, user_trace
from .graph import Apply, Constant, Variable
from .op import Op
from .types import TensorType, is_int
from .variable import TensorVariable, as_tensor_variable
from . import elemwise as E

Axis = Union[None, int, Sequence[int]]


def normalize_axis(axis: Axis, ndim: int, opname: str) -> Optional[Tuple[int, ...]]:
    """Axes as a sorted tuple of non-negative ints (None: all axes)."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)) or (isinstance(axis, np.ndarray) and axis.ndim == 1):
        axes = tuple(axis)
    else:
        axes = (axis,)
    out = []
    for a in axes:
        a = axis_int(a, opname, axis)
        if not -ndim <= a < ndim:  # a 0-d input has no axis 0 (NumPy's sum accepts one, its mean does not)
            raise ValueError(
                f"{opname}: axis {a} is out of range for a {ndim}-d input (at {format_trace(user_trace())})"
            )
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{opname}: repeated axis in {axis}")
    return tuple(sorted(out))


_UFUNC_OF = {"sum": "add", "prod": "multiply", "max": "maximum", "min": "minimum"}
"""Reductions that are a ufunc's ``reduce`` (float inputs: the same dtype and digits as xp.sum)."""


_NO_IDENTITY = frozenset({"max", "min", "argmax", "argmin"})


class Reduce(Op):
    """``xp.<kind>(x, axis, keepdims)``."""
    fresh_storage = True  # outputs are new arrays
    host_bookkeeping = True  # cheap on small host values (GPU placement)

    __props__ = ("kind", "axis", "keepdims", "dtype")

    def __init__(self, kind: str, axis: Optional[Tuple[int, ...]], keepdims: bool, dtype: Optional[str] = None):
        self.kind, self.axis, self.keepdims, self.dtype = kind, axis, keepdims, dtype
        self.name = kind

    @property
    def complex_grad(self) -> bool:  # type: ignore[override]
        """A product's rule divides without conjugating: refused for complex values (sums, means
        and selections are linear: right)."""
        return self.kind != "prod"

    def __str__(self) -> str:
        ax = "" if self.axis is None else f"axis={self.axis if len(self.axis) > 1 else self.axis[0]}"
        extra = ", keepdims" if self.keepdims else ""
        return f"{self.kind}{{{ax}{extra}}}" if ax or extra else self.kind

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        axes = range(x.ndim) if self.axis is None else self.axis
        if self.kind in ("argmax", "argmin") and self.axis is not None and len(self.axis) > 1:
            raise ValueError(f"{self.kind} takes one axis or None, not {self.axis}, as NumPy's (the Theano layer's "
                             f"T.{self.kind} takes several) (at {format_trace(user_trace())})")
        shape = self.infer_shape(None, [x.type.shape])[0]
        dt = E.infer_dtype(lambda xp, a: self.impl(xp, a), [x], ("reduce", self.kind, self.dtype, self.axis))
        if x.ndim == 0 and self.kind in ("argmax", "argmin"):
            dt = "int64"
        return Apply(self, [x], [TensorType(dt, shape)])

    def infer_shape(self, node: Optional[Apply], input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        shp = input_shapes[0]
        axes = range(len(shp)) if self.axis is None else self.axis
        return [tuple(1 if i in axes else d for i, d in enumerate(shp) if i not in axes or self.keepdims)]

    def shape_constraints(self, node: Apply) -> list:
        # max, min, argmax and argmin have no identity: the kernel fails on an empty reduced
        # axis (a shape read without running the reduction must fail there too)
        if self.kind not in _NO_IDENTITY:
            return []
        ndim = node.inputs[0].type.ndim
        axes = range(ndim) if self.axis is None else self.axis
        return [("at_most", 1, (0, a)) for a in axes]

    def impl(self, xp: Any, x: Any) -> Any:
        axis = self.axis
        if self.kind in ("argmax", "argmin"):
            fn = getattr(xp, self.kind)
            if axis is None:
                r = fn(xp.reshape(x, (-1,)))
                return xp.reshape(r, (1,) * xp.ndim(x)) if self.keepdims else r
            return fn(x, axis=axis[0], keepdims=self.keepdims)
        kind = {"max": "amax", "min": "amin"}.get(self.kind, self.kind)
        if self.dtype is not None:
            return getattr(xp, kind)(x, axis=axis, keepdims=self.keepdims, dtype=self.dtype)
        return getattr(xp, kind)(x, axis=axis, keepdims=self.keepdims)

    def make_kernel(self, node: Apply, backend: Any):
        xp, axis, keepdims, kind = backend.xp, self.axis, self.keepdims, self.kind
        if (kind in _UFUNC_OF and self.dtype is None and backend.host_is_device
                and node.inputs[0].type.dtype.startswith("float")):
            # the ufunc's own reduce: what xp.sum/amax call, without their ~1 us of wrapping
            # (host arrays only: a device's reduction launches a kernel either way)
            red = getattr(getattr(xp, _UFUNC_OF[kind], None), "reduce", None)
            if callable(red):
                return lambda x: red(x, axis=axis, keepdims=keepdims)
        if kind in ("sum", "prod", "mean", "max", "min", "all", "any") and self.dtype is None:
            fn = getattr(xp, {"max": "amax", "min": "amin"}.get(kind, kind))
            return lambda x: fn(x, axis=axis, keepdims=keepdims)
        return super().make_kernel(node, backend)

    def _expand(self, g: Variable, x: Variable) -> Variable:
        """``g`` (the reduced shape) with the reduced axes put back as size 1."""
        from . import shape_ops

        if self.keepdims or self.axis is None:
            return g
        pattern: List[Any] = []
        j = 0
        for i in range(x.ndim):
            if i in self.axis:
                pattern.append("x")
            else:
                pattern.append(j)
                j += 1
        return shape_ops.dimshuffle(g, tuple(pattern))

    def grad(self, node: Apply, output_grads):
        from .shape_ops import broadcast_like

        (x,), (z,), g = node.inputs, node.outputs, output_grads[0]
        if self.kind in ("argmax", "argmin", "all", "any") or is_int(x.dtype):
            return [None]
        g = self._expand(g, x)
        if self.kind == "sum":
            return [broadcast_like(g, x)]
        if self.kind == "mean":
            return [broadcast_like(g, x) / E.cast(count(x, self.axis), x.dtype)]
        if self.kind == "prod":
            return [broadcast_like(g, x) * self._prod_partials(x)]
        # max/min: every position equal to the extreme value gets the gradient
        hit = E.cast(E.eq(x, self._expand(z, x)), x.dtype)
        return [hit * g]

    def _prod_partials(self, x: Variable) -> TensorVariable:
        """``d prod(x, axis) / d x`` element by element, exact where ``x`` has zeros.

        Each entry's partial derivative is the product of the *other* entries
        of its reduction group. Dividing the product by ``x`` gives that only
        when the group has no zero, so (as Theano and PyTensor do) groups are
        told apart by their number of zeros: none -> ``prod / x``; exactly
        one -> the zero's position gets the product of the non-zero entries,
        every other position 0; two or more -> 0 everywhere. Built from
        element-wise ops and reductions only, so it runs on every backend, and
        nothing divides by zero (no nan, even in second derivatives).
        """
        is_zero = E.eq(x, 0)
        n_zeros = _reduce("sum", E.cast(is_zero, "int64"), self.axis, keepdims=True)
        nonzero_x = E.switch(is_zero, 1, x)  # zeros replaced by 1
        prod_nonzero = _reduce("prod", nonzero_x, self.axis, keepdims=True)
        no_zero = prod_nonzero / nonzero_x
        one_zero = E.switch(is_zero, prod_nonzero, 0)
        return E.switch(E.eq(n_zeros, 0), no_zero, E.switch(E.eq(n_zeros, 1), one_zero, 0))

    def pp(self, node: Apply, args: Sequence[str]):
        bits = [args[0]]
        if self.axis is not None:
            bits.append(f"axis={self.axis[0] if len(self.axis) == 1 else self.axis}")
        if self.keepdims:
            bits.append("keepdims=True")
        return f"{self.kind}({', '.join(bits)})", 0


class LogSumExp(Reduce):
    """``log(sum(exp(x), axis, keepdims))`` that never overflows: ``m + log(sum(exp(x - m)))`` with
    ``m`` the maximum along the axes -- 0 where that maximum is infinite or NaN, or the reduction
    empty -- so every finite result is computed finite, and the rest is what the naive form gives:
    ``-inf`` for an empty reduction or a group of ``-inf``, ``inf`` where an entry is ``inf``, NaN
    where one is NaN. ``T.logsumexp`` builds it; the stabilisation ``log_sum_exp`` makes one of a
    written-out ``log(sum(exp(x)))`` (Theano's ``local_log_sum_exp``). Its gradient is
    ``g * exp(x - out)`` (the softmax along the axes)."""
    host_bookkeeping = False  # a reduction with an exp per element: where the data is

    def __init__(self, axis: Optional[Tuple[int, ...]], keepdims: bool) -> None:
        super().__init__("logsumexp", axis, keepdims, None)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if not x.dtype.startswith("float"):
            raise TypeError(f"logsumexp: needs a float input, got {x.type} (cast it first; at "
                            f"{format_trace(user_trace())})")
        return super().make_node(x)

    def impl(self, xp: Any, x: Any) -> Any:
        x = xp.asarray(x)
        axis = self.axis
        size = 1
        for a in (range(x.ndim) if axis is None else axis):
            size *= x.shape[a]
        zero = xp.zeros((), dtype=x.dtype)
        if size and x.size:
            m = xp.max(x, axis=axis, keepdims=True)
            m = xp.where(xp.isfinite(m), m, zero)
        else:
            m = zero
        errstate = getattr(xp, "errstate", None)
        if errstate is not None:
            with errstate(divide="ignore", over="ignore", invalid="ignore"):
                out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
        else:
            out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
        if not self.keepdims:
            out = xp.reshape(out, tuple(d for i, d in enumerate(out.shape)
                                        if not (axis is None or i in axis)))
        return xp.asarray(out, dtype=x.dtype)

    def grad(self, node: Apply, output_grads):
        (x,), (z,), g = node.inputs, node.outputs, output_grads[0]
        return [self._expand(g, x) * E.exp(x - self._expand(z, x))]



def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
    """``log(sum(exp(x), axis, keepdims))``, computed without overflow (:class:`LogSumExp`)."""
    x = as_tensor_variable(x)
    ax = normalize_axis(axis, x.ndim, "logsumexp")
    if ax is not None and len(ax) == x.ndim:
        ax = None if not keepdims else ax
    return LogSumExp(ax, bool(keepdims))(x)


def count(x: Variable, axis: Optional[Tuple[int, ...]]) -> TensorVariable:
    """The number of elements ``x`` has along ``axis`` (symbolic when not static)."""
    axes = range(x.ndim) if axis is None else axis
    dims = [x.type.shape[a] for a in axes]
    if builtins.all(d is not None for d in dims):
        n = 1
        for d in dims:
            n *= d
        return as_tensor_variable(n)
    from . import shape_ops

    shp = shape_ops.shape(x)
    out = None
    for a in axes:
        out = shp[a] if out is None else out * shp[a]
    return out if out is not None else as_tensor_variable(1)


def _reduce(kind: str, x: Any, axis: Axis, keepdims: bool, dtype: Optional[str] = None) -> TensorVariable:
    x = as_tensor_variable(x)
    ax = normalize_axis(axis, x.ndim, kind)
    if ax is not None and len(ax) == x.ndim and kind not in ("argmax", "argmin"):
        ax = None if not keepdims else ax
    return Reduce(kind, ax, bool(keepdims), dtype).make_node(x).outputs[0]


def _cast_result(v: TensorVariable, dtype: Optional[str]) -> TensorVariable:
    from .types import as_dtype

    return v if dtype is None or as_dtype(dtype) == v.dtype else E.cast(v, as_dtype(dtype))


def sum(x: Any, axis: Axis = None, keepdims: bool = False, dtype: Optional[str] = None,
        acc_dtype: Optional[str] = None) -> TensorVariable:
    """Sum over ``axis`` (all axes when None); NumPy's dtype rules (int8 sums to int64).

    ``acc_dtype`` (Theano's keyword): accumulate in that dtype, then return
    ``dtype`` (default: the accumulator's). ``dtype`` alone does both.
    """
    from .types import as_dtype

    acc = acc_dtype if acc_dtype is not None else dtype
    out = _reduce("sum", x, axis, keepdims, None if acc is None else as_dtype(acc))
    return _cast_result(out, dtype)


def prod(x: Any, axis: Axis = None, keepdims: bool = False, dtype: Optional[str] = None,
         acc_dtype: Optional[str] = None, no_zeros_in_input: bool = False) -> TensorVariable:
    """Product over ``axis``. Its gradient is exact where ``x`` has zeros (see ``Reduce._prod_partials``),
    so Theano's ``no_zeros_in_input`` changes nothing; ``acc_dtype``/``dtype`` as in :func:`sum`."""
    x = as_tensor_variable(x)
    acc = acc_dtype if acc_dtype is not None else dtype
    # NumPy's prod of a small integer (or bool) promotes to int64/uint64: the result is cast back
    # to the accumulator's dtype when no other dtype is asked for (as sum, and np.prod(dtype=acc))
    return _cast_result(_reduce("prod", _cast_result(x, acc), axis, keepdims), dtype if dtype is not None else acc)


def mean(x: Any, axis: Axis = None, keepdims: bool = False, dtype: Optional[str] = None,
         acc_dtype: Optional[str] = None) -> TensorVariable:
    """Mean over ``axis``; integers give float64. Theano's ``acc_dtype`` casts the input before
    summing, ``dtype`` the result."""
    x = as_tensor_variable(x)
    return _cast_result(_reduce("mean", _cast_result(x, acc_dtype), axis, keepdims), dtype)


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
    """Maximum over ``axis``; ties share the gradient."""
    return _reduce("max", x, axis, keepdims)


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
    return _reduce("min", x, axis, keepdims)


def argmax(x: Any, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
    return _reduce("argmax", x, axis, keepdims)


def argmin(x: Any, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
    return _reduce("argmin", x, axis, keepdims)


def all(x: Any, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
    return _reduce("all", x, axis, keepdims)


def any(x: Any, axis: Axis = None, keepdims: bool = False) -> TensorVariable:
    return _reduce("any", x, axis, keepdims)


def var(x: Any, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> TensorVariable:
    """Variance (``ddof`` as NumPy), built from ``mean`` and ``sum``: NumPy's own steps, so the
    same digits -- the sum of the squared deviations divided by ``max(n - ddof, 0)`` (``inf``
    or NaN where ``ddof >= n``, as NumPy; never a negative variance). Of complex values it is
    NumPy's: the mean of ``|x - mean|^2``, real (Theano 1.0 squared the complex deviations, which
    is not a variance); ``|d|^2`` is taken as ``real(d * conj(d))``, which may differ from NumPy's
    ``re^2 + im^2`` in the last bit."""
    return _var(x, axis, keepdims, ddof, "var")


def _var(x: Any, axis: Axis, keepdims: bool, ddof: int, name: str) -> TensorVariable:
    x = as_tensor_variable(x)
    ax = normalize_axis(axis, x.ndim, name)
    centred = x - mean(x, ax, keepdims=True)
    if str(x.dtype).startswith("complex"):
        squares = E.real(centred * E.conj(centred))  # |d|^2, real
    else:
        squares = centred * centred
    if not ddof:
        return mean(squares, ax, keepdims=keepdims)
    ss = _reduce("sum", squares, ax, keepdims)
    n = count(x, ax)
    if isinstance(n, Constant):
        dof: Any = builtins.max(int(n.data) - ddof, 0)
    else:
        dof = E.maximum(n - ddof, 0)
    return ss / E.cast(dof, ss.dtype)


def std(x: Any, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> TensorVariable:
    """Standard deviation: ``sqrt(var(...))`` (an error names ``std``)."""
    return E.sqrt(_var(x, axis, keepdims, ddof, "std"))
