"""CUDA source for fused element-wise programs, written without CuPy.

A fused node carries a backend-neutral *scalar program*: a list of steps,
each one row of the element-wise table (:data:`framework.core.elemwise.SCALAR_OPS`)
applied to the program's inputs, earlier steps or constants. This module turns
such a program, for given input dtypes, into the four strings a
``cupy.ElementwiseKernel`` is made from (parameters, body, name, preamble).
It is a pure function of (program, dtypes), so it is tested here without a
GPU: golden strings, and the same body compiled as host C++ and as CUDA.

Semantics follow NumPy, not C, wherever the two differ:

* every operand is cast to the step's *computation dtype* first (the output
  dtype, or the promoted input dtype for comparisons), so C's mixed-type
  rules never apply;
* float16 steps compute in float and round to half after each step;
* integer floor division and remainder round towards -inf and give 0 for a
  zero divisor; float remainder takes the divisor's sign; ``maximum`` and
  ``minimum`` propagate NaN; ``invert`` of a bool is logical not; integer
  ``pow`` is exact.

Programs that use a row without a C expression, or complex dtypes, cannot be
compiled: :func:`fused_source` returns None and the caller keeps the
unfused path.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from framework.core.fusion import Ref, Step  # the backend-neutral program: read, never extended here

@dataclass(frozen=True)
class KernelSource:
    """What ``cupy.ElementwiseKernel(in_params, out_params, operation, name,
    preamble=preamble)`` is made from."""

    name: str
    in_params: str
    out_params: str
    operation: str
    preamble: str
    #: whether the kernel takes the backend's error flags as its last input (``raw float64
    #: fw_flags``, see FLAGS_PARAM): only kernels with a signed integer power do
    flags: bool = False

    def as_cuda(self) -> str:
        """A stand-alone CUDA translation unit with the same body (for compile checks)."""
        return _standalone(self, device=True)

    def as_host_cpp(self) -> str:
        """A host C++ translation unit running the body over flat arrays (for tests)."""
        return _standalone(self, device=False)


# --- C types -------------------------------------------------------------------------

C_TYPES: Dict[str, str] = {
    "bool": "bool", "int8": "signed char", "int16": "short", "int32": "int", "int64": "long long",
    "uint8": "unsigned char", "uint16": "unsigned short", "uint32": "unsigned int",
    "uint64": "unsigned long long", "float16": "float16", "float32": "float", "float64": "double",
}


def c_type(dtype: str) -> str:
    """The C type CuPy uses for ``dtype`` in kernel parameters."""
    try:
        return C_TYPES[dtype]
    except KeyError:
        raise TypeError(f"dtype {dtype!r} has no C type for GPU kernels") from None


def _value_dtype(dtype: str) -> str:
    """The dtype a value is held in inside the kernel body (half computes in float)."""
    return "float32" if dtype == "float16" else dtype


# --- helpers every fused kernel may call ------------------------------------------------

PREAMBLE = r"""
#ifndef FW_FN
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define FW_FN __device__ __forceinline__
#else
#define FW_FN inline
#endif
#endif
template <typename T> FW_FN T fw_maximum(T a, T b) { return (a != a) ? a : ((b != b) ? b : (a >= b ? a : b)); }
template <typename T> FW_FN T fw_minimum(T a, T b) { return (a != a) ? a : ((b != b) ? b : (a <= b ? a : b)); }
// the unsigned type integer arithmetic wraps in (at least unsigned int: narrower types promote to int)
template <typename T> struct fw_uint { typedef unsigned int type; };
template <> struct fw_uint<long long> { typedef unsigned long long type; };
template <> struct fw_uint<unsigned long long> { typedef unsigned long long type; };
template <typename T> FW_FN T fw_floordiv(T a, T b) {
  if (b == 0) return 0;
  if (b < 0 && b == (T)-1) return (T)((typename fw_uint<T>::type)0 - (typename fw_uint<T>::type)a);  // MIN // -1 wraps
  T q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
  return q;
}
template <typename T> FW_FN T fw_floordiv_f(T a, T b) {  // NumPy's npy_divmod
  if (b == 0) return a / b;
  T m = fmod(a, b);
  T d = (a - m) / b;
  if (m != 0 && ((b < 0) != (m < 0))) d -= 1;
  if (d == 0) return copysign((T)0, a / b);
  T f = floor(d);
  if (d - f > (T)0.5) f += 1;
  return f;
}
FW_FN float fw_floordiv(float a, float b) { return fw_floordiv_f<float>(a, b); }
FW_FN double fw_floordiv(double a, double b) { return fw_floordiv_f<double>(a, b); }
template <typename T> FW_FN T fw_mod(T a, T b) {
  if (b == 0 || (b < 0 && b == (T)-1)) return 0;  // MIN % -1 is 0
  T r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}
