"""Cumulative sums and products, ``repeat``, ``bincount``, ``to_one_hot``, ``searchsorted``, ``unique``,
``unravel_index``, ``ravel_multi_index`` and ``permute_row_elements``.

Theano keeps these in ``theano.tensor.extra_ops``; each op is declared once
here with its type rule, gradient and reference implementation over ``xp``.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

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

    def __init__(self, axis: Optional[int] = None, mode: str = "add") -> None:
        if mode not in ("add", "mul"):
            raise ValueError(f"CumOp: mode must be 'add' (cumsum) or 'mul' (cumprod), got {mode!r}")
        self.axis, self.mode = axis, mode
        self.name = "cumsum" if mode == "add" else "cumprod"

    @property
    def complex_grad(self) -> bool:  # type: ignore[override]
        """``cumprod``'s rule divides without conjugating: refused for complex values."""
        return self.mode == "add"

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
    complex_grad = True  # structural

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
    complex_grad = True  # integer inputs

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


def _zero_grad_of(v: Variable) -> Optional[Variable]:
    """The gradient of a float input of a piecewise-constant op (zero almost everywhere, as Theano
    gives it); None (no gradient) for an integer input."""
    return None if is_int(v.dtype) or v.dtype == "bool" else E.zeros_like(v)


class SearchSorted(Op):
    """``numpy.searchsorted(x, v, side, sorter)``: where each value of ``v`` would go in the sorted
    vector ``x`` (int64, ``v``'s shape). ``sorter``: the int vector that sorts ``x`` (``argsort``)."""
    complex_grad = True  # no gradient to its inputs

    __props__ = ("side",)
    name = "searchsorted"

    def __init__(self, side: str = "left") -> None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        self.side = side

    def make_node(self, x: Any, v: Any, sorter: Any = None) -> Apply:
        x, v = as_tensor_variable(x), as_tensor_variable(v)
        if x.ndim != 1:
            raise TypeError(f"searchsorted: x must be a vector (sorted, or with a sorter), got {x.type} "
                            f"(at {format_trace(user_trace())})")
        ins = [x, v]
        if sorter is not None:
            sorter = as_tensor_variable(sorter)
            if sorter.ndim != 1 or not is_int(sorter.dtype):
                raise TypeError(f"searchsorted: sorter must be a vector of integer positions, got {sorter.type} "
                                f"(at {format_trace(user_trace())})")
            ins.append(sorter)
        return Apply(self, ins, [TensorType("int64", v.type.shape)])

    def impl(self, xp: Any, x: Any, v: Any, sorter: Any = None) -> Any:
        return xp.asarray(xp.searchsorted(x, v, side=self.side, sorter=sorter), dtype="int64")

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        return [tuple(input_shapes[1])]

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        # piecewise constant in x and v: zero where it is differentiable (Theano's answer too)
        return [_zero_grad_of(node.inputs[0]), _zero_grad_of(node.inputs[1])] + [None] * (len(node.inputs) - 2)


def searchsorted(x: Any, v: Any, side: str = "left", sorter: Any = None) -> TensorVariable:
    """Indices into the sorted vector ``x`` at which inserting ``v``'s values keeps it sorted, as
    ``numpy.searchsorted`` (int64, ``v``'s shape)."""
    return SearchSorted(side)(x, v, sorter)


class Unique(Op):
    """``numpy.unique(x, return_index, return_inverse, return_counts)``: the sorted distinct values of
    ``x`` (flattened), and as asked, the first position of each, the position of each entry of ``x``
    among them (a vector over ``x`` flattened, as Theano 1.0 gives it) and their counts (int64)."""

    __props__ = ("return_index", "return_inverse", "return_counts")
    name = "unique"

    def __init__(self, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False) -> None:
        self.return_index, self.return_inverse, self.return_counts = \
            bool(return_index), bool(return_inverse), bool(return_counts)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        extra = self.return_index + self.return_inverse + self.return_counts
        return Apply(self, [x], [TensorType(x.dtype, (None,))] + [TensorType("int64", (None,)) for _ in range(extra)])

    def impl(self, xp: Any, x: Any) -> Any:
        flat = xp.reshape(x, (-1,))
        outs = xp.unique(flat, return_index=self.return_index, return_inverse=self.return_inverse,
                         return_counts=self.return_counts)
        if not isinstance(outs, tuple):
            return outs
        return (outs[0],) + tuple(xp.asarray(o, dtype="int64").reshape(-1) for o in outs[1:])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        from .shape_ops import Shape_i

        n: Any = 1
        for d in input_shapes[0]:  # the inverse has one entry per entry of x
            n = n * d
        shapes: List[Any] = []
        kinds = ["values"] + [k for k, on in (("index", self.return_index), ("inverse", self.return_inverse),
                                                ("counts", self.return_counts)) if on]
        for j, kind in enumerate(kinds):
            # the distinct values' count is known only by running the node
            shapes.append((n,) if kind == "inverse" else (Shape_i(0)(node.outputs[j]),))
        return shapes


