"""Canonical forms: remove operations that do nothing and put the rest in one
standard shape, so later stages have fewer patterns to look for.

Each rewrite keeps the replaced variable's dtype (casting where the original
expression promoted, e.g. ``int32 + 0.0``) and never changes its shape: an
identity element is only dropped when it cannot broadcast the other operand.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from framework.core import elemwise as E
from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Variable
from framework.core.types import TensorType
from framework.core.variable import constant
from framework.core.subtensor import Subtensor
from framework.core.shape_ops import Alloc, BroadcastLike, DimShuffle, Reshape, Shape, dimshuffle, reshape, static_vector
from framework.core.shape_infer import keep_checks
from framework.core.shape_sig import broadcast_signature, shape_signature
from framework.plugins import RewriteSpec

from .patterns import as_type, cannot_enlarge, const_value, ew, is_const, same_dtype, single_client

Result = Optional[List[Variable]]


def _keep(new: Variable, old: Variable) -> Result:
    out = as_type(new, old)
    return None if out is None else [out]


def _signed_zero_safe(c: Variable, out: Variable, x: Optional[Variable] = None) -> bool:
    """Whether the zero constant ``c`` may be dropped from ``x + c`` (or ``c - x``
    rewritten to ``-x``) without changing a result: always for integer results,
    and for ``x + c`` when ``x`` is an integer or bool (never ``-0.0``); otherwise
    only when ``c`` is ``-0.0``, since ``-0.0 + 0.0`` is ``+0.0`` (``1 / (x + 0)``
    is ``+inf`` at ``x = -0.0``, and would become ``-inf``)."""
    if np.dtype(out.type.dtype).kind not in "fc":
        return True
    if x is not None and np.dtype(x.type.dtype).kind in "biu":
        return True
    data = const_value(c)
    return data is not None and bool(np.all(np.signbit(np.real(data))))


def useless_arithmetic(fgraph: FunctionGraph, node: Apply) -> Result:
    """``x + 0``, ``0 + x``, ``x - 0``, ``x * 1``, ``1 * x``, ``x / 1`` → ``x``;
    ``0 - x`` → ``-x``. The constant must not broadcast ``x`` to a larger shape.
    For floats, ``x + 0`` and ``0 - x`` are only rewritten when the zero is
    ``-0.0`` (exact for every ``x``, signed zeros included)."""
    name = node.op.scalar.name
    a, b = node.inputs
    out = node.outputs[0]
    if name in ("add", "mul"):
        unit = 0 if name == "add" else 1
        for x, c in ((a, b), (b, a)):
            if is_const(c, unit) and cannot_enlarge(c, x) and (name == "mul" or _signed_zero_safe(c, out, x)):
                return _keep(x, out)
    elif name in ("sub", "true_div"):
        unit = 0 if name == "sub" else 1
        if is_const(b, unit) and cannot_enlarge(b, a):
            return _keep(a, out)
        if name == "sub" and is_const(a, 0) and cannot_enlarge(a, b) and _signed_zero_safe(a, out):
            # negate in the result's dtype: bool has no negation, and -int8(-128) wraps
            return _keep(E.neg(E.cast(b, out.type.dtype)), out)
    return None


def add_float_zero(fgraph: FunctionGraph, node: Apply) -> Result:
    """Float ``x + 0.0`` → ``x`` and ``0.0 - x`` → ``-x``: wrong only in the sign
    of a zero result (``-0.0 + 0.0`` is ``+0.0``), so a *fast-math* rewrite, off
    unless the user opts in with ``Mode(including=["fast_math"])``."""
    name = node.op.scalar.name
    a, b = node.inputs
    out = node.outputs[0]
    if np.dtype(out.type.dtype).kind not in "fc":
        return None
    if name == "add":
        for x, c in ((a, b), (b, a)):
            if is_const(c, 0) and cannot_enlarge(c, x):
                return _keep(x, out)
    elif name == "sub" and is_const(a, 0) and cannot_enlarge(a, b):
        return _keep(E.neg(E.cast(b, out.type.dtype)), out)
    return None


def double_negation(fgraph: FunctionGraph, node: Apply) -> Result:
    """``--x`` → ``x``."""
    inner = ew(node.inputs[0], "neg")
    if inner is None:
        return None
    return _keep(inner.inputs[0], node.outputs[0])


def subtract_self(fgraph: FunctionGraph, node: Apply) -> Result:
    """``x - x`` → ``zeros_like(x)``. Assumes ``x`` finite (``inf - inf`` and
    ``nan - nan`` are nan), so it is a *fast-math* rewrite: off unless the user
    opts in with ``Mode(including=["fast_math"])`` (see docs/rewrites.md)."""
    a, b = node.inputs
    if a is not b:
        return None
    return _keep(E.zeros_like(a), node.outputs[0])


def _negation_exact(v: Variable, out: Variable) -> bool:
    """Whether ``-v`` computed in ``v``'s own dtype equals ``-v`` computed in the result's: a float
    negates exactly in any float; an integer only wraps the same way in the result's own dtype
    (``int8 + -uint8(1)`` is ``0 + 255``, while ``int8 - uint8(1)`` is ``-1``)."""
    return np.dtype(v.type.dtype).kind in "fc" or v.type.dtype == out.type.dtype


def sum_of_negations(fgraph: FunctionGraph, node: Apply) -> Result:
    """``x + -y`` → ``x - y``; ``-x + y`` → ``y - x``; ``x - -y`` → ``x + y``;
    ``-x * -y`` → ``x * y``; for integer results also ``-x + -y`` → ``-(x + y)`` and
    ``-(x - y)`` → ``y - x``. A negated integer must have the result's dtype (it wraps in its
    own). The last two change the sign of a float zero result (``-(1.0 - 1.0)`` is ``-0.0``,
    ``1.0 - 1.0`` is ``+0.0``): for floats they are the fast-math rewrite :func:`negated_sum`."""
    name = node.op.scalar.name
    out = node.outputs[0]
    exact_zero = np.dtype(out.type.dtype).kind not in "fc"
    if name == "neg":
        inner = ew(node.inputs[0], "sub")
        if inner is not None and exact_zero:
            return same_or_none(E.sub(inner.inputs[1], inner.inputs[0]), out)
        return None
    a, b = node.inputs
    na, nb = ew(a, "neg"), ew(b, "neg")
    if na is not None and not _negation_exact(na.inputs[0], out):
        na = None
    if nb is not None and not _negation_exact(nb.inputs[0], out):
        nb = None
    if name == "add":
        if na is not None and nb is not None and exact_zero:
            return same_or_none(E.neg(E.add(na.inputs[0], nb.inputs[0])), out)
        if nb is not None:
            return same_or_none(E.sub(a, nb.inputs[0]), out)
        if na is not None:
            return same_or_none(E.sub(b, na.inputs[0]), out)
    elif name == "sub" and nb is not None:
        return same_or_none(E.add(a, nb.inputs[0]), out)
    elif name == "mul" and na is not None and nb is not None:
        return same_or_none(E.mul(na.inputs[0], nb.inputs[0]), out)
    return None


def negated_sum(fgraph: FunctionGraph, node: Apply) -> Result:
    """Float ``-(x - y)`` → ``y - x`` and ``-x + -y`` → ``-(x + y)``: wrong only in the sign of a
    zero result (``-(1.0 - 1.0)`` is ``-0.0``, ``1.0 - 1.0`` is ``+0.0``), so a *fast-math*
    rewrite, off unless the user opts in with ``Mode(including=["fast_math"])``."""
    out = node.outputs[0]
    if np.dtype(out.type.dtype).kind not in "fc":
        return None  # sum_of_negations does these for integers
    if node.op.scalar.name == "neg":
        inner = ew(node.inputs[0], "sub")
        return None if inner is None else same_or_none(E.sub(inner.inputs[1], inner.inputs[0]), out)
    if node.op.scalar.name == "add":
        na, nb = ew(node.inputs[0], "neg"), ew(node.inputs[1], "neg")
        if na is not None and nb is not None and _negation_exact(na.inputs[0], out) \
                and _negation_exact(nb.inputs[0], out):
            return same_or_none(E.neg(E.add(na.inputs[0], nb.inputs[0])), out)
    return None


def same_or_none(new: Variable, old: Variable) -> Result:
    v = same_dtype(new, old)
    return None if v is None else [v]


def useless_cast(fgraph: FunctionGraph, node: Apply) -> Result:
    """A cast to the dtype ``x`` already has → ``x``; ``cast(cast(x, a), b)`` →
    ``cast(x, b)`` when ``a`` holds every value of ``x`` exactly."""
    if not isinstance(node.op, E.Elemwise) or not node.op.scalar.name.startswith("cast_"):
        return None
    x, out = node.inputs[0], node.outputs[0]
    if x.type.dtype == out.type.dtype:
        return [x]
    inner = ew(x, *(n for n in E.SCALAR_OPS if n.startswith("cast_")))
    if inner is not None:
        src = inner.inputs[0]
        if np.can_cast(src.type.dtype, x.type.dtype, "safe"):
            return [E.cast(src, out.type.dtype)]
    return None


def useless_identity(fgraph: FunctionGraph, node: Apply) -> Result:
    """``identity(x)`` → ``x`` (the linker still copies an output that is an input)."""
    return [node.inputs[0]]


def index_of_padleft(fgraph: FunctionGraph, node: Apply) -> Result:
    """``dimshuffle{x,0,1,...}(v)[0]`` (or ``[-1]``) → ``v``: the one row of an axis added in front is
    ``v`` itself (the same values, shape, dtype; the index cannot fail on an axis of length 1). A
    one-step loop inlined (``scan_inline_one_step``) reads its stacked outputs' last step this way."""
    op = node.op
    if not isinstance(op, Subtensor) or op.template not in ((0,), (-1,)) or len(node.inputs) != 1:
        return None
    src = node.inputs[0].owner
    if src is None or not isinstance(src.op, DimShuffle):
        return None
    v = src.inputs[0]
    if tuple(src.op.pattern) != ("x",) + tuple(range(v.ndim)):
        return None
    return _keep(v, node.outputs[0])


