"""Values a loop already computed at its last step are read from it, not recomputed.

The tutorial's RBM computes the free energy of the chain's end,
``F(nv[-1])``, after the Gibbs loop: its ``dot(nv[-1], W) + hbias`` is exactly
the loop's own ``pre_sigmoid_nh`` at the last step (the body computes it from
the same sample), so the graph pays a second GEMM for a value the loop
returns anyway. A careful hand-written step reuses it.

:func:`scan_reuse_last_step` compares, structurally, every expression outside
a scan built only from last steps of its outputs (``y_k[-1]``), its
non-sequences and constants with the body's outputs written in terms of the
body's ``y_k`` and non-sequences; an equal one is replaced by the matching
output's last step ``y_j[-1]``. Structural equality means the same ops (equal
by their properties) on the same inputs, so the value is the same array, bit
for bit; nothing about the inputs is assumed.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Constant, Variable
from framework.core.random_ops import RandomVariable
from framework.core.scan import Scan
from framework.core.subtensor import Subtensor
from framework.plugins import RewriteSpec

Key = Any
MAX_DEPTH = 12  # expressions deeper than this are not compared (a guard on cost)


def _const_key(c: Constant) -> Key:
    data = np.asarray(c.data)
    return ("const", str(data.dtype), data.shape, data.tobytes(), getattr(c, "weak", False))


class _Keys:
    """Structural keys of variables: leaves mapped by ``leaves``, everything else by its node."""

    def __init__(self, leaves: Dict[Variable, Key]) -> None:
        self.leaves = leaves
        self.memo: Dict[Variable, Optional[Key]] = {}

    def __call__(self, v: Variable, depth: int = 0) -> Optional[Key]:
        if v in self.memo:
            return self.memo[v]
        key: Optional[Key] = None
        if v in self.leaves:
            key = self.leaves[v]
        elif isinstance(v, Constant):
            key = _const_key(v)
        elif v.owner is not None and depth < MAX_DEPTH and not isinstance(v.owner.op, (RandomVariable, Scan)):
            ins = [self(i, depth + 1) for i in v.owner.inputs]
            if None not in ins:
                key = (v.owner.op, tuple(ins), v.index)
        self.memo[v] = key
        return key


def _last_step_readers(fgraph: FunctionGraph, out: Variable) -> List[Variable]:
    """``out[-1]`` nodes' outputs (a static index -1 on the step axis, nothing else)."""
    found = []
    for client, _ in fgraph.clients.get(out, []):
        if isinstance(client, Apply) and isinstance(client.op, Subtensor) and client.op.template == (-1,) \
                and len(client.inputs) == 1:
            found.append(client.outputs[0])
    return found


def _reuse(fgraph: FunctionGraph, node: Apply) -> bool:
    op: Scan = node.op
    n_out = op.n_rec + op.n_nonrec
    inner_outs = op.inner.outputs[:n_out]
    *_, i_ns = op.inner_parts()
    *_, o_ns = op.outer_parts(node.inputs)
    if any(k is not None for k in op.keep):
        return False  # only before the loop's storage is trimmed: every output is still whole
    outer_leaves: Dict[Variable, Key] = {}
    for i, v in enumerate(o_ns):
        outer_leaves.setdefault(v, ("ns", i))
    last: Dict[int, Variable] = {}
    for k in range(n_out):
        for r in _last_step_readers(fgraph, node.outputs[k]):
            outer_leaves[r] = ("out", k)
            last.setdefault(k, r)
    if not last:
        return False
    inner_leaves: Dict[Variable, Key] = {v: ("ns", i) for i, v in enumerate(i_ns)}
    for k in last:
        inner_leaves.setdefault(inner_outs[k], ("out", k))
    inner_key = _Keys(inner_leaves)
    wanted: Dict[Key, int] = {}
    for j, y in enumerate(inner_outs):
        if y in inner_leaves or y.owner is None:
            continue
        key = inner_key(y)
        if key is not None:
            wanted.setdefault(key, j)
    if not wanted:
        return False
    outer_key = _Keys(outer_leaves)
    for v_node in fgraph.toposort():
        if v_node is node:
            continue
        for v in v_node.outputs:
            if v in outer_leaves or not fgraph.clients.get(v):
                continue
            key = outer_key(v)
            j = wanted.get(key) if key is not None else None
            if j is None or node.outputs[j].type.ndim != v.type.ndim + 1:
                continue
            new = Subtensor((-1,))(node.outputs[j])
            if new.type.dtype != v.type.dtype:
                continue
            new.name = v.name
            fgraph.replace(v, new, reason="scan_reuse_last_step")
            return True
    return False


def scan_reuse_last_step(fgraph: FunctionGraph) -> None:
    """Replace expressions of a scan's last steps that equal one of its outputs by that output's last step."""
    for _ in range(64):
        for node in fgraph.toposort():
            if isinstance(node.op, Scan) and _reuse(fgraph, node):
                break
        else:
            return


REWRITES = [
    RewriteSpec("scan_reuse_last_step", scan_reuse_last_step, stage="scan_reuse", after="canonicalize",
                kind="global", tags=("scan",),
                doc="f(y_k[-1], non-sequences) outside a scan whose body outputs the same f(y_k, ...) as y_j -> "
                    "y_j[-1] (the RBM's F(chain_end) reuses the loop's last pre-sigmoid activation)"),
]
