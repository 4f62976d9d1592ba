"""Every row of the element-wise table, on every kind of dtype (bool, signed,
unsigned, float with non-finite values), against NumPy in FAST_RUN and
FAST_COMPILE. The cases are generated from the table itself, so a new row is
checked the day it is declared.

A row that NumPy implements as one ufunc is compared with that ufunc. The other
rows (several steps: sigmoid, softplus, ...) must compute in the promoted float
type -- the dtype ``numpy.exp`` gives the inputs -- so their reference first
casts the inputs to it: ``softplus(uint8(2))`` is 2.13, not the ``inf`` that
``-abs(x)`` wrapping around in uint8 would give.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, List

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework.core import elemwise as E

DTYPES = ("bool", "int8", "uint8", "int32", "uint32", "int64", "float32", "float64")
MODES = ("FAST_RUN", "FAST_COMPILE")


def _first(dt: str) -> np.ndarray:
    if dt == "bool":
        return np.array([False, True, True, False, True])
    if dt.startswith("u"):
        return np.array([0, 2, 5, 10, 200 if dt == "uint8" else 3000], dtype=dt)
    if dt.startswith("int"):
        return np.array([0, -3, 5, 10, -100], dtype=dt)
    return np.array([0.0, -2.5, np.nan, np.inf, -np.inf], dtype=dt)


def _second(dt: str) -> np.ndarray:
    # no integer zero divisors or negative integer exponents: NumPy has no answer for them
    if dt == "bool":
        return np.array([True, False, True, True, False])
    if dt.startswith("u") or dt.startswith("int"):
        return np.array([3, 1, 2, 1, 1], dtype=dt)
    return np.array([1.5, np.nan, -1.0, np.inf, 2.0], dtype=dt)


def _float_of(*xs: np.ndarray) -> Any:
    """The float type a row computes in: NumPy's ``exp`` of the promoted inputs."""
    with np.errstate(all="ignore"):
        return np.exp(np.zeros(1, np.result_type(*xs))).dtype


def _in(ft: Any, *xs: np.ndarray) -> List[np.ndarray]:
    return [x.astype(ft) for x in xs]


def _sigmoid(x):
    (x,) = _in(_float_of(x), x)
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    (x,) = _in(_float_of(x), x)
    return np.logaddexp(x.dtype.type(0), x)


def _sigmoid_xent(z, t):
    z, t = _in(_float_of(z, t), z, t)
    return np.logaddexp(z.dtype.type(0), z) - t * z


def _xlogx(x):
    (x,) = _in(_float_of(x), x)
    return np.where(x == 0, x.dtype.type(0), x * np.log(np.where(x == 0, x.dtype.type(1), x)))


def _xlogy0(x, y):
    x, y = _in(_float_of(x, y), x, y)
    return np.where(x == 0, x.dtype.type(0), x * np.log(np.where(x == 0, y.dtype.type(1), y)))


def _complex(re: Any, im: Any) -> Any:
    """``re + i im`` with each part exact (NumPy's ``re + 1j * im`` but without a NaN real part where
    ``im`` is infinite), in the complex dtype of the parts' precision."""
    re, im = np.broadcast_arrays(re, im)
    out = np.empty(re.shape, dtype=np.result_type(re, im, np.complex64))
    out.real, out.imag = re, im
    return out


# rows that are not one NumPy ufunc: their NumPy meaning
REFERENCE: Dict[str, Callable[..., Any]] = {
    "xlogx": _xlogx,
    "xlogy0": _xlogy0,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "sigmoid_xent": _sigmoid_xent,
    "relu": lambda x: np.maximum(x, 0),
    "identity": lambda x: np.array(x, copy=True),
    "second": lambda a, b: np.broadcast_to(b, np.broadcast_shapes(a.shape, b.shape)).copy(),
    "real": lambda x: np.real(x).copy(),
    "imag": lambda x: np.imag(x).copy(),
    "complex": _complex,
}


def _reference(name: str) -> Callable[..., Any]:
    row = E.SCALAR_OPS[name]
    if name in REFERENCE:
        return REFERENCE[name]
    assert row.ufunc is not None, f"row {name!r} is not a ufunc: add its NumPy meaning to REFERENCE"
    return getattr(np, row.ufunc)


def _args(nin: int, dt: str) -> List[np.ndarray]:
    if nin == 3:  # switch(cond, a, b) / clip(x, lo, hi)
        return [_first(dt), _second(dt), _first(dt)[::-1].copy()]
    return [_first(dt), _second(dt)][:nin]


