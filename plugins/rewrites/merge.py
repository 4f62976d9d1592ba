"""Merging common subexpressions.

Two nodes that apply equal ops (``==``, i.e. same class and ``__props__``) to
the very same input variables compute the same values, so one of them is
enough; equal constants (same type, value and weakness) become one constant.
Nodes whose ops have effects are never merged: they overwrite an input, or read or return a
non-tensor value; a random draw is merged only when it does not advance its state in place (the
same state and parameters give the same numbers).
"""
from __future__ import annotations

from typing import Any, Dict, Tuple

from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Constant
from framework.core.random_ops import RandomVariable
from framework.core.types import TensorType
from framework.plugins import RewriteSpec


def _mergeable(node: Apply) -> bool:
    op = node.op
    if getattr(op, "destroy_map", None) or getattr(op, "nondeterministic", False):
        return False
    if isinstance(op, RandomVariable):
        # a draw is a pure function of its state: equal draws on the very same state and
        # parameters give the same sample and the same new state (a cost and its gradient
        # through an inlined one-step loop drew twice); one advancing its state in place
        # overwrites an input and stays apart
        return not op.inplace
    return all(isinstance(v.type, TensorType) for v in node.inputs + node.outputs)


def merge(fgraph: FunctionGraph) -> None:
    """Merge equal constants, then nodes with equal ops on identical inputs.

    One walk in topological order suffices: once a node's inputs are merged,
    its duplicates have identical inputs too.
    """
    constants: Dict[Any, Constant] = {}
    for node in fgraph.toposort():
        for v in node.inputs:
            if isinstance(v, Constant) and isinstance(v.type, TensorType):
                try:
                    key = v.signature()
                except Exception:  # an unhashable value: leave it alone
                    continue
                kept = constants.setdefault(key, v)
                if kept is not v:
                    fgraph.replace(v, kept, reason="merge")
    seen: Dict[Tuple[Any, ...], Apply] = {}
    for node in fgraph.toposort():
        if not _mergeable(node):
            continue
        try:
            key = (node.op, tuple(id(v) for v in node.inputs))
            kept = seen.setdefault(key, node)
        except TypeError:  # an op whose props are unhashable
            continue
        if kept is node:
            continue
        if any(a.type != b.type and not a.type.is_compatible(b.type) for a, b in zip(node.outputs, kept.outputs)):
            continue
        for old, new in zip(node.outputs, kept.outputs):
            fgraph.replace(old, new, reason="merge")


REWRITES = [
    RewriteSpec("merge", merge, stage="canonicalize", kind="global", tags=("merge",),
                doc="common subexpressions: equal ops on identical inputs, equal constants"),
    RewriteSpec("merge_before_specialize", merge, stage="specialize", kind="global", tags=("merge",),
                doc="merge again what canonicalize and stabilize produced"),
    RewriteSpec("merge_before_fusion", merge, stage="fusion", kind="global", tags=("merge",),
                doc="merge again before fusing element-wise chains"),
]
