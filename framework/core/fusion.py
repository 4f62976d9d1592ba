"""Fused element-wise programs: one node for a chain of element-wise ops.

The fusion rewrite replaces a connected group of :class:`~framework.core.elemwise.Elemwise`
nodes by one :class:`Fused` node. Its op carries the group's *scalar program*
(:class:`ScalarProgram`), a backend-neutral description built only from rows
of the element-wise table, so that:

* any backend runs it: the default kernel generates ONE Python function that
  calls the array namespace's ufuncs in order, writing each step into a buffer
  that is no longer needed (``out=``) instead of allocating one temporary per
  op. Every buffer is allocated during the call, so nothing returned to the
  user is ever reused by a later call;
* a backend with ``compile_fused(node)`` (the CuPy backend: one
  ``ElementwiseKernel``) compiles it to a single device kernel;
* its gradient is the gradient of the element-wise graph it stands for
  (the program is expanded back into Elemwise nodes).

The program format (see :class:`ScalarProgram`)::

    inputs  = ("float64", "float64")              # dtype of each node input
    steps   = (Step("neg", (("in", 0),), "float64"),
               Step("softplus", (("step", 0),), "float64"),
               Step("mul", (("in", 1), ("const", 2.0, None)), "float64"),
               Step("sub", (("step", 1), ("step", 2)), "float64"))
    outputs = (("step", 3),)

A reference is ``("in", k)`` (node input ``k``), ``("step", j)`` (the result
of step ``j``) or ``("const", value, dtype)``: a scalar written into the
program, ``dtype`` None for a *weak* Python scalar (it takes the other
operand's dtype, as in NumPy 2) or a dtype name for a typed scalar.
``Step.op`` names a row of :data:`~framework.core.elemwise.SCALAR_OPS`;
``Step.dtype`` is the step's result dtype (NumPy's rules, as for the unfused
node). Backends lower the program through their own tables keyed by row name
(the CuPy backend's C expressions, the NumPy backend's ufunc calls).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import numpy as np

from .elemwise import SCALAR_OPS, apply as apply_elemwise
from .graph import Apply, Variable
from .op import Op
from .types import TensorType, broadcast_shapes, is_int
from .variable import TensorVariable, as_tensor_variable, constant

Ref = Tuple[Any, ...]  # ("in", k) | ("step", j) | ("const", value, dtype or None)


@dataclass(frozen=True)
class Step:
    """One step of a scalar program: ``op`` (a row name) applied to ``args``."""

    op: str
    args: Tuple[Ref, ...]
    dtype: str


@dataclass(frozen=True)
class ScalarProgram:
    """A straight-line element-wise program (see the module docstring)."""

    inputs: Tuple[str, ...]
    steps: Tuple[Step, ...]
    outputs: Tuple[Ref, ...]

    def __post_init__(self) -> None:
        for j, step in enumerate(self.steps):
            if step.op not in SCALAR_OPS:
                raise ValueError(f"scalar program step {j}: {step.op!r} is not a row of the element-wise table")
            row = SCALAR_OPS[step.op]
            if len(step.args) != row.nin:
                raise ValueError(f"scalar program step {j}: {step.op} takes {row.nin} argument(s), "
                                 f"got {len(step.args)}")
            for ref in step.args:
                _check_ref(ref, len(self.inputs), j)
        for ref in self.outputs:
            _check_ref(ref, len(self.inputs), len(self.steps))

    def describe(self) -> str:
        """``t0 = neg(i0); t1 = softplus(t0); ...; -> t3`` (for printing and errors)."""
        body = [f"t{j} = {s.op}({', '.join(_ref_name(r) for r in s.args)})" for j, s in enumerate(self.steps)]
        return "; ".join(body) + " -> " + ", ".join(_ref_name(r) for r in self.outputs)


def _check_ref(ref: Ref, n_inputs: int, n_steps_before: int) -> None:
    ok = (isinstance(ref, tuple) and len(ref) >= 2 and (
        (ref[0] == "in" and 0 <= ref[1] < n_inputs) or
        (ref[0] == "step" and 0 <= ref[1] < n_steps_before) or
        (ref[0] == "const" and len(ref) == 3)))
    if not ok:
        raise ValueError(f"invalid scalar program reference {ref!r}")


def _ref_name(r: Ref) -> str:
    return {"in": "i", "step": "t"}[r[0]] + str(r[1]) if r[0] != "const" else repr(r[1])


def compute_dtype(program: ScalarProgram, step: Step) -> str:
    """The dtype NumPy computes ``step`` in: its arguments' result type
    (weak constants follow the typed arguments, as in NumPy 2)."""
    parts: List[Any] = []
    for r in step.args:
        if r[0] == "in":
            parts.append(np.dtype(program.inputs[r[1]]))
        elif r[0] == "step":
            parts.append(np.dtype(program.steps[r[1]].dtype))
        elif r[2] is not None:
            parts.append(np.dtype(r[2]))
        else:
            parts.append(r[1])
    return np.result_type(*parts).name


def const_value(ref: Ref) -> Any:
    """The run-time value of a ``("const", value, dtype)`` reference."""
    return ref[1] if ref[2] is None else np.dtype(ref[2]).type(ref[1])


# --- the op ---------------------------------------------------------------------------

class Fused(Op):
    """A fused element-wise program over broadcast inputs (see the module docstring).

    ``destroy``: input indices whose storage the kernel may overwrite (set by
    the in-place rewrite, only for inputs nothing else reads afterwards).
    """
    fresh_storage = True  # outputs are new arrays
    host_bookkeeping = True  # cheap on small host values (GPU placement)

    __props__ = ("program", "destroy")

    def __init__(self, program: ScalarProgram, destroy: Tuple[int, ...] = ()) -> None:
        self.program = program
        self.destroy = tuple(sorted(destroy))
        self.name = "fused"
        self.nout = len(program.outputs)
        self.destroy_map = {o: list(self.destroy) for o in range(self.nout)} if self.destroy else {}
        # an output that is an input passed through is a view of it
        self.view_map = {o: [r[1]] for o, r in enumerate(program.outputs) if r[0] == "in"}

    def __str__(self) -> str:
        ops = ",".join(s.op for s in self.program.steps)
        extra = f"; inplace={list(self.destroy)}" if self.destroy else ""
        return f"fused{{{ops}{extra}}}"

    __repr__ = __str__

    def with_destroy(self, destroy: Sequence[int]) -> "Fused":
        return Fused(self.program, tuple(destroy))

    # --- building -------------------------------------------------------------
    def make_node(self, *inputs: Any) -> Apply:
        prog = self.program
        ins = [as_tensor_variable(i) for i in inputs]
        if len(ins) != len(prog.inputs):
            raise TypeError(f"op '{self}' takes {len(prog.inputs)} input(s), got {len(ins)}")
        for k, (v, dt) in enumerate(zip(ins, prog.inputs)):
            if v.type.dtype != dt:
                raise TypeError(f"op '{self}': input {k} must have dtype {dt}, got {v.type}")
        shapes = step_shapes(prog, [v.type.shape for v in ins])
        out_types = []
        for r in prog.outputs:
            if r[0] == "step":
                out_types.append(TensorType(prog.steps[r[1]].dtype, shapes[r[1]]))
            elif r[0] == "in":
                out_types.append(ins[r[1]].type)
            else:
                out_types.append(TensorType(np.asarray(const_value(r)).dtype, ()))
        return Apply(self, ins, out_types)

    # --- meaning ----------------------------------------------------------------
    def impl(self, xp: Any, *values: Any) -> Any:
        """Reference: every step through the table's implementation (no buffer reuse)."""
        prog = self.program
        env: List[Any] = []

        def val(r: Ref) -> Any:
            if r[0] == "in":
                return values[r[1]]
            if r[0] == "step":
                return env[r[1]]
            return const_value(r)

        for s in prog.steps:
            env.append(SCALAR_OPS[s.op].impl(xp, *[val(r) for r in s.args]))
        outs = [val(r) for r in prog.outputs]
        return outs[0] if len(outs) == 1 else tuple(outs)

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        compile_fused = getattr(backend, "compile_fused", None)
        if compile_fused is not None:
            fn = compile_fused(node)
            if fn is not None:
                return fn
        return python_kernel(node, backend.xp)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from .grad import grad as grad_

        outs = expand(self.program, node.inputs)
        known = {o: g for o, g in zip(outs, output_grads) if g is not None}
        wrt = [x for x in node.inputs if not is_int(x.dtype)]
        if not known or not wrt:
            return [None] * len(node.inputs)
        grads = grad_(None, wrt, known_grads=known, disconnected_inputs="ignore", return_disconnected="none")
        by_input = dict(zip(wrt, grads))
        return [by_input.get(x) for x in node.inputs]

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        return render(self.program, args), 0

    def explain_failure(self, node: Apply, exc: BaseException, values: Sequence[Any]) -> Optional[BaseException]:
        """An error naming the element-wise op (and the user's line) that failed
        inside the fused node: the steps are replayed one by one on ``values``.
        Needs ``node.tag['fused_from']``, the original nodes (set by fusion)."""
        from .linker import wrap_node_error

        members = node.tag.get("fused_from")
        prog = self.program
        if not members or len(members) != len(prog.steps):
            return None
        xp = _namespace_of(values)
        env: List[Any] = []
        for s, member in zip(prog.steps, members):
            args = [values[r[1]] if r[0] == "in" else env[r[1]] if r[0] == "step" else const_value(r)
                    for r in s.args]
            try:
                with np.errstate(all="ignore"):
                    env.append(SCALAR_OPS[s.op].impl(xp, *args))
            except Exception:
                return wrap_node_error(member, exc, args)
        return None