template <typename T> FW_FN T fw_mod_f(T a, T b) {
  if (b == 0) return fmod(a, b);
  T m = fmod(a, b);
  if (m != 0) { if ((b < 0) != (m < 0)) m += b; } else { m = copysign((T)0, b); }
  return m;
}
FW_FN float fw_mod(float a, float b) { return fw_mod_f<float>(a, b); }
FW_FN double fw_mod(double a, double b) { return fw_mod_f<double>(a, b); }
// a ** b for b >= 0 (an unsigned type, or checked by the caller), wrapping like NumPy
template <typename T> FW_FN T fw_ipow(T a, T b) {
  typedef typename fw_uint<T>::type U;
  U r = 1, x = (U)a, e = (U)b;
  while (e) { if (e & 1) r *= x; x *= x; e >>= 1; }
  return (T)r;
}
// a signed ** b: NumPy raises for b < 0; here the kernel sets *err (the backend raises the
// same ValueError when results next come back to the host) and gives what C would
template <typename T> FW_FN T fw_ipow(T a, T b, double* err) {
  if (b < 0) {
    *err = 1.0;
    return (a == 1) ? (T)1 : ((a == (T)-1) ? ((b & 1) ? (T)-1 : (T)1) : (T)0);
  }
  return fw_ipow(a, b);
}
FW_FN bool fw_ipow(bool a, bool b) { return a || !b; }
"""


# --- expressions ------------------------------------------------------------------------

def _literal(value: Any, dtype: Optional[str]) -> Tuple[str, str]:
    """C text and dtype of a constant; weak Python scalars get their natural dtype."""
    if isinstance(value, np.generic):
        dtype = dtype or value.dtype.name
        value = value.item()
    if isinstance(value, (bool, np.bool_)):
        return ("true" if value else "false"), dtype or "bool"
    if isinstance(value, int):
        if value > 2**64 - 1 or value < -2**63:  # no C integer holds it: only a float computation can use it
            return _weak_int_as_float(value, "float64"), dtype or "float64"
        if value > 2**63 - 1:
            return f"{value}ULL", dtype or "uint64"
        if value == -2**63:  # "-9223372036854775808LL" negates a literal too large for long long
            return "(-9223372036854775807LL - 1)", dtype or "int64"
        return (f"({value}LL)" if value < 0 else f"{value}LL"), dtype or "int64"
    if isinstance(value, float):
        return _float_text(value), dtype or "float64"
    raise TypeError(f"cannot write the constant {value!r} into a GPU kernel")


def _float_text(value: float) -> str:
    """C text of a double, exact (NaN and infinities by their bits; negatives in parentheses)."""
    if math.isnan(value):
        return "__longlong_as_double(0x7ff8000000000000LL)"
    if math.isinf(value):
        return f"__longlong_as_double({'0xfff0000000000000LL' if value < 0 else '0x7ff0000000000000LL'})"
    text = repr(value)
    return f"({text})" if text.startswith("-") else text


def _weak_int_as_float(value: int, dtype: str) -> str:
    """C text of a weak Python int in a float computation: NumPy converts it to ``dtype``
    through a double (two roundings for float32), where a C cast of the integer rounds once."""
    try:
        as_double = float(value)
    except OverflowError:
        as_double = math.inf if value > 0 else -math.inf
    with np.errstate(all="ignore"):
        converted = float(np.asarray(as_double, dtype=dtype))
    return _float_text(converted)


def _cast(expr: str, src: str, dst: str) -> str:
    """``expr`` (holding a ``src`` value) as a ``dst`` value."""
    if _value_dtype(src) == _value_dtype(dst):
        return expr
    return f"(({c_type(_value_dtype(dst))})({expr}))"


def _kind(dtype: str) -> str:
    return np.dtype(dtype).kind  # 'b', 'i', 'u', 'f'


def _weak_aware_result_type(args: Sequence[Tuple[str, str, Any]]) -> str:
    """NumPy's promotion of the operands (weak Python constants do not upcast)."""
    parts = [weak if weak is not None else np.dtype(dt) for _, dt, weak in args]
    return np.result_type(*parts).name