def _reshape_fits(size: int, dims: Sequence[int]) -> bool:
    """Whether NumPy reshapes an array of ``size`` elements to ``dims`` (at most one -1, the
    other entries sizes; with a -1 the rest must be a non-zero divisor of ``size``)."""
    if dims.count(-1) > 1 or any(d < -1 for d in dims):
        return False
    rest = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
    if -1 not in dims:
        return rest == size
    return rest != 0 and size % rest == 0


def _inner_reshape_implied(x: Variable, inner: Variable, outer: Variable) -> bool:
    """Whether ``reshape(x, inner)`` succeeds whenever ``reshape(x, outer)`` does, so that
    dropping it loses no error: both shapes constants, and every size ``outer`` accepts is one
    ``inner`` accepts (or ``x``'s size is static and ``inner`` accepts it)."""
    k1, k2 = static_vector(inner), static_vector(outer)
    if k1 is None or None in k1 or k1.count(-1) > 1 or any(d < -1 for d in k1):
        return False
    if None not in x.type.shape:
        return _reshape_fits(int(np.prod(x.type.shape, dtype=np.int64)), k1)
    if k2 is None or None in k2 or k2.count(-1) > 1 or any(d < -1 for d in k2):
        return False
    q1 = int(np.prod([d for d in k1 if d != -1], dtype=np.int64))
    q2 = int(np.prod([d for d in k2 if d != -1], dtype=np.int64))
    if -1 not in k1:  # inner accepts exactly q1 elements
        return -1 not in k2 and q2 == q1
    # inner accepts the multiples of q1 (q1 > 0); outer accepts q2, or the multiples of q2
    return q1 != 0 and (q2 % q1 == 0 if -1 not in k2 else q2 != 0 and q2 % q1 == 0)


