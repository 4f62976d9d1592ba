"""The NumPy backend's lowering of element-wise programs: one generated Python function.

The kernel keeps the backend-neutral description of a fused node (its
:class:`~framework.core.fusion.ScalarProgram`) and runs it, by default, step by
step through the table's reference implementations. This module is the NumPy
backend's faster lowering, registered in :data:`LOWERINGS` (op name -> rule)
and read by :meth:`framework.core.backend.Backend.kernel`:

* ``fused``: ONE generated Python function that calls the array namespace's
  ufuncs in order, writing each step into a buffer that is no longer needed
  (``out=``) instead of allocating one temporary per op. Every buffer is
  allocated during the call, so nothing returned to the user is ever reused by
  a later call. The source is ``kernel.__source__``.
* the rows made of several ufuncs (``sigmoid``, ``softplus``, ``relu``,
  ``sigmoid_xent``; :data:`EXPANSIONS`): a single node writes every ufunc into
  one buffer.

The generated code uses only NumPy's API over ``xp``, so another backend with a
NumPy-compatible namespace may register the same rules for its own name.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import numpy as np

from framework.core.backend import lowering_for
from framework.core.elemwise import SCALAR_OPS, Elemwise
from framework.core.fusion import Fused, Ref, ScalarProgram, Step, const_value, step_shapes
from framework.core.graph import Apply

from . import errstate as quiet

# Rows that are not a single ufunc but can still write into an out= buffer: a list
# of (xp function, argument tokens), "x<k>" being argument k and "o" the output
# buffer (the first call allocates it when there is none). "fn=m" computes into
# the scratch buffer "m" (allocated by its first use, written in place after),
# before "o" is touched, so that "o" may be an argument's buffer. "fn>n" writes
# into "o", or into the (dead, result-shaped) scratch "n" when there is no "o".
# "exp!" runs with overflow warnings silenced (sigmoid's exp(-x) may overflow to
# inf, the exact limit). They repeat the table's implementations step for step,
# so fused and unfused results are bitwise identical.
EXPANSIONS: Dict[str, List[Tuple[str, Tuple[Any, ...]]]] = {
    "sigmoid": [("negative", ("x0",)), ("exp!", ("o",)), ("add", ("o", 1)), ("true_divide", (1, "o"))],
    "softplus": [("maximum=m", ("x0", 0)), ("absolute", ("x0",)), ("negative", ("o",)), ("exp", ("o",)),
                 ("log1p", ("o",)), ("add", ("m", "o"))],
    "relu": [("maximum", ("x0", 0))],
    # (max(x0, 0) - x1*x0) + log1p(exp(-|x0|)): "n" has the broadcast shape, "m" x0's
    "sigmoid_xent": [("multiply=n", ("x1", "x0")), ("maximum=m", ("x0", 0)), ("subtract=n", ("m", "n")),
                     ("absolute=m", ("x0",)), ("negative=m", ("m",)), ("exp=m", ("m",)), ("log1p=m", ("m",)),
                     ("add>n", ("n", "m"))],
}

# ``neg(sigmoid_xent(x0, x1))`` written as one row: ``(x1*x0 - max(x0, 0)) - log1p(exp(-|x0|))``.
# Negation is exact and round-to-nearest is symmetric (``-fl(a + b) == fl(-a - b)``), so every
# value is the negation of sigmoid_xent's, bit for bit (a NaN's sign bit aside), one pass fewer:
# the tutorial's reconstruction cost ``sum(x log s + (1-x) log(1-s))`` is this after stabilizing.
NEG_SIGMOID_XENT = [("multiply=n", ("x1", "x0")), ("maximum=m", ("x0", 0)), ("subtract=n", ("n", "m")),
                    ("absolute=m", ("x0",)), ("negative=m", ("m",)), ("exp=m", ("m",)), ("log1p=m", ("m",)),
                    ("subtract>n", ("n", "m"))]

_FLOATS = ("float16", "float32", "float64")


# 0-d casts whose every value converts exactly or by rounding alone -- no overflow (every integer
# is below float32's largest value), no NaN to an integer -- so that the scalar type's constructor
# and ``astype`` give the same number and the same (no) warnings
_EXACT_CASTS = {
    "float64": frozenset("bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64".split()),
    "float32": frozenset("bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32".split()),
}


def _exact_scalar_cast(s: Step, prog: ScalarProgram, in_types: List[Any]) -> bool:
    """Whether step ``s`` is a cast of a run-time value listed in :data:`_EXACT_CASTS`."""
    if not s.op.startswith("cast_") or s.dtype not in _EXACT_CASTS or len(s.args) != 1:
        return False
    r = s.args[0]
    if r[0] == "in":
        src = in_types[r[1]].dtype
    elif r[0] == "step":
        src = prog.steps[r[1]].dtype
    else:
        return False
    return src in _EXACT_CASTS[s.dtype]


def operand_constant(value: Any, dtype: Optional[str]) -> Any:
    """``value`` as the ufunc will see it beside arrays of ``dtype`` (None: of several dtypes),
    in the form NumPy takes fastest: a 0-d array. A ufunc converts a Python scalar operand
    (weak, NEP 50) and a NumPy scalar at every call -- about 0.2 us of a 0.4-0.6 us call on
    the small arrays of a training step -- and takes a 0-d array as it is.

    Bit for bit what the call did with ``value``: a NumPy scalar is a 0-d array of its own
    dtype to NumPy 2's promotion; a Python number becomes a 0-d array of ``dtype`` only where
    the weak promotion computes in ``dtype`` anyway (a real float dtype; an int exactly
    representable in it; a float whose conversion does not overflow), so the loop, the
    conversion and any error are unchanged. Everything else is passed as it was."""
    if isinstance(value, np.generic):
        return np.asarray(value)
    if dtype not in _FLOATS or type(value) not in (int, float):
        return value
    try:
        with np.errstate(over="ignore"):
            conv = np.asarray(value, dtype=dtype)
    except OverflowError:  # an int beyond every float
        return value
    if not np.isfinite(conv):
        return conv if type(value) is float and not np.isfinite(value) else value
    return conv if type(value) is float or int(conv) == value else value


# Rows whose Python operator on NumPy scalars (NumPy's scalar math) may round otherwise than the
# ufunc: ``**`` calls the C library's ``pow`` where ``numpy.power``'s loop has its own (SIMD) one --
# 2 % of random float32 and float64 pairs differ in the last bit. A 0-d step of these calls the
# ufunc. (``+ - * / // %`` and the comparisons agree: correctly rounded, or NumPy's own divmod.)
_SCALAR_MATH_ROUNDS_OTHERWISE = frozenset({"pow"})


def _is_ufunc(fn: Any) -> bool:
    return type(fn).__name__ == "ufunc"  # numpy.ufunc and cupy's ufunc


def single_step_kernel(node: Apply, xp: Any) -> Optional[Callable[..., Any]]:
    """The Python kernel of one element-wise node whose row is an expansion of
    several ufuncs (``sigmoid``, ``softplus``, ``sigmoid_xent``), so that it
    writes every ufunc into one buffer; None for other rows and where the
    expansion does not apply (mixed dtypes, integers, 0-d)."""
    name = node.op.scalar.name
    out = node.outputs[0]
    if name not in EXPANSIONS or out.type.ndim == 0 or out.type.dtype not in _FLOATS:
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
    if xp is np:  # NumPy's own error state: silenced at a fifth of errstate's cost (errstate.py)
        ns["QUIET_ENTER"], ns["QUIET_LEAVE"] = quiet.ENTER, quiet.LEAVE
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

    def arg_text(r: Ref, beside: Any = False) -> str:
        """The source text of argument ``r``; a constant becomes a name in the kernel's namespace,
        as :func:`operand_constant` makes it for a ufunc over arrays of dtype ``beside`` (False:
        the value itself)."""
        if r[0] == "const":
            key = f"C{next(n_consts)}"
            value = const_value(r)
            ns[key] = operand_constant(value, beside) if beside is not False and xp is np else value
            return key
        return names[r]

    def arg_dtype(r: Ref) -> str:
        return in_types[r[1]].dtype if r[0] == "in" else prog.steps[r[1]].dtype

    def literal(value: Any, dtype: str) -> str:
        """A number an expansion writes into its calls, for arrays of ``dtype``."""
        if xp is not np:
            return repr(value)
        key = f"C{next(n_consts)}"
        ns[key] = operand_constant(value, dtype)
        return key

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
        if s.op in EXPANSIONS and arg_dtypes == {s.dtype} and s.dtype in _FLOATS:
            return "expansion"
        if s.op.startswith("cast_") and hasattr(xp, "copyto"):
            return "cast"
        return ""

    def emit_step(j: int, s: Step, how: str, out: Optional[str], target: str, indent: str) -> List[str]:
        """Lines computing step j into ``target`` (writing into ``out`` when given)."""
        row = SCALAR_OPS[s.op]
        if how == "ufunc":  # constants as 0-d arrays beside the arrays' dtype, where it is one
            dtypes = {arg_dtype(r) for r in s.args if r[0] != "const"}
            args = [arg_text(r, next(iter(dtypes)) if len(dtypes) == 1 else None) for r in s.args]
        else:
            args = [arg_text(r) for r in s.args]
        if how == "ufunc":
            o = f", out={out}" if out else ""
            return [f"{indent}{target} = {fn_name(row.ufunc)}({', '.join(args)}{o})"]
        if how == "expansion":
            # a constant argument in the step's dtype, as the row's implementation converts
            # it (``in_float``, then ``asarray(z, dtype=...)``): a weak int logit would
            # otherwise give an int scratch buffer that ``exp`` cannot write into
            for k, r in enumerate(s.args):
                if r[0] == "const":
                    key = f"C{next(n_consts)}"
                    with np.errstate(over="ignore"):
                        ns[key] = np.dtype(s.dtype).type(const_value(r))
                    args[k] = key
            scalar_args = {k for k, r in enumerate(s.args) if r[0] == "const"
                           or (r[0] == "in" and in_types[r[1]].ndim == 0) or (r[0] == "step" and not shapes[r[1]])}
            return _emit_expansion(NEG_SIGMOID_XENT if j in negated else EXPANSIONS[s.op], args, out, target,
                                   indent, fn_name,
                                   "QUIET_ENTER" if "QUIET_ENTER" in ns else
                                   "XP_ERRSTATE" if ns["XP_ERRSTATE"] is not None else None, scalar_args,
                                   lambda value: literal(value, s.dtype))
        if how == "cast" and out:
            return [f"{indent}{fn_name('copyto')}({out}, {args[0]}, casting='unsafe')", f"{indent}{target} = {out}"]
        if not shapes[j] and xp is np and _exact_scalar_cast(s, prog, in_types):
            # 0-d: the dtype's scalar type converts the same value as ``asarray(a).astype`` at a
            # fifth of the cost, and gives a NumPy scalar, whose arithmetic after is cheaper too
            key = f"D_{s.dtype}"
            ns[key] = np.dtype(s.dtype).type
            return [f"{indent}{target} = {key}({args[0]})"]
        if row.symbol and row.ufunc and not shapes[j] and any(r[0] != "const" for r in s.args) \
                and s.op not in _SCALAR_MATH_ROUNDS_OTHERWISE:
            # 0-d: the operator computes what the ufunc computes at a fraction of the call's cost
            expr = f"{row.symbol}{args[0]}" if row.nin == 1 else f"{args[0]} {row.symbol} {args[1]}"
            return [f"{indent}{target} = {expr}"]
        key = f"R_{s.op}"
        ns[key] = row.impl
        return [f"{indent}{target} = {key}(XP, {', '.join(args)})"]

    # a sigmoid_xent read only by the negation right after it: the two as one row (above) -- only
    # where the step is written as its expansion (mixed dtypes take the row's own function)
    negated = {j for j, s in enumerate(prog.steps[:-1])
               if s.op == "sigmoid_xent" and writes_out(s, j) == "expansion" and prog.steps[j + 1].op == "neg"
               and prog.steps[j + 1].args == (("step", j),) and prog.steps[j + 1].dtype == s.dtype
               and last_use.get(("step", j)) == j + 1 and ("step", j) not in prog.outputs}
    for j, s in enumerate(prog.steps):
        ref = ("step", j)
        if j - 1 in negated:  # computed with the sigmoid_xent before it, into its buffer
            names[ref] = names[("step", j - 1)]
            continue
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
                    indent: str, fn_name: Callable[[str], str], quiet_with: Optional[str],
                    scalar_args: Optional[Set[int]] = None,
                    literal: Callable[[Any], str] = repr) -> List[str]:
    """The lines of one expansion row. ``quiet_with`` says how a call marked ``!`` silences
    overflow: ``QUIET_ENTER`` (this module's NumPy fast form), ``XP_ERRSTATE`` (the namespace's
    ``errstate``) or None (the namespace has no error state). ``scalar_args``: the arguments
    that may be 0-d (None: any may). ``literal``: the source text of a number the row writes
    (``1`` in ``1 + exp(-x)``)."""
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
                 else literal(t) for t in toks]
        if into:  # a scratch result
            if into in scratch:
                lines.append(f"{indent}{fn_name(name)}({', '.join(parts)}, out=_{into})")
            elif scalar_args is not None and any(
                    isinstance(t, str) and (t[0] != "x" or int(t[1:]) not in scalar_args) for t in toks):
                # an argument of at least one dimension: the result is an array already
                lines.append(f"{indent}_{into} = {fn_name(name)}({', '.join(parts)})")
                scratch.add(into)
            else:
                # asarray: a scratch of a 0-d argument's shape (sigmoid_xent's "m" for a scalar
                # logit against a vector of targets) would be a NumPy scalar, and the next call
                # writes into it (out=): without it that call raised a TypeError in FAST_RUN
                lines.append(f"{indent}_{into} = XP.asarray({fn_name(name)}({', '.join(parts)}))")
                scratch.add(into)
            continue
        if allocated:
            stmt = f"{fn_name(name)}({', '.join(parts)}, out={o})"
        else:
            stmt = f"{o} = {fn_name(name)}({', '.join(parts)})"
            allocated = True
        if quiet and quiet_with == "QUIET_ENTER":
            lines += [f"{indent}_quiet = QUIET_ENTER()", f"{indent}try:", f"{indent}    {stmt}",
                      f"{indent}finally:", f"{indent}    QUIET_LEAVE(_quiet)"]
        elif quiet and quiet_with:
            lines.append(f"{indent}with XP_ERRSTATE(over='ignore'):")
            lines.append(f"{indent}    {stmt}")
        else:
            lines.append(f"{indent}{stmt}")
    if o != target:
        lines.append(f"{indent}{target} = {o}")
    return lines


@lowering_for(Fused)
def lower_fused(node: Apply, backend: Any) -> Callable[..., Any]:
    """The ``fused`` rule: the generated function over ``backend.xp``."""
    return python_kernel(node, backend.xp)


@lowering_for(Elemwise)
def lower_expansion(node: Apply, backend: Any) -> Optional[Callable[..., Any]]:
    """The rule of a row in :data:`EXPANSIONS` (None: the op's own kernel)."""
    return single_step_kernel(node, backend.xp)


LOWERINGS: Dict[str, Callable[[Apply, Any], Optional[Callable[..., Any]]]] = {
    "fused": lower_fused,
    **{name: lower_expansion for name in EXPANSIONS},
}
"""This backend's lowering table: op name -> rule(node, backend) -> kernel or None."""
