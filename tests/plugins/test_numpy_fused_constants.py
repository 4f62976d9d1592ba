"""A constant operand of a fused NumPy kernel's ufunc call is passed as a 0-d array (NumPy converts a
Python or NumPy scalar at every call, ~0.2 us of a 0.4-0.6 us call on a training step's small
arrays) only where the call computes exactly what it computed with the scalar: the same dtype,
the same bits, the same warnings and errors."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework_backend_numpy.fused import operand_constant

UFUNCS = [np.add, np.subtract, np.multiply, np.true_divide, np.maximum, np.minimum, np.greater,
          np.less_equal, np.equal, np.power, np.arctan2, np.floor_divide, np.fmod, np.copysign]
DTYPES = ["float16", "float32", "float64", "int8", "int32", "int64", "uint8", "bool", "complex64"]
CONSTANTS = [0, 1, -1, 2, 3, 127, 128, 255, 256, -129, 2 ** 24 + 1, 2 ** 53 + 1, 2 ** 63, 2 ** 70,
             0.0, -0.0, 0.5, 0.1, 1 / 3, -2.5, 1e-40, 1e-310, 65504.0, 65520.0, 1e6, 3.4e38, 3.5e38, 1e300,
             float("inf"), float("-inf"), float("nan"), True, False, 1j, 0.5 + 2j,
             np.float32(0.1), np.float64(0.1), np.float16(3.0), np.int8(-3), np.uint8(200), np.int64(7),
             np.bool_(True), np.complex64(1 - 1j)]


def _array(dtype: str) -> np.ndarray:
    if dtype == "bool":
        return np.array([True, False, True])
    if np.dtype(dtype).kind in "iu":
        return np.array([0, 1, 5], dtype=dtype)
    return np.array([0.0, -1.5, 3.0], dtype=dtype)


def _outcome(fn, *args):
    """(dtype, bits) or the error's type; the warnings' texts."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="warn"):
            try:
                r = np.asarray(fn(*args))
                got = (r.dtype, r.tobytes())
            except Exception as exc:  # the same kind of error is part of "the same result"
                got = type(exc)
    return got, sorted(str(w.message) for w in caught)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_converted_constant_gives_what_the_scalar_gave(dtype):
    arr = _array(dtype)
    for ufunc, c in itertools.product(UFUNCS, CONSTANTS):
        conv = operand_constant(c, dtype)
        for args, args_conv in (((arr, c), (arr, conv)), ((c, arr), (conv, arr))):
            want = _outcome(ufunc, *args)
            got = _outcome(ufunc, *args_conv)
            assert got == want, (ufunc.__name__, dtype, repr(c), type(conv))


def test_what_is_converted():
    assert isinstance(operand_constant(1, "float32"), np.ndarray)
    assert operand_constant(1, "float32").dtype == np.float32
    assert isinstance(operand_constant(0.1, "float64"), np.ndarray)
    assert isinstance(operand_constant(np.float32(0.1), None), np.ndarray)  # a NumPy scalar: always
    assert operand_constant(np.float32(0.1), "float64").dtype == np.float32  # keeps its own dtype
    # left as they were: a dtype NumPy's weak promotion would not compute in, or a value it would change
    assert operand_constant(1, "int8") == 1 and type(operand_constant(1, "int8")) is int
    assert type(operand_constant(0.5, None)) is float
    assert type(operand_constant(1e300, "float32")) is float  # overflows float32
    assert type(operand_constant(2 ** 24 + 1, "float32")) is int  # not exact in float32
    assert type(operand_constant(1j, "float32")) is complex


def test_compiled_kernels_with_constants_agree_with_fast_compile():
    x = T.vector("x", dtype="float32")
    d = T.dvector("d")
    outs = [T.nnet.sigmoid(x) * 0.5 + 3, (x > 0.25) * x, T.maximum(x, 2) - 1e-3 * x, x ** 3 / 7,
            T.nnet.softplus(d) + 1e-310, T.switch(d < 0, 1.5, d) * 1e300, (d + 2 ** 53 + 1) / 3]
    fast = function([x, d], outs)
    slow = function([x, d], outs, mode="FAST_COMPILE")
    srcs = "".join(getattr(k, "__source__", "") for k in fast._linked.run.__globals__.values())
    assert "C0" in srcs  # the constants are names in the kernels' namespaces
    rng = np.random.default_rng(0)
    for xv, dv in ((rng.normal(size=5).astype("float32"), rng.normal(size=5) * 800),
                   (np.array([np.inf, -np.inf, np.nan, 0.0, -0.0], "float32"),
                    np.array([np.inf, -np.inf, np.nan, 1e308, -1e308]))):
        with np.errstate(all="ignore"):
            pairs = list(zip(fast(xv, dv), slow(xv, dv)))
        for got, want in pairs:
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got.view(f"u{got.itemsize}"), want.view(f"u{want.itemsize}"))