ROWS = sorted(n for n in E.SCALAR_OPS if not n.startswith("cast_"))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", ROWS)
def test_row_matches_numpy_on_every_dtype_kind(name: str, dt: str) -> None:
    row = E.SCALAR_OPS[name]
    args = _args(row.nin, dt)
    if name == "switch":
        args[0] = args[0].astype(bool)
    ref_fn = _reference(name)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = np.asarray(ref_fn(*args))
    except (TypeError, ValueError):  # NumPy refuses these dtypes: so must the framework
        with pytest.raises((TypeError, ValueError)):
            E.apply(name, *[T.tensor(a.dtype.name, (None,)) for a in args])
        return
    for mode in MODES:
        xs = [T.tensor(a.dtype.name, (None,)) for a in args]
        out = E.apply(name, *xs)
        assert out.dtype == expected.dtype.name, (name, dt, out.dtype, expected.dtype)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = function(xs, out, mode=mode)(*args)
        assert got.dtype == expected.dtype, (name, dt, mode)
        if expected.dtype.kind == "f":
            rtol = {2: 2e-3, 4: 1e-5}.get(expected.dtype.itemsize, 1e-12)
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol, equal_nan=True,
                                       err_msg=f"{name} on {dt} in {mode}")
        else:
            np.testing.assert_array_equal(got, expected, err_msg=f"{name} on {dt} in {mode}")


@pytest.mark.parametrize("mode", MODES)
def test_softplus_of_exp_rewrite_keeps_unsigned_values(mode: str) -> None:
    """``log1p(exp(x))`` becomes ``softplus(x)`` in FAST_RUN: the same numbers for uint8."""
    x = T.vector(dtype="uint8")
    u = np.array([0, 2, 5, 10], "uint8")
    got = function([x], T.log1p(T.exp(x)), mode=mode)(u)
    np.testing.assert_allclose(got, np.log1p(np.exp(u)), rtol=2e-3)
    np.testing.assert_allclose(function([x], T.sigmoid(x), mode=mode)(u), 1 / (1 + np.exp(-u.astype("f2"))),
                               rtol=2e-3)


def test_weak_int_dtype_does_not_depend_on_what_ran_before() -> None:
    """The dtype cache keyed a weak Python int by the smallest dtype holding it, and both
    ``2**63 - 1`` and ``2**64 - 1`` fit uint64 at least: after ``second(x, 2**63 - 1)`` (int64),
    ``second(x, 2**64 - 1)`` was typed int64 too (NumPy: uint64) -- a type that depended on
    what the process had compiled earlier (found by the CuPy codegen fuzzer)."""
    x = T.vector("x", dtype="float32")
    for value in (2 ** 63 - 1, 2 ** 64 - 1, -2 ** 63, 2 ** 63 - 1):
        want = np.asarray(value).dtype
        out = E.second(x, value)
        assert out.dtype == want.name, value
        for mode in MODES:
            got = function([x], out, mode=mode)(np.zeros(2, dtype="float32"))
            assert got.dtype == want and np.all(got == value), (value, mode)


@pytest.mark.parametrize("mode", MODES)
def test_xlogy0_of_a_huge_python_int(mode: str) -> None:
    """``xlogy0(x, 2**64 - 1)``: the row's ``where(x == 0, 1, y)`` converted the Python int
    itself, to int64 (-1), and the log was NaN; ``y`` is now converted in the result's float
    type first (a NumPy dtype compares equal to None, which hid the Python int)."""
    from framework.core.xlogx import xlogy0
    x = T.vector("x", dtype="float64")
    xv = np.array([0.0, 1.0, 0.5])
    got = function([x], xlogy0(x, 2 ** 64 - 1), mode=mode)(xv)
    np.testing.assert_allclose(got, [0.0, np.log(2.0 ** 64), 0.5 * np.log(2.0 ** 64)], rtol=1e-15)


@pytest.mark.parametrize("value", [300, -129, 2 ** 63 - 1])
def test_switch_with_a_python_int_that_does_not_fit_raises_when_built(value: int) -> None:
    """NumPy's ``where(c, int8_x, 300)`` wraps the int (holds 44) where ``int8_x + 300`` raises
    OverflowError; ``switch`` raises as the arithmetic does, naming the op (found by
    tests/fuzz/test_numpy_semantics.py). Ints that fit keep the branch's dtype, as in NumPy."""
    c, x = T.vector("c", dtype="bool"), T.vector("x", dtype="int8")
    for build in (lambda: T.switch(c, x, value), lambda: T.switch(c, value, x)):
        with pytest.raises(OverflowError, match="op 'switch'.*out of bounds for int8"):
            build()
    out = T.switch(c, x, -128)
    assert out.dtype == "int8"
    cv, xv = np.array([True, False]), np.array([5, 6], dtype="int8")
    for mode in MODES:
        np.testing.assert_array_equal(function([c, x], out, mode=mode)(cv, xv), np.where(cv, xv, -128))
