"""Linking: turn a rewritten graph into one straight-line Python function.

At link time the backend gives one kernel per node, constants move to the
device, storage is laid out and a small function is generated::

    def run(i0, i1):
        if i0.__class__ is not ndarray or i0.dtype is not D0 ...: i0 = F0(i0)
        v2 = C0.value
        v3 = k0(i0, v2)
        del i0
        ...
        C0.value = v5
        return v4

so a call does no graph walking, dictionary building or type dispatch. A
failure inside is mapped back, by the failing line, to the node and the
user's source line that built it. The DEBUG linker runs node by node instead
and checks every output.
"""
from __future__ import annotations

import itertools
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .backend import Backend
from .errors import (NodeRuntimeError, ShapeError, describe_exception, describe_value, format_trace,
                     node_error_message, node_label, safe_str)
from .fgraph import FunctionGraph
from .graph import Apply, Constant, Variable
from .ifelse import entry_inputs, lazy_plan
from .shared import SharedVariable
from .types import TensorType

_counter = itertools.count()

# Called, in order, when a call of a compiled function fails (``Function`` runs them before
# raising): a backend that started work on another thread puts the state it changed back as
# the failed call would have left it (the NumPy backend's draws made ahead, issue 16).
AFTER_FAILURE: List[Callable[[], None]] = []


def after_failure() -> None:
    for hook in AFTER_FAILURE:
        hook()


class Linked:
    """A linked schedule: ``run`` and how to explain a failure inside it."""

    def __init__(self, run: Callable[..., Any], filename: str, lines: Dict[int, Any], names: Dict[Variable, str],
                 restore: Optional[Callable[[BaseException], None]] = None):
        self.run = run
        self.filename = filename
        self.lines = lines
        self.names = names
        # after a failed call: put back the shared generator states the call advanced in place
        self.restore = restore

    def explain(self, exc: BaseException) -> Optional[BaseException]:
        """An exception naming the node (and the user's line) where ``exc`` happened."""
        tb, hit = exc.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code is self.run.__code__:
                hit = tb
            tb = tb.tb_next
        if hit is None:
            return None
        entry = self.lines.get(hit.tb_lineno)
        if entry is None or not isinstance(entry, Apply):
            return None
        node = entry
        local = hit.tb_frame.f_locals
        values = [local.get(self.names.get(i, ""), getattr(i, "data", None)) for i in node.inputs]
        explain = getattr(node.op, "explain_failure", None)  # e.g. a fused node names the step that failed
        if explain is not None:
            better = explain(node, exc, values)
            if better is not None:
                return better
        return wrap_node_error(node, exc, values)


def wrap_node_error(node: Apply, exc: BaseException, values: Sequence[Any]) -> BaseException:
    if isinstance(exc, MemoryError):
        # one line: what could not be allocated (NumPy says the shape and dtype), where
        msg = node_error_message(node, f"out of memory: {safe_str(exc) or 'MemoryError'}", values, one_line=True)
    else:
        msg = node_error_message(node, describe_exception(exc), values)
    cls = _wrapper_class(type(exc))
    try:
        return cls(msg)
    except Exception:
        return NodeRuntimeError(msg)


_wrappers: Dict[type, type] = {}


def _wrapper_class(base: type) -> type:
    """A subclass of both NodeRuntimeError and the original exception type,
    so ``except ValueError`` in user code still catches a shape error."""
    if issubclass(base, NodeRuntimeError):
        return base
    cls = _wrappers.get(base)
    if cls is None:
        try:
            # str() is always the message: the base's own __str__ may read attributes
            # the wrapper lacks (NumPy's _ArrayMemoryError reads .shape and .dtype)
            cls = type(base.__name__, (NodeRuntimeError, base),
                       {"__module__": base.__module__, "__str__": BaseException.__str__,
                        "__repr__": BaseException.__repr__})
        except TypeError:
            cls = NodeRuntimeError
        _wrappers[base] = cls
    return cls