def _namespace_of(values: Sequence[Any]) -> Any:
    import sys

    for v in values:
        mod = sys.modules.get(type(v).__module__.split(".")[0])
        if mod is not None and mod is not np and hasattr(mod, "asarray"):
            return mod
    return np


def step_shapes(prog: ScalarProgram, in_shapes: Sequence[Tuple[Optional[int], ...]]) -> List[Tuple[Optional[int], ...]]:
    """The static shape of every step, broadcasting its arguments' shapes."""
    out: List[Tuple[Optional[int], ...]] = []
    for j, s in enumerate(prog.steps):
        shp = [in_shapes[r[1]] if r[0] == "in" else out[r[1]] if r[0] == "step" else () for r in s.args]
        b = broadcast_shapes(shp)
        if b is None:
            raise ValueError(f"fused step {j} ({s.op}): argument shapes {shp} cannot be broadcast together")
        out.append(b)
    return out


def expand(prog: ScalarProgram, inputs: Sequence[Variable]) -> List[TensorVariable]:
    """The element-wise graph the program stands for, applied to ``inputs``."""
    env: List[TensorVariable] = []

    def var(r: Ref) -> Any:
        if r[0] == "in":
            return inputs[r[1]]
        if r[0] == "step":
            return env[r[1]]
        return r[1] if r[2] is None else constant(r[1], dtype=r[2])

    for s in prog.steps:
        env.append(apply_elemwise(s.op, *[var(r) for r in s.args]))
    return [as_tensor_variable(var(r)) for r in prog.outputs]


