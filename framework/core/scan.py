"""The scan op: one carry loop over a compiled body.

A :class:`Scan` node holds its body as an :class:`InnerGraph`. The body is
rewritten and linked *once* (by the linker every function uses) into an inner
callable, and the loop is a plain Python loop around it (:func:`_loop`)::

    carries = initial values
    for t in range(T):
        outs = body(*[seq[t] for seq in sequences], *carries, *non_sequences)
        carries = the carry entries of outs
        stacked[k][t] = outs[k] for every per-step output
        if until and outs[-1]: stop
    return stacked outputs, final carries

The op knows three kinds of loop values -- **sequences** (read a row per
step), **carries** (fed from one step to the next) and **non-sequences**
(constant) -- and two kinds of results: **stacked** per-step outputs and
**final** carries. A carry may also be *traced*: its values are stacked too
(a recurrent output). Everything else users see -- several taps of an output
(one carry per past step, a shift register), ``None`` placeholders, shared-variable updates, random
streams (their generator state is an ordinary carry) -- is sugar built by the
front end, :mod:`framework.scan_module`. Order, everywhere:

* outer inputs ``[n_steps, *sequences, *traced carries, *other carries, *non_sequences]``;
* inner inputs ``[*sequence rows, *traced carries, *other carries, *non_sequences]``;
* inner outputs ``[*traced carries, *per-step outputs, *other carries, (until)]``;
* outer outputs ``[*traced (stacked), *per-step (stacked), *other carries (final)]``.

Storage facts, set by rewrites in the rewrites plugin and only read here:
``keep[k]`` (``None``: every step of stacked output k; ``n``: its last n
steps, in order) and ``rng_inplace[k]`` (the k-th untraced carry, a generator
state the body advances in place, is not copied before the loop). Steps 1..T-1
of the loop are a few generated lines (:func:`_steps_source`), the rest is plain. A body output
that is a carry's input or another output again is renamed, not copied (:func:`_renamed`).

Gradient: back-propagation through time, another Scan built by
:mod:`framework.core.scan_grad`.
"""
from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .errors import NodeRuntimeError, ShapeError
from .graph import Apply, Variable, clone_replace, toposort
from .op import Op
from .types import TensorType, is_int


class InnerGraph:
    """A scan body: inner input and output variables, compared by identity.

    ``compiled`` caches the linked body per (backend, mode), so every
    function using the same scan compiles its body once.
    """

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable]) -> None:
        self.inputs: List[Variable] = list(inputs)
        self.outputs: List[Variable] = list(outputs)
        self.compiled: Dict[Any, Any] = {}

    def __repr__(self) -> str:
        return f"<InnerGraph {len(self.inputs)} inputs -> {len(self.outputs)} outputs>"

    def __getstate__(self) -> Dict[str, Any]:
        return {"inputs": self.inputs, "outputs": self.outputs}  # compiled bodies are linked again when loaded

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.inputs, self.outputs, self.compiled = state["inputs"], state["outputs"], {}


def in_place_state(v: Variable) -> bool:
    """Whether a carry is a generator state (the body's draws advance it in place)."""
    return not isinstance(v.type, TensorType)