# --- the lowering table: one C expression per row of the element-wise table ----------------
# Keyed by the row's name. A value is a format string over the operands (``{k}``:
# operand k, already of the computation dtype) or ``rule(kind, ctype, operands)``
# for rows whose C form depends on the computation dtype's kind ('b', 'i', 'u',
# 'f') or C type. Rows a plugin gives bring their own ``exprs["cuda"]``
# (ScalarOpSpec); casts (``cast_<dtype>``) are C casts.

Rule = Union[str, Callable[[str, str, Sequence[str]], str]]


def _int_or(text: str) -> Rule:
    """Identity on bool/int operands (NumPy keeps them), ``text`` on floats."""
    return lambda k, ct, o: o[0] if k in "biu" else text.format(*o)


#: the unsigned C type a signed (or narrow unsigned) integer computes in so that it wraps like
#: NumPy: signed overflow is undefined behaviour in C, and a compiler may assume it never happens
#: (unsigned char and unsigned short promote to int, so they need unsigned int as well)
_WRAP = {"signed char": "unsigned int", "short": "unsigned int", "int": "unsigned int",
         "long long": "unsigned long long", "unsigned char": "unsigned int", "unsigned short": "unsigned int"}


def _wrapping(fmt: str, neutral: str) -> Rule:
    """``fmt`` over the operands; on integers computed in the unsigned type of the same width
    and cast back (two's complement wraparound, as NumPy; the casts cost nothing)."""
    def rule(k: str, ct: str, o: Sequence[str]) -> str:
        u = _WRAP.get(ct) if k in "iu" else None
        if u is None:
            return neutral.format(*o)
        return f"(({ct})({fmt.format(*(f'(({u})({x}))' for x in o))}))"
    return rule


def _abs(k: str, ct: str, o: Sequence[str]) -> str:
    a = o[0]
    if k in "bu":
        return a
    if k == "f":
        return f"fabs({a})"  # +0.0 for both zeros
    u = _WRAP[ct]
    return f"(({ct})({a} < 0 ? ({u})0 - ({u})({a}) : ({u})({a})))"  # abs(MIN) is MIN, as NumPy


def _sgn(k: str, ct: str, o: Sequence[str]) -> str:
    a = o[0]
    if k == "f":  # NumPy: +0.0 for both zeros, NaN for NaN
        return f"({a} > 0 ? ({ct})1 : ({a} < 0 ? ({ct})-1 : ({a} == 0 ? ({ct})0 : {a})))"
    return f"(({ct})(({a} > 0) - ({a} < 0)))"


def _float_test(fn: str) -> Rule:
    return lambda k, ct, o: f"{fn}({o[0]})" if k == "f" else "false"


