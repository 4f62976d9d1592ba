"""Random element-wise expressions: the CuPy backend's generated kernels against the NumPy backend.

Each seed builds one random element-wise expression -- 2-6 ops drawn from every row of the
element-wise table (``framework.core.elemwise.SCALAR_OPS``, plugin rows included: arithmetic,
comparisons, logical ops, ``switch``, ``clip``, ``maximum``/``minimum``, ``mod``/``int_div``/
``true_div``, ``pow``, rounding, the transcendental rows, ``isnan``/``isinf``) and casts -- over
1-3 inputs of mixed dtypes (mostly float32, float64, int32, int64 and bool, sometimes uint8,
int8, uint32 or uint64; 0-d, vectors and matrices that broadcast), with weak Python constants
(0, -0.0, inf, nan, 2**31, 2**63 - 1, ...) mixed in. It compiles the expression in FAST_RUN for
device ``cpu`` (the NumPy backend: the reference) and for device ``cuda`` on the CPU stand-in
for CuPy (``fakecupy``), where fusion puts the chain in one generated CUDA kernel
(``framework_backend_cupy.codegen``) that the stand-in compiles with the host C++ compiler and
runs. Inputs are mostly edge values (0, -0.0, +-1, halves, huge and tiny magnitudes, +-inf,
nan; for integers values at and near the dtype's limits). The outputs must agree:

* the same dtype and shape;
* integers and bools exactly;
* floats: NaN at the same places, infinities of the same sign, zeros of the same sign, and the
  other values *bit for bit* where every op on the way is correctly rounded in IEEE arithmetic
  (``+ - * / sqrt``, rounding, comparisons, casts, ...). Where a math-library row (exp, log,
  tanh, pow, ...) is on the way, its result may differ from NumPy's by an ulp or so: each one
  is allowed :func:`tolerance` (relative), and that allowance is carried through the later ops
  by evaluating them with NumPy at the moved arguments (``_propagated``), so that a later
  ``x - y`` or ``tan`` cannot turn an ulp into a false alarm, and a bound a later op cannot
  keep (``tan`` of a huge argument) leaves that element uncompared;
* errors: if one side raises, the other raises an error of the same built-in kind (NumPy
  raising for integers to negative powers is part of the expression, sometimes);
* and the graph's dtype for each op is NumPy's (a note fails the seed where it is not).

The generator keeps out what NumPy itself leaves undefined, and what would crash the host
rather than show a wrong number: a float -> int cast of NaN, an infinity or an out-of-range
value. A rounding-sensitive op
(comparison, floor/ceil/round, ``//``, sign, casts to integers, a switch condition) is applied
to a float computed by a math-library row only where no value within the allowance is on the
other side of a step, and ``%`` not at all. Which zero ``maximum``/``minimum``/``relu``/``clip``
give for a tie of -0.0 and 0.0 is left to NumPy's SIMD loops (on x86 ``maximum`` and ``minimum``
give their second argument; ``clip`` keeps ``x`` for scalar bounds but not for array bounds),
so the sign of such a zero (and what it becomes later) is not compared.

Like the other fake-device tests, the work runs in a subprocess (this file run as a script,
with ``fakecupy`` first on ``sys.path``), so a real CuPy is never shadowed in the pytest
process. The stand-in compiles each distinct kernel once with g++ (0.1-0.3 s) and caches the
shared library on disk (``$TMPDIR/fakecupy-<uid>``, keyed by the source's hash), so a rerun of
the same seeds is several times faster than the first run. The stand-in runs the kernels'
C++ on the CPU: what only nvcc or the GPU does (FMA contraction, CUDA's math library, how
NVVM exploits undefined behaviour, float16) is not tested here.

Reproduce a seed, or run a range (failures and coverage counts as JSON)::

    PYTHONPATH=tests/backend_cupy/fakecupy:. python tests/backend_cupy/test_fuzz_elemwise.py --show 123
    PYTHONPATH=tests/backend_cupy/fakecupy:. python tests/backend_cupy/test_fuzz_elemwise.py --seeds 0:200
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import random
import shutil
import subprocess
import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
FAKE = HERE / "fakecupy"
REPO = HERE.parents[1]
CXX = shutil.which("g++") or shutil.which("c++")


def _load_generators() -> Any:
    """tests/fuzz/generators.py (``check_seeds``, ``Outcome``, ``seed_blocks``, ...), also when
    this file runs as a worker script, where ``tests/`` is not on ``sys.path``."""
    mod = sys.modules.get("fuzz.generators")
    if mod is not None:
        return mod
    spec = importlib.util.spec_from_file_location("_fuzz_generators", HERE.parent / "fuzz" / "generators.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


_gen = _load_generators()
Outcome, check_seeds, seed_blocks = _gen.Outcome, _gen.check_seeds, _gen.seed_blocks
_builtin_bases = _gen._builtin_bases  # the built-in kinds of an error, as the other fuzz families compare them

SIDES = ("numpy", "cupy")  # the reference (device cpu) and the stand-in (device cuda)

# --------------------------------------------------------------------------- the rows

#: rows whose value comes from a math library (an ulp may differ between NumPy and CUDA/libm)
INEXACT_ROWS = frozenset({
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "tanh", "sin", "cos", "tan", "arctan",
    "sinh", "cosh", "sigmoid", "softplus", "sigmoid_xent", "logaddexp", "pow", "xlogx", "xlogy0",
    "arcsin", "arccos", "arctan2", "arcsinh", "arccosh", "arctanh",
})
#: rows that are correctly rounded (IEEE) or exact, the same on every conforming machine
KNOWN_EXACT_ROWS = frozenset({
    "add", "sub", "mul", "true_div", "neg", "abs", "sqrt", "sqr", "maximum", "minimum", "relu", "clip",
    "switch", "isnan", "identity", "zeros_like", "ones_like", "second",
})
#: rows whose result jumps when an argument moves by an ulp (their float arguments must be exact)
ROUNDING_SENSITIVE_ROWS = frozenset({
    "lt", "le", "gt", "ge", "eq", "neq", "isinf", "floor", "ceil", "round", "int_div", "mod", "sgn",
    "and", "or", "xor", "invert",
})
INPUT_DTYPES = ["float32"] * 5 + ["float64"] * 5 + ["int32"] * 3 + ["int64"] * 3 + ["bool"] * 3 + [
    "uint8", "int8", "uint32", "uint64"]
CAST_DTYPES = ["float32", "float64", "int32", "int64", "bool"] * 3 + ["int8", "uint8", "int16", "uint16",
                                                                      "uint32", "uint64", "float16"]
#: weak Python constants: NumPy 2 gives them the other operand's dtype (or refuses them)
CONSTANTS = [0, 1, -1, 2, 3, -3, 7, -2, 0.5, -0.5, 2.5, -1.5, 0.0, -0.0, 1.0, 3.0, math.inf, -math.inf, math.nan,
             1e30, -1e30, 1e300, 255, 256, -129, 2 ** 31 - 1, 2 ** 31, -2 ** 31, 2 ** 40, 2 ** 53 + 1, 2 ** 63 - 1,
             -2 ** 63, 2 ** 64 - 1, True, False]


def element_wise_rows() -> Dict[str, int]:
    """Every row of the element-wise table (built-in and plugin rows), name -> arity; the cast
    rows (``cast_<dtype>``) are drawn separately, as :func:`framework.tensor.cast`."""
    import framework.tensor  # noqa: F401 -- declares every built-in row (xlogx, xlogy0, ...)
    from framework import plugins
    from framework.core.elemwise import SCALAR_OPS

    names = [n for n in dict.keys(SCALAR_OPS) if not n.startswith("cast_")]
    names += [n for n in plugins.scalar_ops() if n not in names]
    return {n: SCALAR_OPS[n].nin for n in sorted(names)}


# --------------------------------------------------------------------------- values

def _float_edges(dtype: str) -> List[float]:
    fi = np.finfo(dtype)
    return [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.0, -7.0, 0.1, 100.0, -100.0, 1e-30, -1e-30,
            1e30, -1e30, 89.0, -89.0, 710.0, -710.0, float(fi.max), -float(fi.max), float(fi.tiny),
            math.inf, -math.inf, math.nan]


def _int_edges(dtype: str) -> List[int]:
    ii = np.iinfo(dtype)
    return [0, 1, -1, 2, -2, 3, -3, 7, -7, 31, 64, -100, 127, -128, 255, 256, 46341, -46341, 65536, 2 ** 31 - 1,
            -2 ** 31, 2 ** 31, 3037000500, -3037000500, 2 ** 32, 2 ** 53 + 1, 2 ** 63 - 1, 2 ** 63, ii.min, ii.max,
            ii.min + 1, ii.max - 1]


def random_values(rng: np.random.RandomState, shape: Tuple[int, ...], dtype: str) -> np.ndarray:
    """About half edge values, half small ordinary ones (integers and halves among the floats)."""
    n = int(np.prod(shape, dtype=np.int64))
    if dtype == "bool":
        return (rng.rand(n) < 0.5).reshape(shape)
    if np.dtype(dtype).kind == "f":
        edges = np.array(_float_edges(dtype), dtype=dtype)
        plain = np.where(rng.rand(n) < 0.5, rng.randint(-8, 9, n) / 2.0, rng.uniform(-5, 5, n)).astype(dtype)
    else:
        ii = np.iinfo(dtype)
        edges = np.array([v for v in _int_edges(dtype) if ii.min <= v <= ii.max], dtype=dtype)
        plain = rng.randint(-10 if ii.min < 0 else 0, 11, n).astype(dtype)
    pick = rng.rand(n) < 0.5
    out = np.where(pick, edges[rng.randint(0, len(edges), n)], plain).astype(dtype)
    return out.reshape(shape)


def near_values(rng: np.random.RandomState, src: np.ndarray, shape: Tuple[int, ...],
                dtype: str) -> Optional[np.ndarray]:
    """Values of ``dtype`` equal to, or one off, those of ``src`` (another input), so that
    comparisons across dtypes meet equal and nearly equal values (None: not for these dtypes)."""
    n = int(np.prod(shape, dtype=np.int64))
    flat = src.ravel()[np.arange(n) % src.size] if src.size else np.zeros(n, src.dtype)
    off = rng.choice([-1, 0, 0, 1], n)
    if np.dtype(dtype).kind == "f":
        out = flat.astype("float64") + np.where(src.dtype.kind == "f", 0, off)
    elif np.dtype(dtype).kind in "iu" and flat.dtype.kind in "biu":
        ii = np.iinfo(dtype)
        out = np.array([min(max(int(v) + int(o), int(ii.min)), int(ii.max)) for v, o in zip(flat, off)], dtype=dtype)
    elif dtype == "bool":
        out = flat != 0
    else:
        return None
    with np.errstate(all="ignore"):
        return out.astype(dtype).reshape(shape)


# --------------------------------------------------------------------------- random expressions

@dataclass
class Term:
    """One value of the expression: its variable, its NumPy value (evaluated op by op), its
    source text, and ``err``: how far a correct device may be from that value, element by
    element -- 0 where every op on the way is correctly rounded (see the module docstring),
    else what the math-library rows on the way may have put in (an ulp-level tolerance each),
    carried through the later ops (inf: no bound)."""

    var: Any
    value: Any
    text: str
    err: Any = 0.0
    zsign: Any = False  # where a zero's sign is NumPy's choice (a max/min/clip tie of -0.0 and 0.0)
    is_const: bool = False
    raises: Optional[BaseException] = None  # what NumPy raised computing it (value None)
    note: Optional[str] = None  # something wrong already when building (the node's dtype is not NumPy's)


@dataclass
class Case:
    """A seed's expression: its inputs and their values, its outputs (as variables and as
    text), and per output what the comparison allows and what NumPy gives op by op."""

    seed: int
    inputs: list
    values: list
    outputs: list
    texts: list
    errs: list  # per output: how far the CuPy side may be, element by element (0: bit for bit)
    zsigns: list  # per output: where the sign of a zero is not compared (False: nowhere)
    expected: list  # per output: NumPy's value, op by op, or what it raised (a diagnostic)
    rows: list = field(default_factory=list)  # the rows the expression applies, in order
    notes: list = field(default_factory=list)  # problems seen when building

    def source(self) -> str:
        """A stand-alone script that builds this expression (for a failure's reproduction)."""
        lines = ["import numpy as np", "from framework import function", "from framework.core.elemwise import apply",
                 "from framework.core.types import TensorType", "import framework.tensor as T"]
        for v, val in zip(self.inputs, self.values):
            static = tuple(1 if s == 1 else None for s in val.shape)
            lines.append(f"{v.name} = TensorType({val.dtype.name!r}, {static!r})({v.name!r})")
            lines.append(f"{v.name}_value = np.array({_literal_list(val)}, dtype={val.dtype.name!r})")
        lines.append(f"outputs = [{', '.join(self.texts)}]")
        names = ", ".join(v.name for v in self.inputs)
        values = ", ".join(f"{v.name}_value" for v in self.inputs)
        lines.append("for device in ('cpu', 'cuda'):  # run with fakecupy first on sys.path for 'cuda'")
        lines.append(f"    f = function([{names}], outputs, mode='FAST_RUN', device=device, on_unused_input='ignore')")
        lines.append(f"    print(device, [(o.dtype, o) for o in f({values})])")
        return "\n".join(lines)

    def describe(self) -> str:
        ins = "; ".join(f"{v.name}: {val.dtype} {val.shape} {_literal_list(val)}"
                        for v, val in zip(self.inputs, self.values))
        return f"outputs = [{', '.join(self.texts)}] with {ins}"


def _literal_list(a: np.ndarray) -> str:
    def one(x: Any) -> str:
        if isinstance(x, (bool, np.bool_)):
            return repr(bool(x))
        if isinstance(x, float) or np.issubdtype(type(x), np.floating):
            x = float(x)
            if math.isnan(x):
                return "np.nan"
            if math.isinf(x):
                return "np.inf" if x > 0 else "-np.inf"
            return repr(x)
        return repr(int(x))

    def rec(x: Any) -> str:
        if isinstance(x, list):
            return "[" + ", ".join(rec(e) for e in x) + "]"
        return one(x)

    return rec(a.tolist())


def _const_text(c: Any) -> str:
    if isinstance(c, float) and (math.isnan(c) or math.isinf(c)):
        return "float('nan')" if math.isnan(c) else ("float('inf')" if c > 0 else "float('-inf')")
    return repr(c)


def _is_float(v: Any) -> bool:
    return np.asarray(v).dtype.kind == "f" if not isinstance(v, (bool, int, float)) else isinstance(v, float)


class Hazard(Exception):
    """The drawn op would compute something NumPy leaves undefined, or trap on the host."""


def _check_hazards(name: str, args: List[Any], out_dtype: str) -> None:
    out = np.dtype(out_dtype)
    # (32/64-bit ``MIN // -1`` and ``MIN % -1`` trapped on the host until the eighth session; the
    # generated kernels now give NumPy's MIN and 0, so they are drawn like any other value)
    if name.startswith("cast_") and out.kind in "iu" and _is_float(args[0]):
        t = np.trunc(np.asarray(args[0], dtype="float64"))
        ii = np.iinfo(out)
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(t) & (t >= float(ii.min)) & (t < float(ii.max) + 1.0)
        if not np.all(ok):
            raise Hazard("float -> int cast of a value the int cannot hold")


def evaluate(name: str, vals: Sequence[Any]) -> np.ndarray:
    """Row ``name`` (or ``cast_<dtype>``) on ``vals`` with NumPy: the table's reference."""
    from framework.core.elemwise import SCALAR_OPS

    with np.errstate(all="ignore"):
        if name.startswith("cast_"):
            return np.asarray(np.asarray(vals[0]).astype(name[5:]))
        return np.asarray(SCALAR_OPS[name].impl(np, *vals))


def _deviation(moved: np.ndarray, value: np.ndarray) -> np.ndarray:
    """|moved - value| element by element (float64): 0 where both are the same NaN or infinity,
    inf where one is finite and the other not."""
    m, v = moved.astype("float64"), value.astype("float64")
    with np.errstate(all="ignore"):
        d = np.abs(m - v)
    same = (m == v) | (np.isnan(m) & np.isnan(v))
    return np.where(same, 0.0, np.where(np.isfinite(d), d, np.inf))


PERIODIC_ROWS = frozenset({"sin", "cos", "tan"})
#: rows that pick one of their arguments: which zero they give on a tie of -0.0 and 0.0 is left
#: to NumPy's SIMD loops (maximum and minimum give their second argument on x86; clip keeps x for
#: scalar bounds but not for array bounds)
TIE_ROWS = frozenset({"maximum", "minimum", "relu", "clip"})


def _zero_ties(name: str, vals: Sequence[Any], value: np.ndarray) -> Any:
    """Where row ``name`` chose between a -0.0 and a 0.0 (False where it cannot)."""
    if name not in TIE_ROWS or value.dtype.kind != "f":
        return False
    arrays = [np.broadcast_to(np.asarray(v, dtype="float64"), value.shape) for v in vals]
    if name == "relu":
        arrays.append(np.zeros(value.shape))
    tie = np.zeros(value.shape, dtype=bool)
    for i in range(len(arrays)):
        for j in range(i + 1, len(arrays)):
            a, b = arrays[i], arrays[j]
            tie |= (a == 0) & (b == 0) & (np.signbit(a) != np.signbit(b))
    return tie & (value == 0) if tie.any() else False


def _propagated(name: str, args: List[Term], value: np.ndarray) -> Tuple[np.ndarray, Any]:
    """How far the row's value may move when each argument moves by its ``err``: the row is
    evaluated at ``arg - err`` and ``arg + err`` (one argument at a time); a step row (a
    comparison, floor, a cast to an integer, a switch's condition, ...) must not move at all.
    Also where the sign of a zero in the result is NumPy's choice: the row is evaluated with the
    zeros whose sign is NumPy's choice flipped; a result that then changes by more than the sign
    of a zero (1 / x) is not compared there."""
    step_row = name in ROUNDING_SENSITIVE_ROWS or (name.startswith("cast_") and np.dtype(name[5:]).kind in "biu")
    total = np.zeros(value.shape)
    zsign = _zero_ties(name, [t.value for t in args], value)
    for i, a in enumerate(args):
        if np.any(a.zsign):
            vals = [t.value for t in args]
            base = np.asarray(a.value)
            vals[i] = np.where(a.zsign, -base, base).astype(base.dtype)
            flipped = evaluate(name, vals)
            dev = _deviation(flipped, value)
            if (step_row or (name == "switch" and i == 0)) and np.any(dev):
                raise Hazard("a step row on a zero whose sign is NumPy's choice")
            total = np.where(dev > 0, np.inf, total)
            if value.dtype.kind == "f":
                zsign = zsign | ((flipped == 0) & (value == 0) & (np.signbit(flipped) != np.signbit(value)))
    for i, a in enumerate(args):
        if not np.any(a.err):
            continue
        if name == "mod":
            raise Hazard("a remainder of a float a math library computed")
        base = np.asarray(a.value)
        dev = np.zeros(value.shape)
        for step in (-1.0, -0.5, -0.25, 0.25, 0.5, 1.0):  # inside too: not every row is monotonic
            with np.errstate(all="ignore"):
                moved = (base.astype("float64") + step * np.asarray(a.err)).astype(base.dtype)
            vals = [t.value for t in args]
            vals[i] = moved
            dev = np.maximum(dev, _deviation(evaluate(name, vals), value))
        if name in PERIODIC_ROWS:  # an argument known to a fraction of a period only: any value
            dev = np.where(np.broadcast_to(np.asarray(a.err), dev.shape) > 0.1, np.inf, dev)
        if (step_row or (name == "switch" and i == 0)) and np.any(dev):
            raise Hazard("a rounding-sensitive op on a float a math library computed, too near a step")
        total = total + dev
    return total, (zsign if np.any(zsign) else False)


def _apply(R: random.Random, name: str, args: List[Term]) -> Term:
    """The row ``name`` on ``args``: the graph node, its NumPy value (op by op), its text and
    how far a correct device may be from that value."""
    from framework.core.elemwise import apply, cast

    vals = [a.value for a in args]
    if any(a.raises for a in args):
        raise Hazard("an argument raises")
    if name.startswith("cast_"):
        out_dtype = name[5:]
        var = cast(args[0].var, out_dtype)
        text = f"T.cast({args[0].text}, {out_dtype!r})"
        if var is args[0].var:
            raise Hazard("a cast to the same dtype is no op")
    else:
        var = apply(name, *[a.var for a in args])
        text = f"apply({name!r}, {', '.join(a.text for a in args)})"
        out_dtype = var.type.dtype
    if out_dtype == "float16" and R.random() < 0.9:
        raise Hazard("float16 (from bool or int8 operands): the stand-in cannot compile it")
    _check_hazards(name, vals, out_dtype)
    try:
        value = evaluate(name, vals)
    except Exception as exc:  # NumPy refuses the values (integers to negative powers): so must the device
        return Term(var, None, text, raises=exc)
    if value.dtype.name != out_dtype:  # the graph's dtype is not NumPy's: say so, and end the expression here
        return Term(var, value, text, raises=None,
                    note=f"the node {text} has dtype {out_dtype}, NumPy gives {value.dtype.name}")
    err, zsign = _propagated(name, args, value)
    # a plugin row this file does not know counts as a math-library row
    if np.dtype(out_dtype).kind == "f" and not name.startswith("cast_") and (
            name in INEXACT_ROWS or name not in ROUNDING_SENSITIVE_ROWS and name not in KNOWN_EXACT_ROWS):
        tol = tolerance(out_dtype)
        with np.errstate(all="ignore"):
            own = tol * np.abs(value.astype("float64")) + tol * 1e-3
        err = err + np.where(np.isfinite(own), own, 0.0)
    if np.dtype(out_dtype).kind in "biu":
        err, zsign = np.zeros(value.shape), False
    return Term(var, value, text, err if np.any(err) else 0.0, zsign)


def random_case(seed: int) -> Optional[Case]:
    """The expression of ``seed`` (None if no op could be applied to its inputs)."""
    from framework.core.types import TensorType

    R = random.Random(seed)
    rng = np.random.RandomState(seed % 2 ** 32)
    rows = element_wise_rows()
    names = list(rows) + ["cast"] * 4
    frame = (R.randint(1, 3), R.randint(1, 4))
    inputs, values, pool = [], [], []
    for k in range(R.randint(1, 3)):
        dtype = R.choice(INPUT_DTYPES)
        nd = R.choice([0, 1, 1, 2, 2, 2])
        full = frame[2 - nd:] if nd else ()
        shape = tuple(s if R.random() < 0.8 else 1 for s in full)
        var = TensorType(dtype, tuple(1 if s == 1 else None for s in shape))(f"x{k}")
        val = random_values(rng, shape, dtype)
        if values and R.random() < 0.3:  # near the first input's values: equal ones across dtypes
            near = near_values(rng, values[0], shape, dtype)
            val = val if near is None else near
        inputs.append(var)
        values.append(val)
        pool.append(Term(var, val, var.name))
    n_ops = R.randint(2, 6)
    steps: List[Term] = []
    used: List[str] = []
    attempts = 0
    while len(steps) < n_ops and attempts < 80:
        attempts += 1
        name = R.choice(names)
        if name == "cast":
            name = "cast_" + R.choice(CAST_DTYPES)
            nin = 1
        else:
            nin = rows[name]
        args = [_operand(R, pool, steps, tensor=True)]
        for k in range(1, nin):
            args.append(_operand(R, pool, steps, tensor=False))
        if nin > 1 and R.random() < 0.3:
            R.shuffle(args)
        if all(a.is_const for a in args):
            continue
        try:
            term = _apply(R, name, args)
        except Exception:  # refused when building (dtypes, overflow) or kept out (Hazard)
            continue
        if term.raises is not None and R.random() < 0.5:
            continue
        steps.append(term)
        used.append(name)
        if term.raises is not None or term.note is not None:
            break  # NumPy raises here, or its dtype is not the node's: the last op, and an output
    if not steps:
        return None
    outs = [steps[-1]]
    if len(steps) > 1 and R.random() < 0.35:
        other = R.choice(steps[:-1])
        if other.var is not steps[-1].var:
            outs.insert(0, other)
    return Case(seed, inputs, values, [t.var for t in outs], [t.text for t in outs], [t.err for t in outs],
                [t.zsign for t in outs],
                [t.raises if t.raises is not None else np.asarray(t.value) for t in outs], used,
                [t.note for t in steps if t.note])


def _operand(R: random.Random, pool: List[Term], steps: List[Term], tensor: bool) -> Term:
    if not tensor and R.random() < 0.3:
        c = R.choice(CONSTANTS)
        return Term(c, c, _const_text(c), is_const=True)
    if steps and R.random() < 0.7:
        return R.choice(steps[-2:])
    return R.choice(pool + steps)


# --------------------------------------------------------------------------- running and comparing

def tolerance(dtype: str) -> float:
    """The relative error allowed to one math-library row (exp, log, pow, ...) computing in
    ``dtype``: NumPy's and CUDA's (here glibc's) implementations may differ by an ulp or so."""
    return {"float16": 1e-2, "float32": 1e-4}.get(dtype, 1e-9)


def _host(v: Any) -> np.ndarray:
    """A result brought to the host: a device array (if one came back) through ``.get()``."""
    get = getattr(v, "get", None)
    if get is not None and type(v) is not np.ndarray and not isinstance(v, np.generic):
        return get()
    return np.asarray(v)


def run_case(case: Case, device: str) -> Tuple[Outcome, Any]:
    """Compile the case in FAST_RUN for ``device`` and call it on copies of the inputs: the
    outcome, and the compiled function (None where compiling failed)."""
    from framework import function

    try:
        f = function(case.inputs, case.outputs, mode="FAST_RUN", device=device, on_unused_input="ignore")
    except Exception as e:
        return Outcome("compile-error", error=e), None
    try:
        with np.errstate(all="ignore"):
            out = f(*[v.copy() for v in case.values])
        return Outcome("ok", [_host(v) for v in out]), f
    except Exception as e:
        return Outcome("error", error=e), f


def value_difference(x: np.ndarray, y: np.ndarray, err: Any, zsign: Any = False) -> Optional[str]:
    """None where ``y`` (CuPy side) agrees with ``x`` (NumPy side): exactly for integers and
    bools; for floats NaN, infinities and zeros (with their signs, except where ``zsign``) at
    the same places and the other values within ``err`` (0: bit for bit). Elements whose
    ``err`` is inf are not compared (a math-library row's ulp could move them anywhere)."""
    if x.dtype.kind in "biu":
        if np.array_equal(x, y):
            return None
        bad = x != y
        return f"values differ at {_where(bad)}: numpy {_at(x, bad)} cupy {_at(y, bad)}"
    xf, yf = x.astype("float64"), y.astype("float64")
    err = np.broadcast_to(np.asarray(err, dtype="float64"), x.shape)
    bounded = np.isfinite(err)
    both_zero = (xf == 0) & (yf == 0)
    finite = np.isfinite(xf) & np.isfinite(yf) & bounded
    with np.errstate(all="ignore"):
        far = np.abs(xf - yf) > err
    checks = [("NaN", bounded & (np.isnan(xf) != np.isnan(yf))),
              ("+inf", bounded & (np.isposinf(xf) != np.isposinf(yf))),
              ("-inf", bounded & (np.isneginf(xf) != np.isneginf(yf))),
              ("sign of zero", both_zero & ~np.asarray(zsign) & (np.signbit(xf) != np.signbit(yf))),
              ("value" + (" (bit for bit: every op on the way is correctly rounded)" if not np.any(err) else
                          " (beyond what math-library ulps explain)"), finite & far)]
    for what, bad in checks:
        if bad.any():
            return f"{what} differs at {_where(bad)}: numpy {_at(x, bad)} cupy {_at(y, bad)}"
    return None


def _where(bad: np.ndarray) -> str:
    return " ".join(str(tuple(int(i) for i in idx)) for idx in np.argwhere(bad)[:3]) if bad.ndim else "()"


def _at(a: np.ndarray, bad: np.ndarray) -> str:
    vals = a[bad] if bad.ndim else a.reshape(1)
    return "[" + ", ".join(repr(v.item()) for v in vals[:3]) + "]"


def kernel_difference(case: Case, ref: Outcome, got: Outcome) -> Optional[str]:
    """None where the two sides agree: the same status (and built-in kind of error), or the
    same number of outputs with the same shapes, dtypes and values."""
    if ref.status != got.status:
        return f"{SIDES[0]} gave {ref}, {SIDES[1]} gave {got}"
    if ref.status != "ok":
        if not _builtin_bases(ref.error) & _builtin_bases(got.error):
            return f"different kinds of error: {SIDES[0]} {ref}, {SIDES[1]} {got}"
        return None
    if len(ref.values) != len(got.values):
        return f"{len(ref.values)} outputs against {len(got.values)}"
    for i, (x, y) in enumerate(zip(ref.values, got.values)):
        if x.shape != y.shape or x.dtype != y.dtype:
            e = case.expected[i]
            ref_text = (f"raises {type(e).__name__}" if isinstance(e, BaseException) else
                        f"gives {np.shape(e)} {np.asarray(e).dtype}, the graph says {case.outputs[i].type.dtype}")
            return (f"output {i}: {SIDES[0]} {x.shape} {x.dtype}, {SIDES[1]} {y.shape} {y.dtype} "
                    f"[op by op, NumPy {ref_text}]")
        diff = value_difference(x, y, case.errs[i], case.zsigns[i])
        if diff is not None:
            e = case.expected[i]
            if isinstance(e, BaseException):
                who = f"neither (it raises {type(e).__name__})"
            elif e.shape != x.shape or e.dtype != x.dtype:
                who = "neither (other shape or dtype)"
            else:
                who = {(True, True): "both", (True, False): "numpy", (False, True): "cupy", (False, False): "neither"}[
                    (value_difference(e, x, case.errs[i], case.zsigns[i]) is None,
                     value_difference(e, y, case.errs[i], case.zsigns[i]) is None)]
            return f"output {i} ({x.dtype}): {diff} [op by op, NumPy agrees with {who}]"
    return None


# --------------------------------------------------------------------------- the worker (in the subprocess)

class _Coverage:
    """Which generated kernels ran (names -> rows), counted by wrapping the stand-in."""

    def __init__(self) -> None:
        import cupy
        from framework_backend_cupy import codegen

        assert getattr(cupy, "_FAKE", False), "the worker must run on the CPU stand-in for CuPy"
        self.rows_by_kernel: Dict[str, Tuple[str, ...]] = {}
        self.launched: List[str] = []
        original_source = codegen.fused_source
        original_call = cupy.ElementwiseKernel.__call__

        def fused_source(steps: Sequence[Any], *a: Any, **kw: Any) -> Any:
            src = original_source(steps, *a, **kw)
            if src is not None:
                self.rows_by_kernel[src.name] = tuple(s.op for s in steps)
            return src

        def call(kern: Any, *a: Any, **kw: Any) -> Any:
            self.launched.append(kern.name)
            return original_call(kern, *a, **kw)

        codegen.fused_source = fused_source
        cupy.ElementwiseKernel.__call__ = call


def check_case(seed: int, cov: Optional[_Coverage] = None, stats: Optional[Counter] = None,
               rows: Optional[Counter] = None) -> Optional[str]:
    """None where the seed's expression agrees on both sides, else what differed."""
    stats = stats if stats is not None else Counter()
    case = random_case(seed)
    if case is None:
        stats["no expression"] += 1
        return None
    ref, _ = run_case(case, "cpu")
    start = len(cov.launched) if cov is not None else 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, _ = run_case(case, "cuda")
    if any("could not compile the fused kernel" in str(w.message) for w in caught):
        stats["kernel fell back (float16)"] += 1
    if cov is not None:
        launched = cov.launched[start:]
        if launched:
            stats["seeds that ran a generated kernel"] += 1
            stats["generated kernels run"] += len(launched)
            for k in set(launched):
                stats["rows in those kernels"] += len(cov.rows_by_kernel.get(k, ()))
                if rows is not None:
                    rows.update(cov.rows_by_kernel.get(k, ()))
    stats["seeds"] += 1
    stats[f"outcome {ref.status}"] += 1
    diff = None if ref.status == got.status == "compile-error" else kernel_difference(case, ref, got)
    if diff is None and not case.notes:
        return None
    return f"{'; '.join(case.notes + ([diff] if diff else []))} | {case.describe()}"


#: seconds one seed may take in the worker (it takes well under one, a first compile included):
#: a kernel that never returns (undefined behaviour can make a loop endless) must not stall a block
SEED_TIMEOUT = 60


def worker(seeds: Sequence[int]) -> None:
    """Check ``seeds``, printing one ``FUZZ {json}`` line per seed (its failure or None, and its
    coverage counts) as it goes, so that what was checked survives the process dying."""
    import faulthandler

    warnings.simplefilter("ignore")
    cov = _Coverage()
    for seed in seeds:
        print(f"seed {seed}", file=sys.stderr, flush=True)  # names the seed if the process dies
        faulthandler.dump_traceback_later(SEED_TIMEOUT, exit=True)
        stats: Counter = Counter()
        rows: Counter = Counter()
        msg = check_case(seed, cov, stats, rows)
        faulthandler.cancel_dump_traceback_later()
        print("FUZZ " + json.dumps({"seed": seed, "failure": msg, "stats": stats, "rows": rows}), flush=True)


def _main(argv: Sequence[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", help="lo:hi (hi excluded)")
    p.add_argument("--show", type=int, help="print one seed's reproduction and both sides' outputs")
    a = p.parse_args(argv)
    if a.show is not None:
        case = random_case(a.show)
        if case is None:
            print("no expression for this seed")
            return 0
        print(case.source())
        print("# allowed error per output (0: bit for bit):", case.errs)
        warnings.simplefilter("ignore")
        _Coverage()
        for dev in ("cpu", "cuda"):
            out, f = run_case(case, dev)
            if f is not None:
                print(f"# {dev} graph:", [str(n.op) for n in f.maker.fgraph.toposort()])
            print(f"# {dev}:", out, [repr(v) for v in out.values] if out.status == "ok" else "")
        print("# difference:", check_case(a.show))
        return 0
    lo, hi = (int(s) for s in a.seeds.split(":"))
    worker(range(lo, hi))
    return 0


# --------------------------------------------------------------------------- the tests (in pytest)

pytestmark = pytest.mark.skipif(CXX is None, reason="the CuPy stand-in compiles kernels with a host C++ compiler")

SMOKE = range(0, 40)
#: seeds the smoke tier leaves out because they show a known disagreement (see the report)
KNOWN_FAILING_SMOKE: frozenset = frozenset()


def run_worker(seeds: range, timeout: int = 3600) -> Dict[str, Any]:
    """Run ``seeds`` in a subprocess on the stand-in: ``failures`` (seed -> message), ``stats``
    and ``rows`` (coverage counts). A seed that kills the worker (a host trap) or stalls it (a
    kernel that never returns) fails with that, and the worker goes on after it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(FAKE), str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH")
                                                                  else []))
    env.pop("FRAMEWORK_FLAGS", None)
    failures: Dict[int, str] = {}
    stats: Counter = Counter()
    rows: Counter = Counter()
    start = seeds.start
    while start < seeds.stop:
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--seeds", f"{start}:{seeds.stop}"],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
        for line in proc.stdout.splitlines():
            if line.startswith("FUZZ "):
                rec = json.loads(line[len("FUZZ "):])
                stats.update(rec["stats"])
                rows.update(rec["rows"])
                if rec["failure"] is not None:
                    failures[rec["seed"]] = rec["failure"]
        if proc.returncode == 0:
            break
        on = [int(ln.split()[1]) for ln in proc.stderr.splitlines() if ln.startswith("seed ")][-1:]
        if not on:
            pytest.fail(f"the worker failed to start (rc={proc.returncode}):\n{proc.stderr[-4000:]}")
        tail = "\n".join(ln for ln in proc.stderr.splitlines() if not ln.startswith("seed "))[-1500:]
        failures[on[0]] = (f"the worker died on this seed (rc={proc.returncode}; a host trap, or a kernel that "
                           f"ran longer than {SEED_TIMEOUT} s): {tail}")
        start = on[0] + 1
    return {"failures": failures, "stats": dict(stats), "rows": dict(rows)}


def _check_block(seeds: Sequence[int], skip: frozenset = frozenset()) -> None:
    r = range(min(seeds), max(seeds) + 1)
    result = run_worker(r)
    failures, ran = result["failures"], result["stats"].get("seeds that ran a generated kernel", 0)
    # the point is the generated kernels: most expressions must have run as one
    assert ran >= len(r) // 2, f"only {ran} of {len(r)} seeds ran a generated kernel: {result['stats']}"
    check_seeds([s for s in seeds if s not in skip], lambda s: failures.get(s))


def test_kernels_agree_with_numpy_smoke() -> None:
    _check_block(SMOKE, KNOWN_FAILING_SMOKE)


@pytest.mark.slow
@pytest.mark.parametrize("seeds", seed_blocks(3000, block=250))
def test_kernels_agree_with_numpy(seeds: range) -> None:
    _check_block(seeds)


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
