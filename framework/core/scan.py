"""The scan op: a loop whose body is a graph, compiled once, run as a plain loop.

A :class:`Scan` node carries its body as an :class:`InnerGraph` (inner
inputs and outputs). At link time the body is rewritten and linked *once*
by the same linker as any function (:func:`framework.core.linker.link`)
into an inner callable; the node's kernel is a small generated Python loop
that calls it and writes each step's outputs into preallocated buffers::

    for t in range(T):
        y0, y1, g0 = inner(q0[t], c0, g0, w0)   # sequences, previous state, rng, constants
        b0[t + 1] = y0; c0 = y0                 # a recurrent output (history + carry)
        b1[t] = y1                              # an output that is not fed back
    return b0[1:1 + T], b1, g0

Nothing in a step walks the graph or checks types. What the user sees as
taps, ``None`` placeholders, shared-variable updates and random streams is
front-end sugar (:mod:`framework.scan_module`) over four kinds of loop
values, in this order everywhere:

* **sequences** -- outer arrays read one row per step (taps are shifted
  slices of the user's sequence, made in the outer graph);
* **recurrent outputs** -- each with its taps (negative ints, in the order
  the body receives them) and an initial buffer of ``lag = -min(taps)``
  rows; the output holds the steps' values (not the initial ones);
* **non-recurrent outputs** -- computed each step, stacked;
* **rng states** -- generator states carried from step to step; only the
  final state comes out (to become the shared variable's update);

plus **non-sequences** (values constant through the loop) and optionally
an ``until`` condition (the last inner output) that stops the loop early.

Memory: ``keep[i]`` (set by the :func:`scan_save_mem` rewrite when every
client of output ``i`` reads only its last k steps) makes that output a ring
of ``max(lag, k)`` rows holding the last k steps, in order.

Gradient: back-propagation through time, as another scan built symbolically
from the body's gradient (:meth:`Scan.grad`).
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .errors import GradientError, NodeRuntimeError, ShapeError
from .graph import Apply, Variable, ancestors, clone_replace, toposort
from .op import Op
from .types import TensorType, is_float, is_int

_kernel_ids = itertools.count()


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


class Scan(Op):
    """A loop over an inner graph. See the module docstring for the layout.

    Fields: ``inner`` (:class:`InnerGraph`), ``n_seqs``, ``taps`` (one tuple
    of negative ints per recurrent output), ``n_nonrec``, ``n_rng``,
    ``n_nonseqs``, ``until``, ``keep`` (per recurrent then non-recurrent
    output: ``None`` = every step, ``k`` = the last k), ``truncate_gradient``,
    ``rng_inplace`` (per rng state: advance the caller's state instead of a
    copy -- set by :func:`scan_rng_inplace`), ``label`` and ``mode`` (of the
    body's compilation; ``None`` = ``config.mode``).

    Outer inputs: ``[n_steps, *sequences, *initial buffers, *rng states,
    *non_sequences]``. Outer outputs: ``[*recurrent, *non_recurrent,
    *final rng states]``. Inner inputs: ``[*sequence rows, *tap values
    (output by output, in the taps' order), *rng states, *non_sequences]``.
    Inner outputs: ``[*recurrent, *non_recurrent, *new rng states,
    (condition)]``.
    """

    name = "scan"

    def host_int_inputs(self, node: Apply) -> frozenset:
        """n_steps (read as a Python int) and every scalar: the body's own
        placement takes integer scalars as host values, so they pass as they are."""
        return frozenset(k for k, i in enumerate(node.inputs) if k == 0 or getattr(i.type, "ndim", 0) == 0)
    __props__ = ("inner", "n_seqs", "taps", "n_nonrec", "n_rng", "n_nonseqs", "until", "keep",
                 "truncate_gradient", "rng_inplace", "label", "mode")

    def __init__(self, inner: InnerGraph, n_seqs: int, taps: Sequence[Sequence[int]], n_nonrec: int,
                 n_rng: int, n_nonseqs: int, until: bool = False, keep: Optional[Sequence[Optional[int]]] = None,
                 truncate_gradient: int = -1, rng_inplace: Optional[Sequence[bool]] = None,
                 label: str = "scan", mode: Any = None) -> None:
        self.inner = inner
        self.n_seqs = int(n_seqs)
        self.taps = tuple(tuple(int(t) for t in tp) for tp in taps)
        self.n_rec = len(self.taps)
        self.n_nonrec = int(n_nonrec)
        self.n_rng = int(n_rng)
        self.n_nonseqs = int(n_nonseqs)
        self.until = bool(until)
        n_out = self.n_rec + self.n_nonrec
        self.keep = tuple(keep) if keep is not None else (None,) * n_out
        self.truncate_gradient = int(truncate_gradient)
        self.rng_inplace = tuple(bool(b) for b in rng_inplace) if rng_inplace is not None else (False,) * self.n_rng
        self.label = label
        self.mode = mode
        self.lags = tuple(-min(tp) for tp in self.taps)
        for j, tp in enumerate(self.taps):
            if not tp or any(t >= 0 for t in tp) or len(set(tp)) != len(tp):
                raise ValueError(f"scan: the taps of recurrent output {j} must be distinct negative ints, got {tp}")
        if len(self.keep) != n_out or len(self.rng_inplace) != self.n_rng:
            raise ValueError("scan: keep / rng_inplace do not match the number of outputs / rng states")
        n_in = self.n_seqs + sum(len(tp) for tp in self.taps) + self.n_rng + self.n_nonseqs
        if len(inner.inputs) != n_in:
            raise ValueError(f"scan: the inner graph has {len(inner.inputs)} inputs, the layout needs {n_in}")
        if len(inner.outputs) != n_out + self.n_rng + int(self.until):
            raise ValueError(f"scan: the inner graph has {len(inner.outputs)} outputs, the layout needs "
                             f"{n_out + self.n_rng + int(self.until)}")

    # --- layout helpers --------------------------------------------------------
    def clone(self, **changes: Any) -> "Scan":
        kw = {p: getattr(self, p) for p in self.__props__}
        kw.update(changes)
        return Scan(**kw)

    @property
    def inner_inputs(self) -> List[Variable]:
        return self.inner.inputs

    @property
    def inner_outputs(self) -> List[Variable]:
        return self.inner.outputs

    def inner_parts(self) -> Tuple[List[Variable], List[List[Variable]], List[Variable], List[Variable]]:
        """Inner inputs split as (sequence rows, taps per recurrent output, rng states, non-sequences)."""
        ins = self.inner.inputs
        seqs = ins[:self.n_seqs]
        pos, taps = self.n_seqs, []
        for tp in self.taps:
            taps.append(ins[pos:pos + len(tp)])
            pos += len(tp)
        rngs = ins[pos:pos + self.n_rng]
        return seqs, taps, rngs, ins[pos + self.n_rng:]

    def outer_parts(self, inputs: Sequence[Variable]) -> Tuple[Variable, List[Variable], List[Variable],
                                                                List[Variable], List[Variable]]:
        """Outer inputs split as (n_steps, sequences, initial buffers, rng states, non-sequences)."""
        a = 1 + self.n_seqs
        b = a + self.n_rec
        c = b + self.n_rng
        return inputs[0], list(inputs[1:a]), list(inputs[a:b]), list(inputs[b:c]), list(inputs[c:])

    def __str__(self) -> str:
        extra = []
        if any(k is not None for k in self.keep):
            extra.append("keep=" + "/".join("all" if k is None else str(k) for k in self.keep))
        if any(self.rng_inplace):
            extra.append("rng_inplace")
        return f"scan{{{', '.join([self.label] + extra)}}}"

    __repr__ = __str__

    # --- building ----------------------------------------------------------------
    def make_node(self, n_steps: Any, *inputs: Any) -> Apply:
        from .shape_ops import static_int
        from .variable import as_tensor_variable

        where = f"scan {self.label!r}"
        n_steps = as_tensor_variable(n_steps)
        if n_steps.ndim != 0 or not is_int(n_steps.dtype):
            raise TypeError(f"{where}: n_steps must be an integer scalar, got {n_steps.type}")
        n_expected = self.n_seqs + self.n_rec + self.n_rng + self.n_nonseqs
        if len(inputs) != n_expected:
            raise TypeError(f"{where}: expected {n_expected} outer inputs after n_steps, got {len(inputs)}")
        ins = [i if isinstance(i, Variable) and not isinstance(i.type, TensorType) else as_tensor_variable(i)
               for i in inputs]
        _, seqs, inits, rngs, nonseqs = self.outer_parts([n_steps] + ins)
        i_seqs, i_taps, i_rngs, i_ns = self.inner_parts()
        for k, (o, i) in enumerate(zip(seqs, i_seqs)):
            _check_type(o, i, 1, f"{where}: sequence {k}")
        for j, (o, taps) in enumerate(zip(inits, i_taps)):
            _check_type(o, taps[0], 1, f"{where}: initial state of output {j}")
        for k, (o, i) in enumerate(zip(rngs, i_rngs)):
            if o.type != i.type:
                raise TypeError(f"{where}: rng state {k} has type {o.type}, the body expects {i.type}")
        for k, (o, i) in enumerate(zip(nonseqs, i_ns)):
            _check_type(o, i, 0, f"{where}: non-sequence {k} ({o})")
        steps = None if self.until else static_int(n_steps)
        out_types = []
        outs = self.inner.outputs
        for k in range(self.n_rec + self.n_nonrec):
            t = outs[k].type
            first = steps if self.keep[k] is None else None
            out_types.append(TensorType(t.dtype, (first,) + tuple(t.shape)))
        out_types += [i.type for i in i_rngs]
        return Apply(self, [n_steps] + ins, out_types)

    # --- running -------------------------------------------------------------------
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
        _, _, i_rngs, _ = self.inner_parts()
        first_rng_in = self.inner.inputs.index(i_rngs[0]) if i_rngs else 0
        first_rng_out = self.n_rec + self.n_nonrec
        fgraph.update_of = {first_rng_out + k: ins[first_rng_in + k] for k in range(self.n_rng)}
        rewrite(fgraph, mode)
        # the loop owns its rng states (copied once before the loop), so draws
        # inside the body may always advance them in place
        mark_inplace_draws(fgraph)
        ident = [_identity] * len(ins)
        n = len(fgraph.outputs)
        # the loop keeps the body's values on the device
        if mode.linker == "debug":
            linked = link_debug(fgraph, backend, ins, [], n, n == 1, ident, outputs_on_device=True)
        else:
            linked = link(fgraph, backend, ins, [], n, n == 1, ident, outputs_on_device=True, check_inputs=False)
        linked.fgraph = fgraph
        self.inner.compiled[key] = linked
        return linked

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        linked = self.compile_inner(backend)
        src, ns = self._kernel_source(node, backend)
        ns["INNER"] = linked.run
        ns["STEP_ERROR"] = _step_error_factory(linked, self.label)
        filename = f"<scan-kernel-{next(_kernel_ids)}>"
        exec(compile(src, filename, "exec"), ns)
        kernel = ns["scan_kernel"]
        kernel.__source__ = src
        return kernel

    def _kernel_source(self, node: Apply, backend: Any) -> Tuple[str, Dict[str, Any]]:
        """The loop as Python source, specialised to this node's layout."""
        xp = backend.xp
        empty = xp.empty

        def last_row(value: Any, done: int, shape: Tuple[int, ...], dtype: Any) -> Any:
            """A one-row output holding ``value`` (no rows when no step ran)."""
            if not done:
                return empty((0,) + tuple(shape), dtype)
            out = empty((1,) + tuple(value.shape), dtype)
            out[0] = value
            return out

        ns: Dict[str, Any] = {"EMPTY": empty, "RING": _ring_positions, "ShapeError": ShapeError,
                              "LAST_ROW": last_row,
                              "COPY_RNG": backend.copy_rng, "label": self.label}
        n_rec, n_nonrec, n_rng = self.n_rec, self.n_nonrec, self.n_rng
        outs = self.inner.outputs
        qs = [f"q{k}" for k in range(self.n_seqs)]
        xs = [f"x{j}" for j in range(n_rec)]
        gs = [f"g{k}" for k in range(n_rng)]
        ws = [f"w{k}" for k in range(self.n_nonseqs)]
        lines = [f"def scan_kernel(n_steps{''.join(', ' + a for a in qs + xs + gs + ws)}):",
                 "    T = int(n_steps)",
                 "    if T < 0:",
                 "        raise ValueError(f'scan {label!r}: n_steps must be >= 0, got {T}')"]
        for k, q in enumerate(qs):
            lines += [f"    if {q}.shape[0] < T:",
                      f"        raise ShapeError(f'scan {{label!r}}: sequence {k} has {{{q}.shape[0]}} step(s), "
                      f"fewer than the {{T}} step(s) asked for (n_steps)')"]
        setup, call_args = [], list(f"{q}[t]" for q in qs)
        writes: List[str] = []
        first_writes: List[str] = []
        results = []
        # recurrent outputs: buffer b{j} of S{j} rows; row of time t is (t + L) (mod S when a ring).
        # A ring of one row needs no buffer at all: the carried value is the output.
        for j, tp in enumerate(self.taps):
            L, keep, x = self.lags[j], self.keep[j], xs[j]
            ns[f"D{j}"] = np.dtype(outs[j].type.dtype)
            setup += [f"    if {x}.shape[0] < {L}:",
                      f"        raise ShapeError(f'scan {{label!r}}: the initial value of output {j} has "
                      f"{{{x}.shape[0]}} row(s); taps {tp} need {L}')"]
            lean = keep is not None and max(L, keep) == 1
            if lean:
                pass
            elif keep is None:
                setup.append(f"    S{j} = T + {L}")
                pos = lambda off, j=j: f"t + {off}" if off else "t"  # noqa: E731
            else:
                setup.append(f"    S{j} = min(T + {L}, {max(L, keep)})")
                pos = lambda off, j=j: f"(t + {off}) % S{j}"  # noqa: E731
            if not lean:
                setup += [f"    b{j} = EMPTY((S{j},) + tuple({x}.shape[1:]), D{j})",
                          f"    b{j}[:{L}] = {x}[:{L}]"]
            carry = -1 in tp
            if carry:
                setup.append(f"    c{j} = {x}[{L - 1}]")
            for tap in tp:
                call_args.append(f"c{j}" if tap == -1 else f"b{j}[{pos(L + tap)}]")
            y = f"y{j}"
            check = []
            if None in outs[j].type.shape:
                setup.append(f"    SH{j} = tuple({x}.shape[1:])")
                check = [f"if {y}.shape != SH{j}:",
                         f"    raise ShapeError(f'recurrent output {j} has shape "
                         f"{{{y}.shape}}, its initial state has shape {{SH{j}}}')"]
            store = [] if lean else [f"b{j}[{pos(L)}] = {y}"]
            body = check + store + ([f"c{j} = {y}"] if carry else [])
            writes += body
            first_writes += body
            if lean:
                results.append(f"LAST_ROW(c{j}, done, tuple({x}.shape[1:]), D{j})")
            elif keep is None:
                results.append(f"b{j}[{L}:{L} + done]")
            else:
                results.append(f"b{j}[RING(done, {keep}, {L}, S{j})]")
        # non-recurrent outputs: buffer n{i}, allocated from the first step's value
        # (only the last value, when only the last step is kept)
        for i in range(n_nonrec):
            k = n_rec + i
            keep = self.keep[k]
            y = f"y{k}"
            t_out = outs[k].type
            ns[f"E{i}"] = np.dtype(t_out.dtype)
            ns[f"Z{i}"] = tuple(0 if d is None else d for d in t_out.shape)
            first_writes.append(f"SN{i} = tuple({y}.shape)")
            if None in t_out.shape:
                writes += [f"if {y}.shape != SN{i}:",
                           f"    raise ShapeError(f'output {k} has shape "
                           f"{{{y}.shape}}, but {{SN{i}}} at step 0 (every step must give the same shape)')"]
            if keep == 1:
                first_writes.append(f"n{i} = {y}")
                writes.append(f"n{i} = {y}")
                setup.append(f"    n{i} = None")
                results.append(f"LAST_ROW(n{i}, done, Z{i}, E{i})")
                continue
            rows = "T" if keep is None else f"min(T, {keep})"
            p = "t" if keep is None else f"t % N{i}"
            first_writes += [f"N{i} = {rows}",
                             f"n{i} = EMPTY((N{i},) + SN{i}, E{i})",
                             f"n{i}[0] = {y}"]
            writes.append(f"n{i}[{p}] = {y}")
            setup.append(f"    n{i} = None")
            results.append(f"(n{i}[:done] if n{i} is not None else EMPTY((0,) + Z{i}, E{i}))" if keep is None else
                           f"(n{i}[RING(done, {keep}, 0, N{i})] if n{i} is not None else EMPTY((0,) + Z{i}, E{i}))")
        # rng states: copied once unless the caller's state may be advanced in place
        for k, g in enumerate(gs):
            if not self.rng_inplace[k]:
                setup.append(f"    {g} = COPY_RNG({g})")
            call_args.append(g)
            results.append(g)
        call_args += ws
        targets = [f"y{k}" for k in range(n_rec + n_nonrec)] + gs + (["cond"] if self.until else [])
        lhs = targets[0] if len(targets) == 1 else ", ".join(targets)
        call = f"{lhs} = INNER({', '.join(call_args)})"
        lines += setup
        lines += ["    done = T", "    t = 0", "    try:", "        if T > 0:"]
        lines += ["            " + s for s in [call] + first_writes]
        if self.until:
            lines += ["            if cond:", "                done = 1", "            else:"]
            indent = "                "
        else:
            indent = "            "
        lines.append(indent + "for t in range(1, T):")
        lines += [indent + "    " + s for s in [call] + writes]
        if self.until:
            lines += [indent + "    if cond:", indent + "        done = t + 1", indent + "        break"]
        lines += ["    except Exception as exc:", "        raise STEP_ERROR(exc, t) from None"]
        if len(results) == 1:
            lines.append(f"    return {results[0]}")
        else:
            lines.append(f"    return ({', '.join(results)},)")
        return "\n".join(lines) + "\n", ns

    # --- gradient: back-propagation through time ------------------------------------------
    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        """Gradients of a scan, computed by a backward scan (BPTT).

        The backward loop runs over the forward steps in reverse. At the step
        for time ``t`` it re-runs the body's gradient with the forward step's
        inputs (sequence rows, tap values read from the stored outputs, the
        samples the forward loop drew) and the total gradient of each output
        at ``t``: the cost's own, plus what later steps sent back through the
        taps. That "sent back" part is carried as a window of ``lag`` pending
        gradients per recurrent output; gradients of non-sequences are
        summed in carried accumulators; gradients of sequence rows are
        stacked. After the loop, the windows are the gradients of the initial
        states. ``truncate_gradient=k`` runs only the last k steps backwards.
        """
        from ..scan_module import scan as scan_fn
        from . import elemwise as E
        from .grad import grad as grad_fn
        from .random_ops import RandomVariable
        from .shape_ops import join, shape_i, shape_padleft, stack
        from .subtensor import set_subtensor

        if any(k is not None for k in self.keep):
            raise GradientError(f"scan {self.label!r}: cannot differentiate a scan whose outputs were "
                                "reduced to their last steps (grad must be taken before compiling)")
        n_rec, n_nonrec = self.n_rec, self.n_nonrec
        n_out = n_rec + n_nonrec
        _, seqs, inits, _, nonseqs = self.outer_parts(node.inputs)
        outs = node.outputs
        g_outs = list(output_grads[:n_out])
        if all(g is None for g in g_outs):
            return [None] * len(node.inputs)
        i_seqs, i_taps, i_rngs, i_ns = self.inner_parts()
        inner_out = self.inner.outputs

        # 1. the body's vector-Jacobian product, with placeholders for the output gradients
        dy: Dict[int, Variable] = {}
        known: Dict[Variable, Variable] = {}
        for k in range(n_out):
            o = inner_out[k]
            if not is_float(o.dtype) or (k >= n_rec and g_outs[k] is None):
                continue
            ph = TensorType(o.dtype, o.type.shape)(f"d_out{k}[t]")
            dy[k] = ph
            known[o] = known[o] + ph if o in known else ph
        if not dy:
            return [None] * len(node.inputs)
        flat_taps = [v for taps in i_taps for v in taps]
        wrt = [v for v in i_seqs + flat_taps + i_ns if is_float(v.dtype)]
        inner_g = grad_fn(None, wrt, known_grads=known, disconnected_inputs="ignore",
                          return_disconnected="none") if wrt else []
        gmap = {v: g for v, g in zip(wrt, inner_g) if g is not None}
        wanted = list(gmap.values())
        # draws in the body: the backward loop must see the forward loop's samples
        in_grad = set(ancestors(wanted)) if wanted else set()
        samples = [n.outputs[1] for n in toposort(inner_out) if isinstance(n.op, RandomVariable)
                   and n.outputs[1] in in_grad]
        needed = set(ancestors(wanted, blockers=samples)) if wanted else set()
        if any(r in needed for r in i_rngs):
            raise GradientError(f"scan {self.label!r}: the gradient needs random draws made inside a nested "
                                "scan of the body, which the backward loop cannot replay; draw them in the "
                                "outer body or pass them in as sequences")
        if samples:
            aug_inner = InnerGraph(self.inner.inputs, inner_out[:n_out] + samples + inner_out[n_out:])
            aug = self.clone(inner=aug_inner, n_nonrec=n_nonrec + len(samples), keep=None, rng_inplace=None)
            fwd = aug.make_node(*node.inputs).outputs
            fwd_rec, fwd_samples = fwd[:n_rec], fwd[n_out:n_out + len(samples)]
        else:
            fwd, fwd_rec, fwd_samples = outs, outs[:n_rec], []
        T = shape_i(fwd[0], 0)
        n_bwd = T if self.truncate_gradient < 0 else E.minimum(T, self.truncate_gradient)

        def rev(x: Variable) -> Variable:
            return x[:T][::-1]

        # 2. the backward loop's sequences: forward values the body needs, output gradients
        bw_seqs: List[Variable] = []
        roles: List[Tuple[str, Any]] = []
        for s_out, s_in in zip(seqs, i_seqs):
            if s_in in needed:
                bw_seqs.append(rev(s_out))
                roles.append(("in", s_in))
        for k in dy:
            if g_outs[k] is not None:
                bw_seqs.append(rev(g_outs[k]))
                roles.append(("dy", k))
        for j, taps in enumerate(i_taps):
            used = [(tap, v) for tap, v in zip(self.taps[j], taps) if v in needed]
            if not used:
                continue
            L = self.lags[j]
            full = join(0, inits[j][:L], fwd_rec[j])
            for tap, v in used:
                bw_seqs.append(full[L + tap:L + tap + T][::-1])
                roles.append(("in", v))
        for smp, fwd_smp in zip(samples, fwd_samples):
            bw_seqs.append(rev(fwd_smp))
            roles.append(("in", smp))
        # carried: pending-gradient windows, non-sequence accumulators; stacked: sequence gradients
        rec_g = [j for j in range(n_rec) if j in dy]
        ns_g = [m for m, w in enumerate(i_ns) if w in gmap]
        seq_g = [i for i, s in enumerate(i_seqs) if s in gmap]
        outputs_info: List[Any] = []
        for j in rec_g:
            L = self.lags[j]
            outputs_info.append(E.zeros_like(inits[j][0]) if L == 1 else E.zeros_like(inits[j][:L]))
        outputs_info += [E.zeros_like(nonseqs[m]) for m in ns_g]
        outputs_info += [None] * len(seq_g)
        bw_ns_idx = [m for m, w in enumerate(i_ns) if w in needed]
        lags, taps_of = self.lags, self.taps

        def step(*args: Variable) -> List[Variable]:
            args = list(args)
            vals, rest = args[:len(roles)], args[len(roles):]
            windows, rest = rest[:len(rec_g)], rest[len(rec_g):]
            accs, ns_vals = rest[:len(ns_g)], rest[len(ns_g):]
            repl: Dict[Variable, Variable] = {}
            given: Dict[int, Variable] = {}
            for (role, what), v in zip(roles, vals):
                if role == "in":
                    repl[what] = v
                else:
                    given[what] = v
            for m, v in zip(bw_ns_idx, ns_vals):
                repl[i_ns[m]] = v
            for k, ph in dy.items():
                total = given.get(k)
                if k < n_rec:
                    w = windows[rec_g.index(k)]
                    pend = w if lags[k] == 1 else w[0]
                    total = pend if total is None else total + pend
                repl[ph] = total
            keys = list(gmap)
            new = dict(zip(keys, clone_replace([gmap[v] for v in keys], repl)))
            new_windows = []
            for j, w in zip(rec_g, windows):
                sent = {tap: new.get(v) for tap, v in zip(taps_of[j], i_taps[j])}
                L = lags[j]
                if L == 1:
                    g = sent.get(-1)
                    new_windows.append(g if g is not None else E.zeros_like(w))
                    continue
                rows = []
                for r in range(L):
                    older = w[r + 1] if r + 1 < L else None
                    g = sent.get(-(r + 1))
                    row = g if older is None else (older if g is None else older + g)
                    rows.append(row if row is not None else E.zeros_like(w[0]))
                new_windows.append(stack(rows))
            new_accs = [a + new[i_ns[m]] for m, a in zip(ns_g, accs)]
            seq_grads = [new[i_seqs[i]] for i in seq_g]
            return new_windows + new_accs + seq_grads

        bw, bw_updates = scan_fn(step, sequences=bw_seqs, outputs_info=outputs_info,
                                 non_sequences=[nonseqs[m] for m in bw_ns_idx], n_steps=n_bwd,
                                 name=f"grad_of_{self.label}", mode=self.mode, return_list=True)
        if bw_updates:
            raise GradientError(f"scan {self.label!r}: the backward loop would draw random numbers")

        # 3. gradients of the outer inputs
        result: List[Optional[Variable]] = [None] * len(node.inputs)
        base_init = 1 + self.n_seqs
        base_ns = base_init + n_rec + self.n_rng
        truncated = self.truncate_gradient >= 0
        for pos, j in enumerate(rec_g):
            last = bw[pos][-1]
            L = self.lags[j]
            g = shape_padleft(last) if L == 1 else last[::-1]
            init = inits[j]
            if init.type.shape[0] != L:
                g = set_subtensor(E.zeros_like(init)[:L], g)
            if truncated:
                g = E.switch(E.lt(n_bwd, T), E.zeros_like(g), g)
            result[base_init + j] = g
        off = len(rec_g)
        for pos, m in enumerate(ns_g):
            result[base_ns + m] = bw[off + pos][-1]
        off += len(ns_g)
        for pos, i in enumerate(seq_g):
            gx = bw[off + pos][::-1]
            result[1 + i] = set_subtensor(E.zeros_like(seqs[i])[T - n_bwd:T], gx)
        return result


# --- helpers ---------------------------------------------------------------------------------

def _identity(v: Any) -> Any:
    return v


def _check_type(outer: Variable, inner: Variable, extra_axes: int, what: str) -> None:
    """The outer value must match the inner input's dtype and (plus ``extra_axes``) ndim."""
    ot, it = outer.type, inner.type
    if not isinstance(ot, TensorType) or not isinstance(it, TensorType):
        if ot != it:
            raise TypeError(f"{what} has type {ot}, the body expects {it}")
        return
    if ot.dtype != it.dtype or ot.ndim != it.ndim + extra_axes:
        raise TypeError(f"{what} has type {ot}; the body expects {it.dtype} with "
                        f"{it.ndim + extra_axes} dimension(s)")


def _ring_positions(done: int, keep: int, lag: int, size: int) -> List[int]:
    """Buffer rows of the last ``min(keep, done)`` steps, oldest first."""
    return [(t + lag) % size for t in range(max(done - keep, 0), done)]


def _step_error_factory(linked: Any, label: str) -> Callable[[BaseException, int], BaseException]:
    def step_error(exc: BaseException, t: int) -> BaseException:
        better = linked.explain(exc)
        base = better if better is not None else exc
        msg = f"scan {label!r}, step {t}: {base}"
        try:
            return type(base)(msg)
        except Exception:
            return NodeRuntimeError(msg)

    return step_error


def mark_inplace_draws(fgraph: Any) -> None:
    """Let every draw of a scan body advance its generator state in place
    (:func:`framework.core.random_ops.random_inplace`) where no one else sees
    the old state: the loop owns its rng states (it copies them once before
    the loop). Nested scans get the same from the rewrites plugin's
    ``scan_rng_inplace``, run by the body's own rewrite."""
    from .random_ops import RandomVariable, random_inplace

    for node in list(fgraph.toposort()):
        if isinstance(node.op, RandomVariable):
            new = random_inplace(fgraph, node)
            if new:
                for old, nv in zip(node.outputs, new):
                    fgraph.replace(old, nv, reason="inplace_draws")


__all__ = ["Scan", "InnerGraph", "mark_inplace_draws"]
