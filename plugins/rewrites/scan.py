"""Rewrites for scan and the random states it carries.

``SCAN_REWRITES`` is yielded by this plugin's ``framework_rewrites`` hook:
move the last element-wise step of an output read only at its last step(s)
out of the loop, so the outer stabilisations apply to it
(:func:`scan_pushout_elemwise`, written here, in its own stage just before
``stabilize``); keep only the steps of a scan output that are used; and let
scans and random draws advance rng states in place
(:data:`.random.RANDOM_REWRITES`, listed here too because scan bodies carry
those states). The storage rewrites are in :mod:`.scan_memory`, the inlining
of a one-step scan in :mod:`.scan_inline`; the draws' own in-place rewrite
lives with the op (:mod:`framework.core.random_ops`).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from framework.core.elemwise import Elemwise
from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Constant, Variable, ancestors, clone_replace, inputs_of
from framework.core.scan import InnerGraph, Scan
from framework.core.shape_ops import DimShuffle, Join, dimshuffle
from framework.core.subtensor import ARRAY, Subtensor
from framework.plugins import RewriteSpec

from .random import RANDOM_REWRITES
from .scan_inline import REWRITES as INLINE_REWRITES
from .scan_memory import _last_steps, scan_rng_inplace, scan_save_mem


# --- moving a scan output's last element-wise step out of the loop -------------------------------

MAX_PUSHOUTS = 256  # a guard: each push-out moves one step up a finite body graph


def _rest_is_basic(template: tuple) -> bool:
    """Whether the entries after the first are basic indices (no index arrays), so
    ``y[first, *rest]`` equals ``y[first][rest]`` (with a full slice kept for a slice ``first``)."""
    return ARRAY not in template[1:]


def _step_readers(fgraph: FunctionGraph, out: Variable) -> List[Tuple[Apply, int]]:
    """The clients of the scan output ``out`` that read only its last step(s): ``out[-1]``,
    ``out[-k]``, ``out[-k:]``, with any further basic indices."""
    found = []
    for client, idx in fgraph.clients.get(out, []):
        if _last_steps(client, idx) is not None and _rest_is_basic(client.op.template):
            found.append((client, idx))
    return found


def _classify(v: Variable, inner_ins: set, per_step: set, ns_map: Dict[Variable, Variable]) -> Optional[str]:
    """How an input of the element-wise step is had outside the loop: ``'outer'`` (a
    constant or a non-sequence), ``'clone'`` (computed in the body from those only: its
    graph is copied outside), ``'step'`` (computed in the body from per-step values: the
    loop outputs it), or None (a sequence row, a tap or a generator state itself, or
    something unknown: the rewrite does not fire)."""
    if isinstance(v, Constant) or v in ns_map:
        return "outer"
    if v in inner_ins:
        return None
    step = False
    for root in inputs_of([v], blockers=inner_ins):
        if root in per_step:
            step = True
        elif not (isinstance(root, Constant) or root in ns_map):
            return None
    return "step" if step else "clone"


def _empty_safe(ew_node: Apply, kinds: List[str]) -> bool:
    """Whether ``f(a_out[-k:], w)`` has the shape of ``y_out[-k:]`` after a loop of zero
    steps too. Such a loop's outputs have size 0 on every axis whose size is not known
    statically (the body never ran), so ``y_out[-k:]`` is empty with those sizes 0; the
    rebuilt value must not broadcast such a 0 against a loop constant's size (an error),
    nor get a loop constant's size where ``y`` has a 0."""
    y = ew_node.outputs[0]
    nd = y.type.ndim
    for axis in range(nd):
        step_none, const_not_one = False, False
        for v, kind in zip(ew_node.inputs, kinds):
            pos = axis - (nd - v.type.ndim)
            if pos < 0:
                continue  # broadcast: size 1
            d = v.type.shape[pos]
            if kind == "step":
                step_none = step_none or d is None
            elif d != 1:
                const_not_one = True
        if y.type.shape[axis] is not None:
            if step_none:
                return False
        elif not step_none or const_not_one:
            return False
    return True


def _stored_in_carries(op: Scan) -> set:
    """Values a carry's new value holds as they are (through joins and added axes only): an
    output with several taps is such a value, kept in its last past-step carry."""
    outs = op.inner.outputs
    stack = [outs[k] for k in op.carry_outputs]
    seen: set = set()
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        if v.owner is not None and isinstance(v.owner.op, (Join, DimShuffle)):
            stack.extend(v.owner.inputs)
    return seen


