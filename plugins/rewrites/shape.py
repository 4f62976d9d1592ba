"""Shape simplification: sizes known when compiling become constants, and the
size of a computed tensor is read from the inputs it was computed from (so the
computation itself is not needed just for its shape).
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np

from framework.core import elemwise as E
from framework.core.blas import Dot
from framework.core.elemwise import Elemwise
from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Variable
from framework.core.reduce import Reduce
from framework.core.shape_ops import Alloc, BroadcastLike, DimShuffle, Shape, Shape_i
from framework.core.shape_sig import shape_signature
from framework.core.elemwise import SumToShape
from framework.core.grad import GradCut
from framework.core.nnet_ops import LogSoftmax, Softmax
from framework.core.subtensor import IncSubtensor, Subtensor
from framework.core.variable import constant
from framework.plugins import RewriteSpec

Result = Optional[List[Variable]]

SAME_SHAPE = (Softmax, LogSoftmax, IncSubtensor, GradCut)
"""Ops whose output always has the shape of their first input."""


def _int64(v: int) -> Variable:
    return constant(np.int64(v))


def shape_i_static(fgraph: FunctionGraph, node: Apply) -> Result:
    """``x.shape[i]`` → a constant when ``x``'s size on axis ``i`` is static."""
    if not isinstance(node.op, Shape_i):
        return None
    d = node.inputs[0].type.shape[node.op.i]
    return None if d is None else [_int64(d)]


def shape_static(fgraph: FunctionGraph, node: Apply) -> Result:
    """``x.shape`` → a constant vector when every size of ``x`` is static."""
    if not isinstance(node.op, Shape):
        return None
    shp = node.inputs[0].type.shape
    if None in shp:
        return None
    return [constant(np.asarray(shp, dtype="int64"))]


def shape_subtensor(fgraph: FunctionGraph, node: Apply) -> Result:
    """``x.shape[i]`` (indexing the shape vector with a constant) → ``shape_i(x, i)``."""
    op = node.op
    if not isinstance(op, Subtensor) or len(op.template) != 1 or not isinstance(op.template[0], int):
        return None
    src = node.inputs[0].owner
    if src is None or not isinstance(src.op, Shape):
        return None
    x = src.inputs[0]
    i = op.template[0]
    if not -x.type.ndim <= i < x.type.ndim:
        return None
    i %= x.type.ndim
    d = x.type.shape[i]
    return [_int64(d) if d is not None else Shape_i(i)(x)]


def shape_i_lift(fgraph: FunctionGraph, node: Apply) -> Result:
    """``shape_i(op(...), i)`` → the size read from ``op``'s inputs, for
    element-wise ops (from the one input that fixes that axis), dimshuffles,
    allocs, dots, reductions and broadcasts."""
    if not isinstance(node.op, Shape_i):
        return None
    i = node.op.i
    v = node.inputs[0]
    src = v.owner
    if src is None:
        return None
    op = src.op
    if isinstance(op, Elemwise):
        return _from_broadcast(src.inputs, v, i)
    if isinstance(op, SAME_SHAPE):  # the output has input 0's shape
        return [Shape_i(i)(src.inputs[0])]
    if isinstance(op, DimShuffle):
        p = op.pattern[i]
        return [_int64(1)] if p == "x" else [Shape_i(p)(src.inputs[0])]
    if isinstance(op, Alloc):
        d = src.inputs[1 + i]
        return [d if d.type.dtype == "int64" else E.cast(d, "int64")]
    if isinstance(op, (BroadcastLike, SumToShape)):
        d = src.inputs[1 + i]
        return [d if d.type.dtype == "int64" else E.cast(d, "int64")]
    if isinstance(op, Dot):  # a.shape[:-1] + b.shape[1:]
        a, b = src.inputs
        if i < a.type.ndim - 1:
            return [Shape_i(i)(a)]
        return [Shape_i(i - (a.type.ndim - 1) + 1)(b)]
    if isinstance(op, Reduce):
        x = src.inputs[0]
        axes = range(x.type.ndim) if op.axis is None else op.axis
        kept = [a for a in range(x.type.ndim) if a not in axes or op.keepdims]
        a = kept[i]
        if a in axes:  # a reduced axis kept with size 1
            return [_int64(1)]
        return [Shape_i(a)(x)]
    return None


def _from_broadcast(inputs: List[Variable], out: Variable, i: int) -> Result:
    """The size on axis ``i`` of a broadcast of ``inputs``, read from the one
    input whose size there cannot be enlarged by the others."""
    nd = out.type.ndim
    cands = []
    for x in inputs:
        off = nd - x.type.ndim
        if i < off or x.type.shape[i - off] == 1:
            continue  # this input has no axis there, or size 1: it never decides
        cands.append((x, i - off))
    if len(cands) == 1:
        x, ax = cands[0]
        return [Shape_i(ax)(x)]
    if not cands:
        return [_int64(1)]
    # several could decide: fine when their sizes there are provably the same
    sigs = {shape_signature(x)[ax] for x, ax in cands}
    if len(sigs) == 1:
        x, ax = min(cands, key=lambda c: c[0].owner is not None)  # prefer a root variable
        return [Shape_i(ax)(x)]
    # sizes that may differ: leave it to the op itself, whose run-time broadcast
    # check then reports a mismatch at the user's own line
    return None


REWRITES = [
    RewriteSpec("shape_i_static", shape_i_static, stage="canonicalize", tracks=("shape_i",),
                tags=("shape",), doc="x.shape[i] -> constant when static"),
    RewriteSpec("shape_static", shape_static, stage="canonicalize", tracks=("shape",),
                tags=("shape",), doc="x.shape -> constant when fully static"),
    RewriteSpec("shape_subtensor", shape_subtensor, stage="canonicalize", tracks=("subtensor",),
                tags=("shape",), doc="shape(x)[i] -> shape_i(x, i)"),
    RewriteSpec("shape_i_lift", shape_i_lift, stage="canonicalize", tracks=("shape_i",),
                tags=("shape",), doc="shape of an op's output read from its inputs"),
]
