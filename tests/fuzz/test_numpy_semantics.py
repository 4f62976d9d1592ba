"""Random element-wise expressions, casts and reductions against NumPy 2 itself, in both modes.

The other fuzz families mostly compare FAST_RUN with FAST_COMPILE, which cannot see a bug both
modes share. Here each seed builds a random expression of 1-5 steps and compiles it in FAST_RUN
and in FAST_COMPILE; both are compared with the *same expression evaluated directly with NumPy*
(its own ufuncs and reductions, NumPy 2's promotion, NEP 50 for the Python scalars), never with
the project's own helpers or row implementations. A step is one of:

* an element-wise row of ``framework.core.elemwise.SCALAR_OPS`` that has a NumPy counterpart
  (arithmetic, ``//`` ``%`` ``/`` ``**``, comparisons, ``& | ^ ~``, ``switch``, ``clip``,
  ``maximum``/``minimum``/``relu``, rounding, the transcendental rows, ``logaddexp``,
  ``isnan``/``isinf``, ``identity``, ``zeros_like``/``ones_like``), spelt at random as ``T.<name>``,
  an operator (reflected forms when a constant comes first) or a method;
* a cast (``T.cast`` or ``.astype``);
* a reduction (``sum prod mean max min argmax argmin all any var std``, function or method) with
  ``axis`` None, an int (negative too), a tuple, sometimes out of range or repeated,
  ``keepdims``, ``dtype=`` (sum/prod/mean), ``acc_dtype=`` (sum/prod), ``ddof`` (var/std).

Inputs have every dtype (bool, int8..int64, uint8..uint64, float16, float32, float64), 0-3 dimensions
that broadcast (size-1 axes, sometimes an empty axis), and are mostly edge values (0, -0.0,
+-1, halves, the integer limits, +-inf, nan, huge and tiny floats); operands are sometimes weak
Python constants (ints in and out of the other operand's range, floats, bools).

Compared, for each mode against NumPy: the dtype and shape of every output; integers and bools
exactly; floats bit for bit, NaN at the same places, zeros and infinities with their signs --
except where a math-library row (``exp``, ``log``, ``tanh``, ``pow``, ...) or a float ``var``/
``std`` is on the way: each is allowed a relative error of a few ulps (:func:`tolerance`),
carried through the later steps by evaluating them with NumPy at the moved arguments, and a
rounding-sensitive step (a comparison, ``floor``, ``//``, a cast to an integer, ...) is not
applied where that allowance could move it across a step. Errors: where NumPy raises, the
framework must raise (building the graph, or calling the function) an error sharing a built-in
class with NumPy's, and where NumPy does not raise, the framework must not.

Kept out, as NumPy leaves them undefined: float -> int casts (and ``dtype=`` reductions) of
NaN, infinities or values out of the integer's range, and signed ``MIN // -1`` / ``MIN % -1``.
Which zero ``maximum``/``minimum``/``relu``/``clip`` give for a tie of -0.0 and +0.0 is left to
NumPy's SIMD loops, so such ties are kept out too. Deliberate differences, checked as documented:
``mean(x, dtype=d)`` is the mean cast to ``d`` (docs/theano.md, "sum in acc_dtype, result in
dtype"; ``np.mean(dtype=d)`` accumulates and divides in ``d``), and ``acc_dtype=`` (Theano's)
is NumPy's ``dtype=`` of ``sum``/``prod``; ``switch``/``where`` with a Python int branch outside
the other branch's integer dtype raises OverflowError (NumPy's ``where`` wraps it; docs/tensor.md).
Not drawn: an int axis of a 0-d input (NumPy's ufunc
reductions take 0 and -1, a legacy quirk ``np.mean``/``var``/``std`` do not share; the framework
refuses it) and a tuple axis for ``argmax`` (NumPy raises TypeError, the framework ValueError).
FAST_RUN's stabilisations (docs/rewrites.md: ``log(1 + x)`` -> ``log1p``, ``log1p(exp(x))`` ->
``softplus``, ``exp(x) - 1`` -> ``expm1``, ...) change values on purpose: a step they may rewrite,
and what is computed from it, is compared with NumPy in FAST_COMPILE only (dtype and shape in both).

Reproduce a seed, or run a range (one line per failing seed)::

    .venv/bin/python tests/fuzz/test_numpy_semantics.py --show 123
    .venv/bin/python tests/fuzz/test_numpy_semantics.py --seeds 1000:1200
"""
from __future__ import annotations

import math
import random
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest

if __package__ in (None, ""):  # run as a script: tests/ on sys.path for ``fuzz.generators``
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.path.insert(1, str(Path(__file__).resolve().parents[2]))
    from fuzz.generators import MODES, Outcome, _builtin_bases, check_seeds, seed_blocks
else:
    from .generators import MODES, Outcome, _builtin_bases, check_seeds, seed_blocks

import framework.tensor as T  # noqa: E402
from framework import function  # noqa: E402
from framework.core.types import TensorType  # noqa: E402

# --------------------------------------------------------------------------- the steps