def render(prog: ScalarProgram, args: Sequence[str]) -> str:
    """The program as one expression per output (shared steps repeated)."""
    from .elemwise import Elemwise, elemwise_op

    texts: List[str] = []

    def text(r: Ref) -> str:
        if r[0] == "in":
            return args[r[1]]
        if r[0] == "step":
            return texts[r[1]]
        return repr(r[1])

    for s in prog.steps:
        op: Elemwise = elemwise_op(s.op)
        texts.append(op.pp(None, [text(r) for r in s.args])[0])  # type: ignore[arg-type]
    outs = [text(r) for r in prog.outputs]
    return outs[0] if len(outs) == 1 else "(" + ", ".join(outs) + ")"


# --- the Python kernel: one generated function with buffer reuse -------------------

# Rows that are not a single ufunc but can still write into an out= buffer: a list
# of (xp function, argument tokens), "x<k>" being argument k and "o" the output
# buffer (the first call allocates it when there is none). "fn=m" computes into
# the scratch buffer "m" (allocated by its first use, written in place after),
# before "o" is touched, so that "o" may be an argument's buffer. "fn>n" writes
# into "o", or into the (dead, result-shaped) scratch "n" when there is no "o".
# "exp!" runs with overflow warnings silenced (sigmoid's exp(-x) may overflow to
# inf, the exact limit). They repeat the table's implementations step for step,
# so fused and unfused results are bitwise identical.
_EXPANSIONS: Dict[str, List[Tuple[str, Tuple[Any, ...]]]] = {
    "sigmoid": [("negative", ("x0",)), ("exp!", ("o",)), ("add", ("o", 1)), ("true_divide", (1, "o"))],
    "softplus": [("maximum=m", ("x0", 0)), ("absolute", ("x0",)), ("negative", ("o",)), ("exp", ("o",)),
                 ("log1p", ("o",)), ("add", ("m", "o"))],
    "relu": [("maximum", ("x0", 0))],
    # (max(x0, 0) - x1*x0) + log1p(exp(-|x0|)): "n" has the broadcast shape, "m" x0's
    "sigmoid_xent": [("multiply=n", ("x1", "x0")), ("maximum=m", ("x0", 0)), ("subtract=n", ("m", "n")),
                     ("absolute=m", ("x0",)), ("negative=m", ("m",)), ("exp=m", ("m",)), ("log1p=m", ("m",)),
                     ("add>n", ("n", "m"))],
}

