"""Ops that change a tensor's shape or assemble tensors: shape, reshape,
dimshuffle/transpose, broadcast, alloc, join/stack, arange, make_vector."""
from __future__ import annotations

import numbers
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .errors import ShapeError, axis_int, format_trace, user_trace
from .graph import Apply, Constant, Variable
from .op import Op
from .types import TensorType, as_dtype, is_int
from .variable import TensorVariable, as_tensor_variable, constant
from . import elemwise as E


def static_int(v: Variable) -> Optional[int]:
    """The value of an integer scalar known when the graph is built, else None."""
    if isinstance(v, Constant) and np.ndim(v.data) == 0:
        return int(v.data)
    if v.owner is not None and isinstance(v.owner.op, Shape_i):
        return v.owner.inputs[0].type.shape[v.owner.op.i]
    return None


def static_vector(v: Variable) -> Optional[List[Optional[int]]]:
    """Entries of an integer vector known when building (None where unknown)."""
    if v.ndim != 1:
        return None
    if isinstance(v, Constant):
        return [int(e) for e in np.asarray(v.data)]
    if v.owner is not None and isinstance(v.owner.op, MakeVector):
        return [static_int(i) for i in v.owner.inputs]
    if v.owner is not None and isinstance(v.owner.op, Shape):
        return list(v.owner.inputs[0].type.shape)
    if v.type.shape[0] is not None:
        return [None] * v.type.shape[0]
    return None


# --- shape ----------------------------------------------------------------------

class Shape(Op):
    """The run-time shape of a tensor, as an int64 vector."""
    complex_grad = True  # structural
    reads_only_metadata = True  # the input's shape, never its values

    name = "shape"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (x.ndim,))])

    def impl(self, xp: Any, x: Any) -> Any:
        return xp.asarray(xp.shape(x), dtype="int64")

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [(len(input_shapes[0]),)]

    def shape_constraints(self, node: Apply) -> list:
        return []

    def grad(self, node, output_grads):
        return [None]


class Shape_i(Op):
    """One entry of a tensor's run-time shape, as an int64 scalar."""
    complex_grad = True  # structural
    reads_only_metadata = True  # the input's shape, never its values

    __props__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i
        self.name = "shape_i"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", ())])

    def impl(self, xp: Any, x: Any) -> Any:
        return xp.asarray(xp.shape(x)[self.i], dtype="int64")

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [()]

    def shape_constraints(self, node: Apply) -> list:
        return []

    def make_kernel(self, node: Apply, backend: Any) -> Any:
        i, int64 = self.i, backend.xp.int64  # a host scalar, as every shape is
        return lambda x: int64(x.shape[i])

    def grad(self, node, output_grads):
        return [None]

    def pp(self, node, args):
        return f"{args[0]}.shape[{self.i}]", 0


_shape = Shape()


def shape(x: Any) -> TensorVariable:
    """``x.shape``; entries known statically fold to constants when indexed."""
    return _shape(as_tensor_variable(x))


def shape_i(x: Any, i: int) -> TensorVariable:
    x = as_tensor_variable(x)
    d = x.type.shape[i]
    return constant(np.int64(d)) if d is not None else Shape_i(i % x.ndim)(x)


class MakeVector(Op):
    """A vector from scalars: ``make_vector(a, b, 3)``."""
    complex_grad = True  # structural
    host_bookkeeping = True  # cheap on small host values (GPU placement)

    __props__ = ("dtype",)

    def host_int_inputs(self, node: Apply) -> frozenset:
        return frozenset(range(len(node.inputs)))

    def __init__(self, dtype: str) -> None:
        self.dtype = dtype
        self.name = "make_vector"

    def make_node(self, *xs: Any) -> Apply:
        xs = [as_tensor_variable(x) for x in xs]
        for x in xs:
            if x.ndim != 0:
                raise TypeError(f"make_vector takes scalars, got {x} with {x.ndim} dimension(s)")
        return Apply(self, xs, [TensorType(self.dtype, (len(xs),))])

    def impl(self, xp: Any, *xs: Any) -> Any:
        return xp.asarray([x for x in xs], dtype=self.dtype)

    def grad(self, node, output_grads):
        g = output_grads[0]
        return [None if is_int(x.dtype) else E.cast(g[i], x.dtype) for i, x in enumerate(node.inputs)]

    def pp(self, node, args):
        return f"[{', '.join(args)}]", 0


