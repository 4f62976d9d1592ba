"""Tensor variables: Python operators and methods that build graph nodes.

``x + y``, ``x[1:, i]``, ``x.sum(axis=0)`` ... each call here only builds a
node through the op functions; nothing is computed.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional

import numpy as np

from .errors import AsTensorError
from .graph import Constant, Variable
from .types import TensorType, as_dtype


class TensorVariable(Variable):
    """A symbolic tensor."""

    __slots__ = ()
    __array_ufunc__ = None  # numpy arrays defer to our reflected operators

    # --- arithmetic ---------------------------------------------------------
    def __add__(self, o): return _ew().add(self, o)
    def __radd__(self, o): return _ew().add(o, self)
    def __sub__(self, o): return _ew().sub(self, o)
    def __rsub__(self, o): return _ew().sub(o, self)
    def __mul__(self, o): return _ew().mul(self, o)
    def __rmul__(self, o): return _ew().mul(o, self)
    def __truediv__(self, o): return _ew().true_div(self, o)
    def __rtruediv__(self, o): return _ew().true_div(o, self)
    def __floordiv__(self, o): return _ew().int_div(self, o)
    def __rfloordiv__(self, o): return _ew().int_div(o, self)
    def __mod__(self, o): return _ew().mod(self, o)
    def __rmod__(self, o): return _ew().mod(o, self)
    def __pow__(self, o): return _ew().pow(self, o)
    def __rpow__(self, o): return _ew().pow(o, self)
    def __neg__(self): return _ew().neg(self)
    def __pos__(self): return self
    def __abs__(self): return _ew().abs_(self)
    def __lt__(self, o): return _ew().lt(self, o)
    def __le__(self, o): return _ew().le(self, o)
    def __gt__(self, o): return _ew().gt(self, o)
    def __ge__(self, o): return _ew().ge(self, o)
    def __and__(self, o): return _ew().and_(self, o)
    def __rand__(self, o): return _ew().and_(o, self)
    def __or__(self, o): return _ew().or_(self, o)
    def __ror__(self, o): return _ew().or_(o, self)
    def __xor__(self, o): return _ew().xor(self, o)
    def __rxor__(self, o): return _ew().xor(o, self)
    def __invert__(self): return _ew().invert(self)

    # Variables stay hashable dictionary keys: == is identity (use T.eq).
    __hash__ = Variable.__hash__
    __eq__ = Variable.__eq__

    def __bool__(self) -> bool:
        node = self.owner
        if node is not None and getattr(node.op, "is_comparison", False):
            raise TypeError(
                f"the truth value of a symbolic comparison ({self}) is unknown until the graph "
                "runs; use T.switch/T.where, or and_/or_, instead of `if` or chained comparisons"
            )
        return True

    def __iter__(self):
        n = self.type.shape[0] if self.ndim else None
        if n is None:
            raise TypeError(
                f"cannot iterate over {self}: its length is not known when the graph is built "
                "(use scan, or index it with x[i])"
            )
        return (self[i] for i in range(n))

    def __len__(self) -> int:
        n = self.type.shape[0] if self.ndim else None
        if n is None:
            raise TypeError(f"len() of {self} is not known when the graph is built; use x.shape[0]")
        return n

    # --- structure ----------------------------------------------------------
    def __getitem__(self, idx):
        from . import subtensor

        return subtensor.getitem(self, idx)

    @property
    def shape(self):
        from . import shape_ops

        return shape_ops.shape(self)

    @property
    def size(self):
        from . import reduce

        return reduce.prod(self.shape)

    @property
    def T(self):
        return self.transpose()

    @property
    def real(self):
        """The real part (the tensor itself when it is real), as NumPy's ``x.real``."""
        return _ew().real(self) if str(self.type.dtype).startswith("complex") else self

    @property
    def imag(self):
        """The imaginary part (zeros of a real tensor's dtype), as NumPy's ``x.imag``."""
        return _ew().imag(self)

    def conj(self):
        """The complex conjugate (the tensor itself when it is real), as NumPy's ``x.conj()``."""
        return _ew().conj(self) if str(self.type.dtype).startswith("complex") else self

    conjugate = conj

    @property
    def broadcastable(self):
        return self.type.broadcastable

    def transpose(self, *axes):
        from . import shape_ops

        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return shape_ops.transpose(self, axes or None)

    def reshape(self, shape, *more, ndim: Optional[int] = None):
        from . import shape_ops

        if more:
            shape = (shape,) + more
        return shape_ops.reshape(self, shape, ndim=ndim)

    def dimshuffle(self, *pattern):
        from . import shape_ops

        if len(pattern) == 1 and isinstance(pattern[0], (tuple, list)):
            pattern = tuple(pattern[0])
        return shape_ops.dimshuffle(self, pattern)

    def flatten(self, ndim: int = 1):
        from . import shape_ops

        return shape_ops.flatten(self, ndim)

    def astype(self, dtype):
        return _ew().cast(self, dtype)

    def dot(self, other):
        from . import blas

        return blas.dot(self, other)

    def clip(self, a_min, a_max):
        return _ew().clip(self, a_min, a_max)

    def squeeze(self):
        from . import shape_ops

        return shape_ops.squeeze(self)

    def copy(self, name: Optional[str] = None):
        out = _ew().identity(self)
        out.name = name
        return out

    # --- reductions ---------------------------------------------------------
    def sum(self, axis=None, keepdims=False, dtype=None, acc_dtype=None):
        from . import reduce

        return reduce.sum(self, axis=axis, keepdims=keepdims, dtype=dtype, acc_dtype=acc_dtype)

    def prod(self, axis=None, keepdims=False, dtype=None, acc_dtype=None, no_zeros_in_input=False):
        from . import reduce

        return reduce.prod(self, axis=axis, keepdims=keepdims, dtype=dtype, acc_dtype=acc_dtype)

    def mean(self, axis=None, keepdims=False, dtype=None, acc_dtype=None):
        from . import reduce

        return reduce.mean(self, axis=axis, keepdims=keepdims, dtype=dtype, acc_dtype=acc_dtype)

    def max(self, axis=None, keepdims=False):
        from . import reduce

        return reduce.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        from . import reduce

        return reduce.min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        from . import reduce

        return reduce.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        from . import reduce

        return reduce.argmin(self, axis=axis, keepdims=keepdims)

    def sort(self, axis=-1, kind=None, order=None):
        from . import sort

        return sort.sort(self, axis=axis, kind=kind, order=order)

    def argsort(self, axis=-1, kind=None, order=None):
        from . import sort

        return sort.argsort(self, axis=axis, kind=kind, order=order)

    def searchsorted(self, v, side="left", sorter=None):
        from . import extra_ops

        return extra_ops.searchsorted(self, v, side=side, sorter=sorter)

    def var(self, axis=None, keepdims=False, ddof=0):
        from . import reduce

        return reduce.var(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        from . import reduce

        return reduce.std(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def any(self, axis=None, keepdims=False):
        from . import reduce

        return reduce.any(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        from . import reduce

        return reduce.all(self, axis=axis, keepdims=keepdims)

    def ptp(self, axis=None):
        """Range of values (maximum - minimum) along ``axis``."""
        return self.max(axis=axis) - self.min(axis=axis)

    def cumsum(self, axis=None):
        from . import extra_ops

        return extra_ops.cumsum(self, axis)

    def cumprod(self, axis=None):
        from . import extra_ops

        return extra_ops.cumprod(self, axis)

    def repeat(self, repeats, axis=None):
        from . import extra_ops

        return extra_ops.repeat(self, repeats, axis)

    def nonzero(self, return_matrix=False):
        """NumPy's ``x.nonzero()``: the int64 positions of the non-zero entries, one vector per
        axis (Theano's ``return_matrix=True``: one matrix of shape ``(ndim, count)``)."""
        from . import nonzero

        return nonzero.nonzero(self, return_matrix=return_matrix)

    def nonzero_values(self):
        """Theano's ``x.nonzero_values()``: the non-zero entries, flattened in C order."""
        from . import nonzero

        return nonzero.nonzero_values(self)

    def take(self, indices, axis=None, mode="raise"):
        from . import subtensor

        return subtensor.take(self, indices, axis=axis, mode=mode)

    def round(self):
        """Rounded to the nearest integer, ties to even (NumPy's ``round``)."""
        return _ew().round_(self)

    def ravel(self):
        return self.flatten(1)

    def swapaxes(self, axis1, axis2):
        """The transpose that exchanges two axes."""
        from .shape_ops import _axis

        a, b = _axis(axis1, self.ndim, "swapaxes"), _axis(axis2, self.ndim, "swapaxes")
        order = list(range(self.ndim))
        order[a], order[b] = order[b], order[a]
        return self.transpose(*order)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        """NumPy's ``x.diagonal(offset, axis1, axis2)``: the entries ``x[..., i, i + offset]`` of the
        two axes, as the last axis of the result (the other axes first, in order); a new array,
        not a view. Built from indexing, so the gradient is the indexing's."""
        from . import shape_ops, elemwise as ew
        from .errors import format_trace, user_trace

        if isinstance(offset, (bool, np.bool_)) or not isinstance(offset, (int, np.integer)):
            raise TypeError(f"diagonal(offset, ...): offset must be an integer, got {offset!r} "
                            f"(at {format_trace(user_trace())})")
        if self.ndim < 2:
            raise ValueError(f"diagonal() needs at least 2 dimensions, got {self.ndim} ({self.type}; at "
                             f"{format_trace(user_trace())})")
        a, b = shape_ops._axis(axis1, self.ndim, "diagonal"), shape_ops._axis(axis2, self.ndim, "diagonal")
        if a == b:
            raise ValueError(f"diagonal(): axis1 and axis2 are the same axis ({a}; at {format_trace(user_trace())})")
        k = int(offset)
        rest = [d for d in range(self.ndim) if d not in (a, b)]
        x = self.transpose(*(rest + [a, b])) if rest + [a, b] != list(range(self.ndim)) else self
        n, m = x.type.shape[-2], x.type.shape[-1]
        if n is not None and m is not None:  # NumPy's length, known when building
            length = max(0, min(n + min(k, 0), m - max(k, 0)))
        else:
            rows, cols = shape_ops.shape_i(x, x.ndim - 2), shape_ops.shape_i(x, x.ndim - 1)
            length = ew.maximum(ew.minimum(rows + min(k, 0), cols - max(k, 0)), 0)
        steps = shape_ops.arange(length)
        r = steps - k if k < 0 else steps
        c = steps + k if k > 0 else steps
        return x[tuple([slice(None)] * len(rest)) + (r, c)]

    def fill(self, value):
        """An array of this one's shape filled with ``value`` (Theano's ``fill``; NumPy's
        in-place ``fill`` has no symbolic meaning)."""
        return _ew().fill(self, value)

    def trace(self):
        """Sum of the main diagonal of a matrix."""
        from . import linalg

        return linalg.trace(self)

    def norm(self, L=2, axis=None):
        if L == 1:
            return abs(self).sum(axis=axis)
        return _ew().sqrt((self ** 2).sum(axis=axis))

    # --- evaluation ---------------------------------------------------------
    def eval(self, inputs_to_values: Optional[dict] = None):
        """Compile (once per set of inputs) and compute this variable's value."""
        from .function import function

        inputs_to_values = inputs_to_values or {}
        keys = tuple(inputs_to_values)
        cache = self.tag.setdefault("_eval_cache", {})
        fn = cache.get(keys)
        if fn is None:
            fn = cache[keys] = function(list(keys), self, on_unused_input="ignore")
        return fn(*[inputs_to_values[k] for k in keys])


class TensorConstant(TensorVariable, Constant):
    """A constant tensor (its value is held on the host)."""

    __slots__ = ()

    def eval(self, inputs_to_values=None):
        arr = np.array(self.data, dtype=self.dtype)
        return arr[()] if arr.ndim == 0 else arr  # 0-d values are NumPy scalars, as function outputs


def constant(value: Any, name: Optional[str] = None, dtype: Any = None) -> TensorConstant:
    """A constant tensor. Python scalars without ``dtype`` are *weak*: like in
    NumPy 2, ``float32_matrix * 2.0`` stays float32."""
    if isinstance(value, Variable):
        raise TypeError(f"constant() takes a value, not the symbolic variable {value}")
    if dtype is None and isinstance(value, (bool, numbers.Number)) and not isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.dtype.kind == "c":
            arr = arr.astype("complex128")
        return TensorConstant(TensorType(arr.dtype, ()), value, name=name, weak=True)
    try:
        arr = np.asarray(value, dtype=None if dtype is None else as_dtype(dtype))
    except (TypeError, ValueError) as exc:
        raise AsTensorError(f"cannot make a tensor constant from {type(value).__name__}: {exc}") from None
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise AsTensorError(f"cannot make a tensor constant from {value!r:.60} (dtype {arr.dtype})")
    arr = np.array(arr, copy=True)
    arr.setflags(write=False)
    return TensorConstant(TensorType(arr.dtype, arr.shape), arr, name=name)


def as_tensor_variable(x: Any, name: Optional[str] = None, ndim: Optional[int] = None) -> TensorVariable:
    """A tensor variable for ``x``: a variable unchanged, a value as a constant.

    Lists and tuples that contain symbolic variables are stacked.
    """
    if isinstance(x, TensorVariable):
        out = x
    elif isinstance(x, Variable):
        raise TypeError(f"{x} of type {x.type} is not a tensor")
    elif isinstance(x, (list, tuple)) and any(isinstance(e, Variable) for e in _flat(x)):
        from . import shape_ops

        out = shape_ops.stack([as_tensor_variable(e) for e in x])
    else:
        out = constant(x, name=name)
    if ndim is not None and out.ndim != ndim:
        from . import shape_ops

        if out.ndim < ndim and all(d == 1 for d in out.type.shape):
            return shape_ops.shape_padleft(out, ndim - out.ndim)
        raise TypeError(f"expected a {ndim}-d tensor, got {out} with {out.ndim} dimension(s)")
    return out


def _flat(seq):
    for e in seq:
        if isinstance(e, (list, tuple)):
            yield from _flat(e)
        else:
            yield e


_EW = None


def _ew():
    global _EW
    if _EW is None:
        from . import elemwise

        _EW = elemwise
    return _EW
