"""Regression tests for the generated element-wise kernels on edge values (the CuPy codegen
fuzzer's findings, docs/dev/cupy_codegen_repros.py): each expression runs fused, in one
generated kernel, on the CPU stand-in for CuPy (``fakecupy``, which compiles the kernel with
g++) and must give NumPy 2's answer -- dtype, value and the sign of a zero -- or raise NumPy's
error. NumPy's answer is computed here with plain NumPy, op by op, not with the NumPy backend.

As the other fake-device tests, the expressions run in a subprocess (this file run as a script,
with ``fakecupy`` first on ``sys.path``), once for all cases; each test checks one case. The
stand-in runs the kernels' C++ on the CPU: what nvcc makes of it is not tested here.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
FAKE = HERE / "fakecupy"
REPO = HERE.parents[1]

I64_MIN, I64_MAX, I32_MIN = -2 ** 63, 2 ** 63 - 1, -2 ** 31


def _v(dtype: str, name: str = "x") -> Any:
    from framework.core.types import TensorType

    return TensorType(dtype, (None,))(name)


def _cases() -> Dict[str, Tuple[Callable[[], Tuple[list, Any]], list, Callable[..., Any]]]:
    """name -> (build: () -> (inputs, output), input values, NumPy's answer from the values;
    an exception class where NumPy raises)."""
    import framework.tensor as T

    a = np.array
    c: Dict[str, Any] = {}

    def case(name: str, build: Callable[[], Tuple[list, Any]], values: list, want: Any) -> None:
        c[name] = (build, values, want)

    def unary(dtype: str, fn: Callable[[Any], Any]) -> Callable[[], Tuple[list, Any]]:
        def build() -> Tuple[list, Any]:
            x = _v(dtype)
            return [x], fn(x)
        return build

    def binary(d0: str, d1: str, fn: Callable[[Any, Any], Any]) -> Callable[[], Tuple[list, Any]]:
        def build() -> Tuple[list, Any]:
            x, y = _v(d0), _v(d1, "y")
            return [x, y], fn(x, y)
        return build

    # signed zeros
    zeros = a([0.0, -0.0, 2.0, -2.0])
    case("abs_of_zeros", unary("float64", lambda x: 1.0 / abs(x)), [zeros], lambda x: 1.0 / np.abs(x))
    case("sgn_of_zeros_and_nan", unary("float64", lambda x: 1.0 / T.sgn(x)), [a([0.0, -0.0, np.nan, -3.0])],
         lambda x: 1.0 / np.sign(x))
    num, den = a([-1.0, -0.0, 0.0, 1.0, -1.0, 1.0, 5.0, -5.0]), a([-3.0, 3.0, -3.0, -3.0, -np.inf, np.inf, 2.0, 2.0])
    case("floor_divide_zero_sign", binary("float64", "float64", lambda x, y: 1.0 / (x // y)), [num, den],
         lambda x, y: 1.0 / np.floor_divide(x, y))
    case("floor_divide_zero_sign_float32", binary("float32", "float32", lambda x, y: 1.0 / (x // y)),
         [num.astype("float32"), den.astype("float32")], lambda x, y: np.float32(1.0) / np.floor_divide(x, y))

    # weak Python ints outside the other operand's range
    i8 = a([100, -128, 127, 0], "int8")
    for op in ("lt", "le", "gt", "ge", "eq", "neq"):
        f = getattr(T, op)
        g = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal, "eq": np.equal,
             "neq": np.not_equal}[op]
        case(f"int8_{op}_300", unary("int8", lambda x, f=f: f(x + 1, 300)), [i8], lambda x, g=g: g(x + np.int8(1), 300))
        case(f"300_{op}_int8", unary("int8", lambda x, f=f: f(300, x + 1)), [i8], lambda x, g=g: g(300, x + np.int8(1)))
        case(f"int8_{op}_minus_300", unary("int8", lambda x, f=f: f(x + 1, -300)), [i8],
             lambda x, g=g: g(x + np.int8(1), -300))
        case(f"uint8_{op}_minus_1", unary("uint8", lambda x, f=f: f(x + 1, -1)), [a([7, 255, 0], "uint8")],
             lambda x, g=g: g(x + np.uint8(1), -1))
        case(f"int64_{op}_2_63", unary("int64", lambda x, f=f: f(x + 1, 2 ** 63)), [a([I64_MAX - 1, -1, 0])],
             lambda x, g=g: g(x + 1, 2 ** 63))
        case(f"uint64_{op}_minus_1", unary("uint64", lambda x, f=f: f(x + 1, -1)), [a([0, 2 ** 64 - 2], "uint64")],
             lambda x, g=g: g(x + np.uint64(1), -1))
    case("clip_uint8_drops_300", unary("uint8", lambda x: T.clip(x + 1, 0, 300)), [a([200, 254, 0], "uint8")],
         lambda x: np.clip(x + np.uint8(1), 0, 300))
    case("clip_int8_drops_minus_300", unary("int8", lambda x: T.clip(x + 1, -300, 5)), [a([-128, 3, 100], "int8")],
         lambda x: np.clip(x + np.int8(1), -300, 5))
    case("clip_int32_drops_2_63", unary("int32", lambda x: T.clip(x + 1, 1e300, 2 ** 63 - 1)), [a([1, -5], "int32")],
         lambda x: np.clip(x + np.int32(1), 1e300, 2 ** 63 - 1))
    case("clip_int32_keeps_2_31_minus_1", unary("int32", lambda x: T.clip(x + 1, -2 ** 31, 2 ** 31 - 1)),
         [a([1, 2 ** 31 - 2], "int32")], lambda x: np.clip(x + np.int32(1), -2 ** 31, 2 ** 31 - 1))
    # a weak int in a float32 computation: NumPy rounds it to a double first, then to float32
    big = 2 ** 60 + 2 ** 36 + 1
    case("weak_int_to_float32", unary("float32", lambda x: T.lt(x * 2, big)),
         [a([2.0 ** 59, 2.0 ** 59 + 2.0 ** 36], "float32")], lambda x: np.less(x * 2, big))

    # the INT64_MIN literal
    case("int64_min_literal_pow", unary("int64", lambda x: T.pow(I64_MIN, x) + 1), [a([1, 0, 2])],
         lambda x: np.power(I64_MIN, x) + 1)
    case("int64_min_literal_maximum", unary("int64", lambda x: T.maximum(x + 1, I64_MIN)), [a([0, I64_MAX])],
         lambda x: np.maximum(x + 1, I64_MIN))
    case("int64_min_literal_gt", unary("int64", lambda x: T.gt(x + 1, I64_MIN)), [a([0, I64_MAX])],
         lambda x: np.greater(x + 1, I64_MIN))

    # signed overflow wraps, as in NumPy (plain signed C is undefined behaviour)
    i32 = a([I32_MIN, -1, 2 ** 31 - 1], "int32")
    case("int32_neg_of_min", unary("int32", lambda x: T.sgn(-x)), [i32], lambda x: np.sign(-x))
    case("int32_neg_of_min_lt", unary("int32", lambda x: T.lt(-x, 0)), [i32], lambda x: np.less(-x, 0))
    case("int32_abs_of_min", unary("int32", lambda x: T.lt(abs(x), 0)), [i32], lambda x: np.less(np.abs(x), 0))
    case("int8_abs_of_min", unary("int8", lambda x: abs(x) - 1), [a([-128, -1], "int8")],
         lambda x: np.abs(x) - np.int8(1))
    case("int64_add_overflow", unary("int64", lambda x: T.lt(x + 1, x)), [a([I64_MAX, 0])], lambda x: np.less(x + 1, x))
    case("int32_mul_overflow", unary("int32", lambda x: T.lt(x * x, 0)), [a([46341, 3], "int32")],
         lambda x: np.less(x * x, 0))
    case("uint16_mul_overflow", unary("uint16", lambda x: x * x + 1), [a([65535, 300], "uint16")],
         lambda x: x * x + np.uint16(1))
    case("int64_sub_overflow", binary("int64", "int64", lambda x, y: T.gt(x - y, 0)), [a([I64_MIN]), a([1])],
         lambda x, y: np.greater(x - y, 0))
    case("int64_sqr_overflow", unary("int64", lambda x: T.sqr(x) + 1), [a([3037000500, 7])], lambda x: x * x + 1)
    # fw_ipow loops on an unsigned exponent (it never returned for this one)
    case("int64_pow_no_hang", unary("int64", lambda x: x ** (x * x)), [a([3, 2 ** 31 + 1, 2 ** 32])],
         lambda x: np.power(x, x * x))
    case("int64_pow_wrapped_negative_exponent", unary("int64", lambda x: x ** (x * x)), [a([3037000500])], ValueError)
    case("int8_pow_wraps", binary("int8", "int8", lambda x, y: x ** y - 1),
         [a([3, -2, 127], "int8"), a([5, 7, 3], "int8")], lambda x, y: np.power(x, y) - np.int8(1))
    # MIN // -1 and MIN % -1 (a host trap in plain C)
    case("int64_min_floordiv_minus_1", binary("int64", "int64", lambda x, y: (x // y) - 1),
         [a([I64_MIN, 7]), a([-1, -2])], lambda x, y: np.floor_divide(x, y) - 1)
    case("int32_min_mod_minus_1", binary("int32", "int32", lambda x, y: (x % y) - 1),
         [a([I32_MIN, 7], "int32"), a([-1, -2], "int32")], lambda x, y: np.remainder(x, y) - np.int32(1))

    # uint64 against a signed integer: exact, not in float64
    u = a([2 ** 63, 2 ** 64 - 1, 0, 5, 2 ** 63 - 1, 2 ** 53 + 1], "uint64")
    s = a([2 ** 63 - 2, -2, -1, 4, 2 ** 63 - 2, 2 ** 53], "int64")  # + 1 below
    for op in ("lt", "le", "gt", "ge", "eq", "neq"):
        f, g = getattr(T, op), {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
                                "eq": np.equal, "neq": np.not_equal}[op]
        case(f"uint64_{op}_int64", binary("uint64", "int64", lambda x, y, f=f: f(x, y + 1)), [u, s],
             lambda x, y, g=g: g(x, y + 1))
        case(f"int64_{op}_uint64", binary("uint64", "int64", lambda x, y, f=f: f(y + 1, x)), [u, s],
             lambda x, y, g=g: g(y + 1, x))
        case(f"int32_{op}_uint64", binary("uint64", "int32", lambda x, y, f=f: f(y + 1, x)),
             [u, a([2 ** 31 - 2, -2, -1, 4, 0, 7], "int32")], lambda x, y, g=g: g(y + np.int32(1), x))

    # integers to negative integer powers raise, as in NumPy
    case("int_pow_negative_raises", binary("int64", "int64", lambda x, y: x ** y + 1), [a([2, 3]), a([-1, 2])],
         ValueError)
    case("int_pow_negative_base_1_raises", binary("int32", "int32", lambda x, y: x ** y + 1),
         [a([1, -1], "int32"), a([-3, -3], "int32")], ValueError)
    # a lone integer pow node (not fused): still the generated kernel, not cupy.power (which
    # on a GPU gives a number for a negative exponent)
    case("int_pow_unfused_negative_raises", binary("int64", "int64", lambda x, y: x ** y), [a([2, 3]), a([-1, 2])],
         ValueError)
    case("int_pow_unfused", binary("int32", "int8", lambda x, y: x ** y), [a([2, -3], "int32"), a([3, 2], "int8")],
         lambda x, y: np.power(x, y))
    case("int_pow_nonnegative_after_an_error", binary("int64", "int64", lambda x, y: x ** y + 1),
         [a([2, 3]), a([1, 2])], lambda x, y: np.power(x, y) + 1)
    return c


def _describe(v: Any) -> Dict[str, Any]:
    v = np.asarray(v)
    out = {"dtype": v.dtype.name, "repr": repr(v)}
    if v.dtype.kind == "f":
        out["bits"] = [[bool(np.isnan(e)), bool(np.signbit(e)), float(e) if np.isfinite(e) else str(e)]
                       for e in v.ravel()]
    else:
        out["values"] = [int(e) for e in v.ravel()]
    return out


def run_all() -> Dict[str, Any]:
    """Every case on device cuda (the stand-in); what it gives and what NumPy gives."""
    import cupy
    from framework import function

    assert getattr(cupy, "_FAKE", False), "the cases must run on the CPU stand-in for CuPy"
    launched: List[str] = []
    call = cupy.ElementwiseKernel.__call__

    def counting(kern: Any, *a: Any, **kw: Any) -> Any:
        launched.append(kern.name)
        return call(kern, *a, **kw)

    cupy.ElementwiseKernel.__call__ = counting
    results: Dict[str, Any] = {}
    for name, (build, values, want) in _cases().items():
        ins, out = build()
        rec: Dict[str, Any] = {}
        if isinstance(want, type):
            rec["want"] = {"raises": want.__name__}
        else:
            with np.errstate(all="ignore"):
                rec["want"] = _describe(want(*values))
        del launched[:]
        try:
            f = function(ins, out, mode="FAST_RUN", device="cuda")
            rec["ops"] = [str(n.op) for n in f.maker.fgraph.toposort()]
            rec["got"] = _describe(f(*[v.copy() for v in values]))
        except Exception as e:  # noqa: BLE001 - reported to the test
            rec["got"] = {"raises": [c.__name__ for c in type(e).__mro__], "message": str(e)[:300]}
        rec["generated"] = any(k.startswith("fw_fused_") for k in launched)
        results[name] = rec
    return results


# --------------------------------------------------------------------------- the tests (in pytest)

CASE_NAMES = list(_cases())


@pytest.fixture(scope="module")
def results() -> Dict[str, Any]:
    from .conftest import CXX

    if CXX is None:
        pytest.skip("the CuPy stand-in compiles kernels with a host C++ compiler")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(FAKE), str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH")
                                                                  else []))
    env.pop("FRAMEWORK_FLAGS", None)
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve())], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", CASE_NAMES)
def test_generated_kernel_agrees_with_numpy(results: Dict[str, Any], name: str) -> None:
    rec = results[name]
    assert rec["generated"], f"{name}: no generated kernel ran ({rec.get('ops')})"
    want, got = rec["want"], rec["got"]
    if "raises" in want:
        assert "raises" in got and want["raises"] in got["raises"], f"{name}: NumPy raises {want['raises']}, got {got}"
        return
    assert "raises" not in got, f"{name}: raised {got}"
    assert got == want, f"{name}: NumPy gives {want['repr']}, the generated kernel {got['repr']}"


def test_only_kernels_with_a_signed_integer_power_take_the_error_flags() -> None:
    import framework.tensor  # noqa: F401 -- declares the rows
    from framework.core.fusion import Step
    from framework_backend_cupy.codegen import fused_source

    def src(dtypes: list, out: str) -> Any:
        return fused_source([Step("pow", (("in", 0), ("in", 1)), out), Step("add", (("step", 0), ("in", 0)), out)],
                            [("step", 1)], dtypes)

    assert src(["int64", "int64"], "int64").flags
    assert src(["int8", "uint8"], "int16").flags
    for dtypes, out in ((["uint32", "uint32"], "uint32"), (["float64", "int64"], "float64"),
                        (["float32", "float32"], "float32"), (["bool", "bool"], "bool")):
        s = src(dtypes, out)
        assert not s.flags and "fw_flags" not in s.in_params + s.operation, (dtypes, s.operation)


def test_literals_are_valid_c() -> None:
    from framework_backend_cupy.codegen import _literal

    assert _literal(-2 ** 63, None) == ("(-9223372036854775807LL - 1)", "int64")
    assert _literal(-5, None) == ("(-5LL)", "int64")  # "-{0}" of it is not "--5LL"
    assert _literal(2 ** 64 - 1, None) == ("18446744073709551615ULL", "uint64")
    assert _literal(-0.5, None) == ("(-0.5)", "float64")


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    print(json.dumps(run_all()))