def make_vector(*xs: Any, dtype: Any = None) -> TensorVariable:
    xs = [as_tensor_variable(x) for x in xs]
    if dtype is None:
        dtype = np.result_type(*[x.data if isinstance(x, Constant) and x.weak else x.dtype for x in xs]).name if xs else "int64"
    return MakeVector(as_dtype(dtype))(*xs)


def _as_shape_vector(shp: Any) -> TensorVariable:
    if isinstance(shp, Variable):
        v = as_tensor_variable(shp)
        if v.ndim == 0:
            return make_vector(v, dtype="int64")
        return v
    if isinstance(shp, (numbers.Integral, np.integer)):
        shp = (shp,)
    try:
        if isinstance(shp, (str, bytes)):
            raise TypeError("a string")
        items = list(shp)
        if all(not isinstance(i, Variable) for i in items):
            if not all(isinstance(i, (numbers.Integral, np.integer)) for i in items):
                raise TypeError("not all integers")
            return constant(np.asarray(items, dtype="int64"))
    except TypeError:
        from .errors import safe_str

        raise TypeError(f"a shape must be an int, a tuple or list of ints and integer scalars, or an integer "
                        f"vector; got {safe_str(shp, 80)} (at {format_trace(user_trace())})") from None
    return make_vector(*[E.cast(i, "int64") if isinstance(i, Variable) else i for i in items], dtype="int64")


# --- reshape ----------------------------------------------------------------------

class Reshape(Op):
    """``x.reshape(shape)``; ``shape`` is an int vector whose length is static."""
    complex_grad = True  # structural
    host_bookkeeping = True  # cheap on small host values (GPU placement)

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim: int) -> None:
        self.ndim = ndim
        self.name = "reshape"

    def host_int_inputs(self, node: Apply) -> frozenset:
        return frozenset({1})

    def make_node(self, x: Any, shp: Any) -> Apply:
        x, shp = as_tensor_variable(x), as_tensor_variable(shp)
        if not is_int(shp.dtype) or shp.ndim != 1:
            raise TypeError(f"reshape: the shape must be a vector of ints, got {shp.type}")
        known = static_vector(shp) or [None] * self.ndim
        if len(known) != self.ndim:
            raise ValueError(f"reshape: shape has {len(known)} entries, expected {self.ndim}")
        out = [None if (d is None or d < 0) else d for d in known]
        if known.count(-1) == 1 and None not in x.type.shape and None not in known:
            total = int(np.prod(x.type.shape))
            rest = int(np.prod([d for d in known if d != -1]))
            if rest and total % rest == 0:
                out[known.index(-1)] = total // rest
        if None not in x.type.shape and None not in out:
            if int(np.prod(x.type.shape)) != int(np.prod(out)):
                raise ShapeError(
                    f"reshape: cannot reshape {x.type.shape} ({int(np.prod(x.type.shape))} elements) "
                    f"to {tuple(known)} (at {format_trace(user_trace())})"
                )
        return Apply(self, [x, shp], [TensorType(x.dtype, out)])

    def impl(self, xp: Any, x: Any, shp: Any) -> Any:
        return xp.reshape(x, tuple(int(s) for s in shp))

    def grad(self, node, output_grads):
        x = node.inputs[0]
        return [reshape(output_grads[0], shape(x), ndim=x.ndim), None]

    def pp(self, node, args):
        return f"reshape({args[0]}, {args[1]})", 0


def reshape(x: Any, shp: Any, ndim: Optional[int] = None) -> TensorVariable:
    """``x`` with a new shape (one entry may be -1)."""
    x = as_tensor_variable(x)
    vec = _as_shape_vector(shp)
    if ndim is None:
        ndim = vec.type.shape[0]
        if ndim is None:
            raise ValueError(
                "reshape: the length of the new shape is not known when building; pass ndim="
            )
    return Reshape(int(ndim))(x, vec)


def flatten(x: Any, ndim: int = 1) -> TensorVariable:
    """Keep the first ``ndim - 1`` axes and collapse the rest."""
    x = as_tensor_variable(x)
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ValueError(f"flatten: ndim must be between 1 and {x.ndim}, got {ndim}")
    dims = [shape_i(x, i) for i in range(ndim - 1)] + [-1]
    return reshape(x, dims, ndim=ndim)


# --- dimshuffle ------------------------------------------------------------------