CUDA: Dict[str, Rule] = {
    "add": _wrapping("({0} + {1})", "({0} + {1})"), "sub": _wrapping("({0} - {1})", "({0} - {1})"),
    "mul": _wrapping("({0} * {1})", "({0} * {1})"), "true_div": "({0} / {1})",
    "int_div": "fw_floordiv({0}, {1})", "mod": "fw_mod({0}, {1})",
    "pow": lambda k, ct, o: f"fw_ipow({o[0]}, {o[1]})" if k in "biu" else f"pow({o[0]}, {o[1]})",
    "maximum": "fw_maximum({0}, {1})", "minimum": "fw_minimum({0}, {1})",
    "neg": _wrapping("(0u - {0})", "(-{0})"), "abs": _abs, "sgn": _sgn,
    "floor": _int_or("floor({0})"), "ceil": _int_or("ceil({0})"), "round": _int_or("rint({0})"),
    "trunc": _int_or("trunc({0})"),
    "conj": "({0})", "real": "({0})",  # of a real value: itself (the CUDA table's dtypes are real)
    "imag": lambda k, ct, o: f"(({ct})0)",  # of a real value: zero
    "exp": "exp({0})", "exp2": "exp2({0})", "expm1": "expm1({0})", "log": "log({0})", "log2": "log2({0})",
    "log10": "log10({0})", "log1p": "log1p({0})", "sqrt": "sqrt({0})", "sqr": _wrapping("({0} * {0})", "({0} * {0})"),
    "tanh": "tanh({0})", "sin": "sin({0})", "cos": "cos({0})", "tan": "tan({0})", "arctan": "atan({0})",
    "arcsin": "asin({0})", "arccos": "acos({0})", "arctan2": "atan2({0}, {1})", "arcsinh": "asinh({0})",
    "arccosh": "acosh({0})", "arctanh": "atanh({0})",
    "sinh": "sinh({0})", "cosh": "cosh({0})",
    "sigmoid": "(1 / (1 + exp(-{0})))",
    "softplus": "(({0}) > 0 ? ({0}) + log1p(exp(-({0}))) : log1p(exp({0})))",
    # max(z, 0) - t*z + log1p(exp(-|z|))
    "sigmoid_xent": lambda k, ct, o: (f"(fw_maximum({o[0]}, ({ct})0) - {o[1]} * {o[0]} + "
                                      f"log1p(exp(-({o[0]} > 0 ? {o[0]} : -{o[0]}))))"),
    # NumPy's logaddexp: equal arguments (infinities included) give a + log 2; NaN propagates
    "logaddexp": lambda k, ct, o: (f"({o[0]} == {o[1]} ? {o[0]} + ({ct})0.6931471805599453 : "
                                   f"({o[0]} > {o[1]} ? {o[0]} + log1p(exp({o[1]} - {o[0]})) : "
                                   f"{o[1]} + log1p(exp({o[0]} - {o[1]}))))"),
    "relu": lambda k, ct, o: f"fw_maximum({o[0]}, ({ct})0)",
    "lt": "({0} < {1})", "le": "({0} <= {1})", "gt": "({0} > {1})", "ge": "({0} >= {1})",
    "eq": "({0} == {1})", "neq": "({0} != {1})",
    "and": "({0} & {1})", "or": "({0} | {1})", "xor": "({0} ^ {1})",
    "invert": lambda k, ct, o: f"(!{o[0]})" if k == "b" else f"(~{o[0]})",
    "isnan": _float_test("isnan"), "isinf": _float_test("isinf"),
    "switch": "({0} ? {1} : {2})", "clip": "fw_minimum(fw_maximum({0}, {1}), {2})",
    "identity": "({0})", "zeros_like": "0", "ones_like": "1", "second": "({1})",
    "xlogx": "(({0}) == 0 ? 0 : ({0}) * log(({0}) == 0 ? 1 : ({0})))",
    "xlogy0": "(({0}) == 0 ? 0 : ({0}) * log(({0}) == 0 ? 1 : ({1})))",
}


#: built-in rows with no C form on purpose: their results are complex, and the kernels compile real
#: dtypes only (such a node runs as CuPy's own functions)
NO_C_FORM = frozenset({"complex"})


def cuda_rule(op: str) -> Optional[Rule]:
    """The C form of table row ``op``: this table's entry, a cast, or the
    ``exprs["cuda"]`` of the plugin that gave the row (None: no C form)."""
    rule = CUDA.get(op)
    if rule is not None:
        return rule
    if op.startswith("cast_") and op[5:] in C_TYPES:
        return f"(({C_TYPES[op[5:]]})({{0}}))"
    from framework.core.elemwise import SCALAR_OPS

    row = SCALAR_OPS.get(op)
    return (row.exprs.get("cuda") or None) if row is not None and row.plugin != "kernel" else None


def scalar_expression(op: str, compute: str, operands: Sequence[str], out_dtype: str) -> Optional[str]:
    """The C expression of table row ``op`` on ``operands`` (already of dtype
    ``compute``), or None when the row has no C form."""
    rule = cuda_rule(op)
    if rule is None:
        return None
    if isinstance(rule, str):
        return rule.format(*operands)
    return rule(_kind(compute), c_type(_value_dtype(compute)), operands)


def _computation_dtype(op: str, step_dtype: str, args: Sequence[Tuple[str, str, Any]]) -> Optional[str]:
    """The dtype operands are cast to before ``op`` runs (None: keep each as it is)."""
    from framework.core.elemwise import SCALAR_OPS

    row = SCALAR_OPS.get(op)
    if op.startswith("cast_") or op in ("identity",):
        return None
    if row is not None and row.is_comparison:
        return _weak_aware_result_type(args)
    return step_dtype