def _push_out_one(fgraph: FunctionGraph, node: Apply) -> bool:
    """Push the last element-wise step of one output of the scan ``node`` out of the
    loop, for the clients that read only its last step(s). Returns whether it fired."""
    op: Scan = node.op
    n_out = op.n_rec + op.n_nonrec
    inner_outs = op.inner.outputs
    i_seqs, i_rec, i_state, i_ns = op.inner_parts()
    *_, o_ns = op.outer_parts(node.inputs)
    ns_map = dict(zip(i_ns, o_ns))
    inner_ins = set(op.inner.inputs)
    per_step = set(i_seqs) | set(i_rec) | set(i_state)
    # fed-back outputs are left alone: the loop must compute them anyway, so moving
    # their last step out would only add an output per step
    stored = _stored_in_carries(op)
    for k in range(op.n_rec, n_out):
        y = inner_outs[k]
        ew_node = y.owner
        if ew_node is None or y in inner_ins or y in stored or not isinstance(ew_node.op, Elemwise):
            continue
        readers = _step_readers(fgraph, node.outputs[k])
        if not readers:
            continue
        kinds = [_classify(v, inner_ins, per_step, ns_map) for v in ew_node.inputs]
        if None in kinds or "step" not in kinds:
            continue
        if not _empty_safe(ew_node, kinds):
            # readers of y[-k:] could get a broadcasting error after a loop of zero steps
            readers = [(c, i) for c, i in readers if isinstance(c.op.template[0], int)]
            if not readers:
                continue
        _rewrite(fgraph, node, ew_node, kinds, readers, ns_map)
        return True
    return False


def _rewrite(fgraph: FunctionGraph, node: Apply, ew_node: Apply, kinds: List[str],
             readers: List[Tuple[Apply, int]], ns_map: Dict[Variable, Variable]) -> None:
    op: Scan = node.op
    n_out = op.n_rec + op.n_nonrec
    inner_outs = op.inner.outputs
    # 1. the loop outputs every per-step input of the element-wise step (reusing an
    #    output that already holds it, every step of it)
    source: Dict[Variable, int] = {}
    added: List[Variable] = []
    for v, kind in zip(ew_node.inputs, kinds):
        if kind != "step" or v in source:
            continue
        have = next((j for j in range(n_out) if inner_outs[j] is v and op.keep[j] is None), None)
        if have is None:
            have = n_out + len(added)
            added.append(v)
        source[v] = have
    new_node = node
    if added:
        inner = InnerGraph(op.inner.inputs, inner_outs[:n_out] + added + inner_outs[n_out:])
        new_op = op.clone(inner=inner, n_nonrec=op.n_nonrec + len(added), keep=op.keep + (None,) * len(added))
        new_node = new_op.make_node(*node.inputs)
        new_node.trace = node.trace
        for old, new in zip(node.outputs[:n_out], new_node.outputs[:n_out]):
            new.name = old.name
        for r, old in enumerate(node.outputs[n_out:]):
            new_node.outputs[n_out + len(added) + r].name = old.name
    # 2. values computed in the body from loop constants only are computed outside, once
    clones = [v for v, kind in zip(ew_node.inputs, kinds) if kind == "clone"]
    cloned = dict(zip(clones, clone_replace(clones, ns_map))) if clones else {}
    # 3. the scan's outputs move to the new node (only those in use)
    if new_node is not node:
        olds = list(node.outputs)
        news = list(new_node.outputs[:n_out]) + list(new_node.outputs[n_out + len(added):])
        for old, new in zip(olds, news):
            if fgraph.clients.get(old):
                fgraph.replace(old, new, reason="scan_pushout_elemwise")
    # 4. each reader of the last step(s) gets the element-wise step applied outside
    y_ndim = ew_node.outputs[0].type.ndim
    stop = set(new_node.outputs) | set(node.inputs) | set(cloned.values())
    built: Dict[Any, Variable] = {}
    for client, _ in readers:
        first = client.op.template[0]
        last = built.get(first)
        if last is None:
            args = []
            for v, kind in zip(ew_node.inputs, kinds):
                if kind == "outer":
                    args.append(ns_map.get(v, v))
                elif kind == "clone":
                    args.append(cloned[v])
                else:
                    steps = Subtensor((first,))(new_node.outputs[source[v]])
                    if not isinstance(first, int) and v.type.ndim < y_ndim:
                        # keep the step axis first: broadcast axes go after it
                        pattern = [0] + ["x"] * (y_ndim - v.type.ndim) + list(range(1, v.type.ndim + 1))
                        steps = dimshuffle(steps, pattern)
                    args.append(steps)
            last = ew_node.op.make_node(*args).outputs[0]
            built[first] = last
        rest = client.op.template[1:]
        if rest:
            tpl = rest if isinstance(first, int) else (("slice", None, None, None),) + rest
            value = Subtensor(tpl)(last, *client.inputs[1:])
        else:
            value = last
        old = client.outputs[0]
        if value.type.dtype != old.type.dtype or value.type.ndim != old.type.ndim:
            raise TypeError(f"scan_pushout_elemwise: rebuilt {old.type} as {value.type}")  # a bug, not user input
        here = stop | set(client.inputs)
        for v in ancestors([value], blockers=here):
            if v.owner is not None and v not in here:
                v.owner.trace = client.trace
        if value.name is None:
            value.name = old.name
        fgraph.replace(old, value, reason="scan_pushout_elemwise")