class DimShuffle(Op):
    """Reorder axes, insert broadcastable axes ('x'), drop size-1 axes."""
    complex_grad = True  # structural
    host_bookkeeping = True  # cheap on small host values (GPU placement)

    __props__ = ("input_ndim", "pattern")
    view_map = {0: [0]}

    def __init__(self, input_ndim: int, pattern: Tuple[Any, ...]) -> None:
        self.input_ndim, self.pattern = input_ndim, pattern
        self.name = "dimshuffle"
        kept = [p for p in pattern if p != "x"]
        self.drop = tuple(i for i in range(input_ndim) if i not in kept)
        self.perm = tuple(kept) + self.drop
        self.index = tuple(None if p == "x" else slice(None) for p in pattern) + (0,) * len(self.drop)
        self.is_transpose = not self.drop and "x" not in pattern

    def __str__(self) -> str:
        return f"dimshuffle{{{','.join(map(str, self.pattern))}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != self.input_ndim:
            raise TypeError(f"dimshuffle{self.pattern} expects a {self.input_ndim}-d input, got {x.type}")
        for i in self.drop:
            if x.type.shape[i] != 1:
                raise ValueError(
                    f"dimshuffle{self.pattern} drops axis {i} of {x.type}, which is not known to have "
                    f"size 1 (at {format_trace(user_trace())})"
                )
        return Apply(self, [x], [TensorType(x.dtype, self.infer_shape(None, [x.type.shape])[0])])

    def infer_shape(self, node: Optional[Apply], input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [tuple(1 if p == "x" else input_shapes[0][p] for p in self.pattern)]

    def shape_constraints(self, node: Apply) -> list:
        return []

    def make_kernel(self, node: Apply, backend: Any) -> Any:
        if self.is_transpose and self.input_ndim > 0:
            perm = self.perm
            return lambda x: x.transpose(perm)  # the method: a fifth of xp.transpose's cost
        return super().make_kernel(node, backend)

    def impl(self, xp: Any, x: Any) -> Any:
        if self.perm != tuple(range(self.input_ndim)):
            x = xp.transpose(x, self.perm)
        if self.is_transpose:
            return x
        return xp.asarray(x)[self.index]

    def grad(self, node, output_grads):
        g = output_grads[0]
        x = node.inputs[0]
        if is_int(x.dtype):
            return [None]
        new_axes = tuple(i for i, p in enumerate(self.pattern) if p == "x")
        if new_axes:
            from . import reduce

            g = reduce.sum(g, axis=new_axes)
        kept = [p for p in self.pattern if p != "x"]
        back = tuple("x" if i in self.drop else kept.index(i) for i in range(self.input_ndim))
        return [dimshuffle(g, back)]

    def pp(self, node, args):
        if self.is_transpose and self.pattern == tuple(reversed(range(self.input_ndim))):
            return f"{args[0]}.T", 0
        return f"{args[0]}.dimshuffle({', '.join(repr(p) for p in self.pattern)})", 0


def dimshuffle(x: Any, pattern: Sequence[Any]) -> TensorVariable:
    x = as_tensor_variable(x)
    pattern = tuple(p if p == "x" else int(p) for p in pattern)
    if pattern == tuple(range(x.ndim)):
        return x
    kept = [p for p in pattern if p != "x"]
    if len(set(kept)) != len(kept) or any(not 0 <= p < x.ndim for p in kept):
        raise ValueError(f"dimshuffle: invalid pattern {pattern} for a {x.ndim}-d input")
    return DimShuffle(x.ndim, pattern)(x)


def _axis(axis: Any, n: int, opname: str) -> int:
    """``axis`` as a non-negative int below ``n``; out of range is an error (no wrap-around)."""
    a = axis_int(axis, opname)
    if not -n <= a < n:
        raise ValueError(f"{opname}: axis {a} is out of range for {n} axes (at {format_trace(user_trace())})")
    return a % n


def transpose(x: Any, axes: Optional[Sequence[int]] = None) -> TensorVariable:
    x = as_tensor_variable(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(_axis(a, x.ndim, "transpose") for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of a {x.ndim}-d input's axes")
    return dimshuffle(x, axes)


def squeeze(x: Any) -> TensorVariable:
    """Drop the axes known to have size 1."""
    x = as_tensor_variable(x)
    return dimshuffle(x, [i for i, d in enumerate(x.type.shape) if d != 1])


def shape_padleft(x: Any, n_ones: int = 1) -> TensorVariable:
    x = as_tensor_variable(x)
    return dimshuffle(x, ["x"] * n_ones + list(range(x.ndim)))


def shape_padright(x: Any, n_ones: int = 1) -> TensorVariable:
    x = as_tensor_variable(x)
    return dimshuffle(x, list(range(x.ndim)) + ["x"] * n_ones)


def shape_padaxis(x: Any, axis: int) -> TensorVariable:
    x = as_tensor_variable(x)
    axis = _axis(axis, x.ndim + 1, "shape_padaxis")
    pattern: List[Any] = list(range(x.ndim))
    pattern.insert(axis, "x")
    return dimshuffle(x, pattern)


class Rebroadcast(Op):
    """``x`` with the static size of some axes changed: 1 (Theano's ``addbroadcast``: checked when
    the function runs, a ValueError naming the axis and the user's line where the size is not 1)
    or unknown (``unbroadcast``). A view; the values are unchanged. ``axes`` is a tuple of
    ``(axis, broadcastable)`` pairs."""
    complex_grad = True  # structural

    __props__ = ("axes",)
    view_map = {0: [0]}

    def __init__(self, axes: Tuple[Tuple[int, bool], ...]) -> None:
        self.axes = tuple(sorted((int(a), bool(b)) for a, b in axes))
        self.name = "rebroadcast"

    def __str__(self) -> str:
        return "rebroadcast{" + ",".join(f"{a}:{int(b)}" for a, b in self.axes) + "}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        shape = list(x.type.shape)
        for a, b in self.axes:
            if not 0 <= a < x.ndim:
                raise ValueError(f"rebroadcast: axis {a} is out of range for {x.type} "
                                 f"(at {format_trace(user_trace())})")
            if b and shape[a] not in (None, 1):
                raise ValueError(f"addbroadcast: axis {a} of {x.type} has size {shape[a]}, not 1 "
                                 f"(at {format_trace(user_trace())})")
            shape[a] = 1 if b else None
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        shape = list(input_shapes[0])
        for a, b in self.axes:
            if b:
                shape[a] = 1
        return [tuple(shape)]

    def shape_constraints(self, node: Apply) -> list:
        return [("equal", (0, a), 1) for a, b in self.axes if b]

    def impl(self, xp: Any, x: Any) -> Any:
        shape = xp.shape(x)
        for a, b in self.axes:
            if b and shape[a] != 1:
                raise ValueError(f"addbroadcast: axis {a} must have size 1 (it was declared broadcastable), "
                                 f"got an array of shape {tuple(shape)}")
        return x

    def grad(self, node, output_grads):
        x, g = node.inputs[0], output_grads[0]
        if is_int(x.dtype):
            return [None]
        back = tuple((a, x.type.shape[a] == 1) for a, _ in self.axes)
        return [rebroadcast(g, back)]


def rebroadcast(x: Any, axes: Sequence[Tuple[int, bool]]) -> TensorVariable:
    """``x`` with the axes of ``axes`` (``(axis, broadcastable)`` pairs) declared of size 1 or of
    unknown size; nothing to do returns ``x``."""
    x = as_tensor_variable(x)
    axes = tuple((_axis(a, x.ndim, "rebroadcast"), bool(b)) for a, b in axes)
    todo = tuple((a, b) for a, b in axes if (x.type.shape[a] == 1) != b)
    if not todo:
        return x
    return Rebroadcast(todo)(x)


# --- broadcasting and allocation ------------------------------------------------------

class BroadcastLike(Op):
    """``g`` broadcast to a run-time shape (a read-only view).

    Inputs: ``g`` and one int64 scalar per axis (usually ``shape_i(x, k)``),
    so the value of ``x`` itself is never needed, only its sizes.
    """
    complex_grad = True  # structural
    host_int_inputs = Op.inputs_after_first  # inputs 1.. are sizes

    name = "broadcast_like"
    view_map = {0: [0]}

    def make_node(self, g: Any, *dims: Any) -> Apply:
        g = as_tensor_variable(g)
        dims = [as_tensor_variable(d) for d in dims]
        if g.ndim > len(dims):
            raise ValueError(f"broadcast_like: {g.type} has more dimensions than the target's {len(dims)}")
        return Apply(self, [g] + dims, [TensorType(g.dtype, [static_int(d) for d in dims])])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [tuple(node.inputs[1:])]

    def shape_constraints(self, node: Apply) -> List[Tuple[str, Tuple[int, int], Tuple[int, None]]]:
        return _fills(node)

    def impl(self, xp: Any, g: Any, *dims: Any) -> Any:
        shape = tuple(map(int, dims))
        g = xp.asarray(g)
        if g.size == 1 and _prod(shape) <= 4096:
            # for small results a filled array is ~6x cheaper than a broadcast view
            out = xp.empty(shape, dtype=g.dtype)
            out[...] = g
            return out
        return xp.broadcast_to(g, shape)

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        """:meth:`impl`; for a 0-d ``g`` with one size (a gradient's scalar spread over a batch: the
        RBM's bias gradients) the same filled array without the general path's conversions."""
        xp, impl = backend.xp, self.impl
        if node.inputs[0].type.ndim != 0 or len(node.inputs) != 2:
            return lambda g, *dims: impl(xp, g, *dims)
        empty = xp.empty

        def fill(g: Any, n: Any) -> Any:
            n = int(n)
            if n > 4096 or not isinstance(g, _HOST_VALUES):
                return impl(xp, g, n)
            out = empty(n, dtype=g.dtype)
            out[...] = g
            return out

        return fill

    def grad(self, node, output_grads):
        return [E.reduce_to(output_grads[0], node.inputs[0])] + [None] * (len(node.inputs) - 1)


_HOST_VALUES = (np.ndarray, np.generic)


def _fills(node: Apply) -> List[Tuple[str, Tuple[int, int], Tuple[int, None]]]:
    """Input 0 broadcasts to the sizes given by the scalar inputs 1..."""
    lead = len(node.inputs) - 1 - node.inputs[0].ndim
    return [("to", (0, k), (1 + lead + k, None)) for k in range(node.inputs[0].ndim)]


def _prod(shape: Tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


_broadcast_like = BroadcastLike()


def broadcast_like(g: Any, x: Any) -> TensorVariable:
    """``g`` broadcast to the run-time shape of ``x``."""
    g, x = as_tensor_variable(g), as_tensor_variable(x)
    if g.type.shape == x.type.shape and None not in x.type.shape:
        return g
    if g.ndim == x.ndim:
        from .shape_sig import shape_signature

        if shape_signature(g) == shape_signature(x):
            return g
    # shape_i nodes even for static sizes (rewrites fold them): x stays an input of the gradient
    return _broadcast_like(g, *[Shape_i(k)(x) for k in range(x.ndim)])


class Alloc(Op):
    """A new array of the given shape filled with ``value`` (broadcast)."""
    complex_grad = True  # structural
    fresh_storage = True  # outputs are new arrays
    host_int_inputs = Op.inputs_after_first  # inputs 1.. are sizes

    name = "alloc"

    def make_node(self, value: Any, *dims: Any) -> Apply:
        value = as_tensor_variable(value)
        dims = [as_tensor_variable(d) for d in dims]
        for d in dims:
            if d.ndim != 0 or not is_int(d.dtype):
                raise TypeError(f"alloc: shape entries must be integer scalars, got {d.type}")
        if value.ndim > len(dims):
            raise ValueError(f"alloc: value has {value.ndim} dimensions, more than the shape's {len(dims)}")
        return Apply(self, [value] + dims, [TensorType(value.dtype, [static_int(d) for d in dims])])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [tuple(node.inputs[1:])]

    def shape_constraints(self, node: Apply) -> List[Tuple[str, Any, Any]]:
        # the value broadcasts to the sizes, and no size is negative (the kernel's "negative
        # dimensions are not allowed": a shape read without running it must fail there too)
        return _fills(node) + [("at_most", 0, (k, None)) for k in range(1, len(node.inputs))]

    def impl(self, xp: Any, value: Any, *dims: Any) -> Any:
        out = xp.empty(tuple(int(d) for d in dims), dtype=xp.asarray(value).dtype)
        out[...] = value
        return out

    def grad(self, node, output_grads):
        return [E.reduce_to(output_grads[0], node.inputs[0])] + [None] * (len(node.inputs) - 1)


_alloc = Alloc()


def alloc(value: Any, *shape: Any) -> TensorVariable:
    """Theano's ``alloc(value, *shape)``."""
    return _alloc(value, *shape)


def ones(shape: Any, dtype: Any = None) -> TensorVariable:
    shp = (shape,) if not isinstance(shape, (list, tuple)) else shape
    return alloc(constant(1, dtype=as_dtype(dtype)), *shp)


def zeros(shape: Any, dtype: Any = None) -> TensorVariable:
    shp = (shape,) if not isinstance(shape, (list, tuple)) else shape
    return alloc(constant(0, dtype=as_dtype(dtype)), *shp)


# --- joining -------------------------------------------------------------------------

class Join(Op):
    """Concatenate tensors along an axis."""
    complex_grad = True  # structural
    fresh_storage = True  # outputs are new arrays
    host_bookkeeping = True  # cheap on small host values (GPU placement)

    __props__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = axis
        self.name = "join"

    def make_node(self, *xs: Any) -> Apply:
        xs = [as_tensor_variable(x) for x in xs]
        if not xs:
            raise ValueError("join needs at least one tensor")
        ndim = xs[0].ndim
        if any(x.ndim != ndim for x in xs):
            raise TypeError(f"join: all tensors need the same number of dimensions, got {[x.ndim for x in xs]}")
        if not 0 <= self.axis < ndim:
            raise ValueError(f"join: axis {self.axis} out of range for {ndim}-d tensors")
        dtype = np.result_type(*[x.dtype for x in xs]).name
        shp: List[Optional[int]] = []
        for a in range(ndim):
            dims = [x.type.shape[a] for x in xs]
            if a == self.axis:
                shp.append(None if None in dims else int(sum(dims)))
            else:
                known = {d for d in dims if d is not None}
                if len(known) > 1:
                    raise ShapeError(
                        f"join along axis {self.axis}: sizes on axis {a} differ: "
                        f"{[x.type.shape for x in xs]} (at {format_trace(user_trace())})"
                    )
                shp.append(known.pop() if known else None)
        return Apply(self, xs, [TensorType(dtype, shp)])

    def impl(self, xp: Any, *xs: Any) -> Any:
        return xp.concatenate(xs, axis=self.axis)

    def grad(self, node, output_grads):
        g = output_grads[0]
        grads, start = [], 0
        for x in node.inputs:
            size = shape_i(x, self.axis)
            idx = [slice(None)] * x.ndim
            idx[self.axis] = slice(start, start + size)
            start = start + size
            grads.append(None if is_int(x.dtype) else E.cast(g[tuple(idx)], x.dtype))
        return grads


def join(axis: int, *xs: Any) -> TensorVariable:
    xs = [as_tensor_variable(x) for x in xs]
    ndim = xs[0].ndim if xs else 0
    if ndim:
        axis = _axis(axis, ndim, "join")
    if len(xs) == 1:
        return xs[0]
    return Join(axis)(*xs)


def concatenate(xs: Sequence[Any], axis: int = 0) -> TensorVariable:
    return join(axis, *xs)


def stack(xs: Sequence[Any], axis: int = 0) -> TensorVariable:
    """Stack tensors of equal shape along a new axis."""
    xs = [as_tensor_variable(x) for x in xs]
    if not xs:
        raise ValueError("stack needs at least one tensor")
    if all(x.ndim == 0 for x in xs) and axis == 0:
        return make_vector(*xs)
    axis = _axis(axis, xs[0].ndim + 1, "stack")
    return Join(axis)(*[shape_padaxis(x, axis) for x in xs])


# --- arange -------------------------------------------------------------------------

class ARange(Op):
    """``arange(start, stop, step)``."""
    complex_grad = True  # structural

    __props__ = ("dtype",)

    def __init__(self, dtype: str) -> None:
        self.dtype = dtype
        self.name = "arange"

    def make_node(self, start: Any, stop: Any, step: Any) -> Apply:
        ins = [as_tensor_variable(v) for v in (start, stop, step)]
        for v in ins:
            if v.ndim != 0:
                raise TypeError(f"arange takes scalars, got {v.type}")
        n = None
        vals = [static_int(v) if is_int(v.dtype) else None for v in ins]
        if None not in vals and vals[2] != 0:
            n = len(range(*vals))
        return Apply(self, ins, [TensorType(self.dtype, (n,))])

    def impl(self, xp: Any, start: Any, stop: Any, step: Any) -> Any:
        return xp.arange(start, stop, step, dtype=self.dtype)

    def grad(self, node, output_grads):
        return [None, None, None]


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> TensorVariable:
    if stop is None:
        start, stop = 0, start
    ins = [as_tensor_variable(v) for v in (start, stop, step)]
    if dtype is None:
        dtype = np.result_type(*[v.data if isinstance(v, Constant) and v.weak else v.dtype for v in ins]).name
    return ARange(as_dtype(dtype))(*ins)
