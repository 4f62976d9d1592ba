"""Cumulative sums and products, ``repeat``, ``bincount``, ``to_one_hot``.

Theano keeps these in ``theano.tensor.extra_ops``; each op is declared once
here with its type rule, gradient and reference implementation over ``xp``.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

from . import elemwise as E
from .errors import GradientError, format_trace, user_trace
from .graph import Apply, Variable
from .op import Op
from .types import TensorType, as_dtype, is_int
from .variable import TensorVariable, as_tensor_variable


def _axis(axis: Optional[int], ndim: int, opname: str) -> Optional[int]:
    if axis is None:
        return None
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"{opname}: axis {axis} is out of range for a {ndim}-d input (at {format_trace(user_trace())})")
    return axis % max(ndim, 1)


def _reverse(x: Variable, axis: int) -> Variable:
    index = [slice(None)] * x.ndim
    index[axis] = slice(None, None, -1)
    return x[tuple(index)]


class CumOp(Op):
    """``cumsum`` (mode 'add') or ``cumprod`` (mode 'mul') along ``axis`` (None: of the flattened input)."""

    __props__ = ("axis", "mode")

    def __init__(self, axis: Optional[int], mode: str) -> None:
        self.axis, self.mode = axis, mode
        self.name = "cumsum" if mode == "add" else "cumprod"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        dtype = E.infer_dtype(lambda xp, a: xp.cumsum(a) if self.mode == "add" else xp.cumprod(a), [x], self.name)
        shape = x.type.shape if self.axis is not None else (None,)
        return Apply(self, [x], [TensorType(dtype, shape)])

    def impl(self, xp: Any, x: Any) -> Any:
        f = xp.cumsum if self.mode == "add" else xp.cumprod
        return f(x, axis=self.axis)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (x,), (out,), g = node.inputs, node.outputs, output_grads[0]
        if is_int(x.dtype):
            return [None]
        if self.axis is None:  # the output is the flattened input's
            if self.mode == "add":
                return [_reverse(cumsum(_reverse(g, 0), 0), 0).reshape(x.shape)]
            flat = x.flatten()
            return [(_reverse(cumsum(_reverse(out * g, 0), 0), 0) / flat).reshape(x.shape)]
        if self.mode == "add":
            return [_reverse(cumsum(_reverse(g, self.axis), self.axis), self.axis)]
        # d/dx_i sum_j g_j prod_{k<=j} x_k = sum_{j>=i} g_j out_j / x_i (Theano's formula: not defined at x_i = 0)
        return [_reverse(cumsum(_reverse(out * g, self.axis), self.axis), self.axis) / x]


def cumsum(x: Any, axis: Optional[int] = None) -> TensorVariable:
    """Cumulative sum along ``axis`` (None: over the flattened input), as ``numpy.cumsum``."""
    x = as_tensor_variable(x)
    return CumOp(_axis(axis, x.ndim, "cumsum"), "add")(x)


def cumprod(x: Any, axis: Optional[int] = None) -> TensorVariable:
    """Cumulative product along ``axis`` (None: over the flattened input), as ``numpy.cumprod``."""
    x = as_tensor_variable(x)
    return CumOp(_axis(axis, x.ndim, "cumprod"), "mul")(x)


class Repeat(Op):
    """``numpy.repeat(x, repeats, axis)``; ``repeats`` is a scalar or a vector of counts."""

    __props__ = ("axis",)
    name = "repeat"

    def __init__(self, axis: Optional[int]) -> None:
        self.axis = axis

    def make_node(self, x: Any, repeats: Any) -> Apply:
        x, repeats = as_tensor_variable(x), as_tensor_variable(repeats)
        if not is_int(repeats.dtype) or repeats.ndim > 1:
            raise TypeError(f"repeat: repeats must be an integer scalar or vector, got {repeats.type} "
                            f"(at {format_trace(user_trace())})")
        shape = list(x.type.shape) if self.axis is not None else [None]
        if self.axis is not None:
            shape[self.axis] = None
        return Apply(self, [x, repeats], [TensorType(x.dtype, tuple(shape))])

    def impl(self, xp: Any, x: Any, repeats: Any) -> Any:
        return xp.repeat(x, repeats, axis=self.axis)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from .reduce import sum as sum_
        from .shape_ops import concatenate, make_vector, shape_i

        (x, repeats), g = node.inputs, output_grads[0]
        if repeats.ndim != 0:
            raise GradientError(f"repeat: the gradient with respect to x needs a scalar repeats count, got "
                                f"{repeats.type} (node built at {format_trace(node.trace)})")
        if is_int(x.dtype):
            return [None, None]
        if self.axis is None:  # the element count, not -1: NumPy cannot infer -1 beside a 0 repeats
            from .reduce import count

            n = E.cast(count(x, None), "int64")
            return [sum_(g.reshape(make_vector(n, repeats)), axis=1).reshape(x.shape), None]
        dims = [shape_i(x, k) for k in range(x.ndim)]
        split = dims[:self.axis + 1] + [repeats] + dims[self.axis + 1:]
        return [sum_(g.reshape(make_vector(*split)), axis=self.axis + 1), None]


def repeat(x: Any, repeats: Any, axis: Optional[int] = None) -> TensorVariable:
    """Repeat the elements of ``x`` ``repeats`` times along ``axis`` (None: flattened), as ``numpy.repeat``."""
    x = as_tensor_variable(x)
    return Repeat(_axis(axis, x.ndim, "repeat"))(x, repeats)


class BinCount(Op):
    """``numpy.bincount(x, weights, minlength)``: counts of each non-negative integer in ``x``."""

    __props__ = ("minlength", "weighted")
    name = "bincount"

    def __init__(self, minlength: Optional[int], weighted: bool) -> None:
        self.minlength, self.weighted = minlength, weighted

    def make_node(self, x: Any, *weights: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != 1 or not is_int(x.dtype):
            raise TypeError(f"bincount: x must be a vector of integers, got {x.type} (at {format_trace(user_trace())})")
        ins = [x] + [as_tensor_variable(w) for w in weights]
        dtype = ins[1].dtype if self.weighted else "int64"
        if self.weighted and not dtype.startswith("float"):
            dtype = "float64"
        return Apply(self, ins, [TensorType(dtype, (None,))])

    def impl(self, xp: Any, x: Any, *weights: Any) -> Any:
        if x.size and int(x.min()) < 0:
            raise ValueError(f"bincount: x holds the negative value {int(x.min())}; counts need values >= 0")
        w = weights[0] if weights else None
        out = xp.bincount(x, weights=w, minlength=self.minlength or 0)
        return out.astype(self.make_dtype(w))

    def make_dtype(self, w: Any) -> str:
        if w is None:
            return "int64"
        return str(w.dtype) if str(w.dtype).startswith("float") else "float64"

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        if self.weighted:
            x, w = node.inputs
            return [None, output_grads[0][x]]
        return [None]


def bincount(x: Any, weights: Any = None, minlength: Optional[int] = None, assert_nonneg: bool = False) -> TensorVariable:
    """How many times each value ``0..max(x)`` occurs in the integer vector ``x`` (summing
    ``weights`` instead of counting ones when given). Negative values are an error."""
    op = BinCount(None if minlength is None else int(minlength), weights is not None)
    return op(x, weights) if weights is not None else op(x)


def to_one_hot(y: Any, nb_class: int, dtype: Any = None) -> TensorVariable:
    """The one-hot matrix (``len(y)`` x ``nb_class``) of the integer class vector ``y``
    (``dtype`` defaults to ``config.floatX``)."""
    from .shape_ops import arange

    y = as_tensor_variable(y)
    if y.ndim != 1 or not is_int(y.dtype):
        raise TypeError(f"to_one_hot: y must be a vector of integer classes, got {y.type} "
                        f"(at {format_trace(user_trace())})")
    hot = E.eq(y.dimshuffle(0, "x"), arange(nb_class).dimshuffle("x", 0))
    return E.cast(hot, as_dtype(dtype))
