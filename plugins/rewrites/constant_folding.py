"""Constant folding: a node whose inputs are all constants is computed once,
at compile time, with the op's reference implementation on NumPy.

Not folded: ops on non-tensor values (random states), ops that overwrite an
input, ops without a reference implementation (a ``scan`` over constants: it
runs through its kernel), ops whose reference implementation raises on these
constants (the error is the run-time one, with its message, when the function
runs -- a rewrite never changes an error), and ops whose result would be much
larger than their inputs (an ``alloc`` of a big array: keeping it symbolic
costs nothing and keeps the compiled function small).
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np

from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Constant, Variable
from framework.core.op import Op
from framework.core.types import TensorType
from framework.core.variable import TensorConstant
from framework.plugins import RewriteSpec

MAX_GROWTH = 1024
"""Fold a node only if its result has at most this many elements more than its largest input."""


def _foldable(node: Apply) -> bool:
    op = node.op
    if getattr(op, "destroy_map", None) or getattr(op, "nondeterministic", False):
        return False
    if not node.inputs or getattr(type(op), "impl", Op.impl) is Op.impl:
        return False
    return all(isinstance(v, Constant) and isinstance(v.type, TensorType) for v in node.inputs) and all(
        isinstance(o.type, TensorType) for o in node.outputs)


def constant_folding(fgraph: FunctionGraph, node: Apply) -> Optional[List[Variable]]:
    """Replace a node of constant inputs by constants holding its results."""
    if not _foldable(node):
        return None
    values = [v.data for v in node.inputs]
    # predict the size from static shapes to avoid computing a huge alloc
    biggest = max(int(np.size(v)) for v in values)
    for o in node.outputs:
        if None not in o.type.shape and int(np.prod(o.type.shape, dtype=np.int64)) > biggest + MAX_GROWTH:
            return None
    try:
        with np.errstate(all="ignore"):
            out = node.op.impl(np, *values)
    except Exception:  # the node raises when it runs, with its own message and the user's line
        return None
    outs = list(out) if len(node.outputs) > 1 else [out]
    new: List[Variable] = []
    for o, val in zip(node.outputs, outs):
        arr = np.asarray(val)
        if arr.size > biggest + MAX_GROWTH:
            return None
        if arr.dtype != np.dtype(o.type.dtype):
            arr = arr.astype(o.type.dtype)
        if arr.ndim != o.type.ndim:
            return None
        arr = np.array(arr, copy=True)
        arr.setflags(write=False)
        new.append(TensorConstant(TensorType(o.type.dtype, arr.shape), arr))
    return new


REWRITES = [
    RewriteSpec("constant_folding", constant_folding, stage="canonicalize", tags=("constant_folding",),
                doc="compute nodes of constant inputs at compile time"),
]