class Scan(Op):
    """A loop over an inner graph; see the module docstring for the layout.

    ``n_seqs``, ``n_rec`` (traced carries), ``n_nonrec`` (per-step outputs),
    ``n_state`` (carries that come out only at the end), ``n_nonseqs``;
    ``until`` (the last inner output stops the loop); storage facts ``keep``
    (per stacked output) and ``rng_inplace`` (per untraced carry);
    ``truncate_gradient``; ``label`` and ``mode`` (of the body's compilation;
    ``None`` = ``config.mode``).
    """
    complex_grad = True  # the body's own gradients (each op checked)

    name = "scan"
    __props__ = ("inner", "n_seqs", "n_rec", "n_nonrec", "n_state", "n_nonseqs", "until", "keep",
                 "truncate_gradient", "rng_inplace", "label", "mode")

    def __init__(self, inner: InnerGraph, n_seqs: int, n_rec: int, n_nonrec: int, n_state: int, n_nonseqs: int,
                 until: bool = False, keep: Optional[Sequence[Optional[int]]] = None, truncate_gradient: int = -1,
                 rng_inplace: Optional[Sequence[bool]] = None, label: str = "scan", mode: Any = None) -> None:
        self.inner = inner
        self.n_seqs, self.n_rec, self.n_nonrec = int(n_seqs), int(n_rec), int(n_nonrec)
        self.n_state, self.n_nonseqs, self.until = int(n_state), int(n_nonseqs), bool(until)
        n_stack = self.n_rec + self.n_nonrec
        self.keep = tuple(keep) if keep is not None else (None,) * n_stack
        self.truncate_gradient = int(truncate_gradient)
        self.rng_inplace = tuple(bool(b) for b in rng_inplace) if rng_inplace is not None else (False,) * self.n_state
        self.label, self.mode = label, mode
        if len(self.keep) != n_stack or len(self.rng_inplace) != self.n_state:
            raise ValueError("scan: keep / rng_inplace do not match the number of outputs / carries")
        n_in = self.n_seqs + self.n_rec + self.n_state + self.n_nonseqs
        n_out = n_stack + self.n_state + int(self.until)
        if len(inner.inputs) != n_in or len(inner.outputs) != n_out:
            raise ValueError(f"scan: the inner graph has {len(inner.inputs)} inputs and {len(inner.outputs)} "
                             f"outputs, the layout needs {n_in} and {n_out}")

    def clone(self, **changes: Any) -> "Scan":
        return Scan(**{**{p: getattr(self, p) for p in self.__props__}, **changes})

    def host_int_inputs(self, node: Apply) -> frozenset:
        """n_steps (read as a Python int) and every scalar: the body's own
        placement takes integer scalars as host values, so they pass as they are."""
        return frozenset(k for k, i in enumerate(node.inputs) if k == 0 or getattr(i.type, "ndim", 0) == 0)

    # --- layout ------------------------------------------------------------------------------
    inner_inputs = property(lambda self: self.inner.inputs)
    inner_outputs = property(lambda self: self.inner.outputs)

    @property
    def carry_outputs(self) -> List[int]:
        """Inner output positions of the carries, in the carries' (inner input) order."""
        n_stack = self.n_rec + self.n_nonrec
        return list(range(self.n_rec)) + list(range(n_stack, n_stack + self.n_state))

    def connection(self) -> List[set]:
        """For each outer input after ``n_steps``, the outer outputs it can change: an inner output
        depends on the inner inputs it is computed from, and on whatever a carry it reads depended on
        at the step before (a fixed point over the carries). ``grad`` uses it to call an input that
        reaches no output with a gradient disconnected, as Theano's ``connection_pattern`` did."""
        ins, outs = self.inner.inputs, self.inner.outputs
        index = {v: i for i, v in enumerate(ins)}
        deps = []
        for o in outs:
            seen, stack, found = set(), [o], set()
            while stack:
                v = stack.pop()
                if v in seen:
                    continue
                seen.add(v)
                if v in index:
                    found.add(index[v])
                elif v.owner is not None:
                    stack.extend(v.owner.inputs)
            deps.append(found)
        carry_in = {self.n_seqs + c: k for c, k in enumerate(self.carry_outputs)}
        changed = True
        while changed:
            changed = False
            for d in deps:
                more = set().union(*(deps[carry_in[i]] for i in d if i in carry_in)) - d
                if more:
                    d |= more
                    changed = True
        n_stack = self.n_rec + self.n_nonrec
        outer_out = list(range(n_stack)) + [self.carry_outputs[self.n_rec + j] for j in range(self.n_state)]
        reach = [{j for j, k in enumerate(outer_out) if i in deps[k]} for i in range(len(ins))]
        first = self.n_seqs + self.n_rec
        for j in range(self.n_state):  # a final carry is its initial value when the loop runs no step
            reach[first + j].add(n_stack + j)
        return reach

    @property
    def n_rng(self) -> int:
        """How many carries are generator states (the loop draws random numbers)."""
        return sum(in_place_state(v) for v in self.inner_parts()[2])

    def inner_parts(self, values: Optional[Sequence[Any]] = None) -> Tuple[List[Any], ...]:
        """Inner inputs (or ``values`` laid out like them) as (sequence rows, traced carries, other
        carries, non-sequences)."""
        v = list(self.inner.inputs if values is None else values)
        a, b, c = self.n_seqs, self.n_seqs + self.n_rec, self.n_seqs + self.n_rec + self.n_state
        return v[:a], v[a:b], v[b:c], v[c:]

    def outer_parts(self, inputs: Sequence[Variable]) -> Tuple[Any, ...]:
        """Outer inputs as (n_steps, sequences, traced carries, other carries, non-sequences)."""
        return (inputs[0],) + self.inner_parts(inputs[1:])

    def rng_advanced(self, node: Apply) -> Dict[int, Any]:
        """The generator-state carries the loop advances in place (``rng_inplace``), each with
        every distribution the body draws (nested loops included)."""
        if not any(self.rng_inplace):
            return {}
        dists = frozenset(_body_draws(self.inner))
        first = 1 + self.n_seqs + self.n_rec
        return {first + c: dists for c, flag in enumerate(self.rng_inplace) if flag}

    def __str__(self) -> str:
        keep = "/".join("all" if k is None else str(k) for k in self.keep)
        extra = ([f"keep={keep}"] if any(k is not None for k in self.keep) else []) + \
            (["rng_inplace"] if any(self.rng_inplace) else [])
        return f"scan{{{', '.join([self.label] + extra)}}}"

    __repr__ = __str__

    # --- building ------------------------------------------------------------------------------
    def make_node(self, n_steps: Any, *inputs: Any) -> Apply:
        from .shape_ops import static_int
        from .variable import as_tensor_variable

        where = f"scan {self.label!r}"
        n_steps = as_tensor_variable(n_steps)
        if n_steps.ndim != 0 or not is_int(n_steps.dtype):
            raise TypeError(f"{where}: n_steps must be an integer scalar, got {n_steps.type}")
        if len(inputs) != len(self.inner.inputs):
            raise TypeError(f"{where}: expected {len(self.inner.inputs)} outer inputs after n_steps, got {len(inputs)}")
        ins = [i if isinstance(i, Variable) and not isinstance(i.type, TensorType) else as_tensor_variable(i)
               for i in inputs]
        n_seqs, outs = self.n_seqs, self.inner.outputs
        for k, (o, i) in enumerate(zip(ins, self.inner.inputs)):
            kind = "sequence" if k < n_seqs else "carry" if k < n_seqs + self.n_rec + self.n_state else "non-sequence"
            _check_type(o, i, int(k < n_seqs), f"{where}: {kind} {k} ({o})")
        for k, out in zip(self.carry_outputs, self.inner.inputs[n_seqs:]):
            _check_type(outs[k], out, 0, f"{where}: the body's new value of carry {out}")
        steps = None if self.until else static_int(n_steps)
        out_types = []
        for k in range(self.n_rec + self.n_nonrec):
            t = outs[k].type
            out_types.append(TensorType(t.dtype, (steps if self.keep[k] is None else None,) + tuple(t.shape)))
        out_types += [i.type for i in self.inner_parts()[2]]
        return Apply(self, [n_steps] + ins, out_types)

    # --- shapes --------------------------------------------------------------------------------
    def _body_shapes(self, node: Apply, shapes: Sequence[Tuple[Any, ...]]) -> Any:
        """The body's shapes (:class:`~framework.core.scan_shapes.BodyShapes`) in the outer graph,
        from the outer inputs' ``shapes``: a sequence row has its sequence's shape without the
        first axis, a carry its initial value's, a non-sequence its own (its value too)."""
        from .scan_shapes import BodyShapes

        rows = [tuple(s)[1:] if k < self.n_seqs else tuple(s) for k, s in enumerate(shapes[1:])]
        values = dict(zip(self.inner_parts()[3], self.outer_parts(node.inputs)[4]))
        return BodyShapes(self.inner.inputs, self.inner.outputs, rows, values)

    def _per_step(self, body: Any, shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        """Each stacked output's per-step shape: a traced carry's, and a per-step output that is
        also a carry's new value (several taps), is the carry's initial shape (the loop checks
        that it keeps it); the others' are the body's."""
        carry_of = {self.inner.outputs[k]: c for c, k in enumerate(self.carry_outputs)}
        out = []
        for k in range(self.n_rec + self.n_nonrec):
            o = self.inner.outputs[k]
            out.append(tuple(shapes[1 + self.n_seqs + carry_of[o]]) if o in carry_of else body.shapes[o])
        return out

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        """A stacked output has ``n_steps`` rows (``min(n_steps, keep)``; not known with ``until``)
        of its per-step shape, read from the body's graph with its ops' own shape rules; a final
        carry has its initial value's shape. A size that depends on values the loop makes (or on
        an op without a shape rule) is the output's own ``shape_i``: not known without running."""
        from . import elemwise as E
        from .shape_infer import as_dim
        from .shape_ops import Shape_i, static_int

        steps: Any = None
        if not self.until:
            steps = static_int(node.inputs[0])
            steps = as_dim(node.inputs[0]) if steps is None else steps
        out = []
        per_step = self._per_step(self._body_shapes(node, input_shapes), input_shapes)
        for k, (o, keep, shape) in enumerate(zip(node.outputs, self.keep, per_step)):
            lead = steps
            if keep is not None and steps is not None:
                lead = min(steps, keep) if isinstance(steps, int) else E.minimum(steps, np.int64(keep))
            out.append(tuple(st if st is not None else d if d is not None else Shape_i(ax)(o)
                             for ax, (st, d) in enumerate(zip(o.type.shape, (lead,) + tuple(shape)))))
        first = 1 + self.n_seqs + self.n_rec
        return out + [tuple(s) for s in input_shapes[first:first + self.n_state]]

    def shape_constraints(self, node: Apply) -> Optional[List[Any]]:
        checks = self._checks(node)
        return None if checks is None else checks[0] + checks[1]

    def _checks(self, node: Apply) -> Optional[Tuple[List[Any], List[Any]]]:
        """What the loop checks, as shape constraints: ``0 <= n_steps <= len(sequence)``; and
        the body's (its ops' checks, each carry keeping its initial shape, each step giving the
        same shapes). None where some of the body's cannot be said in the outer inputs' sizes
        (an op that does not declare its checks, a size not known without running). The loop
        makes the body's checks at step 0, and, once, when it runs no step (its results' shapes
        come from them)."""
        from .shape_infer import _fits, input_shapes
        from .shape_sig import dim_key

        steps = [] if _never_negative(node.inputs[0]) else [("at_most", 0, (0, None))]
        steps += [("at_most", (0, None), (1 + j, 0)) for j in range(self.n_seqs)]
        shapes = input_shapes(node)
        body = self._body_shapes(node, shapes)
        if body.checks is None:
            return None
        side = _outer_side(node)
        checks = []
        for kind, a, b in body.checks:
            if a is None or b is None:
                return None
            if _fits(kind, dim_key(a), dim_key(b)):
                continue
            sa, sb = side(a), side(b)
            if sa is None or sb is None:
                return None
            checks.append((kind, sa, sb))
        for c, k in enumerate(self.carry_outputs):
            pos = 1 + self.n_seqs + c
            if not isinstance(node.inputs[pos].type, TensorType):
                continue
            for want, got in zip(shapes[pos], body.shapes[self.inner.outputs[k]]):
                more = _keeps_size(want, got, side)
                if more is None:
                    return None
                checks += more
        if any(None in shape for shape in self._per_step(body, shapes)):
            return None
        return steps, checks

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from .scan_grad import bptt

        return bptt(node, output_grads)

    # --- running -------------------------------------------------------------------------------
    def compile_inner(self, backend: Any) -> Any:
        """Rewrite and link the body once per (backend, mode); cached on ``inner``."""
        from .fgraph import FunctionGraph
        from .linker import link, link_debug
        from .mode import get_mode
        from .rewrite import rewrite

        mode = get_mode(self.mode)
        key = (backend.name, backend.device, mode.optimizer, mode.linker, mode.including, mode.excluding)
        linked = self.inner.compiled.get(key)
        if linked is not None:
            return linked
        ins = [v.clone() for v in self.inner.inputs]
        outs = clone_replace(self.inner.outputs, dict(zip(self.inner.inputs, ins)))
        fgraph = FunctionGraph(ins, outs)
        # a generator state carry's new value updates it: draws may advance it in place
        fgraph.update_of = {k: ins[self.n_seqs + c] for c, k in enumerate(self.carry_outputs)
                            if in_place_state(ins[self.n_seqs + c])}
        rewrite(fgraph, mode)
        mark_inplace_draws(fgraph)  # the loop owns its generator states (copied once before the loop)
        take, body = _renamed(fgraph, self.n_seqs, self.n_rec + self.n_state)
        ident = [lambda v: v] * len(ins)
        n = len(body.outputs)
        if mode.linker == "debug":
            linked = link_debug(body, backend, ins, [], n, n == 1, ident, outputs_on_device=True)
        else:
            linked = link(body, backend, ins, [], n, n == 1, ident, outputs_on_device=True, check_inputs=False)
        linked.fgraph, linked.take, linked.n_body = fgraph, take, n
        self.inner.compiled[key] = linked
        return linked

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        linked = self.compile_inner(backend)
        outs, seqs = self.inner.outputs, self.n_seqs
        n_stack = self.n_rec + self.n_nonrec
        carries = self.inner.inputs[seqs:seqs + self.n_rec + self.n_state]
        plan = _Plan(
            label=self.label, n_seqs=seqs, n_rec=self.n_rec, n_stack=n_stack, n_carry=len(carries),
            until=self.until, run=linked.run, step_error=_step_error_factory(linked, self.label),
            take=linked.take, n_body=linked.n_body,  # renamed outputs (see _renamed)
            tensor_finals=[isinstance(v.type, TensorType) for v in carries[self.n_rec:]],
            copies=[seqs + c for c, v in enumerate(carries)
                    if c >= self.n_rec and in_place_state(v) and not self.rng_inplace[c - self.n_rec]],
            copy_rng=backend.copy_rng, empty=backend.xp.empty, asarray=backend.xp.asarray,
            # scalar carries may arrive as Python numbers (host scalars pass as they are)
            scalars=[(seqs + c, np.dtype(v.type.dtype)) for c, v in enumerate(carries)
                     if isinstance(v.type, TensorType) and v.type.ndim == 0],
            # stacked outputs (output, keep, dtype), those with a buffer, their shapes when no step runs;
            # shapes checked per step
            stacked=[(k, self.keep[k], np.dtype(outs[k].type.dtype)) for k in range(n_stack)],
            held=[(k, kp, np.dtype(outs[k].type.dtype)) for k, kp in enumerate(self.keep) if kp != 1],
            zero_steps=_zero_steps(self, node, backend),
            checked=[(k, k < self.n_rec) for k in range(n_stack) if None in outs[k].type.shape]
            + [(k, True) for k in self.carry_outputs[self.n_rec:]
               if isinstance(outs[k].type, TensorType) and None in outs[k].type.shape])
        src = _steps_source(plan, len(self.inner.inputs), len(outs))
        ns = {"RUN": linked.run, "CHECK": _check, "P": plan, "STEP_ERROR": plan.step_error}
        exec(compile(src, f"<scan-steps {self.label}>", "exec"), ns)
        plan.steps = ns["steps"]
        kernel = _loop(plan)
        kernel.__source__ = _loop_source() + "\n" + src
        return kernel


def _outer_side(node: Apply) -> Callable[[Any], Any]:
    """``side(size)``: a size in the outer graph as a shape constraint's side of ``node`` (an
    int, ``(input, axis)`` or ``(input, None)``, an integer scalar input's value), else None."""
    from .shape_ops import Shape_i, static_int

    def side(d: Any) -> Any:
        if isinstance(d, (int, np.integer)):
            return int(d)
        known = static_int(d)
        if known is not None:
            return known
        from .shape_sig import is_int_cast

        while d.owner is not None and is_int_cast(d.owner):
            d = d.owner.inputs[0]
        for j, x in enumerate(node.inputs):
            if d is x and x.type.ndim == 0:
                return (j, None)
            if d.owner is not None and isinstance(d.owner.op, Shape_i) and d.owner.inputs[0] is x:
                return (j, d.owner.op.i)
        return None

    return side


def _never_negative(v: Variable) -> bool:
    """Whether the integer scalar ``v`` is a size, or the least or greatest of sizes (the
    loop's length without ``n_steps``: its shortest sequence's)."""
    from .shape_ops import static_int

    known = static_int(v)
    if known is not None:
        return known >= 0
    node = v.owner
    if node is None:
        return False
    from .elemwise import Elemwise
    from .shape_ops import Shape_i
    from .shape_sig import is_int_cast

    if type(node.op) is Shape_i:  # by class: a user's op named "shape_i" may return anything
        return True
    if is_int_cast(node):
        return _never_negative(node.inputs[0])
    return (type(node.op) is Elemwise and node.op.scalar.name in ("minimum", "maximum")
            and all(_never_negative(i) for i in node.inputs))


def _keeps_size(want: Any, got: Any, side: Callable[[Any], Any]) -> Optional[List[Any]]:
    """Constraints saying that a carry's new size ``got`` equals its initial ``want`` (None: cannot
    be said). A broadcast of sizes one of which is ``want`` equals it when the others broadcast to it."""
    from .shape_infer import BroadcastDim
    from .shape_sig import dim_key

    if got is None:
        return None
    key = dim_key(want)
    if dim_key(got) == key:
        return []
    sw, sg = side(want), side(got)
    if sw is None:
        return None
    if sg is not None:
        return [("equal", sw, sg)]
    owner = getattr(got, "owner", None)
    if owner is None or not isinstance(owner.op, BroadcastDim) or key not in [dim_key(x) for x in owner.inputs]:
        return None
    out = []
    for x in owner.inputs:
        if dim_key(x) != key:
            sx = side(x)
            if sx is None:
                return None
            out.append(("to", sx, sw))
    return out


_Plan = SimpleNamespace  # what the loop needs of a node, worked out once when the kernel is made
_LOOP_SOURCE: List[str] = []


def _loop_source() -> str:
    """The source of :func:`_loop` (for the kernel's ``__source__``), read once per process: its
    lines from the first to the last any of its code objects names, without tokenizing the file
    as ``inspect.getsource`` does at every call (a millisecond or two per scan compiled)."""
    if not _LOOP_SOURCE:
        import linecache

        code, last, stack = _loop.__code__, 0, [_loop.__code__]
        while stack:
            c = stack.pop()
            last = max([last] + [line for _, _, line in c.co_lines() if line is not None])
            stack.extend(k for k in c.co_consts if hasattr(k, "co_lines"))
        lines = linecache.getlines(code.co_filename)
        text = "".join(lines[code.co_firstlineno - 1:last])
        _LOOP_SOURCE.append(text if text.strip() else inspect.getsource(_loop))
    return _LOOP_SOURCE[0]


def _loop(p: _Plan) -> Callable[..., Any]:
    """The loop of one scan node (``p``: its :class:`_Plan`), as a plain Python function."""
    label, c0, n_rec, n_stack, run, steps, until = p.label, p.n_seqs, p.n_rec, p.n_stack, p.run, p.steps, p.until
    single, take = p.n_body == 1, p.take
    c1 = c0 + p.n_carry
    s1 = n_stack + p.n_carry - n_rec  # the other carries' new values: outs[n_stack:s1]
    copies, scalars, held, stacked, checked, empty = p.copies, p.scalars, p.held, p.stacked, p.checked, p.empty

    def scan_kernel(n_steps: Any, *values: Any) -> Any:
        T = int(n_steps)
        if T < 0:
            raise ValueError(f"scan {label!r}: n_steps must be >= 0, got {T}")
        seqs = values[:c0]
        for k, q in enumerate(seqs):
            if q.shape[0] < T:
                raise ShapeError(f"scan {label!r}: sequence {k} has {q.shape[0]} step(s), fewer than the {T} "
                                 "step(s) asked for (n_steps)")
        args = list(values)
        for i in copies:
            args[i] = p.copy_rng(args[i])
        for i, dtype in scalars:
            if not hasattr(args[i], "shape"):
                args[i] = p.asarray(args[i], dtype)
        if T == 0:
            return _no_steps(p, T, args)
        shapes, first = [getattr(v, "shape", None) for v in args[c0:c1]] if checked else None, None
        try:  # step 0: it also gives the shapes of the buffers
            if c0:
                args[:c0] = [q[0] for q in seqs]
            outs = [run(*args)] if single else run(*args)  # one output comes back as it is
            if take:  # renamed outputs (see _renamed): the body's results or the carries entering the step
                outs = [outs[i] if from_body else args[c0 + i] for from_body, i in take]
            bufs = [empty((T if keep is None else min(T, keep),) + outs[k].shape, dtype) for k, keep, dtype in held]
            for buf, (k, _, _) in zip(bufs, held) if held else ():
                buf[0] = outs[k]
            if checked:
                first = [getattr(o, "shape", None) for o in outs]
                _check(p, outs, first, shapes, 0)
        except Exception as exc:
            raise p.step_error(exc, 0) from None
        if T == 1 or (until and outs[-1]):
            done, finals = 1, outs[n_stack:s1]
        else:  # steps 1..T-1
            done, outs, finals = steps(T, [*seqs, *outs[:n_rec], *outs[n_stack:s1], *args[c1:]], bufs, outs, first,
                                       shapes)
        if take:
            outs, finals = _owned(p, outs, finals, args[c0:c1])
        results, i = [], 0
        for k, keep, dtype in stacked:  # the steps each stacked output keeps, in order
            if keep == 1:  # the body's last value (a new array, no one else's) with a step axis
                results.append(outs[k][None])
                continue
            buf, i = bufs[i], i + 1  # all steps, or a ring of `keep` rows read oldest first
            results.append(buf[:done] if keep is None else buf[[t % len(buf) for t in range(max(done - keep, 0), done)]])
        results += finals
        return results[0] if len(results) == 1 else results

    return scan_kernel


def _renamed(fgraph: Any, c0: int, n_carry: int) -> Tuple[Optional[List[Tuple[bool, int]]], Any]:
    """Where the loop takes each body output from (``None``: all from the body, in order), and
    the body to link.

    An output with several taps is a shift register: the body passes a carry's value on
    unchanged (the carry for tap -2 gets the old tap -1's) and returns its new value ``y``
    twice (per-step output, newest carry). Linked, both would be copied every step (the
    linker copies an output that is an input or another output, so each result is an array
    of its own). The loop renames them instead: a tensor output that is carry ``c``'s inner
    input is ``(False, c)``, the carry's value entering the step; one that repeats an earlier
    output is that output's ``(True, j)``; the others are ``(True, j)``, the linked body's
    j-th result. Two loop slots may then hold one array, and nothing writes into it: the body
    never overwrites its inputs (the in-place rewrites spare a function's inputs,
    ``private_storage`` in plugins/rewrites/inplace.py), the loop only copies values into its
    buffers, and what the caller gets is copied once where it would be shared (:func:`_owned`).
    Generator states are not renamed (the body's draws advance them in place). Decided after
    the body's rewrites: an output they reduce to an input, or merge with another, counts."""
    from .fgraph import FunctionGraph

    carry = {v: c for c, v in enumerate(fgraph.inputs[c0:c0 + n_carry])}
    take: List[Tuple[bool, int]] = []
    first: Dict[Variable, int] = {}
    kept: List[Variable] = []
    for o in fgraph.outputs:
        tensor = isinstance(o.type, TensorType)
        if tensor and o in carry:
            take.append((False, carry[o]))
        elif tensor and o in first:
            take.append((True, first[o]))
        else:
            first[o] = len(kept)
            take.append((True, len(kept)))
            kept.append(o)
    if len(kept) == len(take):
        return None, fgraph
    return take, FunctionGraph(fgraph.inputs, kept)


def _owned(p: _Plan, outs: List[Any], finals: List[Any], carry0: Sequence[Any]) -> Tuple[List[Any], List[Any]]:
    """The last values and final carries to return, each an array of the caller's own: with
    renamed outputs (:func:`_renamed`) a carry may still hold its initial value (the caller's
    array, or a row of it) and two of them may be one array (``y`` as a per-step output read at
    its last step and as the newest carry). Such a value is copied, once per call."""
    seen = {id(v) for v in carry0}

    def own(v: Any) -> Any:
        if id(v) in seen and hasattr(v, "copy"):  # (not a Python number: immutable, maybe interned)
            v = v.copy()
        seen.add(id(v))
        return v

    outs = [own(v) if keep == 1 else v for v, (_, keep, _) in zip(outs, p.stacked)]
    return outs, [own(v) if tensor else v for v, tensor in zip(finals, p.tensor_finals)]


def _no_steps(p: _Plan, T: int, args: List[Any]) -> Any:
    """Results of a loop that ran no step, the body never run: empty stacked outputs of the shape
    the body would give each step (:func:`_zero_steps`) and the initial carries (never the
    caller's arrays)."""
    shapes = p.zero_steps(T, args)
    results = [p.empty((0,) + shape, dtype) for shape, (_, _, dtype) in zip(shapes, p.stacked)]
    results += [v.copy() if hasattr(v, "shape") else v for v in args[p.n_seqs + p.n_rec:p.n_seqs + p.n_carry]]
    return results[0] if len(results) == 1 else results


def _zero_steps(op: Scan, node: Apply, backend: Any) -> Callable[[int, Sequence[Any]], List[Tuple[int, ...]]]:
    """``per_step(n_steps, values)`` for a loop that runs no step: the body's checks of sizes
    (what the shape rewrites keep where they stop running the loop, so both give the same
    error), then each stacked output's per-step shape from the body's shape rules
    (:func:`~framework.core.scan_shapes.zero_step_shapes`: 0 where they cannot tell). Built at
    the first such call."""
    built: List[Any] = []

    def per_step(T: int, values: Sequence[Any]) -> List[Tuple[int, ...]]:
        if not built:
            from .scan_shapes import zero_step_shapes
            from .shape_infer import CheckShapes

            checks = op._checks(node)
            body_checks = checks[1] if checks is not None else []
            check = CheckShapes(op.name, node.trace, tuple(body_checks)).make_kernel(node, backend) if body_checks \
                else None
            built.append((check, zero_step_shapes(op, backend)))
        check, shapes = built[0]
        if check is not None:
            check(None, T, *values)
        return shapes(values)

    return per_step


def _steps_source(p: _Plan, n_in: int, n_out: int) -> str:
    """Steps 1.. of the loop, specialised to the node's layout: on a body as small as ``x + 1``
    a generic Python loop (argument lists rebuilt each step) has about 2-3 times the loop's
    overhead per step (bench/scan_loop_forms.py; docs/benchmarks.md, "Scan loop (#18)").

    Output ``k``'s value is the local ``y{k}``; a renamed output (:func:`_renamed`) is a name
    for another value instead: a repeated result is its first output's name, and a carry's value
    entering the step is bound to ``y{k}`` before the carries change (a shift register
    ``c0, c1 <- c1, y`` reads the old ``c1``). A renamed output's shape is not checked again
    where it cannot differ: a repeated result is its first output's array (of the same type, so
    checked alike), a carry's old value was checked as its new value a step before, and step 0
    checked every output against the same shapes."""
    c0, n_rec = p.n_seqs, p.n_rec
    a = [f"q{k}" for k in range(c0)] + [f"c{k}" for k in range(p.n_carry)] + [f"w{k}" for k in range(n_in - c0 - p.n_carry)]
    take = p.take or [(True, k) for k in range(n_out)]
    first_of = {i: k for k, (from_body, i) in reversed(list(enumerate(take))) if from_body}
    y = [f"y{first_of[i]}" if from_body else f"y{k}" for k, (from_body, i) in enumerate(take)]
    ran = [f"y{k}" for k in sorted(first_of.values())]  # what RUN returns, in order
    carried = [f"            y{k} = c{i}" for k, (from_body, i) in enumerate(take) if not from_body]
    held = [k for k, _, _ in p.held]
    carry_src = list(range(n_rec)) + list(range(p.n_stack, p.n_stack + p.n_carry - n_rec))
    verified = {k for k, _ in p.checked}  # outputs whose shape holds at every step (see above)
    checked = [(k, c) for k, c in p.checked
               if y[k] == f"y{k}" and (take[k][0] or carry_src[take[k][1]] not in verified)]
    step_args, finals = [f"{v}[t]" for v in a[:c0]] + a[c0:], ", ".join(a[c0 + n_rec:c0 + p.n_carry])
    lines = [f"def steps(T, a, bufs, o, first, shapes):",
             f"    {', '.join(a)}{',' if len(a) == 1 else ''} = a" if a else "    pass",
             f"    {', '.join(f'b{k}' for k in held)}{',' if len(held) == 1 else ''} = bufs" if held else "",
             *[f"    R{k} = len(b{k})" for k in held if p.stacked[k][1] is not None],
             f"    {', '.join(v if v == f'y{k}' else '_' for k, v in enumerate(y))}, = o",
             # S{k}: the shape output k must keep (its carry's initial, or step 0's)
             *[f"    S{k} = " + (f"shapes[{k if k < n_rec else k - p.n_stack + n_rec}]" if c else f"first[{k}]")
               for k, c in checked],
             "    t = 1", "    try:",
             "        for t in range(1, T):",
             f"            {', '.join(ran)}{'' if len(ran) == 1 else ','} = RUN({', '.join(step_args)})" if ran
             else f"            RUN({', '.join(step_args)})",
             *carried,
             *[f"            if {y[k]}.shape != S{k}: CHECK(P, [{', '.join(y)}], first, shapes, t)"
               for k, _ in checked],
             *[f"            b{k}[{'t' if p.stacked[k][1] is None else f't % R{k}'}] = {y[k]}" for k in held],
             *[f"            c{c} = {y[k]}" for c, k in enumerate(carry_src)],
             f"            if {y[n_out - 1]}:" if p.until else "",
             f"                return t + 1, [{', '.join(y)}], [{finals}]" if p.until else "",
             "    except Exception as exc:",
             "        raise STEP_ERROR(exc, t) from None",
             f"    return T, [{', '.join(y)}], [{finals}]"]
    return "\n".join(line for line in lines if line) + "\n"


def _check(p: _Plan, outs: Sequence[Any], first: Sequence[Any], carry_shapes: Sequence[Any], t: int) -> None:
    """Every step gives the shapes step 0 gave; a carry keeps its initial value's shape."""
    for k, is_carry in p.checked:
        shape = outs[k].shape
        if is_carry:
            c = k if k < p.n_rec else k - p.n_stack + p.n_rec
            want = carry_shapes[c]
            if shape != want:
                what = "recurrent output" if k < p.n_rec else "carry"
                raise ShapeError(f"{what} {c} has shape {shape}, its initial state has shape {want}")
        elif shape != first[k]:
            raise ShapeError(f"output {k} has shape {shape}, but {first[k]} at step 0 (every step must give the "
                             "same shape)")


def _check_type(outer: Variable, inner: Variable, extra_axes: int, what: str) -> None:
    """The outer value must match the inner input's dtype and (plus ``extra_axes``) ndim."""
    ot, it = outer.type, inner.type
    if not isinstance(ot, TensorType) or not isinstance(it, TensorType):
        if ot != it:
            raise TypeError(f"{what} has type {ot}, the body expects {it}")
        return
    if ot.dtype != it.dtype or ot.ndim != it.ndim + extra_axes:
        raise TypeError(f"{what} has type {ot}; the body expects {it.dtype} with {it.ndim + extra_axes} dimension(s)")


def _step_error_factory(linked: Any, label: str) -> Callable[[BaseException, int], BaseException]:
    def step_error(exc: BaseException, t: int) -> BaseException:
        base = linked.explain(exc) or exc
        msg = f"scan {label!r}, step {t}: {base}"
        try:
            return type(base)(msg)
        except Exception:
            return NodeRuntimeError(msg)

    return step_error


def _body_draws(inner: "InnerGraph") -> set:
    """The distributions drawn in a loop body, nested loops' bodies included."""
    found: set = set()
    for node in toposort(inner.outputs, blockers=inner.inputs):
        dist = getattr(node.op, "dist", None)
        if isinstance(dist, str):
            found.add(dist)
        elif isinstance(node.op, Scan):
            found |= _body_draws(node.op.inner)
    return found


def mark_inplace_draws(fgraph: Any) -> None:
    """Let the body's draws advance their generator states in place where no one else sees the old
    state (``random_inplace``): the loop owns those states (copied once before the loop). Nested
    scans get the same from the rewrites plugin's ``scan_rng_inplace``, in the body's own rewrite."""
    from .random_ops import RandomVariable, random_inplace

    for node in list(fgraph.toposort()):
        if isinstance(node.op, RandomVariable):
            new = random_inplace(fgraph, node)
            if new:
                for old, nv in zip(node.outputs, new):
                    fgraph.replace(old, nv, reason="inplace_draws")


__all__ = ["Scan", "InnerGraph", "mark_inplace_draws", "in_place_state"]