def reshape_chain(fgraph: FunctionGraph, node: Apply) -> Result:
    """``reshape(reshape(x, s1), s2)`` → ``reshape(x, s2)`` where the first reshape cannot fail
    when the second succeeds (:func:`_inner_reshape_implied`: otherwise dropping it would turn
    its error into a result -- ``x.reshape((3, -1)).reshape((-1,))`` of one element); a reshape
    to the shape ``x`` is known to have, or to ``x.shape`` itself → ``x``."""
    x, shp = node.inputs
    out = node.outputs[0]
    inner = x.owner
    if inner is not None and isinstance(inner.op, Reshape):
        if not _inner_reshape_implied(inner.inputs[0], inner.inputs[1], shp):
            return None
        return [reshape(inner.inputs[0], shp, ndim=out.type.ndim)]
    if shp.owner is not None and type(shp.owner.op) is Shape and shp.owner.inputs[0] is x:
        return [x]
    known = static_vector(shp)
    if known is not None and None not in x.type.shape and x.type.ndim == len(known):
        if all(k is not None and (k == d or (k == -1 and x.type.ndim == 1)) for k, d in zip(known, x.type.shape)):
            return [x]
    return None


def dimshuffle_chain(fgraph: FunctionGraph, node: Apply) -> Result:
    """Two dimshuffles (transposes, broadcast axes) in a row → one; a
    dimshuffle that keeps every axis in place → its input."""
    op: DimShuffle = node.op
    x = node.inputs[0]
    if op.pattern == tuple(range(op.input_ndim)):
        return [x]
    inner = x.owner
    if inner is None or not isinstance(inner.op, DimShuffle):
        return None
    first = inner.op.pattern
    composed = tuple("x" if p == "x" else first[p] for p in op.pattern)
    return [dimshuffle(inner.inputs[0], composed)]