# --- steps whose C form depends on more than the computation dtype ------------------------

#: the error flags a kernel may set: a float64 device array the backend passes as the last
#: input (``raw float64 fw_flags``) to kernels whose ``KernelSource.flags`` is true, and reads
#: when results next come back to the host (the CuPy backend's deferred errors, shared with
#: its random draws: ``framework_backend_cupy.random.FLAGS``); slot FLAG_INT_POW_NEGATIVE: an
#: integer raised to a negative integer power (NumPy raises ValueError)
FLAGS_PARAM = "fw_flags"
FLAG_INT_POW_NEGATIVE = 6

_EXACT_COMPARISONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "neq": "!="}
#: ``a OP b`` when a < b for sure, and when a > b for sure
_WHEN_LESS = {"lt": True, "le": True, "gt": False, "ge": False, "eq": False, "neq": True}
_WHEN_GREATER = {"lt": False, "le": False, "gt": True, "ge": True, "eq": False, "neq": True}


def _is_weak_int(arg: Tuple[str, str, Any]) -> bool:
    return type(arg[2]) is int  # a weak Python int (not a bool)


def _as(arg: Tuple[str, str, Any], dtype: str) -> str:
    """C text of operand ``arg`` as a ``dtype`` value (a weak int in a float computation is
    converted the way NumPy converts it)."""
    text, dt, weak = arg
    if type(weak) is int and _kind(dtype) == "f":
        return _cast(_weak_int_as_float(weak, dtype), "float64", dtype)
    return _cast(text, dt, dtype)


def _out_of_range(value: int, dtype: str) -> int:
    """-1 / 1 where the Python int ``value`` is below / above integer ``dtype``'s range, else 0."""
    info = np.iinfo(dtype)
    return -1 if value < info.min else (1 if value > info.max else 0)


def _comparison(op: str, args: Sequence[Tuple[str, str, Any]], compute: str) -> Optional[str]:
    """The C form of a comparison where NumPy 2 compares exact values and a cast would not
    (None: the table's rule on operands cast to ``compute`` is exact)."""
    (ta, da, _), (tb, db, _) = args
    if _kind(compute) in "iu":
        # a weak Python int outside the other operand's range: NumPy 2 compares the values, so
        # the result is the same for every element (a C cast would wrap the constant)
        for k, arg in enumerate(args):
            if _is_weak_int(arg):
                side = _out_of_range(arg[2], compute)
                if side:
                    const_is_less = side < 0
                    other_is_less = not const_is_less
                    a_is_less = const_is_less if k == 0 else other_is_less
                    return "true" if (_WHEN_LESS if a_is_less else _WHEN_GREATER)[op] else "false"
        return None
    # uint64 against a signed integer: NumPy 2 compares exactly (its 'qQ->?' loops), where the
    # promoted float64 would round both to 2**63
    kinds = (_kind(da), _kind(db))
    if args[0][2] is None and args[1][2] is None and {da, db} & {"uint64"} and "i" in kinds and "u" in kinds:
        sym = _EXACT_COMPARISONS[op]
        if kinds[0] == "i":
            s = _cast(ta, da, "int64")
            return (f"({s} < 0 ? {'true' if _WHEN_LESS[op] else 'false'} : "
                    f"((unsigned long long)({s}) {sym} {_cast(tb, db, 'uint64')}))")
        s = _cast(tb, db, "int64")
        return (f"({s} < 0 ? {'true' if _WHEN_GREATER[op] else 'false'} : "
                f"({_cast(ta, da, 'uint64')} {sym} (unsigned long long)({s})))")
    return None


def _clip(args: Sequence[Tuple[str, str, Any]], compute: str) -> str:
    """``clip(x, lo, hi)``: as NumPy's ``np.clip``, a weak Python int bound beyond an integer
    ``x``'s range is dropped (not cast: ``clip(uint8 x, 0, 300)`` is ``x``)."""
    x, lo, hi = args
    keep_lo = keep_hi = True
    if _kind(x[1]) in "iu":
        keep_lo = not (_is_weak_int(lo) and lo[2] <= np.iinfo(x[1]).min)
        keep_hi = not (_is_weak_int(hi) and hi[2] >= np.iinfo(x[1]).max)
    expr = _as(x, compute)
    if keep_lo:
        expr = f"fw_maximum({expr}, {_as(lo, compute)})"
    if keep_hi:
        expr = f"fw_minimum({expr}, {_as(hi, compute)})"
    return expr