def scan_pushout_elemwise(fgraph: FunctionGraph) -> None:
    """Move the last element-wise step of a scan output out of the loop when only the
    output's last step(s) are read.

    ``y = f(a, w)`` computed in the body, read outside only as ``y[-1]`` (or
    ``y[-k]``, ``y[-k:]``, with further basic indices): the loop instead also
    outputs ``a`` (each per-step input of ``f``; an output that already holds it
    is reused) and the reader becomes ``f(a_out[-1], w)``. So ``log(y[-1])`` with
    ``y = sigmoid(a)`` becomes ``log(sigmoid(a_out[-1]))``, which the
    ``stabilize`` stage rewrites into ``-softplus(-a_out[-1])``: the RBM
    tutorial's hand-carried pre-sigmoid activation is no longer needed.

    Inputs of ``f`` that do not change from step to step (non-sequences,
    constants, body values computed from those only) are used, or computed,
    outside. It does not fire when an input of ``f`` is a sequence row, a
    previous value of a fed-back output or a generator state (their last step
    is not a plain output), nor when every input is constant through the loop.
    Readers of other steps keep reading the loop's ``y`` (computed as before).
    Only outputs that are not fed back (``outputs_info`` entry ``None``) are
    rewritten: a fed-back ``y`` must be computed in the loop anyway, so moving
    its last step out would cost an extra output per step (an output that
    already holds ``a`` may be fed back: it is reused). Runs again on the new
    output, so a chain of element-wise steps moves out whole;
    ``scan_save_mem`` then keeps only the steps the new outputs' readers need.
    """
    for _ in range(MAX_PUSHOUTS):
        for node in fgraph.toposort():
            if isinstance(node.op, Scan) and _push_out_one(fgraph, node):
                break
        else:
            return


SCAN_REWRITES: List[RewriteSpec] = [
    RewriteSpec(
        name="scan_pushout_elemwise",
        rewrite=scan_pushout_elemwise,
        stage="scan_pushout",
        before="stabilize",
        kind="global",
        tags=("scan",),
        doc="y = f(a) in a scan body, used outside only as y[-1] / y[-k:]: the loop outputs a and "
            "f(a_out[-1]) is computed outside, so stabilize sees e.g. log(sigmoid(a_out[-1]))",
    ),
    RewriteSpec(
        name="scan_save_mem",
        rewrite=scan_save_mem,
        stage="specialize",
        tracks=("scan",),
        required=True,
        doc="store only the last k steps of a scan output whose clients read only those "
            "(y[-1], y[-k:]); drop outputs nobody uses",
    ),
    RewriteSpec(
        name="scan_rng_inplace",
        rewrite=scan_rng_inplace,
        stage="inplace",
        tracks=("scan",),
        tags=("inplace",),
        doc="let a scan advance a shared rng state in place when only its own update reads the result",
    ),
] + INLINE_REWRITES + RANDOM_REWRITES