#: element-wise rows: name -> (NumPy's function, spellings of the framework side). ``{0}``...
#: are the operands' texts; a spelling marked "method" needs a tensor as its first operand.
ROWS: Dict[str, Tuple[Callable[..., Any], List[str]]] = {
    "add": (np.add, ["T.add({0}, {1})", "{0} + {1}"]),
    "sub": (np.subtract, ["T.sub({0}, {1})", "{0} - {1}"]),
    "mul": (np.multiply, ["T.mul({0}, {1})", "{0} * {1}"]),
    "true_div": (np.true_divide, ["T.true_div({0}, {1})", "{0} / {1}"]),
    "int_div": (np.floor_divide, ["T.int_div({0}, {1})", "{0} // {1}"]),
    "mod": (np.remainder, ["T.mod({0}, {1})", "{0} % {1}"]),
    "pow": (np.power, ["T.pow({0}, {1})", "{0} ** {1}"]),
    "maximum": (np.maximum, ["T.maximum({0}, {1})"]),
    "minimum": (np.minimum, ["T.minimum({0}, {1})"]),
    "logaddexp": (np.logaddexp, ["T.logaddexp({0}, {1})"]),
    "lt": (np.less, ["T.lt({0}, {1})", "{0} < {1}"]),
    "le": (np.less_equal, ["T.le({0}, {1})", "{0} <= {1}"]),
    "gt": (np.greater, ["T.gt({0}, {1})", "{0} > {1}"]),
    "ge": (np.greater_equal, ["T.ge({0}, {1})", "{0} >= {1}"]),
    "eq": (np.equal, ["T.eq({0}, {1})"]),
    "neq": (np.not_equal, ["T.neq({0}, {1})"]),
    "and": (np.bitwise_and, ["T.and_({0}, {1})", "{0} & {1}"]),
    "or": (np.bitwise_or, ["T.or_({0}, {1})", "{0} | {1}"]),
    "xor": (np.bitwise_xor, ["T.xor({0}, {1})", "{0} ^ {1}"]),
    "neg": (np.negative, ["T.neg({0})", "-{0}"]),
    "abs": (np.absolute, ["T.abs_({0})", "abs({0})"]),
    "sgn": (np.sign, ["T.sgn({0})"]),
    "floor": (np.floor, ["T.floor({0})"]),
    "ceil": (np.ceil, ["T.ceil({0})"]),
    "round": (np.round, ["T.round({0})"]),
    "exp": (np.exp, ["T.exp({0})"]),
    "exp2": (np.exp2, ["T.exp2({0})"]),
    "expm1": (np.expm1, ["T.expm1({0})"]),
    "log": (np.log, ["T.log({0})"]),
    "log2": (np.log2, ["T.log2({0})"]),
    "log10": (np.log10, ["T.log10({0})"]),
    "log1p": (np.log1p, ["T.log1p({0})"]),
    "sqrt": (np.sqrt, ["T.sqrt({0})"]),
    "sqr": (np.square, ["T.sqr({0})"]),
    "tanh": (np.tanh, ["T.tanh({0})"]),
    "sin": (np.sin, ["T.sin({0})"]),
    "cos": (np.cos, ["T.cos({0})"]),
    "tan": (np.tan, ["T.tan({0})"]),
    "arctan": (np.arctan, ["T.arctan({0})"]),
    "arcsin": (np.arcsin, ["T.arcsin({0})"]),
    "arccos": (np.arccos, ["T.arccos({0})"]),
    "arctan2": (np.arctan2, ["T.arctan2({0}, {1})"]),
    "arcsinh": (np.arcsinh, ["T.arcsinh({0})"]),
    "arccosh": (np.arccosh, ["T.arccosh({0})"]),
    "arctanh": (np.arctanh, ["T.arctanh({0})"]),
    "sinh": (np.sinh, ["T.sinh({0})"]),
    "cosh": (np.cosh, ["T.cosh({0})"]),
    "invert": (np.invert, ["T.invert({0})", "~{0}"]),
    "isnan": (np.isnan, ["T.isnan({0})"]),
    "isinf": (np.isinf, ["T.isinf({0})"]),
    "relu": (lambda x: np.maximum(x, 0), ["T.relu({0})"]),  # docs/tensor.md: relu is maximum(a, 0)
    "identity": (np.copy, ["T.identity({0})"]),
    "zeros_like": (np.zeros_like, ["T.zeros_like({0})"]),
    "ones_like": (np.ones_like, ["T.ones_like({0})"]),
    "switch": (lambda c, a, b: _np_switch(c, a, b), ["T.switch({0}, {1}, {2})", "T.where({0}, {1}, {2})"]),
    "clip": (np.clip, ["T.clip({0}, {1}, {2})", "method:{0}.clip({1}, {2})"]),
}
ARITY = {"switch": 3, "clip": 3}
UNARY = {"neg", "abs", "sgn", "floor", "ceil", "round", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
         "sqrt", "sqr", "tanh", "sin", "cos", "tan", "arctan", "sinh", "cosh", "invert", "isnan", "isinf", "relu",
         "identity", "zeros_like", "ones_like", "arcsin", "arccos", "arcsinh", "arccosh", "arctanh"}
for _n in ROWS:
    ARITY.setdefault(_n, 1 if _n in UNARY else 2)

#: the rows as drawn: arithmetic (and negation, where rewrites are many) three times as often
ROW_DRAW = list(ROWS) + ["add", "sub", "mul", "true_div", "int_div", "mod", "pow", "neg", "abs", "maximum",
                         "minimum", "clip", "switch"] * 2

#: rows whose float results come from a math library: allowed a few ulps (see tolerance)
LIBM_ROWS = frozenset({"exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "tanh", "sin", "cos", "tan",
                       "arctan", "sinh", "cosh", "logaddexp", "pow", "arcsin", "arccos", "arctan2", "arcsinh",
                       "arccosh", "arctanh"})
#: steps whose result jumps when a float argument moves by an ulp
STEP_ROWS = frozenset({"lt", "le", "gt", "ge", "eq", "neq", "isinf", "floor", "ceil", "round", "int_div", "mod",
                       "sgn", "argmax", "argmin", "all", "any"})