def aliases_root(v: Variable, roots: set) -> bool:
    """Whether ``v``'s storage may be that of an input, shared variable or constant."""
    while True:
        if v in roots or v.owner is None:
            return True
        vm = getattr(v.owner.op, "view_map", {}).get(v.index)
        dm = getattr(v.owner.op, "destroy_map", {}).get(v.index)
        src = vm or dm
        if not src:
            return False
        if len(src) > 1:
            return any(aliases_root(v.owner.inputs[i], roots) for i in src)
        v = v.owner.inputs[src[0]]


def storage_roots(v: Variable) -> frozenset:
    """The variables whose storage ``v``'s may be (itself, or what its op's ``view_map`` says it
    returns a view of, recursively): two values with a root in common may share memory.

    ``destroy_map`` is not followed: an op overwrites only an input nothing else reads (the
    in-place rules), so the buffer it reuses is no other value's -- and two outputs of one node
    never share one (a fused node declares every output against each input it may overwrite)."""
    roots, todo = set(), [v]
    while todo:
        v = todo.pop()
        src = getattr(v.owner.op, "view_map", {}).get(v.index) if v.owner is not None else None
        if not src:
            roots.add(v)
        else:
            todo += [v.owner.inputs[i] for i in src]
    return frozenset(roots)


def views_weak_constant(v: Variable) -> bool:
    """Whether ``v``'s value may be a weak constant's own Python number, passed through by ops
    that return an input as it is (``view_map``: ``ifelse``, ``zero_grad`` in FAST_COMPILE...)."""
    if isinstance(v, Constant):
        return bool(getattr(v, "weak", False))
    if v.owner is None:
        return False
    src = getattr(v.owner.op, "view_map", {}).get(v.index) or getattr(v.owner.op, "destroy_map", {}).get(v.index)
    return any(views_weak_constant(v.owner.inputs[i]) for i in (src or ()))