def useless_alloc(fgraph: FunctionGraph, node: Apply) -> Result:
    """``alloc(v, *shape)`` → ``v`` when ``v`` is known to have that shape already;
    ``fill(m, v)`` → ``v`` when ``m`` cannot enlarge ``v`` (or ``m`` is ``v``)."""
    out = node.outputs[0]
    if isinstance(node.op, Alloc):
        v = node.inputs[0]
        if v.type.ndim == out.type.ndim and None not in out.type.shape and v.type.shape == out.type.shape:
            return same_or_none(v, out)
        return None
    m, v = node.inputs
    if covers(v, m):
        return same_or_none(v, out)  # m is computed for v anyway
    if cannot_enlarge(m, v):
        # m is read for its shape only, and no longer computed: the checks its computation made
        # stay (a dot of mismatched shapes must still raise)
        kept = keep_checks(fgraph, v, m, node)
        return None if kept is None else same_or_none(kept, out)
    return None


def covers(v: Variable, m: Variable, depth: int = 4) -> bool:
    """Whether ``v``'s shape is always at least ``m``'s (broadcasting ``m``
    against ``v`` gives ``v``'s shape): ``v`` is ``m``, or is computed
    element-wise from something that covers ``m``."""
    if v is m:
        return True
    node = v.owner
    if depth == 0 or node is None or not isinstance(node.op, E.Elemwise) or v.type.ndim < m.type.ndim:
        return False
    return any(covers(i, m, depth - 1) for i in node.inputs)


def elemwise_of_alloc(fgraph: FunctionGraph, node: Apply) -> Result:
    """An element-wise op reading ``fill(m, v)`` where ``m`` is also one of its
    inputs (or ``alloc(v, ...)`` whose shape the other inputs fix statically)
    reads ``v`` instead: broadcasting gives the same shape without the copy.
    (Gradients make many ``fill(cost, 1)``.)"""
    if not isinstance(node.op, E.Elemwise):
        return None
    out = node.outputs[0]
    ins = list(node.inputs)
    changed = False
    for k, u in enumerate(ins):
        src = u.owner
        if src is None:
            continue
        others = ins[:k] + ins[k + 1:]
        if isinstance(src.op, E.Elemwise) and src.op.scalar.name == "second":
            m, v = src.inputs
            if v.type.dtype == u.type.dtype and v.type.ndim <= out.type.ndim and any(o is m for o in others):
                ins[k], changed = v, True
        elif isinstance(src.op, Alloc):
            v = src.inputs[0]
            if v.type.dtype != u.type.dtype or None in u.type.shape:
                continue
            from framework.core.types import broadcast_shapes

            rest = broadcast_shapes([o.type.shape for o in others] + [v.type.shape])
            if rest is not None and None not in rest and rest == out.type.shape:
                ins[k], changed = v, True
    if not changed:
        return None
    new = node.op.make_node(*ins).outputs[0]
    if new.type.dtype != out.type.dtype or new.type.ndim != out.type.ndim:
        return None
    return [new]


_ARITH = ("add", "sub", "mul", "true_div")


def useless_sum_to_shape(fgraph: FunctionGraph, node: Apply) -> Result:
    """``sum_to_shape(g, *sizes)`` -> ``g`` when ``g`` provably has those sizes
    already (equal shape signatures: nothing was broadcast, so nothing to sum)."""
    if not isinstance(node.op, E.SumToShape):
        return None
    g, out = node.inputs[0], node.outputs[0]
    if g.type.ndim == out.type.ndim and shape_signature(g) == shape_signature(out):
        return _keep(g, out)
    return None