#: rows that pick one of their arguments (which zero a tie of -0.0 and +0.0 gives is NumPy's loop's choice)
TIE_ROWS = frozenset({"maximum", "minimum", "relu", "clip", "max", "min"})
PERIODIC_ROWS = frozenset({"sin", "cos", "tan"})

REDUCTIONS = ["sum", "prod", "mean", "max", "min", "argmax", "argmin", "all", "any", "var", "std"]
METHODS = {"sum", "prod", "mean", "max", "min", "argmax", "argmin", "var", "std"}  # docs/tensor.md "Methods"

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
          "float64"]
INPUT_DTYPES = DTYPES + ["float16", "float32", "float64"] * 3 + ["int32", "int64", "bool"]
CAST_DTYPES = DTYPES + ["float16"]

#: weak Python constants: ints in and out of the other operand's range, floats, bools
CONSTANTS = [0, 1, -1, 2, 3, -3, 7, -2, 100, 127, 128, -128, -129, 255, 256, 2 ** 15, 65535, 2 ** 31 - 1, 2 ** 31,
             -2 ** 31, 2 ** 32, 2 ** 53 + 1, 2 ** 63 - 1, -2 ** 63, 2 ** 63, 2 ** 64 - 1,
             0.0, -0.0, 0.5, -0.5, 1.0, -1.5, 2.5, 3.0, 1e30, -1e30, 1e300, 1e-310, math.inf, -math.inf, math.nan,
             True, False]


def tolerance(dtype: str) -> float:
    """The relative error allowed to one math-library step (or float var/std) computing in ``dtype``."""
    return {"float16": 4e-3, "float32": 1e-6}.get(dtype, 4e-15)


# --------------------------------------------------------------------------- values

def _float_edges(dtype: str) -> List[float]:
    fi = np.finfo(dtype)
    return [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -2.5, 3.0, -7.0, 0.1, 100.0, 1e-30, -1e30, 1e30, 89.0, 710.0,
            -710.0, float(fi.max), -float(fi.max), float(fi.tiny), float(fi.tiny) / 4, math.inf, -math.inf, math.nan,
            2.0 ** 31, -2.0 ** 63, 2.0 ** 64, 1e20, -1e-20, 1e155, 1e-155, 1e-310]


def _int_edges(dtype: str) -> List[int]:
    ii = np.iinfo(dtype)
    return [0, 1, -1, 2, -2, 3, 7, -7, 31, 64, 127, -128, 255, 256, 46341, 65535, 2 ** 31 - 1, -2 ** 31, 2 ** 32,
            2 ** 53 + 1, 3037000500, int(ii.min), int(ii.max), int(ii.min) + 1, int(ii.max) - 1]


def random_values(rng: np.random.RandomState, shape: Tuple[int, ...], dtype: str) -> np.ndarray:
    """About half edge values, half small ordinary ones."""
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
    return np.where(pick, edges[rng.randint(0, len(edges), n)], plain).astype(dtype).reshape(shape)


def near_values(rng: np.random.RandomState, src: np.ndarray, val: np.ndarray) -> np.ndarray:
    """``val`` with entries replaced by ``src``'s (cycled; some negated), where ``val``'s dtype holds
    them exactly: differences of equal values, ties and ``x + -x`` meet across inputs."""
    if not val.size or not src.size:
        return val
    flat = src.ravel()[np.arange(val.size) % src.size]
    with np.errstate(all="ignore"):
        cand = np.where(rng.rand(val.size) < 0.3, -flat.astype("float64"), flat.astype("float64")) \
            if src.dtype.kind in "f" else flat
        if src.dtype.kind in "iu":
            neg = rng.rand(val.size) < 0.3
            cand = np.array([-int(c) if n else int(c) for c, n in zip(flat, neg)], dtype=object)
        conv = np.array([_exactly(c, val.dtype) for c in cand], dtype=object)
    keep = np.array([c is not None for c in conv])
    out = val.ravel().copy()
    out[keep] = np.array([c for c in conv if c is not None], dtype=val.dtype) if keep.any() else out[keep]
    return out.reshape(val.shape)


def _exactly(c: Any, dtype: np.dtype) -> Any:
    """``c`` as a ``dtype`` scalar if that holds it exactly (signed zeros and NaN included), else None."""
    try:
        if dtype.kind == "b":
            return bool(c) if c in (0, 1) else None
        if dtype.kind in "iu":
            if isinstance(c, float) and not (math.isfinite(c) and c == int(c)):
                return None
            ii = np.iinfo(dtype)
            return dtype.type(int(c)) if ii.min <= int(c) <= ii.max else None
        v = dtype.type(c)
        return v if (np.isnan(v) and np.isnan(float(c))) or float(v) == float(c) else None
    except (OverflowError, ValueError, TypeError):
        return None


# --------------------------------------------------------------------------- expressions

class Hazard(Exception):
    """The drawn step would compute what NumPy leaves undefined (or its sign of zero is a SIMD loop's choice)."""


@dataclass
class Term:
    """One value of the expression: the framework variable (or a Python constant), NumPy's value,
    the framework-side and NumPy-side texts, and ``err``: how far a correct result may be from
    NumPy's value, element by element (0: bit for bit; inf: not compared)."""

    var: Any
    value: Any
    text: str
    np_text: str
    err: Any = 0.0
    is_const: bool = False
    raises: Optional[BaseException] = None  # what NumPy raised computing it (value None)
    #: a documented FAST_RUN stabilisation may rewrite it (log1p(exp(x)) -> softplus(x), ...): its
    #: value (and what is computed from it) is NumPy's in FAST_COMPILE only
    stabilized: bool = False