def unique(x: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False) -> Any:
    """The sorted distinct values of ``x``, and as asked the index, inverse and counts vectors
    (see :class:`Unique`); a list when more than one is returned. No gradient."""
    return Unique(return_index, return_inverse, return_counts)(x)


def _static_length(dims: Any, opname: str) -> Tuple[Variable, int]:
    """``dims`` as an int64 vector of statically known length (the number of outputs depends on it)."""
    dims_v = as_tensor_variable(list(dims) if isinstance(dims, tuple) else dims)
    if dims_v.ndim != 1 or not is_int(dims_v.dtype):
        raise TypeError(f"{opname}: dims must be a vector of integer sizes, got {dims_v.type} "
                        f"(at {format_trace(user_trace())})")
    n = dims_v.type.shape[0]
    if n is None:
        raise TypeError(f"{opname}: the length of dims must be known when the graph is built (a tuple or "
                        f"list of sizes, or a vector of static length), got {dims_v.type} "
                        f"(at {format_trace(user_trace())})")
    return E.cast(dims_v, "int64"), n


class UnravelIndex(Op):
    """``numpy.unravel_index(indices, dims, order)``: the coordinates, one int64 array per axis of an
    array of shape ``dims``, of the flat positions ``indices``."""
    complex_grad = True  # integer inputs

    __props__ = ("order",)
    name = "unravel_index"

    def __init__(self, order: str = "C") -> None:
        if order not in ("C", "F"):
            raise ValueError(f"unravel_index: order must be 'C' or 'F', got {order!r}")
        self.order = order

    def make_node(self, indices: Any, dims: Any) -> Apply:
        indices = as_tensor_variable(indices)
        if not is_int(indices.dtype):
            raise TypeError(f"unravel_index: indices must be integers, got {indices.type} "
                            f"(at {format_trace(user_trace())})")
        dims, n = _static_length(dims, "unravel_index")
        return Apply(self, [indices, dims], [TensorType("int64", indices.type.shape) for _ in range(n)])

    def host_int_inputs(self, node: Apply) -> frozenset:
        return frozenset({1})  # dims: sizes, read on the host

    def impl(self, xp: Any, indices: Any, dims: Any) -> Any:
        coords = xp.unravel_index(indices, tuple(int(d) for d in dims), order=self.order)
        out = tuple(xp.asarray(c, dtype="int64") for c in coords)
        return out if len(out) != 1 else out[0]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        return [tuple(input_shapes[0])] * len(node.outputs)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [None, None]


def unravel_index(indices: Any, dims: Any, order: str = "C") -> Any:
    """The coordinates of the flat positions ``indices`` in an array of shape ``dims``, as
    ``numpy.unravel_index`` (a tuple of int64 tensors of ``indices``' shape, one per axis)."""
    out = UnravelIndex(order)(indices, dims)
    return tuple(out) if isinstance(out, list) else (out,)


class RavelMultiIndex(Op):
    """``numpy.ravel_multi_index(multi_index, dims, mode, order)``: the flat positions, in an array
    of shape ``dims``, of the coordinate arrays ``multi_index`` (broadcast together; int64)."""
    complex_grad = True  # integer inputs

    __props__ = ("mode", "order")
    name = "ravel_multi_index"

    def __init__(self, mode: Any = "raise", order: str = "C") -> None:
        modes = (mode,) if isinstance(mode, str) else tuple(mode)
        if not modes or any(m not in ("raise", "wrap", "clip") for m in modes):
            raise ValueError(f"ravel_multi_index: mode must be 'raise', 'wrap' or 'clip' (or one per axis), "
                             f"got {mode!r}")
        if order not in ("C", "F"):
            raise ValueError(f"ravel_multi_index: order must be 'C' or 'F', got {order!r}")
        self.mode, self.order = (mode if isinstance(mode, str) else modes), order

    def make_node(self, *args: Any) -> Apply:
        from .types import broadcast_shapes

        *coords, dims = args
        coords = [as_tensor_variable(c) for c in coords]
        if not coords or any(not is_int(c.dtype) for c in coords):
            raise TypeError(f"ravel_multi_index: multi_index must hold integer coordinate tensors, got "
                            f"{[str(c.type) for c in coords]} (at {format_trace(user_trace())})")
        dims, n = _static_length(dims, "ravel_multi_index")
        if n != len(coords):
            raise ValueError(f"ravel_multi_index: {len(coords)} coordinate arrays for {n} dims "
                             f"(at {format_trace(user_trace())})")
        shape = broadcast_shapes([c.type.shape for c in coords])
        if shape is None:
            raise ValueError(f"ravel_multi_index: the coordinate arrays' shapes "
                             f"{[c.type.shape for c in coords]} do not broadcast together "
                             f"(at {format_trace(user_trace())})")
        return Apply(self, coords + [dims], [TensorType("int64", shape)])

    def host_int_inputs(self, node: Apply) -> frozenset:
        return frozenset({len(node.inputs) - 1})  # dims: sizes, read on the host

    def impl(self, xp: Any, *args: Any) -> Any:
        *coords, dims = args
        out = xp.ravel_multi_index(tuple(coords), tuple(int(d) for d in dims), mode=self.mode, order=self.order)
        return xp.asarray(out, dtype="int64")

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [None] * len(node.inputs)