def link(
    fgraph: FunctionGraph,
    backend: Backend,
    explicit: Sequence[Variable],
    shared: Sequence[SharedVariable],
    n_outputs: int,
    single_output: bool,
    filters: Sequence[Callable[[Any], Any]],
    outputs_on_device: bool = False,
    check_inputs: bool = True,
) -> Linked:
    """Generate the schedule for ``fgraph``.

    ``check_inputs=False`` trusts the caller to pass values of the right
    types (scan's inner function, called with values it made itself).

    ``fgraph.outputs`` holds the user's outputs first, then one new value per
    entry of ``shared`` that has an update (``None`` placeholders are skipped
    by the caller: ``shared`` here lists only updated variables, in the order
    their update values follow the outputs).
    """
    ns: Dict[str, Any] = {"ndarray": np.ndarray, "ARRAY": np.array}
    names: Dict[Variable, str] = {}
    code: List[str] = []
    lines: Dict[int, Any] = {}
    params = []
    host = backend.host_is_device

    def emit(text: str, entry: Any = None) -> None:
        code.append("    " + text)
        if entry is not None:
            lines[len(code) + 1] = entry  # +1: the def line comes first

    # explicit inputs
    for k, v in enumerate(explicit):
        name = names[v] = f"i{k}"
        params.append(name)
        if not check_inputs:
            continue
        ns[f"F{k}"] = filters[k]
        t = v.type
        if host and isinstance(t, TensorType):
            ns[f"D{k}"] = np.dtype(t.dtype)
            cond = f"{name}.__class__ is not ndarray or {name}.dtype is not D{k} or {name}.ndim != {t.ndim}"
            for ax, d in enumerate(t.shape):
                if d is not None:
                    cond += f" or {name}.shape[{ax}] != {d}"
            if t.ndim == 0 and t.dtype == "float64" and getattr(filters[k], "plain", False):
                # a Python float converts exactly to a 0-d float64 array: what the filter
                # would return, without the filter's three calls (call overhead, issue 16)
                emit(f"if {cond}: {name} = ARRAY({name}) if {name}.__class__ is float else F{k}({name})", ("input", k))
            elif t.ndim == 0 and ns[f"D{k}"].kind in "iu" and getattr(filters[k], "plain", False):
                # a Python int inside the dtype's range converts exactly (a minibatch index): the
                # filter's own result; anything else -- out of range, bool, float -- goes through it
                info = np.iinfo(ns[f"D{k}"])
                emit(f"if {cond}: {name} = ARRAY({name}, D{k}) if {name}.__class__ is int and "
                     f"{info.min} <= {name} <= {info.max} else F{k}({name})", ("input", k))
            else:
                emit(f"if {cond}: {name} = F{k}({name})", ("input", k))
        else:
            emit(f"{name} = F{k}({name})", ("input", k))
    # shared variables read at the start
    all_shared = [v for v in fgraph.inputs if isinstance(v, SharedVariable)]
    containers: Dict[SharedVariable, str] = {}
    used = _used(fgraph)
    for k, s in enumerate(all_shared):
        cname = containers[s] = f"C{k}"
        ns[cname] = s.container
        if s in used:
            names[s] = f"s{k}"
            emit(f"s{k} = {cname}.value")
    restore = _snapshot_states(fgraph, backend, names, containers, ns, emit)
    # constants, moved to the device once
    consts = itertools.count()
    for v in [i for node in fgraph.toposort() for i in node.inputs] + list(fgraph.outputs):
        if isinstance(v, Constant) and v not in names:
            cname = names[v] = f"K{next(consts)}"
            ns[cname] = v.data if getattr(v, "weak", False) else backend.from_host(np.asarray(v.data))

    # last use of each temporary, to free memory as early as possible
    order = schedule_early(fgraph)
    # lazy ops (ifelse): the nodes only one branch needs run inside a real if/else
    plan = lazy_plan(order, fgraph.clients)
    position = {node: j for j, node in enumerate(order)}
    last_use: Dict[Variable, int] = {}
    for j, entry in enumerate(plan):
        for i in entry_inputs(entry):
            last_use[i] = j
    keep = set(fgraph.outputs)

    counter = itertools.count()
    for p, (kind, node, depth) in enumerate(plan):
        pad = "    " * depth
        if kind == "if":  # a lazy node: name its outputs, test its condition
            for o in node.outputs:
                names[o] = f"v{next(counter)}"
            emit(f"{pad}if {names[node.inputs[0]]}:", node)
            continue
        if kind == "else":
            emit(f"{pad}else:")
            continue
        if kind in ("then_end", "else_end"):
            chosen = entry_inputs((kind, node, depth))
            emit(f"{pad}{', '.join(names[o] for o in node.outputs)} = {', '.join(names[i] for i in chosen)}", node)
        else:
            j = position[node]
            kname = f"k{j}"
            ns[kname] = backend.kernel(node)
            outs = []
            for o in node.outputs:
                names[o] = f"v{next(counter)}"
                outs.append(names[o])
            args = ", ".join(names[i] for i in node.inputs)
            if len(outs) == 1:
                emit(f"{pad}{outs[0]} = {kname}({args})", node)
            else:
                emit(f"{pad}{', '.join(outs)} = {kname}({args})", node)
        dead = sorted({names[i] for i in entry_inputs((kind, node, depth)) if last_use.get(i) == p and i not in keep
                       and not isinstance(i, Constant) and names[i][0] in "vis"})
        if dead:
            emit(f"{pad}del {', '.join(dead)}")

    roots = set(fgraph.inputs) | {v for v in names if isinstance(v, Constant)}
    ns["COPY"] = backend.copy
    ns["TO_HOST"] = backend.to_host
    seen: set = set()
    # storage the results handed out so far may share (Theano's rule: no two outputs of a call
    # alias each other -- a view of another output, or the same value twice, is copied)
    given: set = set()

    def shares_given(v: Variable) -> bool:
        if not isinstance(v.type, TensorType):
            return False  # a generator state or another non-array value: never copied here
        mine = storage_roots(v)
        hit = bool(mine & given)
        given.update(mine)
        return hit

    def result(v: Variable, to_user: bool) -> str:
        expr = names[v]
        # 0-d results reach the user as NumPy scalars (immutable: no copy needed)
        scalar = to_user and isinstance(v.type, TensorType) and v.type.ndim == 0 and (host or not outputs_on_device)
        if scalar and isinstance(v, Constant):
            ns[f"S{expr}"] = np.asarray(v.data, dtype=v.type.dtype)[()]
            return f"S{expr}"
        if (aliases_root(v, roots) or v in seen or shares_given(v)) and not scalar:
            expr = f"COPY({expr})"
        seen.add(v)
        if scalar and views_weak_constant(v):
            # the value may be a Python number (no [()]): the NumPy scalar of the output's dtype
            ns[f"W{expr}"] = np.dtype(v.type.dtype).type
            return f"W{expr}(TO_HOST({expr}, False))" if not host else f"W{expr}({expr})"
        if to_user and not host and not outputs_on_device and isinstance(v.type, TensorType):
            expr = f"TO_HOST({expr}, False)"
        return f"{expr}[()]" if scalar else expr

    outs = [result(v, True) for v in fgraph.outputs[:n_outputs]]
    for k, o in enumerate(outs):
        emit(f"o{k} = {o}")
    for s, v in zip(shared, fgraph.outputs[n_outputs:]):
        if v is s:
            continue
        # a value also returned to the user, or stored in another shared variable (or a view of
        # one of those), is copied
        shared_storage = aliases_root(v, roots) or v in seen or shares_given(v)
        seen.add(v)
        expr = names[v] if not shared_storage else f"COPY({names[v]})"
        emit(f"{containers[s]}.value = {expr}")
    if single_output:
        emit("return o0")
    else:
        emit(f"return [{', '.join(f'o{k}' for k in range(n_outputs))}]")

    # one file name for every schedule: failures are matched by code object, and a
    # name per compilation would be a string kept alive per function ever compiled
    filename = "<framework-schedule>"
    src = f"def run({', '.join(params)}):\n" + "\n".join(code) + "\n"
    exec(compile(src, filename, "exec"), ns)
    run = ns["run"]
    run.__source__ = src
    if restore is not None:
        restore.bind(run)
    return Linked(run, filename, lines, names, restore)


