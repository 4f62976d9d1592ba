"""A scan of one step is its body, inlined into the outer graph.

CD-1's Gibbs chain is ``scan(..., n_steps=1)``: the loop's fixed cost per
call (checks, the generator-state bookkeeping, allocating results) is paid
for a single call of the body, and the body's nodes are out of reach of the
outer graph's rewrites (merging, fusion, in-place). :func:`scan_inline_one_step`
replaces such a node by its body, with the outer values put in for the inner
inputs: sequence ``k``'s row ``seq_k[0]``, each carry's initial value, the
non-sequences themselves. A stacked output becomes the step's value with a
leading axis of length 1; a final carry is the step's new value.

Exactly what the loop computes, on every input:

* the same ops on the same values, so the same results; the random draws use
  the same generator states in the same order (each draw reads the state the
  previous one returned, as in the body), and a draw copies the caller's state
  unless the in-place rewrites prove no one else reads it, as the loop does;
* the same shapes, and the same failures: the run-time check the loop makes
  on a carry whose size is not known statically (its new value must keep the
  initial value's shape) stays as a ``check_shapes`` node raising a
  ``ShapeError`` -- every carry's, on every output read, so a carry nobody
  reads is checked too (left out only where shape signatures prove it). A sequence whose length is not known to be at least 1 (the
  loop raises a ``ShapeError``, ``seq[0]`` an ``IndexError``), a loop with
  ``until`` (its condition is computed and could fail) and a body compiled in
  its own ``mode`` are left alone.

On in FAST_RUN (``Mode(excluding=["scan_inline_one_step"])`` keeps the loop), at
the ``canonicalize`` stage, so that the body meets the outer graph's shape,
merge and stabilisation rewrites: in CD-1 the chain's ``x[None][-1]`` reads
become ``x`` (``index_of_padleft``), the gradient's recomputed
``sigmoid(nv @ W + hbias)`` merges with the body's, and the reconstruction
cost fuses with the body's visible sigmoid (issue 16: about -0.05 ms of a
1.7 ms step; the results are bit-identical to the loop's).
"""
from __future__ import annotations

from typing import Any, List, Optional

from framework.core.graph import Apply, Variable, clone_replace
from framework.core.scan import Scan
from framework.core.shape_infer import CheckShapes
from framework.core.shape_ops import shape_padleft, static_int
from framework.core.shape_sig import shape_signature
from framework.core.types import TensorType
from framework.plugins import RewriteSpec


def _carry_checks(pairs: List[Any]) -> List[Any]:
    """For each carry ``(new, init)`` whose new size is not known statically (the loop checks only
    those), the axes on which shape signatures do not prove ``new``'s size equal to ``init``'s:
    ``[(new, init, axes), ...]``."""
    out = []
    for new, init in pairs:
        if not isinstance(new.type, TensorType) or None not in new.type.shape:
            continue
        sig_new, sig_init = shape_signature(new), shape_signature(init)
        axes = [ax for ax in range(new.type.ndim) if sig_new[ax] != sig_init[ax]]
        if axes:
            out.append((new, init, axes))
    return out


def _guarded(value: Variable, checks: List[Any], trace: Any, label: str) -> Variable:
    """``value`` after the loop's check that every carry keeps its initial shape: one
    ``check_shapes`` node reading each carry's new value and initial value."""
    if not checks or not isinstance(value.type, TensorType):
        return value
    inputs, constraints = [], []
    for new, init, axes in checks:
        k = len(inputs)
        inputs += [new, init]
        constraints += [("equal", (k, ax), (k + 1, ax)) for ax in axes]
    return CheckShapes(f"scan {label!r}: carry keeps its initial shape", trace, tuple(constraints))(value, *inputs)


def scan_inline_one_step(fgraph: Any, node: Apply) -> Optional[List[Variable]]:
    """``scan`` whose ``n_steps`` is the constant 1 -> its body, inlined."""
    op = node.op
    if not isinstance(op, Scan) or op.until or op.mode is not None or static_int(node.inputs[0]) != 1:
        return None
    _, seqs, rec, state, nonseqs = op.outer_parts(node.inputs)
    if any(s.type.shape[0] is None or s.type.shape[0] < 1 for s in seqs):
        return None
    i_seqs, i_rec, i_state, i_ns = op.inner_parts()
    repl = dict(zip(i_seqs, [s[0] for s in seqs]))
    repl.update(zip(i_rec + i_state + i_ns, rec + state + nonseqs))
    outs = clone_replace(op.inner.outputs, repl)
    n_stack = op.n_rec + op.n_nonrec
    # every carry's check guards every output read: a carry nobody reads (a tap's shift register,
    # a final state) is checked all the same, as the loop checks it at its step
    checks = _carry_checks([(outs[k], init) for k, init in zip(op.carry_outputs, rec + state)])
    new = [shape_padleft(_guarded(outs[k], checks, node.trace, op.label)) for k in range(n_stack)]
    new += [_guarded(outs[k], checks, node.trace, op.label) for k in op.carry_outputs[op.n_rec:]]
    # an output nobody reads keeps its old variable (its replacement would be left dangling)
    return [nv if fgraph.clients.get(old) else old for old, nv in zip(node.outputs, new)]


REWRITES = [
    RewriteSpec("scan_inline_one_step", scan_inline_one_step, stage="canonicalize", tracks=("scan",),
                tags=("scan",),
                doc="scan(..., n_steps=1) -> its body in the outer graph (CD-1's Gibbs step): no loop, and "
                    "the body's nodes meet the outer rewrites"),
]
