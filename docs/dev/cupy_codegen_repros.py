"""Minimal reproductions of the CuPy codegen fuzzer's findings (2026-12-07, seventh session).

Each expression runs on device cpu (the NumPy backend: the reference) and cuda (the CPU
stand-in for CuPy, tests/backend_cupy/fakecupy, which compiles the generated CUDA kernels
with g++). R10/R10b and R14 were NumPy-backend bugs, fixed the same day (they now agree);
R11 and R12 were NumPy-backend bugs too, fixed later. The CUDA-side ones (R1-R9, R5b) are
fixed in plugins/backend_cupy/codegen.py (branch cupy-codegen-fix): every line now shows the
same result on both devices (R9: both raise ValueError), and each has a regression test in
tests/backend_cupy/test_codegen_edge_values.py; docs/backends.md, "Where C and NumPy 2 differ
on edge values", says what the generated code does. Run from the repository root:

    .venv/bin/python docs/dev/cupy_codegen_repros.py
"""
import sys, warnings
import os
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "tests", "backend_cupy", "fakecupy"), ROOT]
warnings.simplefilter("ignore")
import numpy as np
import framework.tensor as T
from framework import function
from framework.core.elemwise import apply
from framework.core.types import TensorType

def run(title, ins, out, *vals):
    print(f"== {title}")
    for dev in ("cpu", "cuda"):
        try:
            f = function(ins, out, mode="FAST_RUN", device=dev)
            r = f(*vals)
            print(f"   {dev:4s} {[str(n.op) for n in f.maker.fgraph.toposort()]} -> {r!r}")
        except Exception as e:
            print(f"   {dev:4s} raises {type(e).__name__}: {str(e).splitlines()[0][:120]}")

v = lambda dt, name="x": TensorType(dt, (None,))(name)
x = v("float64"); y = v("float64", "y")
run("R1 abs(+0.0): 1 / abs(x), x = 0.0", [x], 1.0 / abs(x), np.array([0.0]))
run("R2 sgn(-0.0): 1 / sgn(x), x = -0.0", [x], 1.0 / T.sgn(x), np.array([-0.0]))
run("R3 floor_divide zero sign: 1 / (x // y)", [x, y], 1.0 / (x // y), np.array([-1.0, -0.0]), np.array([-3.0, 3.0]))
i8 = v("int8"); u8 = v("uint8"); i32 = v("int32"); i64 = v("int64"); u64 = v("uint64", "u")
run("R4 weak int out of range in a comparison: (x + 1) > 300, int8 x = 100", [i8], T.gt(i8 + 1, 300), np.array([100], "int8"))
run("R4b (x + 1) > -1, uint8 x = 7", [u8], T.gt(u8 + 1, -1), np.array([7], "uint8"))
run("R5 clip with a weak bound out of range: clip(x + 1, 0, 300), uint8 x = 200", [u8], T.clip(u8 + 1, 0, 300), np.array([200], "uint8"))
run("R6 INT64_MIN literal: (-2**63) ** x + 1, int64 x = 1", [i64], T.pow(-2 ** 63, i64) + 1, np.array([1], "int64"))
run("R6b maximum(x + 1, -2**63), int64 x = 0", [i64], T.maximum(i64 + 1, -2 ** 63), np.array([0], "int64"))
run("R6c INT64_MIN literal: (x + 1) > -2**63, int64 x = 0", [i64], T.gt(i64 + 1, -2 ** 63), np.array([0], "int64"))
run("R7 signed overflow is UB in C: sgn(-x), int32 x = -2**31", [i32], T.sgn(-i32), np.array([-2 ** 31], "int32"))
run("R7b (-x) < 0, int32 x = -2**31", [i32], T.lt(-i32, 0), np.array([-2 ** 31], "int32"))
run("R7c abs(x) < 0, int32 x = -2**31", [i32], T.lt(abs(i32), 0), np.array([-2 ** 31], "int32"))
run("R8 uint64 vs int64 compared in float64: u == x + 1", [u64, i64], T.eq(u64, i64 + 1), np.array([2 ** 63], "uint64"), np.array([2 ** 63 - 2], "int64"))
iy = v("int64", "y")
run("R9 integer power to a negative integer: x ** y + 1", [i64, iy], i64 ** iy + 1, np.array([2, 3]), np.array([-1, 2]))
s = TensorType("float64", ())("s")
run("R10 sigmoid_xent with a weak scalar logit (NumPy backend)", [x], apply("sigmoid_xent", 3.0, T.maximum(x, 0)), np.array([0.0, 1.0]))
run("R10b sigmoid_xent with a 0-d logit (NumPy backend)", [s, x], apply("sigmoid_xent", s, T.maximum(x, 0)), np.float64(3.0), np.array([0.0, 1.0]))
f32 = v("float32")
a = apply("second", f32, 2 ** 63 - 1)
b = apply("second", f32, 2 ** 64 - 1)
print("== R11 dtype cache: second(x, 2**63-1) is", a.type.dtype, "; second(x, 2**64-1) then is", b.type.dtype, "(NumPy: uint64)")
run("R11 ... its values: second(x, 2**64-1) // 2", [f32], b // 2, np.ones(2, "float32"))
run("R5b clip drops an out-of-range int bound: clip(x + 1, 1e300, 2**63 - 1), int32 x = 1", [i32], T.clip(i32 + 1, 1e300, 2 ** 63 - 1), np.array([1], "int32"))
run("R12 xlogy0(x, 2**64-1) + 1 (NumPy reference wraps y to -1)", [x], T.xlogy0(x, 2 ** 64 - 1) + 1, np.array([2.0]))
sc = TensorType("float32", ())("sc")
out = f32 * T.fill(sc, 2.5)
print("== R14 declared dtype of x * fill(s, 2.5) (float32 x, 0-d float32 s):", out.type.dtype)
run("R14 ... ", [sc, f32], out, np.float32(1), np.ones(2, "float32"))