@dataclass
class Case:
    seed: int
    inputs: list
    values: list
    terms: list  # the output terms
    steps: list = field(default_factory=list)  # every step's text (framework side), in order
    build_error: Optional[BaseException] = None  # the framework refused the last step when building it
    build_text: str = ""
    build_np: Optional[Term] = None  # NumPy's side of that refused step

    def describe(self) -> str:
        ins = "; ".join(f"{v.name}: {val.dtype} {val.shape} {_literal(val)}" for v, val in zip(self.inputs, self.values))
        outs = [t.text for t in self.terms] if self.build_error is None else [self.build_text]
        return f"outputs = [{', '.join(outs)}] with {ins}"

    def source(self) -> str:
        """A stand-alone script: the framework expression in both modes, and NumPy's."""
        lines = ["import math, numpy as np", "import framework.tensor as T", "from framework import function",
                 "from framework.core.types import TensorType", "inf, nan = math.inf, math.nan"]
        for v, val in zip(self.inputs, self.values):
            lines.append(f"{v.name} = TensorType({val.dtype.name!r}, {tuple(v.type.shape)!r})({v.name!r})")
            lines.append(f"{v.name}_v = np.array({_literal(val)}, dtype={val.dtype.name!r})")
        if self.build_error is not None:
            lines.append(f"out = {self.build_text}  # the framework raises here: {type(self.build_error).__name__}")
            lines.append(f"print(np.asarray({self.build_np.np_text}))")
            return "\n".join(lines)
        lines.append(f"outputs = [{', '.join(t.text for t in self.terms)}]")
        names = ", ".join(v.name for v in self.inputs)
        vals = ", ".join(f"{v.name}_v.copy()" for v in self.inputs)
        lines.append("for mode in ('FAST_RUN', 'FAST_COMPILE'):")
        lines.append(f"    f = function([{names}], outputs, mode=mode, on_unused_input='ignore')")
        lines.append(f"    print(mode, [(np.asarray(o).dtype, o) for o in f({vals})])")
        lines.append("with np.errstate(all='ignore'):")
        lines.append(f"    print('numpy', [(np.asarray(o).dtype, o) for o in [{', '.join(t.np_text for t in self.terms)}]])")
        return "\n".join(lines)


def _literal(a: np.ndarray) -> str:
    def one(x: Any) -> str:
        if isinstance(x, bool):
            return repr(x)
        if isinstance(x, float):
            return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf") if math.isinf(x) else repr(x)
        return repr(int(x))

    def rec(x: Any) -> str:
        return "[" + ", ".join(rec(e) for e in x) + "]" if isinstance(x, list) else one(x)

    return rec(a.tolist())


def _const_text(c: Any) -> str:
    if isinstance(c, float) and (math.isnan(c) or math.isinf(c)):
        return "nan" if math.isnan(c) else ("inf" if c > 0 else "-inf")
    if isinstance(c, float) and c == 0 and math.copysign(1, c) < 0:
        return "-0.0"
    return repr(c)


def _paren(t: Term) -> str:
    if t.is_const:
        return f"({t.text})" if t.text.startswith("-") else t.text
    return t.text if t.text.isidentifier() else f"({t.text})"


def _format(fmt: str, args: Sequence[Term]) -> str:
    """The step's text: ``T.f(a, b)`` takes its arguments as they are, operators parenthesised."""
    return fmt.format(*[a.text if fmt.startswith("T.") else _paren(a) for a in args])


def _np_switch(cond: Any, ift: Any, iff: Any) -> Any:
    """NumPy's ``where``, but raising OverflowError for a Python int branch outside the other
    branch's integer dtype, as ``int8_x + 300`` does: NumPy's ``where`` wraps it silently (300
    -> 44), the framework's ``switch`` refuses it when built (a documented deviation,
    docs/tensor.md "Python scalars are weak")."""
    for a, b in ((ift, iff), (iff, ift)):
        if type(a) is int and getattr(b, "dtype", None) is not None and b.dtype.kind in "iu":
            info = np.iinfo(b.dtype)
            if not info.min <= a <= info.max:
                raise OverflowError(f"Python integer {a} out of bounds for {b.dtype}")
    return np.where(cond, ift, iff)


def _np_eval(fn: Callable[..., Any], vals: Sequence[Any]) -> Any:
    with np.errstate(all="ignore"):
        return fn(*vals)


def _deviation(moved: Any, value: Any) -> np.ndarray:
    m, v = np.asarray(moved).astype("float64"), np.asarray(value).astype("float64")
    if m.shape != v.shape:
        return np.full(np.shape(v), np.inf)
    with np.errstate(all="ignore"):
        d = np.abs(m - v)
    same = (m == v) | (np.isnan(m) & np.isnan(v))
    return np.where(same, 0.0, np.where(np.isfinite(d), d, np.inf))