def advanced_states(fgraph: FunctionGraph) -> Dict[SharedVariable, frozenset]:
    """The shared generator states some node of ``fgraph`` advances in place
    (``Op.rng_advanced``), each with the distributions drawn from it."""
    advanced: Dict[SharedVariable, frozenset] = {}
    for node in fgraph.toposort():
        for k, dists in node.op.rng_advanced(node).items():
            state = node.inputs[k]
            if isinstance(state, SharedVariable):
                advanced[state] = advanced.get(state, frozenset()) | frozenset(dists)
    return advanced


def _snapshot_states(fgraph: FunctionGraph, backend: Backend, names: Dict[Variable, str],
                     containers: Dict[SharedVariable, str], ns: Dict[str, Any],
                     emit: Callable[..., None]) -> Optional["_Restore"]:
    """Emit, at the start of ``run``, a snapshot of each shared generator state that some node
    advances in place (``Op.rng_advanced``), and return what puts them back after a failed call.

    Without it a call that fails after an in-place draw would leave that stream advanced -- in
    FAST_RUN only, where ``random_inplace`` made the draw in place: FAST_COMPILE copies the state
    and stores nothing. With it, nothing is stored when a call fails, in every mode."""
    undo = []
    for state, dists in advanced_states(fgraph).items():
        if state not in containers or state not in names:
            continue
        ops = backend.rng_snapshots(dists)
        if ops is None:
            continue
        j = len(undo)
        save, put_back = ops
        ns[f"SAVE{j}"] = save
        emit(f"R{j} = SAVE{j}({names[state]})")
        undo.append((state.container, put_back))
    return _Restore(undo) if undo else None