def ravel_multi_index(multi_index: Any, dims: Any, mode: Any = "raise", order: str = "C") -> TensorVariable:
    """The flat positions of the coordinates ``multi_index`` (a tuple or list of integer tensors) in
    an array of shape ``dims``, as ``numpy.ravel_multi_index`` (int64)."""
    if not isinstance(multi_index, (tuple, list)):
        raise TypeError(f"ravel_multi_index: multi_index must be a tuple or list of coordinate tensors, got "
                        f"{type(multi_index).__name__} (at {format_trace(user_trace())})")
    return RavelMultiIndex(mode, order)(*multi_index, dims)


class PermuteRowElements(Op):
    """Theano's ``permute_row_elements(x, y, inverse)``: each row (the last axis) of ``x`` reordered by
    the matching row of the integer ``y``, ``out[..., j] = x[..., y[..., j]]`` (``inverse``:
    ``out[..., y[..., j]] = x[..., j]``). The leading axes of ``x`` and ``y`` broadcast (a vector ``x``
    with a matrix of permutations gives every permutation of it; one permutation ``y`` applies to every
    row of ``x``); the rows must have one length. ``inverse`` needs each row of ``y`` to be a
    permutation of ``range(n)`` (a ``ValueError`` otherwise) -- and so does the gradient with respect to
    ``x``, which is the inverse permutation of the output gradient (summed over the axes ``x`` was
    broadcast along): the gradient of a gather with repeated indices would need a scatter-add, so it
    refuses rather than answer wrong."""
    complex_grad = True  # structural

    __props__ = ("inverse",)
    name = "permute_row_elements"

    def __init__(self, inverse: bool = False) -> None:
        self.inverse = bool(inverse)

    def make_node(self, x: Any, y: Any) -> Apply:
        from .types import broadcast_shapes

        x, y = as_tensor_variable(x), as_tensor_variable(y)
        where = format_trace(user_trace())
        if x.ndim < 1 or y.ndim < 1 or not is_int(y.dtype):
            raise TypeError(f"permute_row_elements: x must have at least one axis and y be an integer tensor of at "
                            f"least one axis, got {x.type} and {y.type} (at {where})")
        lead = broadcast_shapes([x.type.shape[:-1], y.type.shape[:-1]])
        nx, ny = x.type.shape[-1], y.type.shape[-1]
        if lead is None or (nx is not None and ny is not None and nx != ny):
            raise ValueError(f"permute_row_elements: x {x.type} and the permutations y {y.type} do not fit: the "
                             f"leading axes must broadcast and the rows have one length (at {where})")
        return Apply(self, [x, y], [TensorType(x.dtype, tuple(lead) + (nx if nx is not None else ny,))])

    def impl(self, xp: Any, x: Any, y: Any) -> Any:
        import numpy as np

        if x.shape[-1] != y.shape[-1]:
            raise ValueError(f"permute_row_elements: rows of length {x.shape[-1]} in x, {y.shape[-1]} in y")
        lead = np.broadcast_shapes(x.shape[:-1], y.shape[:-1])
        xb = xp.broadcast_to(x, lead + x.shape[-1:])
        yb = xp.broadcast_to(y, lead + y.shape[-1:]).astype("int64", copy=False)
        if not self.inverse:
            return xp.take_along_axis(xb, yb, axis=-1)
        n = x.shape[-1]
        if yb.size and not bool((xp.sort(yb, axis=-1) == xp.arange(n)).all()):
            raise ValueError(f"permute_row_elements(inverse=True): every row of y must be a permutation of "
                             f"range({n})")
        out = xp.empty(xb.shape, dtype=x.dtype)
        xp.put_along_axis(out, yb, xb, axis=-1)
        return out

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        from .shape_infer import broadcast_dim

        sx, sy = (list(s) for s in input_shapes)
        lead_x, lead_y = sx[:-1], sy[:-1]
        n = max(len(lead_x), len(lead_y))
        lead_x, lead_y = [1] * (n - len(lead_x)) + lead_x, [1] * (n - len(lead_y)) + lead_y
        static = node.outputs[0].type.shape
        lead = []
        for k, (a, b) in enumerate(zip(lead_x, lead_y)):
            one_a, one_b = isinstance(a, int) and a == 1, isinstance(b, int) and b == 1
            lead.append(static[k] if static[k] is not None else b if one_a else a if one_b else broadcast_dim(a, b))
        return [tuple(lead) + (sx[-1],)]

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (x, y), g = node.inputs, output_grads[0]
        if g is None or is_int(x.dtype):
            return [None, None]
        return [E.reduce_to(PermuteRowElements(not self.inverse)(g, y), x), None]


def permute_row_elements(x: Any, y: Any, inverse: Any = False) -> TensorVariable:
    """Each row (last axis) of ``x`` permuted by ``y``'s (see :class:`PermuteRowElements`)."""
    return PermuteRowElements(bool(inverse))(x, y)