def _propagated(name: str, fn: Callable[..., Any], args: List[Term], value: Any) -> np.ndarray:
    """How far the step's value may move when each argument moves within its ``err``."""
    total = np.zeros(np.shape(value))
    for i, a in enumerate(args):
        if a.is_const or not np.any(a.err):
            continue
        base = np.asarray(a.value)
        if base.dtype.kind != "f":
            continue
        dev = np.zeros(np.shape(value))
        for step in (-1.0, -0.5, 0.5, 1.0):
            with np.errstate(all="ignore"):
                moved = (base.astype("float64") + step * np.asarray(a.err)).astype(base.dtype)
            vals = [t.value for t in args]
            vals[i] = moved
            try:
                dev = np.maximum(dev, _deviation(_np_eval(fn, vals), value))
            except Exception:
                raise Hazard("a moved argument makes NumPy raise")
        if name in PERIODIC_ROWS:
            dev = np.where(np.broadcast_to(np.asarray(a.err), dev.shape) > 0.1, np.inf, dev)
        is_step = name in STEP_ROWS or name.startswith("cast_") and np.dtype(name[5:]).kind in "biu" \
            or (name == "switch" and i == 0) or name in ("and", "or", "xor", "invert")
        if is_step and np.any(dev):
            raise Hazard("a rounding-sensitive step on a float a math library computed, too near a step")
        total = total + dev
    return total


def _owner_name(v: Any) -> str:
    owner = getattr(v, "owner", None)
    if owner is None:
        return ""
    scalar = getattr(owner.op, "scalar", None)
    return scalar.name if scalar is not None else getattr(owner.op, "kind", "")


def _stabilizable(name: str, args: Sequence[Term]) -> bool:
    """Whether FAST_RUN's stabilisations (docs/rewrites.md, "stabilisation") may rewrite this step:
    ``log(1 + x)`` -> ``log1p``, ``log(exp(a) + exp(b))`` -> ``logaddexp``, ``log(sum(exp(x)))`` ->
    ``logsumexp``, ``log1p(exp(x))`` -> ``softplus``, ``exp(x) - 1`` -> ``expm1``,
    ``1 / (1 + exp(-x))`` -> ``sigmoid``. They change values on purpose (finite where NumPy's
    form overflows, digits where it cancels)."""
    owners = [_owner_name(a.var) for a in args if not a.is_const]
    if name == "log":
        return any(o in ("add", "sub", "sum", "exp", "true_div") for o in owners)
    if name == "log1p":
        return any(o in ("exp", "neg", "sub") for o in owners)
    if name in ("sub", "add"):
        return "exp" in owners
    if name == "true_div":
        return any(o in ("add", "exp") for o in owners)
    return False


def _zero_tie(name: str, vals: Sequence[Any], axes: Any = None) -> None:
    """Raise Hazard where a tie row meets -0.0 and +0.0 (NumPy's SIMD loops pick either)."""
    if name not in TIE_ROWS:
        return
    floats = [np.asarray(v) for v in vals if np.asarray(v).dtype.kind == "f" or isinstance(v, float)]
    if name in ("max", "min"):
        x = np.asarray(vals[0])
        if x.dtype.kind == "f" and np.any((x == 0) & np.signbit(x)) and np.any((x == 0) & ~np.signbit(x)):
            raise Hazard("max/min over -0.0 and +0.0")
        return
    if name == "relu":
        floats.append(np.zeros(()))
    neg = any(np.any((f == 0) & np.signbit(f)) for f in floats)
    pos = any(np.any((f == 0) & ~np.signbit(f)) for f in floats) or (
        name == "relu" or any(isinstance(v, int) and v == 0 for v in vals))
    if neg and pos:
        raise Hazard("a tie of -0.0 and +0.0")


def _check_cast(src: Any, dtype: str) -> None:
    """A float -> int conversion of NaN, inf or a value out of range is undefined in NumPy."""
    s = np.asarray(src)
    if np.dtype(dtype).kind not in "iu" or s.dtype.kind != "f":
        return
    t = np.trunc(s.astype("float64"))
    ii = np.iinfo(dtype)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(t) & (t >= float(ii.min)) & (t < float(ii.max) + 1.0)
    if not np.all(ok):
        raise Hazard("float -> int conversion of a value the int cannot hold")


def _check_min_div(name: str, vals: Sequence[Any], out: Any) -> None:
    out = np.asarray(out)
    if name in ("int_div", "mod") and out.dtype.kind == "i":
        with np.errstate(all="ignore"):
            a, b = (np.asarray(v).astype(out.dtype) if not isinstance(v, (int, float)) else np.asarray(v)
                    for v in vals)
        if np.any((a == np.iinfo(out.dtype).min) & (b == -1)):
            raise Hazard("MIN // -1")