class _Restore:
    """After a failed call of ``run``: put back the shared generator states it advanced in
    place, from the snapshots ``R0, R1, ...`` that are locals of the failed call's frame (a call
    that failed before taking them -- a bad input -- has none, and advanced nothing)."""

    def __init__(self, undo: List[Tuple[Any, Callable[[Any, Any], Any]]]) -> None:
        self.undo = undo
        self.code: Any = None  # run's code object, set once run exists

    def bind(self, run: Callable[..., Any]) -> None:
        self.code = run.__code__

    def __call__(self, exc: BaseException) -> None:
        tb, frame = exc.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code is self.code:
                frame = tb.tb_frame
            tb = tb.tb_next
        if frame is None:
            return
        local = frame.f_locals
        for j, (container, put_back) in enumerate(self.undo):
            saved = local.get(f"R{j}")
            if saved is not None:
                container.value = put_back(container.value, saved)


def schedule_early(fgraph: FunctionGraph) -> List[Apply]:
    """``fgraph``'s order, with the nodes whose op says ``schedule_early`` (and the
    ``shape``/``shape_i`` nodes they read) moved up to run as soon as their inputs exist.

    Such a node starts work that runs beside the main thread (a draw on the
    helper thread): started early, it overlaps what comes between. Moving a
    node earlier in a topological order keeps every input before its reader,
    and an op only ever overwrites an input that has no other reader (the
    in-place rules), so no value changes. Not done with lazy (``ifelse``)
    nodes, whose plan depends on the order."""
    from .shape_ops import Shape, Shape_i

    order = fgraph.toposort()
    early = {n for n in order if getattr(n.op, "schedule_early", False)}
    if not early or any(getattr(n.op, "lazy", False) for n in order):
        return order
    movable = set(early)
    for n in early:
        for i in n.inputs:
            if i.owner is not None and isinstance(i.owner.op, (Shape, Shape_i)):
                movable.add(i.owner)
    done: set = set()
    out: List[Apply] = []
    waiting = [n for n in order if n in movable]

    def ready(n: Apply) -> bool:
        return all(i.owner is None or i.owner in done for i in n.inputs)

    def flush() -> None:
        moved = True
        while moved:
            moved = False
            for n in list(waiting):
                if ready(n):
                    waiting.remove(n)
                    out.append(n)
                    done.add(n)
                    moved = True

    flush()
    for node in order:
        if node in movable:
            continue
        out.append(node)
        done.add(node)
        flush()
    out.extend(waiting)  # (none left: every input is computed by the end)
    return out


def _used(fgraph: FunctionGraph) -> set:
    used = set(fgraph.outputs)
    for node in fgraph.toposort():
        used.update(node.inputs)
    return used