_FLOATS = ("float16", "float32", "float64")


def _is_ufunc(fn: Any) -> bool:
    return type(fn).__name__ == "ufunc"  # numpy.ufunc and cupy's ufunc


def writes_into_buffer(op_name: str) -> bool:
    """Whether the Python kernel can compute the table row ``op_name`` into an
    existing buffer (a ufunc, an expansion of ufuncs, or a cast), judged on
    NumPy's namespace. The in-place rewrite only bothers where this holds."""
    row = SCALAR_OPS[op_name]
    if row.ufunc and _is_ufunc(getattr(np, row.ufunc, None)):
        return True
    return op_name in _EXPANSIONS or op_name.startswith("cast_")


_kernel_ids = itertools.count()


def single_step_kernel(node: Apply, xp: Any) -> Optional[Callable[..., Any]]:
    """The Python kernel of one element-wise node whose row is an expansion of
    several ufuncs (``sigmoid``, ``softplus``, ``sigmoid_xent``), so that it
    writes every ufunc into one buffer; None for other rows and where the
    expansion does not apply (mixed dtypes, integers, 0-d)."""
    name = node.op.scalar.name
    out = node.outputs[0]
    if name not in _EXPANSIONS or out.type.ndim == 0 or out.type.dtype not in _FLOATS:
        return None
    if any(v.type.dtype != out.type.dtype for v in node.inputs):
        return None
    n = len(node.inputs)
    prog = ScalarProgram(tuple(v.type.dtype for v in node.inputs),
                         (Step(name, tuple(("in", k) for k in range(n)), out.type.dtype),), (("step", 0),))
    return python_kernel(Fused(prog).make_node(*node.inputs), xp)