class Builder:
    """Draws the steps of one seed's expression."""

    def __init__(self, seed: int) -> None:
        self.R = random.Random(seed)
        self.rng = np.random.RandomState(seed % 2 ** 32)
        self.seed = seed

    def inputs(self) -> Tuple[list, list, List[Term]]:
        R = self.R
        frame = tuple(0 if R.random() < 0.06 else R.randint(1, 3) for _ in range(3))
        inputs, values, pool = [], [], []
        for k in range(R.randint(1, 3)):
            dtype = R.choice(INPUT_DTYPES)
            nd = R.choice([0, 1, 1, 2, 2, 2, 3])
            full = frame[3 - nd:] if nd else ()
            shape = tuple(s if R.random() < 0.8 else 1 for s in full)
            static = tuple(s if s == 1 or R.random() < 0.2 else None for s in shape)
            var = TensorType(dtype, static)(f"x{k}")
            val = random_values(self.rng, shape, dtype)
            if values and R.random() < 0.35:  # equal (or negated) values across inputs: x - y == 0
                val = near_values(self.rng, values[0], val)
            inputs.append(var)
            values.append(val)
            pool.append(Term(var, val, var.name, f"{var.name}_v"))
        return inputs, values, pool

    def operand(self, pool: List[Term], steps: List[Term], tensor: bool) -> Term:
        R = self.R
        if not tensor and R.random() < 0.35:
            c = R.choice(CONSTANTS)
            if R.random() < 0.15:  # a NumPy scalar: typed, not weak (NEP 50), a constant of the graph
                dt = R.choice(DTYPES)
                with np.errstate(all="ignore"):
                    v = _exactly(c, np.dtype(dt))
                if v is not None:
                    text = f"np.{dt}({_const_text(c)})"
                    return Term(T.constant(v), v, f"T.constant({text})", text)
            return Term(c, c, _const_text(c), _const_text(c), is_const=True)
        if steps and R.random() < 0.7:
            return R.choice(steps[-2:])
        return R.choice(pool + steps)

    def step(self, pool: List[Term], steps: List[Term]) -> Tuple[str, List[Term], str, str, Callable]:
        """One drawn step: (name, args, framework format, NumPy format, NumPy function); the
        formats take the arguments' texts as ``{0}``, ``{1}``, ..."""
        R = self.R
        kind = R.random()
        if kind < 0.1:
            a = self.operand(pool, steps, True)
            dt = R.choice(CAST_DTYPES)
            fmt = R.choice([f"T.cast({{0}}, {dt!r})", f"{{0}}.astype({dt!r})"])
            return f"cast_{dt}", [a], fmt, f"np.asarray({{0}}).astype({dt!r})", \
                (lambda x, _d=dt: np.asarray(x).astype(_d))
        if kind < 0.3:
            return self.reduction(pool, steps)
        name = R.choice(ROW_DRAW)
        fn, spellings = ROWS[name]
        args = [self.operand(pool, steps, True)] + [self.operand(pool, steps, False) for _ in range(ARITY[name] - 1)]
        if len(args) > 1 and R.random() < 0.3:
            R.shuffle(args)
        fmt = R.choice(spellings)
        if fmt.startswith("method:"):
            fmt = fmt[7:] if not args[0].is_const else spellings[0]
        np_name = "maximum" if name == "relu" else fn.__name__
        np_fmt = f"np.{np_name}({', '.join('{%d}' % i for i in range(len(args)))}{', 0' if name == 'relu' else ''})"
        return name, args, fmt, np_fmt, fn

    def reduction(self, pool: List[Term], steps: List[Term]):
        R = self.R
        kind = R.choice(REDUCTIONS)
        a = self.operand(pool, steps, True)
        nd = np.ndim(a.value)
        r = R.random()
        if r < 0.3 or kind in ("argmax", "argmin") and r < 0.4 or nd == 0 and r < 0.9:
            # an int axis of a 0-d input: NumPy's ufunc reductions take 0 and -1 (a legacy quirk;
            # np.mean/var/std refuse them), the framework refuses both -- drawn only now and then,
            # where both must refuse (a tuple)
            axis: Any = None
        elif nd == 0:
            axis = R.choice([(0,), (-1,), 1, (0, 0)]) if kind not in ("argmax", "argmin") else 1
        elif r < 0.75 or kind in ("argmax", "argmin"):
            # argmax/argmin with a tuple: NumPy raises TypeError, the framework ValueError (see the report)
            axis = R.randint(-nd, nd - 1)
        elif r < 0.95:
            k = R.randint(1, nd)
            axis = tuple(R.sample(range(nd), k))
            axis = tuple(ax - nd if R.random() < 0.3 else ax for ax in axis)
        else:
            axis = R.choice([nd, -nd - 1, (0, 0) if nd else (0,), (0, -nd) if nd else (1,)])
        kw: Dict[str, Any] = {}
        if axis is not None or R.random() < 0.5:
            kw["axis"] = axis
        if R.random() < 0.4:
            kw["keepdims"] = R.random() < 0.7
        fw_kw, np_kw = dict(kw), dict(kw)
        post = None
        if kind in ("sum", "prod", "mean") and R.random() < 0.3:
            fw_kw["dtype"] = np_kw["dtype"] = R.choice(CAST_DTYPES)
            if kind == "mean":
                # documented deviation (docs/theano.md "mean(x, axis, dtype, ...)": "sum in acc_dtype,
                # result in dtype"; the docstring: "dtype the result"): the mean computed as without
                # dtype= and cast, where np.mean(dtype=d) accumulates and divides in d
                post = np_kw.pop("dtype")
        if kind in ("sum", "prod") and R.random() < 0.15:
            acc = R.choice(DTYPES)
            fw_kw["acc_dtype"] = acc  # accumulate in acc_dtype (NumPy's dtype=), then return dtype
            post = np_kw.get("dtype")
            np_kw["dtype"] = acc
            if post is not None and np.dtype(post).kind in "iu" and np.dtype(acc).kind == "f":
                post = None  # a float accumulator cast to an int: the cast may be undefined (checked below)
                del fw_kw["dtype"]
        if kind in ("var", "std") and R.random() < 0.4:
            fw_kw["ddof"] = np_kw["ddof"] = R.choice([0, 1, 2, 3])
        kws = "".join(f", {k}={v!r}" for k, v in fw_kw.items())
        npkws = "".join(f", {k}={v!r}" for k, v in np_kw.items())
        if kind in METHODS and R.random() < 0.5 and not a.is_const:
            fmt = f"{{0}}.{kind}({kws[2:]})"
        else:
            fmt = f"T.{kind}({{0}}{kws})"
        np_fmt = f"np.{kind}({{0}}{npkws})"
        if post is not None:
            np_fmt = f"np.asarray({np_fmt}).astype({post!r})"
        np_fn = getattr(np, kind)

        def fn(x: Any, _f=np_fn, _kw=np_kw, _post=post) -> Any:
            out = _f(x, **_kw)
            return np.asarray(out).astype(_post)[()] if _post is not None else out

        self.mean_kw = {k: v for k, v in np_kw.items() if k in ("axis", "keepdims")}
        return kind, [a], fmt, np_fmt, fn

    def apply(self, name: str, args: List[Term], fmt: str, np_fmt: str, fn: Callable) -> Term:
        """NumPy's value of the step (or what NumPy raised) and the framework's node; raises
        Hazard where the step is kept out, and ``_BuildError`` where the framework refuses it."""
        vals = [a.value for a in args]
        text = _format(fmt, args)
        np_text = np_fmt.format(*[a.np_text for a in args])
        try:
            value = _np_eval(fn, vals)
            exc = None
        except Exception as e:  # NumPy refuses: the framework must too
            value, exc = None, e
        if exc is None:
            if name.startswith("cast_"):
                _check_cast(vals[0], name[5:])
            if name in ("sum", "prod", "mean") and "dtype=" in fmt:
                for dt in fmt.split("dtype=")[1:]:
                    _check_cast(vals[0] if name != "mean" else np.mean(vals[0], **self.mean_kw), dt.split("'")[1])
            _check_min_div(name, vals, value)
            _zero_tie(name, vals)
            if name == "pow" and np.size(value) == 0 and np.asarray(value).dtype.kind in "iu" and any(
                    a.is_const and isinstance(a.value, int) and a.value < 0 for a in args[1:]):
                # an integer to a negative Python int: NumPy raises for every element, so only an
                # empty array passes; the framework refuses it when building (defensible, see the report)
                raise Hazard("an empty integer array to a negative Python int power")
        local = {f"_a{i}": a.var for i, a in enumerate(args)}
        try:
            with np.errstate(all="ignore"):
                var = eval(fmt.format(*[f"_a{i}" for i in range(len(args))]),  # noqa: S307
                           {"T": T, "np": np, "inf": math.inf, "nan": math.nan}, local)
        except Exception as e:
            raise _BuildError(e, Term(None, value, text, np_text, raises=exc))
        stabilized = any(a.stabilized for a in args) or _stabilizable(name, args)
        if exc is not None:
            return Term(var, None, text, np_text, raises=exc, stabilized=stabilized)
        err = _propagated(name, fn, args, value)
        value_arr = np.asarray(value)
        if value_arr.dtype.kind != "f":
            return Term(var, value, text, np_text, stabilized=stabilized)
        if name in LIBM_ROWS or name in ("var", "std"):
            tol = tolerance(value_arr.dtype.name)
            if name in ("var", "std"):  # mean(c*c) * n/(n - ddof) rather than sum(c*c) / (n - ddof)
                tol *= 8
            with np.errstate(all="ignore"):
                own = tol * np.abs(value_arr.astype("float64")) + tol * float(np.finfo(value_arr.dtype).tiny)
            err = err + np.where(np.isfinite(own), own, 0.0)
        return Term(var, value, text, np_text, err if np.any(err) else 0.0, stabilized=stabilized)


