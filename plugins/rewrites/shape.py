"""Shape simplification: sizes known when compiling become constants, and the
size of a computed tensor is read from the inputs it was computed from (so the
computation itself is not needed just for its shape).
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np

from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Variable
from framework.core.shape_infer import BroadcastDim, as_dim, infer_shapes, keep_checks
from framework.core.shape_ops import Shape, Shape_i, make_vector
from framework.core.subtensor import Subtensor
from framework.core.variable import constant
from framework.plugins import RewriteSpec

Result = Optional[List[Variable]]

def _int64(v: int) -> Variable:
    return constant(np.int64(v))


def shape_i_static(fgraph: FunctionGraph, node: Apply) -> Result:
    """``x.shape[i]`` → a constant when ``x``'s size on axis ``i`` is static."""
    if not isinstance(node.op, Shape_i):
        return None
    d = node.inputs[0].type.shape[node.op.i]
    return None if d is None else _checked(fgraph, _int64(d), node)


def shape_static(fgraph: FunctionGraph, node: Apply) -> Result:
    """``x.shape`` → a constant vector when every size of ``x`` is static."""
    if not isinstance(node.op, Shape):
        return None
    shp = node.inputs[0].type.shape
    if None in shp:
        return None
    return _checked(fgraph, constant(np.asarray(shp, dtype="int64")), node)


def _checked(fgraph: FunctionGraph, value: Variable, node: Apply) -> Result:
    """``value`` replacing ``node`` (which reads its input's shape), keeping the
    checks of the node that computes that input."""
    out = keep_checks(fgraph, value, node.inputs[0], node)
    return None if out is None else [out]


def _one_size(node: Apply) -> bool:
    """Whether ``node`` reads one entry of a vector at a constant index."""
    op = node.op
    return isinstance(op, Subtensor) and len(op.template) == 1 and isinstance(op.template[0], int)


def shape_subtensor(fgraph: FunctionGraph, node: Apply) -> Result:
    """``x.shape[i]`` (indexing the shape vector with a constant) → ``shape_i(x, i)``."""
    op = node.op
    if not _one_size(node):
        return None
    src = node.inputs[0].owner
    if src is None or not isinstance(src.op, Shape):
        return None
    x = src.inputs[0]
    i = op.template[0]
    if not -x.type.ndim <= i < x.type.ndim:
        return None
    # a static size too becomes shape_i: shape_i_static folds it, keeping the checks of what
    # computes x (a constant here would drop them: x0[i][None].shape[0] is 1 only if x0[i] exists)
    return [Shape_i(i % x.type.ndim)(x)]


def shape_i_lift(fgraph: FunctionGraph, node: Apply) -> Result:
    """``shape_i(op(...), i)`` → the size read from ``op``'s inputs through the
    op's own ``infer_shape``; the sizes ``op``'s kernel would have checked are
    kept as a ``check_shapes`` node unless they are proven equal."""
    if not isinstance(node.op, Shape_i):
        return None
    v = node.inputs[0]
    src = v.owner
    if src is None:
        return None
    shapes = infer_shapes(src)
    if shapes is None:
        return None
    d = as_dim(shapes[v.index][node.op.i])
    if d.owner is not None and (d.owner.op == node.op and d.owner.inputs[0] is v
                                or isinstance(d.owner.op, BroadcastDim)):
        # a broadcast of sizes that may differ: reading it from the op's own output
        # is as cheap, and its run-time broadcast check reports a mismatch at the user's line
        return None
    out = keep_checks(fgraph, d, v, node)
    return None if out is None else [out]


def shape_lift(fgraph: FunctionGraph, node: Apply) -> Result:
    """``shape(op(...))`` → the sizes read from ``op``'s inputs through its ``infer_shape``,
    where this read is all ``op`` runs for (so it stops running: a loop only its result's
    shape is read of, say); its checks are kept as ``shape_i_lift`` keeps them."""
    if not isinstance(node.op, Shape):
        return None
    v = node.inputs[0]
    src = v.owner
    if src is None or None not in v.type.shape:
        return None
    if any(client is not node for o in src.outputs for client, _ in fgraph.clients.get(o, ())):
        return None
    if all(client != "output" and _one_size(client) for client, _ in fgraph.clients.get(node.outputs[0], ())):
        return None  # each reader takes one size: shape_subtensor makes them shape_i, lifted one by one
    shapes = infer_shapes(src)
    if shapes is None or len(shapes[v.index]) != v.type.ndim:
        return None
    dims = []
    for static, d in zip(v.type.shape, shapes[v.index]):
        d = as_dim(d if static is None else static)
        if d.owner is not None and isinstance(d.owner.op, Shape_i) and d.owner.inputs[0] is v:
            return None  # a size the op cannot give without running
        dims.append(d)
    return _checked(fgraph, make_vector(*dims, dtype="int64"), node)


REWRITES = [
    RewriteSpec("shape_i_static", shape_i_static, stage="canonicalize", tracks=("shape_i",),
                tags=("shape",), doc="x.shape[i] -> constant when static"),
    RewriteSpec("shape_static", shape_static, stage="canonicalize", tracks=("shape",),
                tags=("shape",), doc="x.shape -> constant when fully static"),
    RewriteSpec("shape_subtensor", shape_subtensor, stage="canonicalize", tracks=("subtensor",),
                tags=("shape",), doc="shape(x)[i] -> shape_i(x, i)"),
    RewriteSpec("shape_i_lift", shape_i_lift, stage="canonicalize", tracks=("shape_i",),
                tags=("shape",), doc="shape of an op's output read from its inputs"),
    RewriteSpec("shape_lift", shape_lift, stage="canonicalize", tracks=("shape",),
                tags=("shape",), doc="x.shape read from the inputs of the op that computes x, when only "
                                     "that shape is read of it (the op stops running)"),
]