def link_debug(
    fgraph: FunctionGraph,
    backend: Backend,
    explicit: Sequence[Variable],
    shared: Sequence[SharedVariable],
    n_outputs: int,
    single_output: bool,
    filters: Sequence[Callable[[Any], Any]],
    outputs_on_device: bool = False,
    monitor: Optional[Tuple[Any, Any]] = None,
) -> Linked:
    """Node-by-node execution that checks every output (DEBUG mode).

    ``monitor`` is a mode's ``(pre, post)`` pair (:class:`framework.core.mode.Mode`): each is
    called around every node with its position, the node, its input values and its output
    values; NaN/Inf are then the monitor's to judge, not errors of the linker."""
    xp = backend.xp
    order = fgraph.toposort()
    plan = lazy_plan(order, fgraph.clients)
    kernels = {n: backend.kernel(n) for n in order if not getattr(n.op, "lazy", False)}
    pre, post = monitor if monitor is not None else (None, None)
    position = {n: k for k, n in enumerate(order)}
    all_shared = [v for v in fgraph.inputs if isinstance(v, SharedVariable)]
    roots = set(fgraph.inputs)

    def check(node: Apply, out: Variable, value: Any, ins: Sequence[Any]) -> None:
        t = out.type
        if not isinstance(t, TensorType):
            return
        shp = tuple(getattr(value, "shape", ()))
        dtype = str(getattr(value, "dtype", type(value).__name__))
        if dtype != t.dtype:
            raise NodeRuntimeError(node_error_message(
                node, f"output {out.index} has dtype {dtype}, but the op declared {t.dtype}", ins))
        if len(shp) != t.ndim or any(d is not None and d != s for d, s in zip(t.shape, shp)):
            raise ShapeError(node_error_message(
                node, f"output {out.index} has shape {shp}, but the op declared {t}", ins))
        if monitor is None and t.dtype.startswith(("float", "complex")) and not bool(xp.all(xp.isfinite(value))):
            bad = "NaN" if bool(xp.any(xp.isnan(value))) else "Inf"
            raise NodeRuntimeError(node_error_message(node, f"output {out.index} contains {bad}", ins))

    snapshots = [(s, ops) for s, d in advanced_states(fgraph).items() if (ops := backend.rng_snapshots(d)) is not None]

    def run(*args: Any) -> Any:
        env: Dict[Variable, Any] = {}
        for k, (v, a) in enumerate(zip(explicit, args)):
            env[v] = filters[k](a)
        for s in all_shared:
            env[s] = s.container.value
        saved = [(s, put_back, save(env[s])) for s, (save, put_back) in snapshots]
        try:
            return run_nodes(env)
        except BaseException:
            for s, put_back, snap in saved:  # a failed call stores nothing (see _snapshot_states)
                s.container.value = put_back(s.container.value, snap)
            raise

    def run_nodes(env: Dict[Variable, Any]) -> Any:
        taken_at: Dict[Apply, bool] = {}
        skip_below = None  # inside a branch not taken: the indent of its header
        for kind, node, depth in plan:
            if skip_below is not None:
                if depth > skip_below:
                    continue
                skip_below = None
            if kind == "if":
                taken = bool(env[node.inputs[0]] if node.inputs[0] in env else node.inputs[0].data)
                if not taken:
                    skip_below = depth  # skip the then-block
                continue
            if kind == "else":
                if taken_at.get(node):
                    skip_below = depth
                continue
            if kind in ("then_end", "else_end"):
                if kind == "then_end":
                    taken_at[node] = True
                for o, i in zip(node.outputs, entry_inputs((kind, node, depth))):
                    env[o] = env[i] if i in env else backend.from_host(np.asarray(i.data))
                continue
            kern = kernels[node]
            ins = [env[i] if i in env else (i.data if getattr(i, "weak", False) else backend.from_host(np.asarray(i.data)))
                   for i in node.inputs]
            if pre is not None:
                pre(position[node], node, ins, [None] * len(node.outputs))
            try:
                out = kern(*ins)
            except Exception as exc:
                raise wrap_node_error(node, exc, ins) from exc
            outs = [out] if len(node.outputs) == 1 else list(out)
            for k, (o, val) in enumerate(zip(node.outputs, outs)):
                if type(val) in (bool, int, float, complex) and views_weak_constant(o):
                    val = backend.from_host(np.asarray(val, dtype=o.type.dtype))  # a weak constant passed on
                    outs[k] = val
                check(node, o, val, ins)
                env[o] = val
            if post is not None:
                post(position[node], node, ins, outs)

        def value(v: Variable, user: bool) -> Any:
            val = env[v] if v in env else backend.from_host(np.asarray(v.data))
            if aliases_root(v, roots):
                val = backend.copy(val)
            if user and not backend.host_is_device and not outputs_on_device and isinstance(v.type, TensorType):
                val = backend.to_host(val, False)
            if user and isinstance(v.type, TensorType) and v.type.ndim == 0 and (
                    backend.host_is_device or not outputs_on_device):
                val = val[()]  # 0-d results reach the user as NumPy scalars
            return val

        given: set = set()  # storage roots of the results so far: no two results share memory

        def distinct(v: Variable, user: bool) -> Any:
            val = value(v, user)
            if aliases_root(v, roots) or not isinstance(v.type, TensorType):
                return val  # value() copied it already (or not an array)
            mine = storage_roots(v)
            if mine & given and not (user and v.type.ndim == 0):  # a 0-d result is a NumPy scalar
                return backend.copy(val)
            given.update(mine)
            return val

        results = [distinct(v, True) for v in fgraph.outputs[:n_outputs]]
        new = [distinct(v, False) for v in fgraph.outputs[n_outputs:]]
        for s, val in zip(shared, new):
            s.container.value = val
        return results[0] if single_output else results

    return Linked(run, "<debug>", {}, {})