class _BuildError(Exception):
    def __init__(self, error: BaseException, np_term: Term) -> None:
        super().__init__(str(error))
        self.error, self.np_term = error, np_term


def random_case(seed: int) -> Optional[Case]:
    """The expression of ``seed`` (None where no step applies)."""
    b = Builder(seed)
    R = b.R
    inputs, values, pool = b.inputs()
    steps: List[Term] = []
    texts: List[str] = []
    n_ops = R.randint(1, 5)
    attempts = 0
    while len(steps) < n_ops and attempts < 60:
        attempts += 1
        name, args, fmt, np_fmt, fn = b.step(pool, steps)
        if all(a.is_const for a in args):
            continue
        try:
            term = b.apply(name, args, fmt, np_fmt, fn)
        except Hazard:
            continue
        except _BuildError as e:
            if e.np_term.raises is not None and R.random() < 0.8:
                continue  # refused by both: checked below only now and then (mostly dtype errors)
            return Case(seed, inputs, values, [], texts + [e.np_term.text], build_error=e.error,
                        build_text=e.np_term.text, build_np=e.np_term)
        if term.raises is not None and R.random() < 0.7:
            continue
        steps.append(term)
        texts.append(term.text)
        if term.raises is not None:
            break  # NumPy raises here: the last step, an output
    if not steps:
        return None
    outs = [steps[-1]]
    if len(steps) > 1 and R.random() < 0.3:
        other = R.choice(steps[:-1])
        if other.var is not steps[-1].var and other.raises is None:
            outs.insert(0, other)
    return Case(seed, inputs, values, outs, texts)


# --------------------------------------------------------------------------- running and comparing

def run_case(case: Case, mode: str) -> Outcome:
    try:
        f = function(case.inputs, [t.var for t in case.terms], mode=mode, on_unused_input="ignore")
    except Exception as e:
        return Outcome("compile-error", error=e)
    try:
        with np.errstate(all="ignore"):
            return Outcome("ok", [np.asarray(v) for v in f(*[v.copy() for v in case.values])])
    except Exception as e:
        return Outcome("error", error=e)