def python_kernel(node: Apply, xp: Any) -> Callable[..., Any]:
    """Generate the fused node's kernel for the array namespace ``xp``.

    Buffer reuse is decided when generating: each step's result has a *shape
    class*, the set of inputs it depends on (steps with the same set have the
    same run-time shape, by broadcasting). A step writes into a dead buffer of
    its class and dtype, else it allocates. Outputs are never reused, and
    inputs only when the op may destroy them and a run-time check shows the
    input already has the step's shape. The source is ``kernel.__source__``.
    """
    op: Fused = node.op
    prog = op.program
    n_in = len(prog.inputs)
    in_types = [v.type for v in node.inputs]
    shapes = step_shapes(prog, [t.shape for t in in_types])
    ns: Dict[str, Any] = {"XP": xp, "XP_ERRSTATE": getattr(xp, "errstate", None)}
    lines: List[str] = []

    def fn_name(name: str) -> str:
        key = "X_" + name
        if key not in ns:
            ns[key] = getattr(xp, name)
        return key

    # shape classes and liveness
    classes: List[frozenset] = []
    for s in prog.steps:
        c: Set[int] = set()
        for r in s.args:
            if r[0] == "in" and in_types[r[1]].ndim > 0:  # a 0-d input never changes a shape
                c.add(r[1])
            elif r[0] == "step":
                c |= classes[r[1]]
        classes.append(frozenset(c))
    last_use: Dict[Ref, int] = {}
    for j, s in enumerate(prog.steps):
        for r in s.args:
            if r[0] != "const":
                last_use[r] = j
    for r in prog.outputs:
        last_use[r] = len(prog.steps) + 1  # outputs stay alive
    names: Dict[Ref, str] = {("in", k): f"i{k}" for k in range(n_in)}
    free: List[Tuple[str, frozenset, str]] = []  # dead buffers: (name, class, dtype)
    destroyable = {k for k in op.destroy if in_types[k].ndim > 0}
    n_consts = itertools.count()

    def arg_text(r: Ref) -> str:
        if r[0] == "const":
            key = f"C{next(n_consts)}"
            ns[key] = const_value(r)
            return key
        return names[r]

    def take_buffer(cls: frozenset, dtype: str) -> Optional[str]:
        for idx, (b, c, d) in enumerate(free):
            if c == cls and d == dtype:
                del free[idx]
                return b
        return None

    def input_fits(k: int, cls: frozenset, j: int) -> Optional[str]:
        """A run-time test that input k has the shape of class ``cls`` (None: never)."""
        t = in_types[k]
        if k not in cls or t.dtype != prog.steps[j].dtype or t.ndim != len(shapes[j]):
            return None
        tests = []
        for m in sorted(cls - {k}):
            tm = in_types[m]
            if tm.ndim > t.ndim:
                return None
            off = t.ndim - tm.ndim
            if all(dm == 1 or (dm is not None and dm == t.shape[off + a]) for a, dm in enumerate(tm.shape)):
                continue  # statically cannot make the result larger than input k
            tests.append(f"i{m}.shape == i{k}.shape" if off == 0 else f"i{m}.shape == i{k}.shape[{off}:]")
        return " and ".join(tests) or "True"

    def writes_out(s: Step, j: int) -> str:
        """How step j can write into a buffer: 'ufunc', 'expansion', 'cast' or '' (it allocates)."""
        if not shapes[j]:
            return ""  # 0-d: plain calls (results may be scalars)
        row = SCALAR_OPS[s.op]
        fn = getattr(xp, row.ufunc, None) if row.ufunc else None
        if fn is not None and _is_ufunc(fn):
            return "ufunc"
        arg_dtypes = {prog.inputs[r[1]] if r[0] == "in" else prog.steps[r[1]].dtype
                      for r in s.args if r[0] != "const"}
        if s.op in _EXPANSIONS and arg_dtypes == {s.dtype} and s.dtype in _FLOATS:
            return "expansion"
        if s.op.startswith("cast_") and hasattr(xp, "copyto"):
            return "cast"
        return ""

    def emit_step(j: int, s: Step, how: str, out: Optional[str], target: str, indent: str) -> List[str]:
        """Lines computing step j into ``target`` (writing into ``out`` when given)."""
        row = SCALAR_OPS[s.op]
        args = [arg_text(r) for r in s.args]
        if how == "ufunc":
            o = f", out={out}" if out else ""
            return [f"{indent}{target} = {fn_name(row.ufunc)}({', '.join(args)}{o})"]
        if how == "expansion":
            return _emit_expansion(_EXPANSIONS[s.op], args, out, target, indent, fn_name,
                                   ns["XP_ERRSTATE"] is not None)
        if how == "cast" and out:
            return [f"{indent}{fn_name('copyto')}({out}, {args[0]}, casting='unsafe')", f"{indent}{target} = {out}"]
        if row.symbol and row.ufunc and not shapes[j] and any(r[0] != "const" for r in s.args):
            # 0-d: the operator dispatches to the same ufunc at a fraction of the call's cost
            expr = f"{row.symbol}{args[0]}" if row.nin == 1 else f"{args[0]} {row.symbol} {args[1]}"
            return [f"{indent}{target} = {expr}"]
        key = f"R_{s.op}"
        ns[key] = row.impl
        return [f"{indent}{target} = {key}(XP, {', '.join(args)})"]

    for j, s in enumerate(prog.steps):
        ref = ("step", j)
        target = names[ref] = f"t{j}"
        cls = classes[j]
        for r in s.args:  # arguments dying here may hold the result
            if r[0] == "step" and last_use.get(r) == j and shapes[r[1]]:
                if all(b != names[r] for b, _, _ in free):
                    free.append((names[r], classes[r[1]], prog.steps[r[1]].dtype))
        how = writes_out(s, j)
        out = take_buffer(cls, s.dtype) if how else None
        if out is None and how:
            for k in sorted(destroyable):
                if last_use.get(("in", k), -1) > j:
                    continue  # a later step still reads input k
                test = input_fits(k, cls, j)
                if test is None:
                    continue
                destroyable.discard(k)
                if test == "True":
                    out = f"i{k}"
                else:
                    lines.append(f"    if {test}:")
                    lines.extend(emit_step(j, s, how, f"i{k}", target, "        "))
                    lines.append("    else:")
                    lines.extend(emit_step(j, s, how, None, target, "        "))
                    out = "<emitted>"
                break
        if out != "<emitted>":
            lines.extend(emit_step(j, s, how, out, target, "    "))

    results = [arg_text(r) if r[0] == "const" else names[r] for r in prog.outputs]
    ret = results[0] if len(results) == 1 else "(" + ", ".join(results) + ",)"
    params = ", ".join(f"i{k}" for k in range(n_in))
    src = f"def fused({params}):\n" + "\n".join(lines) + f"\n    return {ret}\n"
    filename = "<framework-fused>"  # shared: see the linker's "<framework-schedule>"
    exec(compile(src, filename, "exec"), ns)
    fn = ns["fused"]
    fn.__source__ = src
    return fn