def elemwise_of_broadcast(fgraph: FunctionGraph, node: Apply) -> Result:
    """``f(broadcast_like(g, x), y, ...)`` -> ``f(g, y, ...)`` when the other
    inputs provably broadcast to that shape on their own -- on every axis where the
    broadcast is not statically 1 (a column ``(n, 1)`` beside an ``(n, m)`` operand
    qualifies: the gradient of a mean, scaling each row) -- so the element-wise op
    broadcasts ``g`` itself, without materialising the view (a ~2 us ``broadcast_to``
    each, and a column operand's slower loop). The result's shape cannot change: every
    axis of the broadcast is 1 or the others' own size (and ``same_or_none`` refuses a
    change of rank)."""
    if not isinstance(node.op, E.Elemwise):
        return None
    inputs = list(node.inputs)
    changed = False
    for k, v in enumerate(inputs):
        src = v.owner
        if src is None or not isinstance(src.op, BroadcastLike):
            continue
        others = [shape_signature(u) for j, u in enumerate(inputs)
                  if j != k and isinstance(u.type, TensorType)]
        if not others:
            continue
        theirs = broadcast_signature(others, v.type.ndim)
        if all(mine == 1 or mine == their for mine, their in zip(shape_signature(v), theirs)):
            inputs[k] = src.inputs[0]
            changed = True
    if not changed:
        return None
    new = node.op.make_node(*inputs).outputs[0]
    return same_or_none(new, node.outputs[0])



def dimshuffle_of_broadcast(fgraph: FunctionGraph, node: Apply) -> Result:
    """``dimshuffle(broadcast_like(s, *dims))`` -> ``broadcast_like(s, *dims')`` for a 0-d ``s``
    (``dims`` permuted as the pattern says, a constant 1 for each ``'x'``): a scalar broadcast to a
    shape and then reordered is the scalar broadcast to the reordered shape. The gradient of a
    mean through a row sum makes ``dimshuffle{0,x}(broadcast_like(-1/n, n))``; lifted, it meets
    ``elemwise_of_broadcast`` in the multiply that scales each row."""
    if not isinstance(node.op, DimShuffle):
        return None
    src = node.inputs[0].owner
    if src is None or not isinstance(src.op, BroadcastLike) or src.inputs[0].type.ndim != 0:
        return None
    dims = src.inputs[1:]
    one = constant(np.int64(1))
    new = BroadcastLike()(src.inputs[0], *[one if p == "x" else dims[p] for p in node.op.pattern])
    out = node.outputs[0]
    return [new] if new.type == out.type else None


def broadcast_after_elemwise(fgraph: FunctionGraph, node: Apply) -> Result:
    """``f(broadcast_like(g, *dims), c)`` -> ``broadcast_like(f(g, c), *dims)`` when
    every other input ``c`` has size 1 on every axis (a one-input ``f`` too: the
    gradient of a mean's ``-broadcast_like(1/n, n)``): ``f`` then runs on ``g``'s
    few elements (and fuses with what made ``g``), and the broadcast moves on towards
    a reader that can drop it (``elemwise_of_broadcast``). Only for a broadcast read
    by this node alone."""
    if not isinstance(node.op, E.Elemwise) or not node.inputs:
        return None
    out = node.outputs[0]
    found = None
    for k, v in enumerate(node.inputs):
        src = v.owner
        if src is not None and isinstance(src.op, BroadcastLike) and found is None:
            found = k
        elif not isinstance(v.type, TensorType) or any(d != 1 for d in v.type.shape) or v.type.ndim > out.ndim:
            return None
    if found is None:
        return None
    bl = node.inputs[found]
    if not single_client(fgraph, bl) or bl.type.ndim != out.type.ndim:
        return None
    small = list(node.inputs)
    small[found] = bl.owner.inputs[0]
    inner = node.op.make_node(*small).outputs[0]
    return same_or_none(BroadcastLike()(inner, *bl.owner.inputs[1:]), out)


def filled_constant_shape(fgraph: FunctionGraph, node: Apply) -> Result:
    """``ones_like(x)`` / ``zeros_like(x)`` -> a constant when ``x``'s shape is
    static: the gradient's seed ``ones_like(cost)`` then no longer makes the
    compiled function compute the cost just to read its (known) shape."""
    if not isinstance(node.op, E.Elemwise) or node.op.name not in ("ones_like", "zeros_like"):
        return None
    out = node.outputs[0]
    if None in out.type.shape or int(np.prod(out.type.shape)) > 64:
        return None
    fill = np.ones if node.op.name == "ones_like" else np.zeros
    value = keep_checks(fgraph, _const(fill(out.type.shape, dtype=out.type.dtype)), node.inputs[0], node)
    return None if value is None else [value]


def _const(value: np.ndarray) -> Variable:
    return constant(value)


