"""A scan and the copy its gradient replays run as one forward loop.

The gradient of a scan whose body draws random numbers, or whose carries
are not traced (the past values of a multi-tap output, a shared variable's
update), needs forward values the scan node does not output: the samples,
the values of those carries entering each step. ``bptt``
(:mod:`framework.core.scan_grad`) gets them from a copy of the forward loop
that also stacks them, over the same outer inputs, generator states
included, so it draws the same numbers. The original node stays for the cost
and the updates, so the compiled function ran the forward loop twice:
``merge`` never merges nodes that read generator states, and the two nodes
differ anyway (the copy has more outputs).

:func:`scan_merge_forward` reads a scan's outputs from another scan node
that provably computes the same loop with at least the same outputs:

* the very same outer inputs (n_steps, sequences, initial carries --
  generator states included -- and non-sequences). Two loops built by two
  ``scan`` calls draw from two shared states, so they are never merged;
* the same layout and loop facts (``until``, ``truncate_gradient``,
  ``mode``), and no storage facts yet (every ``keep`` whole, no
  ``rng_inplace``): ``scan_save_mem`` then gives the merged node's outputs
  what all their readers need, and ``scan_rng_inplace`` sees one reader of
  each generator state (so a state is advanced once, in place or in a copy);
* each body output of the one structurally equal to a body output of the
  other, of the same kind: each carry's new value (and the ``until``
  condition) at the same position, each per-step output anywhere among the
  other's per-step outputs. Structurally equal: the same op (equal by its
  properties) on equal inputs, the body inputs being equal by position and
  type and constants by value (value numbering over both bodies). A draw is
  a function of its state and parameters, so equal draws give equal numbers;
  an op that overwrites an input (a draw or a nested loop advancing its
  state in place included) or says it is nondeterministic stops the
  comparison.

Then, step by step, both loops see the same inputs (carries by induction),
compute the same values and stop at the same step, so every output of the
one is an output of the other. (Each body is compiled apart: were a body
rewrite that moves rounding to fire in one and not the other -- because an
intermediate is also an output of the copy -- the merged loop gives the
copy's values, those the gradient already read.) The pass runs at the start of
``canonicalize`` (after ``merge``), before ``scan_inline_one_step`` would
inline a one-step pair into two copies of the body, and again at the start of
``specialize`` (after ``merge_before_specialize``, before ``scan_save_mem``): a
gradient taken of a cost that ``grad`` first rewrote (``stabilize``) holds a
copy of the loop whose outer inputs are the cost's own only once those
rewrites ran on the function's graph too.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Constant, Variable, toposort
from framework.core.random_ops import RandomVariable
from framework.core.scan import Scan
from framework.plugins import RewriteSpec

from .scan_reuse import _const_key

SAME = ("n_seqs", "n_rec", "n_state", "n_nonseqs", "until", "truncate_gradient", "mode")


def _numbers(table: Dict[Any, int], op: Scan) -> Optional[List[int]]:
    """The value number of each body output of ``op`` (``table`` is shared between the bodies
    compared), or None where the body holds something not compared."""
    num: Dict[Variable, int] = {}

    def number(key: Any) -> int:
        return table.setdefault(key, len(table))

    def known(v: Variable) -> Optional[int]:
        """A body input's or a computed value's number, a constant's, or None (from outside)."""
        if v not in num and isinstance(v, Constant):
            num[v] = number((v.type,) + _const_key(v))
        return num.get(v)

    for i, v in enumerate(op.inner.inputs):
        num[v] = number(("in", i, v.type))
    for node in toposort(op.inner.outputs, blockers=op.inner.inputs):
        o = node.op
        if getattr(o, "destroy_map", None) or any(getattr(o, "rng_inplace", ())) or (
                getattr(o, "nondeterministic", False) and not isinstance(o, RandomVariable)):
            return None  # it may change an input: equal nodes need not give equal values
        ins = tuple(known(v) for v in node.inputs)
        if None in ins:
            return None
        for out in node.outputs:
            num[out] = number((o, ins, out.index, out.type))
    outs = [known(v) for v in op.inner.outputs]
    return None if None in outs else outs


def _outputs_from(a: Apply, b: Apply) -> Optional[List[Variable]]:
    """``b``'s output equal to each of ``a``'s outputs, or None when ``b`` does not provably
    compute ``a``'s loop (see the module docstring)."""
    oa, ob = a.op, b.op
    if any(getattr(oa, p) != getattr(ob, p) for p in SAME):
        return None
    if any(k is not None for k in oa.keep + ob.keep) or any(oa.rng_inplace + ob.rng_inplace):
        return None  # storage facts are decided afterwards, for the merged node's readers
    table: Dict[Any, int] = {}
    try:
        na, nb = _numbers(table, oa), _numbers(table, ob)
    except TypeError:  # an op or type that cannot be hashed: not compared
        return None
    if na is None or nb is None:
        return None
    sa, sb = oa.n_rec + oa.n_nonrec, ob.n_rec + ob.n_nonrec
    # carries (traced, then the others) and the until condition at the same place
    if na[:oa.n_rec] != nb[:ob.n_rec] or na[sa:] != nb[sb:]:
        return None
    where = list(range(oa.n_rec))
    per_step = {}
    for j in range(ob.n_rec, sb):
        per_step.setdefault(nb[j], j)
    for k in range(oa.n_rec, sa):
        j = per_step.get(na[k])
        if j is None:
            return None
        where.append(j)
    where += range(sb, sb + ob.n_state)
    new = [b.outputs[j] for j in where]
    if any(x.type != y.type for x, y in zip(a.outputs, new)):
        return None
    return new


def scan_merge_forward(fgraph: FunctionGraph) -> None:
    """Read each scan's outputs from another scan node over the same outer inputs that
    computes the same loop with at least its outputs (the copy ``bptt`` collects from)."""
    groups: Dict[tuple, List[Apply]] = {}
    for node in fgraph.toposort():
        if isinstance(node.op, Scan):
            groups.setdefault(tuple(map(id, node.inputs)), []).append(node)
    for live in groups.values():
        while len(live) > 1 and _merge_one(fgraph, live):
            pass


def _merge_one(fgraph: FunctionGraph, live: List[Apply]) -> bool:
    """Merge one node of ``live`` (scans over the same inputs) into another; whether one was."""
    for a in live:
        for b in live:
            new = _outputs_from(a, b) if a is not b else None
            if new is not None:
                for old, nv in zip(a.outputs, new):
                    if fgraph.clients.get(old):
                        fgraph.replace(old, nv, reason="scan_merge_forward")
                live.remove(a)
                return True
    return False


REWRITES = [
    RewriteSpec("scan_merge_forward", scan_merge_forward, stage="canonicalize", kind="global", tags=("scan",),
                doc="a scan whose loop another scan over the same inputs computes with more outputs (the copy "
                    "grad replays to collect samples and untraced carries) -> read from that one: one forward "
                    "loop"),
    # tagged with the first pass's name: excluding "scan_merge_forward" turns off both passes
    RewriteSpec("scan_merge_forward_again", scan_merge_forward, stage="specialize", kind="global",
                tags=("scan", "scan_merge_forward"),
                doc="scan_merge_forward once more after canonicalize and stabilize: the gradient's copy of a loop "
                    "whose outer inputs became those of the cost's own loop only then (a cost the gradient "
                    "rewrote first) -- before scan_save_mem decides what each output keeps"),
]