def _emit_expansion(calls: List[Tuple[str, Tuple[Any, ...]]], args: List[str], out: Optional[str], target: str,
                    indent: str, fn_name: Callable[[str], str], has_errstate: bool) -> List[str]:
    lines: List[str] = []
    o = out if out is not None else target
    allocated = out is not None
    scratch: Set[str] = set()
    for name, toks in calls:
        quiet = name.endswith("!")
        name, _, into = name.rstrip("!").partition("=")
        name, _, fallback = name.partition(">")
        if fallback and not allocated:
            o, allocated = f"_{fallback}", True
        parts = [o if t == "o" else f"_{t}" if t in ("m", "n") else args[int(t[1:])] if isinstance(t, str)
                 else repr(t) for t in toks]
        if into:  # a scratch result
            if into in scratch:
                lines.append(f"{indent}{fn_name(name)}({', '.join(parts)}, out=_{into})")
            else:
                lines.append(f"{indent}_{into} = {fn_name(name)}({', '.join(parts)})")
                scratch.add(into)
            continue
        if allocated:
            stmt = f"{fn_name(name)}({', '.join(parts)}, out={o})"
        else:
            stmt = f"{o} = {fn_name(name)}({', '.join(parts)})"
            allocated = True
        if quiet and has_errstate:
            lines.append(f"{indent}with XP_ERRSTATE(over='ignore'):")
            lines.append(f"{indent}    {stmt}")
        else:
            lines.append(f"{indent}{stmt}")
    if o != target:
        lines.append(f"{indent}{target} = {o}")
    return lines
