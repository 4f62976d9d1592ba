"""Scan's storage rewrites: keep only the steps that are read, advance rng states in place.

Both change only the op's storage facts (``keep``, ``rng_inplace``) or drop
outputs nobody reads; the loop itself (:mod:`framework.core.scan`) reads
those facts and never decides them. Registered by :data:`.scan.SCAN_REWRITES`.
"""
from __future__ import annotations

from typing import Any, List, Optional

from framework.core.graph import Apply, Variable
from framework.core.scan import InnerGraph, Scan, in_place_state


def scan_rng_inplace(fgraph: Any, node: Apply) -> Optional[List[Variable]]:
    """Let a scan advance a shared rng state in place instead of copying it first.

    Safe when the state is a graph input read only by this scan and the
    scan's final state is used only as the update of that same input (see
    :func:`framework.core.random_ops.random_inplace`).
    """
    from framework.core.random_ops import only_updates_itself

    op = node.op
    if not isinstance(op, Scan) or not op.n_state:
        return None
    _, _, _, carries, _ = op.outer_parts(node.inputs)
    first_out = op.n_rec + op.n_nonrec
    flags = list(op.rng_inplace)
    for k, r in enumerate(carries):
        if not flags[k] and in_place_state(r) and only_updates_itself(fgraph, node, first_out + k, r):
            flags[k] = True
    if tuple(flags) == op.rng_inplace:
        return None
    return op.clone(rng_inplace=flags).make_node(*node.inputs).outputs


def _last_steps(client: Any, index: int) -> Optional[int]:
    """How many final steps a client reads from its input ``index``, or None (all)."""
    from framework.core.subtensor import Subtensor, _is_slice_entry

    if isinstance(client, str) or index != 0 or not isinstance(client.op, Subtensor):
        return None
    tpl = client.op.template
    if not tpl:
        return None
    first = tpl[0]
    if isinstance(first, int) and first < 0:
        return -first
    if _is_slice_entry(first):
        _, start, stop, step = first
        if isinstance(start, int) and start < 0 and stop is None and step in (None, 1):
            return -start
    return None


def scan_save_mem(fgraph: Any, node: Apply) -> Optional[List[Variable]]:
    """Store only the steps of a scan's outputs that are used.

    Written against the op's storage fact ``keep`` (one entry per stacked
    output). An output whose every client reads its last k steps (``y[-1]``,
    ``y[-k]``, ``y[-k:]``, with any further indices) gets ``keep = k``: the
    loop holds a ring of k rows (none for k = 1: the last step's value) and
    returns those k steps in order, so the clients' indices mean the same
    thing. A traced carry nobody reads keeps 1; a per-step output nobody
    reads is dropped from the body's outputs altogether. Everything else is
    kept whole.
    """
    op = node.op
    if not isinstance(op, Scan):
        return None
    clients = fgraph.clients
    n_out = op.n_rec + op.n_nonrec
    keep = list(op.keep)
    unused = []
    for k in range(n_out):
        uses = clients.get(node.outputs[k], [])
        if not uses:
            if k >= op.n_rec:
                unused.append(k)
            else:
                keep[k] = 1
            continue
        need = 0
        for client, idx in uses:
            last = _last_steps(client, idx)
            if last is None:
                need = None
                break
            need = max(need, last)
        if need is not None and (keep[k] is None or need < keep[k]):
            keep[k] = need
    if not unused and tuple(keep) == op.keep:
        return None
    if unused:
        drop = set(unused)
        outs = [o for k, o in enumerate(op.inner.outputs) if k not in drop]
        new_op = op.clone(inner=InnerGraph(op.inner.inputs, outs), n_nonrec=op.n_nonrec - len(drop),
                          keep=[kp for k, kp in enumerate(keep) if k not in drop])
    else:
        new_op = op.clone(keep=keep)
    new_outs = iter(new_op.make_node(*node.inputs).outputs)
    return [node.outputs[k] if k in unused else next(new_outs) for k in range(len(node.outputs))]