def fused_source(steps: Sequence[Step], outputs: Sequence[Ref], in_dtypes: Sequence[str],
                 out_dtypes: Optional[Sequence[str]] = None) -> Optional[KernelSource]:
    """The ``cupy.ElementwiseKernel`` source of a scalar program.

    ``steps`` run in order; ``outputs`` name the refs written to the outputs;
    ``in_dtypes`` are the inputs' dtypes. Returns None if some step cannot be
    written in C (no ``c_expr``, an unknown row, a complex dtype).
    """
    try:
        return _fused_source(tuple(steps), tuple(outputs), tuple(in_dtypes),
                             tuple(out_dtypes) if out_dtypes is not None else None)
    except _Unsupported:
        return None


class _Unsupported(Exception):
    pass


def _fused_source(steps: Tuple[Step, ...], outputs: Tuple[Ref, ...], in_dtypes: Tuple[str, ...],
                  out_dtypes: Optional[Tuple[str, ...]]) -> KernelSource:
    for dt in in_dtypes + tuple(s.dtype for s in steps):
        if dt not in C_TYPES:
            raise _Unsupported(dt)
    body: List[str] = []
    step_dtypes: List[str] = []

    def operand(ref: Ref) -> Tuple[str, str, Any]:
        """(C text, dtype, weak Python value or None) of a ref."""
        tag = ref[0]
        if tag == "in":
            k = int(ref[1])
            dt = in_dtypes[k]
            return (f"((float)in{k})" if dt == "float16" else f"in{k}"), dt, None
        if tag == "step":
            j = int(ref[1])
            return f"t{j}", step_dtypes[j], None
        if tag == "const":
            value, dtype = ref[1], (ref[2] if len(ref) > 2 else None)
            text, dt = _literal(value, dtype)
            weak = value if dtype is None and isinstance(value, (bool, int, float)) else None
            if dt not in C_TYPES:
                raise _Unsupported(dt)
            return text, dt, weak
        raise ValueError(f"unknown operand {ref!r} in a fused program")

    flagged = False  # whether a step may set an error flag (a signed integer power)
    for j, step in enumerate(steps):
        args = [operand(r) for r in step.args]
        compute = _computation_dtype(step.op, step.dtype, args)
        expr = None
        if step.op == "switch":
            ops = [args[0][0]] + [_as(a, step.dtype) for a in args[1:]]
            expr = scalar_expression(step.op, step.dtype, ops, step.dtype)
        elif compute is None:
            expr = scalar_expression(step.op, args[0][1], [a[0] for a in args], step.dtype)
        elif step.op in _EXACT_COMPARISONS and len(args) == 2:
            expr = _comparison(step.op, args, compute)
        elif step.op == "clip":
            expr = _clip(args, compute)
        elif step.op == "pow" and _kind(compute) == "i":
            ops = [_as(a, compute) for a in args]
            expr = f"fw_ipow({ops[0]}, {ops[1]}, fw_err)"
            flagged = True
        if expr is None and compute is not None and step.op != "switch":
            ops = [_as(a, compute) for a in args]
            expr = scalar_expression(step.op, compute, ops, step.dtype)
        if expr is None:
            raise _Unsupported(step.op)
        vt = c_type(_value_dtype(step.dtype))
        if step.dtype == "float16":
            body.append(f"const float t{j} = (float)(float16)({expr});")
        else:
            body.append(f"const {vt} t{j} = ({vt})({expr});")
        step_dtypes.append(step.dtype)

    outs = []
    for k, ref in enumerate(outputs):
        text, dt, _ = operand(ref)
        odt = out_dtypes[k] if out_dtypes is not None else dt
        if odt not in C_TYPES:
            raise _Unsupported(odt)
        value = _cast(text, dt, odt)
        body.append(f"out{k} = ({c_type(odt)})({value});")
        outs.append(odt)

    in_params = ", ".join(f"{dt} in{k}" for k, dt in enumerate(in_dtypes))
    if flagged:
        # the error flags are a raw *input* (CuPy allocates outputs only when none is given, and
        # a raw output must be given): its CArray is const there, the memory it points to is not
        in_params += f"{', ' if in_params else ''}raw float64 {FLAGS_PARAM}"
        body.insert(0, f"double* const fw_err = const_cast<double*>(&{FLAGS_PARAM}[{FLAG_INT_POW_NEGATIVE}]);")
    out_params = ", ".join(f"{dt} out{k}" for k, dt in enumerate(outs))
    operation = "\n".join(body)
    digest = hashlib.sha1(f"{in_params}|{out_params}|{operation}".encode()).hexdigest()[:16]
    return KernelSource(f"fw_fused_{digest}", in_params, out_params, operation, PREAMBLE, flagged)