def value_difference(x: np.ndarray, y: np.ndarray, err: Any) -> Optional[str]:
    """None where the framework's ``y`` agrees with NumPy's ``x`` (same dtype and shape)."""
    if x.dtype.kind in "biu":
        if np.array_equal(x, y):
            return None
        bad = x != y
        return f"values differ at {_where(bad)}: numpy {_at(x, bad)} framework {_at(y, bad)}"
    xf, yf = x.astype("float64"), y.astype("float64")
    err = np.broadcast_to(np.asarray(err, dtype="float64"), x.shape)
    bounded = np.isfinite(err)
    exact = err == 0
    with np.errstate(all="ignore"):
        far = np.abs(xf - yf) > err
    bits = x.view(f"u{x.dtype.itemsize}") != y.view(f"u{y.dtype.itemsize}")
    both_nan = np.isnan(xf) & np.isnan(yf)
    checks = [("NaN", bounded & (np.isnan(xf) != np.isnan(yf))),
              ("+inf", bounded & (np.isposinf(xf) != np.isposinf(yf))),
              ("-inf", bounded & (np.isneginf(xf) != np.isneginf(yf))),
              ("sign of zero", bounded & (xf == 0) & (yf == 0) & (np.signbit(xf) != np.signbit(yf))),
              ("value (bit for bit)", exact & bits & ~both_nan),
              ("value (beyond the math-library allowance)", ~exact & bounded & np.isfinite(xf) & np.isfinite(yf)
               & far)]
    for what, bad in checks:
        if np.any(bad):
            return f"{what} differs at {_where(bad)}: numpy {_at(x, bad)} framework {_at(y, bad)}"
    return None


def _where(bad: np.ndarray) -> str:
    return " ".join(str(tuple(int(i) for i in idx)) for idx in np.argwhere(bad)[:3]) if bad.ndim else "()"


def _at(a: np.ndarray, bad: np.ndarray) -> str:
    vals = a[bad] if bad.ndim else a.reshape(1)
    return "[" + ", ".join(repr(v.item()) for v in vals[:3]) + "]"


def _error_difference(np_error: BaseException, fw: BaseException, where: str) -> Optional[str]:
    if _builtin_bases(np_error) & _builtin_bases(fw):
        return None
    return (f"different kinds of error: numpy {type(np_error).__name__}: {str(np_error)[:120]}; framework "
            f"({where}) {type(fw).__name__}: {str(fw)[:160]}")


def mode_difference(case: Case, mode: str, got: Outcome) -> Optional[str]:
    last = case.terms[-1]
    if last.raises is not None:
        if got.status == "ok" and not (mode == "FAST_RUN" and last.stabilized):
            return (f"numpy raises {type(last.raises).__name__}: {str(last.raises)[:120]}; {mode} returns "
                    f"{[(v.dtype.name, v.shape) for v in got.values]}")
        return None if got.status == "ok" else _error_difference(last.raises, got.error, f"{mode} {got.status}")
    if got.status != "ok":
        return f"numpy gives a value; {mode} {got}"
    for i, (t, y) in enumerate(zip(case.terms, got.values)):
        x = np.asarray(t.value)
        if x.dtype != y.dtype or x.shape != y.shape:
            return f"output {i} ({t.text}): numpy {x.dtype} {x.shape}, {mode} {y.dtype} {y.shape}"
        if mode == "FAST_RUN" and t.stabilized:
            continue  # a documented stabilisation may have changed the value (dtype and shape kept)
        diff = value_difference(x, y, t.err)
        if diff is not None:
            return f"output {i} ({t.text}, {x.dtype}) in {mode}: {diff}"
    return None


def check_case(seed: int) -> Optional[str]:
    """None where both modes agree with NumPy on the seed's expression, else what differed."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow, division by zero, invalid: NumPy's own warnings
        return _check_case(seed)


def _check_case(seed: int) -> Optional[str]:
    case = random_case(seed)
    if case is None:
        return None
    if case.build_error is not None:
        np_exc = case.build_np.raises
        if np_exc is None:
            return (f"the framework refuses to build it ({type(case.build_error).__name__}: "
                    f"{str(case.build_error)[:200]}), numpy gives {np.asarray(case.build_np.value).dtype} "
                    f"| {case.describe()}")
        diff = _error_difference(np_exc, case.build_error, "building")
        return None if diff is None else f"{diff} | {case.describe()}"
    diffs = []
    for mode in MODES:
        d = mode_difference(case, mode, run_case(case, mode))
        if d is not None:
            diffs.append(d)
    return None if not diffs else f"{'; '.join(diffs)} | {case.describe()}"


# --------------------------------------------------------------------------- the tests

SMOKE = range(0, 100)
#: smoke seeds left out because they hit an open bug in files other engineers own (see the report)
KNOWN_FAILING_SMOKE: frozenset = frozenset()


def test_numpy_semantics_smoke() -> None:
    check_seeds([s for s in SMOKE if s not in KNOWN_FAILING_SMOKE], check_case)


@pytest.mark.slow
@pytest.mark.parametrize("seeds", seed_blocks(2000, block=100))
def test_numpy_semantics(seeds: range) -> None:
    check_seeds(seeds, check_case)


def _main(argv: Sequence[str]) -> int:
    import argparse
    import warnings

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", help="lo:hi (hi excluded): one line per failing seed")
    p.add_argument("--show", type=int, help="print one seed's reproduction and what differed")
    a = p.parse_args(argv)
    warnings.simplefilter("ignore")
    if a.show is not None:
        case = random_case(a.show)
        if case is None:
            print("no expression for this seed")
            return 0
        print(case.source())
        print("# allowed error per output (0: bit for bit):", [t.err for t in case.terms])
        print("# difference:", check_case(a.show))
        return 0
    lo, hi = (int(s) for s in a.seeds.split(":"))
    bad = 0
    for seed in range(lo, hi):
        msg = check_case(seed)
        if msg is not None:
            bad += 1
            print(f"seed={seed}: {msg}", flush=True)
    print(f"{bad} of {hi - lo} seeds failed")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