REWRITES = [
    RewriteSpec("filled_constant_shape", filled_constant_shape, stage="canonicalize",
                tracks=("ones_like", "zeros_like"), tags=("canonicalize",),
                doc="ones_like(x)/zeros_like(x) -> constant when x's shape is static"),
    RewriteSpec("useless_sum_to_shape", useless_sum_to_shape, stage="canonicalize", tracks=("sum_to_shape",),
                tags=("canonicalize", "shape"), doc="sum_to_shape(g, sizes) -> g when g provably has those sizes"),
    RewriteSpec("elemwise_of_broadcast", elemwise_of_broadcast, stage="canonicalize", tags=("canonicalize",),
                doc="f(broadcast_like(g, x), y) -> f(g, y) when y provably broadcasts to x's shape"),
    RewriteSpec("dimshuffle_of_broadcast", dimshuffle_of_broadcast, stage="canonicalize", tracks=("dimshuffle",),
                tags=("canonicalize",), doc="dimshuffle(broadcast_like(s, dims)) -> broadcast_like(s, dims') for 0-d s"),
    RewriteSpec("broadcast_after_elemwise", broadcast_after_elemwise, stage="canonicalize",
                tags=("canonicalize",), doc="f(broadcast_like(g, x), c) -> broadcast_like(f(g, c), x) for size-1 c"),
    RewriteSpec("useless_arithmetic", useless_arithmetic, stage="canonicalize", tracks=_ARITH,
                tags=("canonicalize",), doc="x*1, x-0, x/1 -> x; integer (or -0.0) x+0 -> x, 0-x -> -x"),
    RewriteSpec("add_float_zero", add_float_zero, stage="canonicalize", tracks=("add", "sub"),
                tags=("canonicalize", "fast_math", "off_by_default"),
                doc="float x+0.0 -> x, 0.0-x -> -x (fast math: changes the sign of zero results)"),
    RewriteSpec("double_negation", double_negation, stage="canonicalize", tracks=("neg",),
                tags=("canonicalize",), doc="--x -> x"),
    RewriteSpec("double_negation_late", double_negation, stage="specialize", tracks=("neg",),
                tags=("canonicalize",), doc="--x -> x, again after stabilisation"),
    RewriteSpec("subtract_self", subtract_self, stage="canonicalize", tracks=("sub",),
                tags=("canonicalize", "fast_math", "off_by_default"),
                doc="x - x -> zeros_like(x) (fast math: wrong for nan/inf x, off unless included)"),
    RewriteSpec("sum_of_negations", sum_of_negations, stage="canonicalize", tracks=("add", "sub", "mul", "neg"),
                tags=("canonicalize",), doc="x + -y -> x - y and friends"),
    RewriteSpec("negated_sum", negated_sum, stage="canonicalize", tracks=("add", "neg"),
                tags=("canonicalize", "fast_math", "off_by_default"),
                doc="float -(x - y) -> y - x, -x + -y -> -(x + y) (fast math: changes the sign of zero results)"),
    RewriteSpec("useless_cast", useless_cast, stage="canonicalize", tags=("canonicalize",),
                doc="cast to the same dtype -> x; cast(cast(x)) -> one cast"),
    RewriteSpec("useless_identity", useless_identity, stage="canonicalize", tracks=("identity",),
                tags=("canonicalize",), doc="identity(x) -> x"),
    RewriteSpec("index_of_padleft", index_of_padleft, stage="canonicalize", tracks=("subtensor",),
                tags=("canonicalize",), doc="dimshuffle{x,0,..}(v)[0] or [-1] -> v"),
    RewriteSpec("reshape_chain", reshape_chain, stage="canonicalize", tracks=("reshape",),
                tags=("canonicalize",), doc="reshape(reshape(x)) -> reshape(x); reshape to own shape -> x"),
    RewriteSpec("dimshuffle_chain", dimshuffle_chain, stage="canonicalize", tracks=("dimshuffle",),
                tags=("canonicalize",), doc="dimshuffle(dimshuffle(x)) -> dimshuffle(x); identity -> x"),
    RewriteSpec("useless_alloc", useless_alloc, stage="canonicalize", tracks=("alloc", "second"),
                tags=("canonicalize",), doc="alloc/fill of a value that already has the shape -> the value"),
    RewriteSpec("elemwise_of_alloc", elemwise_of_alloc, stage="canonicalize", tags=("canonicalize",),
                doc="elemwise(fill(m, v), m) -> elemwise(v, m)"),
]