# --- stand-alone translation units (compile checks and host tests) -----------------------

def _params(text: str) -> List[Tuple[bool, str, str]]:
    """``[(raw, dtype, name)]`` of an ElementwiseKernel parameter list."""
    out = []
    for p in filter(None, (s.strip() for s in text.split(","))):
        words = p.split()
        raw = words[0] == "raw"
        dt, name = words[-2], words[-1]
        out.append((raw, dt, name))
    return out


_HOST_PRELUDE = r"""
#include <cmath>
#include <cstring>
#include <cstdint>
using std::isnan; using std::isinf; using std::fmod; using std::floor; using std::ceil; using std::pow;
using std::exp; using std::log; using std::copysign; using std::rint; using std::sqrt; using std::tanh;
using std::exp2; using std::expm1; using std::log2; using std::log10; using std::log1p; using std::sin;
using std::cos; using std::tan; using std::atan; using std::sinh; using std::cosh;
static inline double __longlong_as_double(long long v) { double d; std::memcpy(&d, &v, 8); return d; }
"""

_DEVICE_PRELUDE = r"""
#include <cuda_fp16.h>
struct float16 {
  __half h;
  __device__ float16() {}
  __device__ float16(float f) : h(__float2half(f)) {}
  __device__ operator float() const { return __half2float(h); }
};
"""


def standalone_source(in_params: str, out_params: str, operation: str, preamble: str, name: str,
                      device: bool) -> str:
    """An ElementwiseKernel's body as a stand-alone translation unit (for checks).

    Every parameter becomes a pointer argument ``<name>_p``: element ``i`` of a
    non-raw parameter is read (input) or written (output) around the body, as
    CuPy does after broadcasting, and a ``raw`` parameter is the pointer
    itself; ``n`` is the number of elements. ``device`` gives a CUDA
    ``__global__`` kernel (one thread per element), else a host C++ function
    (a loop), so the same body can be compiled by nvcc and run on the CPU.
    """
    ins, outs = _params(in_params), _params(out_params)
    sig, loads, decl, stores = [], [], [], []
    for raw, dt, n in ins:
        sig.append(f"const {c_type(dt)}* {n}_p")
        loads.append(f"    const {c_type(dt)}* {n} = {n}_p;\n" if raw else f"    const {c_type(dt)} {n} = {n}_p[i];\n")
    for raw, dt, n in outs:
        sig.append(f"{c_type(dt)}* {n}_p")
        if raw:
            decl.append(f"    {c_type(dt)}* {n} = {n}_p;\n")
        else:
            decl.append(f"    {c_type(dt)} {n};\n")
            stores.append(f"    {n}_p[i] = {n};\n")
    sig.append("long long n")
    body = "\n".join("    " + line for line in operation.splitlines())
    inner = "".join(loads) + "".join(decl) + body + "\n" + "".join(stores)
    if device:
        return (f"{_DEVICE_PRELUDE}{preamble}\nextern \"C\" __global__ void {name}({', '.join(sig)}) {{\n"
                f"  long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;\n  if (i < n) {{\n"
                f"{inner}  }}\n}}\n")
    return (f"{_HOST_PRELUDE}{preamble}\nextern \"C\" void {name}({', '.join(sig)}) {{\n"
            f"  for (long long i = 0; i < n; ++i) {{\n{inner}  }}\n}}\n")


def _standalone(src: KernelSource, device: bool) -> str:
    return standalone_source(src.in_params, src.out_params, src.operation, src.preamble, src.name, device)


__all__ = ["Step", "Ref", "KernelSource", "CUDA", "cuda_rule", "fused_source", "scalar_expression",
           "standalone_source", "c_type", "C_TYPES", "PREAMBLE"]
