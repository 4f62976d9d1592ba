"""``scan``: loops in the graph, with Theano's calling convention.

``scan(fn, sequences, outputs_info, non_sequences, n_steps, ...)`` calls
``fn`` once, on symbolic stand-ins for one step, and turns what it returns
into a :class:`framework.core.scan.Scan` node. ``fn`` receives, in order:

1. one row of each sequence (for ``dict(input=x, taps=[-1, 0, 2])``, one
   value per tap, in the order given);
2. the previous values of each fed-back output (for
   ``dict(initial=x0, taps=[-2, -1])``, one per tap, in the order given);
3. the non-sequences, as the very variables passed in (so ``grad`` of an
   outer expression works inside the body, as in Theano).

The body may use any variable built outside it: those become loop
constants, computed once before the loop. Everything built *inside* ``fn``
is part of the body and runs every step -- including random variables
(``srng.uniform(...)`` in ``fn`` draws fresh numbers each step; the
stream's state is carried through the loop and its final value comes back
in ``updates``). ``fn`` may return outputs, ``(outputs, updates)`` and/or
``until(condition)``; updates of shared tensors become carried states too.

See docs/scan.md.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..core import elemwise as E
from ..core.errors import format_trace, user_trace
from ..core.function import MissingInputError
from ..core.graph import Constant, Variable, _ids, clone_replace
from ..core.scan import InnerGraph, Scan
from ..core.shape_ops import shape_i
from ..core.shared import SharedVariable
from ..core.types import TensorType, is_int
from ..core.variable import TensorVariable, as_tensor_variable, constant

__all__ = ["scan", "until", "Scan"]


class until:  # noqa: N801 -- Theano's name
    """Returned by a scan body to stop the loop after the step where
    ``condition`` is true: ``return y, until(y > 50)``."""

    def __init__(self, condition: Any) -> None:
        c = as_tensor_variable(condition)
        if c.ndim != 0:
            raise TypeError(f"until: the condition must be a scalar, got {c} of type {c.type}")
        self.condition = c

    def __repr__(self) -> str:
        return f"until({self.condition})"


class ScanError(TypeError, ValueError):
    """A scan call that cannot work (names the argument and the user's line). Theano raised
    ``ValueError`` for some of these (outputs_info that does not match fn's outputs) and
    ``TypeError`` for others, so this is both."""


class StrictScanError(ScanError, MissingInputError):
    """``strict=True`` and the body uses a shared variable it was not given in ``non_sequences``
    (Theano raised ``gof.MissingInputError`` for this)."""


def _as_list(x: Any) -> List[Any]:
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _is_update_pairs(x: Any) -> bool:
    return (isinstance(x, (list, tuple)) and len(x) > 0 and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[0], SharedVariable) for p in x))


def _parse_return(raw: Any, where: str) -> Tuple[List[Any], "OrderedDict[SharedVariable, Any]", Optional[Variable], bool]:
    """Split what the body returned into (outputs, updates, condition, returned_a_list)."""
    outputs: List[Any] = []
    updates: "OrderedDict[SharedVariable, Any]" = OrderedDict()
    cond: Optional[Variable] = None
    as_list = False

    def take(item: Any, top: bool) -> None:
        nonlocal cond, as_list
        if isinstance(item, until):
            if cond is not None:
                raise ScanError(f"{where}: the body returned until(...) twice")
            cond = item.condition
        elif isinstance(item, dict):
            updates.update(item)
        elif _is_update_pairs(item):
            updates.update(item)
        elif isinstance(item, (list, tuple)) and top:
            as_list = True
            for sub in item:
                take(sub, False)
        elif isinstance(item, (list, tuple)):
            as_list = True
            outputs.extend(item)
        elif item is None:
            return
        else:
            outputs.append(item)

    if isinstance(raw, (list, tuple)) and not _is_update_pairs(raw):
        # a tuple like (outputs, updates), (outputs, until), or a list of outputs
        has_parts = any(isinstance(e, (dict, until)) or _is_update_pairs(e) or isinstance(e, (list, tuple))
                        for e in raw)
        if has_parts:
            for e in raw:
                take(e, True)
        else:
            as_list = True
            outputs.extend(raw)
    else:
        take(raw, True)
    return outputs, updates, cond, as_list


def _new_id() -> int:
    """The id the next variable will get: anything older was built before the body."""
    return next(_ids)


def _placeholder(t: TensorType, name: str, test_value: Any = None) -> TensorVariable:
    v = TensorType(t.dtype, t.shape)(name)
    if test_value is not None:  # config.compute_test_value: the body is built with example values too
        v.tag["test_value"] = test_value
    return v


def _test_value(v: Variable, first: bool = False) -> Any:
    """``v``'s test value (its first row when ``first``), or None (always None when test values are off)."""
    from ..config import config

    if config.compute_test_value == "off":
        return None
    from ..core.test_value import value_of

    value = value_of(v)
    if value is None or not first:
        return value
    return value[0] if getattr(value, "shape", ()) and value.shape[0] > 0 else None


def _label(v: Variable, default: str) -> str:
    return v.name if getattr(v, "name", None) else default


def scan(fn: Any, sequences: Any = None, outputs_info: Any = None, non_sequences: Any = None,
         n_steps: Any = None, truncate_gradient: int = -1, go_backwards: bool = False, mode: Any = None,
         name: Optional[str] = None, profile: bool = False, allow_gc: Optional[bool] = None,
         strict: bool = False, return_list: bool = False) -> Tuple[Any, "OrderedDict[SharedVariable, Variable]"]:
    """Repeat ``fn`` over sequences and/or for ``n_steps`` steps.

    Returns ``(outputs, updates)``: one variable (or a list, one per output
    of ``fn``; ``return_list=True`` always gives a list) holding every
    step's value along a new first axis, and an ordered dict of shared
    variable updates (random streams used in the body, updates the body
    returned) to pass to ``function(..., updates=updates)``.

    ``outputs_info``: per output, ``None`` (not fed back), an initial value
    (fed back as the previous step's value), or ``dict(initial=x0,
    taps=[-2, -1])`` (``x0[0]`` is the value at time -2). ``n_steps`` may be
    symbolic; without it the loop runs for the shortest sequence's length.
    ``go_backwards`` reads the sequences from the end. ``truncate_gradient=k``
    back-propagates through the last k steps only. ``strict=True`` refuses
    shared variables the body uses without getting them in ``non_sequences``.
    ``profile`` and ``allow_gc`` are accepted for Theano compatibility.
    """
    trace = user_trace()
    label = name or getattr(fn, "__name__", None) or "scan_fn"
    if label == "<lambda>":
        label = "scan_fn"
    where = f"scan {label!r} (at {format_trace(trace)})"
    if not callable(fn):
        raise ScanError(f"{where}: fn must be callable, got {type(fn).__name__}")
    if truncate_gradient is None:
        truncate_gradient = -1
    if not isinstance(truncate_gradient, int) or (truncate_gradient < 1 and truncate_gradient != -1):
        raise ScanError(f"{where}: truncate_gradient must be -1 (no truncation) or a number of steps >= 1, "
                        f"got {truncate_gradient!r}")
    start = _new_id()

    # 1. sequences: each tap is a shifted slice of the (possibly reversed) sequence
    seq_outer: List[TensorVariable] = []
    seq_inner: List[TensorVariable] = []
    for k, s in enumerate(_as_list(sequences)):
        if isinstance(s, dict):
            if "input" not in s:
                raise ScanError(f"{where}: sequence {k} is a dict without 'input'")
            x, taps = s["input"], s.get("taps", [0])
            taps = [0] if taps is None else _as_list(taps)
        else:
            x, taps = s, [0]
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise ScanError(f"{where}: sequence {k} ({x}) is a scalar; sequences are iterated along their "
                            "first axis")
        if not taps:
            continue
        if go_backwards:
            x = x[::-1]
        lo, hi = min(min(taps), 0), max(max(taps), 0)
        base = _label(x, f"seq{k}")
        for tap in taps:
            begin, end = tap - lo, hi - tap
            sl = x if begin == 0 and end == 0 else x[begin:(-end if end else None)]
            seq_outer.append(sl)
            suffix = "" if tap == 0 else f"{tap:+d}"
            seq_inner.append(_placeholder(TensorType(x.dtype, x.type.shape[1:]), f"{base}[t{suffix}]",
                                          _test_value(sl, True)))

    # 2. outputs_info
    infos: List[Optional[Dict[str, Any]]] = []
    raw_infos = outputs_info if isinstance(outputs_info, (list, tuple)) else (
        [] if outputs_info is None else [outputs_info])
    for k, info in enumerate(raw_infos):
        if info is None:
            infos.append(None)
            continue
        if isinstance(info, dict):
            if info.get("initial") is None:
                if info.get("taps"):
                    raise ScanError(f"{where}: outputs_info[{k}] has taps but no 'initial' value")
                infos.append(None)
                continue
            init = as_tensor_variable(info["initial"])
            taps = info.get("taps", [-1])
            taps = [-1] if taps is None else [int(t) for t in _as_list(taps)]
            if any(t >= 0 for t in taps) or len(set(taps)) != len(taps):
                raise ScanError(f"{where}: outputs_info[{k}] taps must be distinct negative ints, got {taps}")
            infos.append({"initial": init, "taps": taps, "buffered": taps != [-1]})
        else:
            infos.append({"initial": as_tensor_variable(info), "taps": [-1], "buffered": False})
    non_seqs = [n if isinstance(n, Variable) else as_tensor_variable(n) for n in _as_list(non_sequences)]

    def build(infos: List[Optional[Dict[str, Any]]]) -> Tuple[Any, ...]:
        """Make the tap stand-ins and call ``fn`` (may run twice, see below)."""
        tap_inner: List[List[TensorVariable]] = []
        for k, info in enumerate(infos):
            if info is None:
                tap_inner.append([])
                continue
            init = info["initial"]
            if info["buffered"]:
                if init.ndim == 0:
                    raise ScanError(f"{where}: outputs_info[{k}] with taps {info['taps']} needs an initial value "
                                    "with a leading time axis (one row per past step)")
                state_t = TensorType(init.dtype, init.type.shape[1:])
            else:
                state_t = init.type
            base = _label(init, f"out{k}")
            tap_inner.append([_placeholder(state_t, f"{base}[t{t:+d}]", _test_value(init, info["buffered"]))
                              for t in info["taps"]])
        args = seq_inner + [v for taps in tap_inner for v in taps] + non_seqs
        raw = fn(*args)
        return (tap_inner,) + _parse_return(raw, where)

    tap_inner, outs, body_updates, cond, _ = build(infos)
    outs = [o if isinstance(o, Variable) else as_tensor_variable(o) for o in outs]
    if outputs_info is None or (isinstance(outputs_info, (list, tuple)) and not outputs_info):
        infos = [None] * len(outs)  # Theano: no outputs_info (None or []) means no output is fed back
    elif len(infos) != len(outs):
        raise ScanError(f"{where}: fn returned {len(outs)} output(s) but outputs_info has {len(infos)} entr"
                        f"{'y' if len(infos) == 1 else 'ies'}; give one entry (None for outputs that are not "
                        "fed back) per output")
    # a Python-number initial value takes the dtype of what the body computes
    retry = False
    for k, (info, o) in enumerate(zip(infos, outs)):
        if info is None:
            continue
        init = info["initial"]
        if o.dtype != init.dtype and isinstance(init, Constant) and init.weak:
            info["initial"] = constant(init.data, dtype=o.dtype)
            retry = True
    if retry:
        tap_inner, outs, body_updates, cond, _ = build(infos)
        outs = [o if isinstance(o, Variable) else as_tensor_variable(o) for o in outs]
    for k, (info, o) in enumerate(zip(infos, outs)):
        if not isinstance(o, TensorVariable):
            raise ScanError(f"{where}: output {k} of fn is {o} of type {o.type}, not a tensor")
        if info is None:
            continue
        st = tap_inner[k][0].type
        if o.dtype != st.dtype or o.ndim != st.ndim:
            raise ScanError(
                f"{where}: output {k} of fn has type {o.type} but its initial state (outputs_info[{k}]) has "
                f"{st}; they must agree in dtype and number of dimensions (the body may have upcast it: "
                f"cast the result with T.cast(..., '{st.dtype}') or give an initial value of dtype {o.dtype})")
        if not st.is_compatible(o.type):
            raise ScanError(f"{where}: output {k} of fn has shape {o.type.shape} but its initial state has "
                            f"{st.shape}")

    # 3. what the body uses from outside; updates become carried state
    updates: "OrderedDict[SharedVariable, Variable]" = OrderedDict()
    for s, v in body_updates.items():
        if not isinstance(s, SharedVariable):
            raise ScanError(f"{where}: the body returned an update of {s!r:.40}, which is not a shared variable")
        if isinstance(s.type, TensorType):
            v = as_tensor_variable(v)
            if v.dtype != s.dtype or v.ndim != s.ndim:
                raise ScanError(f"{where}: the update of {s} ({s.type}) has type {v.type}; an update must keep "
                                f"the dtype and number of dimensions (T.cast(expr, '{s.dtype}'))")
        updates[s] = v
    stand_ins = set(seq_inner) | {v for taps in tap_inner for v in taps}
    roots: List[Any] = outs + list(updates.values()) + ([cond] if cond is not None else [])
    external = _externals(roots, stand_ins, start)
    # shared variables whose default update was built in the body (random streams) are carried
    frontier = [v for v in external if isinstance(v, SharedVariable)]
    while frontier:
        found = []
        for s in frontier:
            du = s.default_update
            if s in updates or du is None or du._id < start:
                continue
            updates[s] = du
            found.append(du)
        if not found:
            break
        new_ext = [v for v in _externals(found, stand_ins, start) if v not in external]
        external += new_ext
        frontier = [v for v in new_ext if isinstance(v, SharedVariable)]
    carried = set(updates)
    explicit = [v for v in non_seqs if not isinstance(v, Constant)]
    # the non-sequences given, once each, even those the body does not read (Theano's node takes them:
    # a function input that only feeds one is used); then what the body reads from outside
    ns_outer = [v for v in dict.fromkeys(explicit) if v not in carried]
    seen_ns = set(ns_outer)
    for v in sorted(external, key=lambda v: v._id):
        if v not in seen_ns and v not in carried:
            ns_outer.append(v)
            seen_ns.add(v)
    if strict:
        allowed = set(explicit)
        sneaky = [v for v in ns_outer if isinstance(v, SharedVariable) and v not in allowed]
        if sneaky:
            raise StrictScanError(f"{where}: strict=True but the body uses shared variable(s) "
                                  f"{', '.join(map(str, sneaky))} not given in non_sequences")

    # 4. the loop's carries: a fed-back output with the one tap -1 is a traced carry (its values are
    #    the output); one with other taps is a per-step output plus `lag` carries holding its last
    #    values (a shift register: y[t-lag], ..., y[t-1]); updated shared variables (tensors,
    #    generator states) are carries that come out at the end
    mapping: Dict[Variable, Variable] = {}
    rec_idx = [k for k, info in enumerate(infos) if info is not None and not info["buffered"]]
    step_idx = [k for k, info in enumerate(infos) if info is None or info["buffered"]]
    rec_inner = [tap_inner[k][0] for k in rec_idx]
    rec_outer = [infos[k]["initial"] for k in rec_idx]
    state_inner, state_outer, state_new = [], [], []
    for k in step_idx:
        info = infos[k]
        if info is None:
            continue
        lag = -min(info["taps"])
        init = info["initial"]
        given = dict(zip(info["taps"], tap_inner[k]))
        regs = [given[i - lag] if i - lag in given else
                _placeholder(tap_inner[k][0].type, f"{_label(init, f'out{k}')}[t{i - lag}]") for i in range(lag)]
        window = _rows(init, lag, f"{where}: the initial value of outputs_info[{k}] (taps {info['taps']} need {lag} "
                                  "rows)", trace)
        state_inner += regs
        state_outer += [window[i] for i in range(lag)]
        state_new += regs[1:] + [outs[k]]
    for s in updates:
        ph = (_placeholder(s.type, f"{_label(s, 'shared')}[t-1]", _test_value(s)) if isinstance(s.type, TensorType)
              else s.type.make_variable(f"{_label(s, 'rng')}[t]"))
        if not isinstance(s.type, TensorType) and _test_value(s) is not None:
            ph.tag["test_value"] = _test_value(s)
        mapping[s] = ph
        state_inner.append(ph)
        state_outer.append(s)
        state_new.append(updates[s])
    ns_inner = []
    for v in ns_outer:
        ph = v.type.make_variable(_label(v, "const"))
        if _test_value(v) is not None:
            ph.tag["test_value"] = _test_value(v)
        mapping[v] = ph
        ns_inner.append(ph)
    inner_outs = [outs[k] for k in rec_idx] + [outs[k] for k in step_idx] + state_new + ([cond] if cond is not None else [])
    inner_outs = clone_replace([_strong(o) for o in inner_outs], mapping)
    inner_ins = seq_inner + rec_inner + state_inner + ns_inner

    # 5. outer inputs and the node
    if n_steps is None:
        if not seq_outer:
            raise ScanError(f"{where}: no sequences and no n_steps: give n_steps (an upper bound when the body "
                            "returns until(...))")
        steps: Variable = shape_i(seq_outer[0], 0)
        for s in seq_outer[1:]:
            steps = E.minimum(steps, shape_i(s, 0))
    else:
        steps = as_tensor_variable(n_steps)
        if steps.ndim != 0 or not is_int(steps.dtype):
            raise ScanError(f"{where}: n_steps must be an integer scalar, got {steps.type}")
        if isinstance(steps, Constant) and int(steps.data) < 0:
            raise ScanError(f"{where}: n_steps must be >= 0, got {int(steps.data)} (to run over sequences from "
                            "their end, pass go_backwards=True)")
    op = Scan(InnerGraph(inner_ins, inner_outs), n_seqs=len(seq_outer), n_rec=len(rec_idx),
              n_nonrec=len(step_idx), n_state=len(state_inner), n_nonseqs=len(ns_outer),
              until=cond is not None, truncate_gradient=truncate_gradient, label=label, mode=mode)
    node = op.make_node(steps, *(seq_outer + rec_outer + state_outer + ns_outer))
    node.trace = trace
    results = node.outputs
    user_out: List[Optional[Variable]] = [None] * len(outs)
    for pos, k in enumerate(rec_idx + step_idx):
        user_out[k] = results[pos]
    finals = results[len(rec_idx) + len(step_idx) + len(state_inner) - len(updates):]
    for s, final in zip(updates, finals):
        if not isinstance(s.type, TensorType) or s.tag.get("is_rng"):
            # a generator state (or a tensor state tagged as one, Theano's `tag.is_rng`: MRG streams): a
            # function that forgets to pass `updates` still advances the stream
            s.default_update = final
    ordered = OrderedDict(zip(updates, finals))
    if return_list:
        return user_out, ordered
    if len(user_out) == 1:
        return user_out[0], ordered
    if not user_out:
        return None, ordered
    return user_out, ordered


def _rows(init: Variable, lag: int, what: str, trace: Any) -> Variable:
    """``init[:lag]``, checked to have ``lag`` rows (when not known while building)."""
    rows = init.type.shape[0]
    if rows is not None and rows < lag:
        raise ScanError(f"{what}: it has {rows}")
    window = init[:lag]
    if rows is not None:
        return window
    from ..core.shape_infer import CheckShapes

    return CheckShapes(what, trace, (("equal", (0, 0), (1, None)),))(window, window, constant(np.int64(lag)))


def _strong(v: Variable) -> Variable:
    """Body outputs that are Python numbers become typed constants (arrays, not floats)."""
    if isinstance(v, Constant) and getattr(v, "weak", False):
        return constant(v.data, dtype=v.dtype)
    return v


def _externals(roots: Sequence[Variable], stand_ins: set, start: int) -> List[Variable]:
    """Variables the body reads from outside: built before ``fn`` ran (id < start),
    or roots such as shared variables; constants stay in the body."""
    out, seen = [], set()
    stack = list(roots)
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        if v in stand_ins or isinstance(v, Constant):
            continue
        if v.owner is None or v._id < start:
            out.append(v)
            continue
        stack.extend(v.owner.inputs)
    return out
