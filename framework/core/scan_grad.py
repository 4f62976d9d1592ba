"""Gradients of a scan: back-propagation through time, as another :class:`Scan`.

The backward loop runs over the forward steps in reverse. At the step for
time ``t`` it evaluates the body's vector-Jacobian product at the forward
step's inputs (sequence rows, the carries' values entering step ``t``, the
samples the forward loop drew) with the total gradient of each body output:

* a carry's new value gets the gradient *pending* from later steps (itself a
  carry of the backward loop, starting from the gradient of the final carry),
  plus, for a traced carry, the cost's gradient of that step's row;
* a per-step output gets the cost's gradient of that step's row.

The product's gradients of the carries become the new pending ones; those of
non-sequences are summed in carried accumulators; those of sequence rows are
stacked. After the loop the pending gradients are those of the initial
carries. ``truncate_gradient=k`` runs only the last k steps backwards.

Forward values the product needs: a traced carry's values entering each step
are its initial value followed by its stacked rows; for any other carry, and
for random samples drawn in the body, a copy of the forward loop that also
stacks them is run (from the same generator states, so it draws the same
numbers). Every kind of state is handled by this one rule: there are only
carries. The copy is over the original's very inputs and its body's outputs
are the original's plus the stacked values, so the rewrites plugin's
``scan_merge_forward`` reads the original's outputs from it: the compiled
function runs one forward loop.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from .errors import GradientError
from .graph import Apply, Variable, ancestors, clone_replace, toposort
from .types import TensorType, is_float


def _placeholder(v: Variable, name: str) -> Variable:
    return v.type.make_variable(name) if not isinstance(v.type, TensorType) else TensorType(v.dtype, v.type.shape)(name)


def _products_to_keep(outs: Sequence[Variable], needed: set, varying: set) -> List[Variable]:
    """The body's matrix products whose values the backward body would compute again: those it
    needs, that change from step to step (they read a sequence row or a carry). The forward loop
    stacks them and the backward loop reads their rows instead of a second GEMM per step -- the
    RNN's ``h[t-1] @ U`` behind its gates (the LSTM tutorial: one of three backward GEMMs). The
    memory is one row of each per step, as for the carries the loop already stacks."""
    from .blas import Dot

    kept: List[Variable] = []
    for n in toposort(outs):
        if type(n.op) is not Dot:
            continue
        o = n.outputs[0]
        if o in needed and isinstance(o.type, TensorType) and is_float(o.dtype) \
                and any(v in varying for v in ancestors([o])):
            kept.append(o)
    return kept


def bptt(node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
    from . import elemwise as E
    from .grad import NullTypeGradError, grad as grad_fn
    from .random_ops import RandomVariable
    from .scan import InnerGraph, Scan, in_place_state
    from .shape_ops import join, shape_i, shape_padleft
    from .subtensor import set_subtensor

    op: Scan = node.op
    if any(k is not None for k in op.keep):
        raise GradientError(f"scan {op.label!r}: cannot differentiate a scan whose outputs were "
                            "reduced to their last steps (grad must be taken before compiling)")
    n_rec, n_stack, n_seqs = op.n_rec, op.n_rec + op.n_nonrec, op.n_seqs
    n_steps, seqs, rec0, state0, nonseqs = op.outer_parts(node.inputs)
    inits = rec0 + state0
    i_seqs, i_rec, i_state, i_ns = op.inner_parts()
    i_carries = i_rec + i_state
    outs = op.inner.outputs
    carry_out = op.carry_outputs
    g_stack = list(output_grads[:n_stack])
    g_final = list(output_grads[n_stack:n_stack + op.n_state])
    if all(g is None for g in g_stack + g_final):
        return [None] * len(node.inputs)

    # 1. the body's vector-Jacobian product, with a placeholder for each output's total gradient
    dy: Dict[int, Variable] = {}
    known: Dict[Variable, Variable] = {}
    for k in range(len(outs) - int(op.until)):
        o = outs[k]
        is_carry = k in carry_out
        if not isinstance(o.type, TensorType) or not is_float(o.dtype) or (not is_carry and g_stack[k] is None):
            continue
        ph = TensorType(o.dtype, o.type.shape)(f"d_out{k}[t]")
        dy[k] = ph
        known[o] = known[o] + ph if o in known else ph
    wrt = [v for v in i_seqs + i_carries + i_ns if isinstance(v.type, TensorType) and is_float(v.dtype)]
    inner_g = grad_fn(None, wrt, known_grads=known, disconnected_inputs="ignore",
                      return_disconnected="none") if wrt and dy else []
    gmap = {v: g for v, g in zip(wrt, inner_g) if g is not None}
    if not gmap:
        return [None] * len(node.inputs)
    wanted = list(gmap.values())
    # draws in the body: the backward loop must see the forward loop's samples
    in_grad = set(ancestors(wanted))
    samples = [n.outputs[1] for n in toposort(outs) if isinstance(n.op, RandomVariable) and n.outputs[1] in in_grad]
    needed = set(ancestors(wanted, blockers=samples))
    if any(in_place_state(c) and c in needed for c in i_carries):
        raise NullTypeGradError(f"scan {op.label!r}: the gradient needs random draws made inside a nested "
                                "scan of the body, which the backward loop cannot replay; draw them in the "
                                "outer body or pass them in as sequences")

    # products the gradient would compute again: kept from the forward loop (memory for time)
    kept = _products_to_keep(outs, needed, set(i_seqs + i_carries))
    if kept:
        needed = set(ancestors(wanted, blockers=samples + kept))

    # 2. forward values: traced carries from their rows, the rest from a loop that also stacks them
    extra = [c for c in i_state if c in needed] + samples + kept
    if extra:
        aug = op.clone(inner=InnerGraph(op.inner.inputs, outs[:n_stack] + extra + outs[n_stack:]),
                       n_nonrec=op.n_nonrec + len(extra), keep=None, rng_inplace=None)
        fwd = aug.make_node(*node.inputs).outputs
        stacked_extra = dict(zip(extra, fwd[n_stack:n_stack + len(extra)]))
    else:
        fwd, stacked_extra = node.outputs, {}
    if n_stack + len(extra):
        T = shape_i(fwd[0], 0)
    elif not op.until:
        T = n_steps
    else:
        raise GradientError(f"scan {op.label!r}: cannot differentiate a loop with until(...) and no stacked "
                            "output (nothing says how many steps ran)")
    n_bwd = T if op.truncate_gradient < 0 else E.minimum(T, op.truncate_gradient)

    def rev(x: Variable) -> Variable:
        return x[:T][::-1]

    # 3. the backward loop: its sequences, carries and non-sequences, as (outer value, inner stand-in)
    repl: Dict[Variable, Variable] = {}
    bw_seqs, bw_seq_in = [], []

    def add_seq(outer: Variable, like: Variable, name: str) -> Variable:
        ph = _placeholder(like, name)
        bw_seqs.append(outer)
        bw_seq_in.append(ph)
        return ph

    for s_out, s_in in zip(seqs, i_seqs):
        if s_in in needed:
            repl[s_in] = add_seq(rev(s_out), s_in, f"{s_in.name or 'seq'}[t]")
    for j, c in enumerate(i_rec):
        if c in needed:
            entering = join(0, shape_padleft(rec0[j]), node.outputs[j])
            repl[c] = add_seq(rev(entering), c, f"{c.name or 'carry'}[t]")
    for v, stacked in stacked_extra.items():
        repl[v] = add_seq(rev(stacked), v, f"{v.name or 'value'}[t]")
    given = {k: add_seq(rev(g_stack[k]), dy[k], f"d_out{k}[t]") for k in dy if k < n_stack and g_stack[k] is not None}
    grad_carries = [c for c, k in enumerate(carry_out) if k in dy]
    pend_in = [_placeholder(i_carries[c], f"d_{i_carries[c].name or 'carry'}") for c in grad_carries]
    ns_g = [m for m, w in enumerate(i_ns) if w in gmap]
    acc_in = [_placeholder(i_ns[m], f"d_{i_ns[m].name or 'const'}") for m in ns_g]
    bw_ns = [m for m, w in enumerate(i_ns) if w in needed]
    ns_in = [_placeholder(i_ns[m], i_ns[m].name or "const") for m in bw_ns]
    repl.update(zip([i_ns[m] for m in bw_ns], ns_in))
    pending = dict(zip(grad_carries, pend_in))
    for k, ph in dy.items():
        total = given.get(k)
        if k in carry_out:
            p = pending[carry_out.index(k)]
            total = p if total is None else total + p
        repl[ph] = total
    keys = list(gmap)
    new = dict(zip(keys, clone_replace([gmap[v] for v in keys], repl)))
    new_pending = [new[i_carries[c]] if i_carries[c] in new else E.zeros_like(p)
                   for c, p in zip(grad_carries, pend_in)]
    new_accs = [a + new[i_ns[m]] for m, a in zip(ns_g, acc_in)]
    seq_g = [i for i, s in enumerate(i_seqs) if s in gmap]
    bw_inner = InnerGraph(bw_seq_in + pend_in + acc_in + ns_in, [new[i_seqs[i]] for i in seq_g] + new_pending + new_accs)
    bw_op = Scan(bw_inner, n_seqs=len(bw_seqs), n_rec=0, n_nonrec=len(seq_g), n_state=len(pend_in) + len(acc_in),
                 n_nonseqs=len(ns_in), label=f"grad_of_{op.label}", mode=op.mode)
    start = []
    for c in grad_carries:
        g = g_final[c - n_rec] if c >= n_rec else None
        start.append(g if g is not None else E.zeros_like(inits[c]))
    start += [E.zeros_like(nonseqs[m]) for m in ns_g]
    bw = bw_op.make_node(n_bwd, *bw_seqs, *start, *[nonseqs[m] for m in bw_ns]).outputs
    bw = bw if isinstance(bw, list) else [bw]

    # 4. gradients of the outer inputs
    result: List[Optional[Variable]] = [None] * len(node.inputs)
    truncated = op.truncate_gradient >= 0
    for pos, c in enumerate(grad_carries):
        g = bw[len(seq_g) + pos]
        if truncated:
            g = E.switch(E.lt(n_bwd, T), E.zeros_like(g), g)
        result[1 + n_seqs + c] = g
    off = len(seq_g) + len(grad_carries)
    for pos, m in enumerate(ns_g):
        result[1 + n_seqs + len(inits) + m] = bw[off + pos]
    for pos, i in enumerate(seq_g):
        result[1 + i] = set_subtensor(E.zeros_like(seqs[i])[T - n_bwd:T], bw[pos][::-1])
    # an input that changes no output with a gradient is disconnected (None), not a zero gradient
    with_grad = {j for j, g in enumerate(output_grads) if g is not None}
    for i, reach in enumerate(op.connection()):
        if not reach & with_grad:
            result[1 + i] = None
    return result
