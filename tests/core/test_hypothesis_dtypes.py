"""Property tests over every dtype kind, non-finite values included.

Random draws of: any row of the element-wise table, a reduction, an indexing,
and a set/inc through (possibly repeated) index arrays, on bool, signed,
unsigned and float inputs holding nan and +-inf; each compiled in FAST_RUN and
FAST_COMPILE and compared with NumPy (value, dtype, shape). Gradients of
set/inc through repeated indices are compared with finite differences. The
default run is short; ``-m slow`` runs many more examples.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import framework.tensor as T
from framework import function, grad
from framework.core import elemwise as E

from test_elemwise_dtypes import _reference  # tests/core is on sys.path (no package)

DTYPES = ("bool", "int8", "uint8", "int32", "uint32", "int64", "float32", "float64")
MODES = ("FAST_RUN", "FAST_COMPILE")
ROWS = sorted(n for n in E.SCALAR_OPS if not n.startswith("cast_"))
REDUCTIONS = ("sum", "prod", "max", "min", "mean", "all", "any")
SETTINGS = dict(deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@st.composite
def arrays(draw, dtype: str, shape):
    dt = np.dtype(dtype)
    n = int(np.prod(shape))
    if dt.kind == "b":
        flat = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    elif dt.kind in "iu":
        info = np.iinfo(dt)
        small = st.integers(max(info.min, -5), min(info.max, 9))
        flat = draw(st.lists(st.one_of(small, st.sampled_from([info.min, info.max])), min_size=n, max_size=n))
    else:
        finite = st.floats(-4, 4, allow_nan=False, width=32)
        flat = draw(st.lists(st.one_of(finite, st.sampled_from([np.nan, np.inf, -np.inf, -0.0])),
                             min_size=n, max_size=n))
    return np.array(flat, dtype=dt).reshape(shape)


def _quiet(fn, *args):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def _same(got, want, what):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype, got.shape, want.shape)
    if want.dtype.kind == "f":
        tol = {2: 2e-3, 4: 1e-5}.get(want.dtype.itemsize, 1e-12)
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True, err_msg=str(what))
    else:
        np.testing.assert_array_equal(got, want, err_msg=str(what))


def _compiled(inputs, out, values):
    return [_quiet(function(inputs, out, mode=mode), *values) for mode in MODES]


@st.composite
def elemwise_cases(draw):
    name = draw(st.sampled_from(ROWS))
    nin = E.SCALAR_OPS[name].nin
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    dtypes = [draw(st.sampled_from(DTYPES)) for _ in range(nin)]
    if name == "switch":
        dtypes[0] = "bool"
    values = [draw(arrays(dt, shape)) for dt in dtypes]
    return name, values


def _check_elemwise(case):
    name, values = case
    if name in ("int_div", "mod") and any(v.dtype.kind in "biu" for v in values):
        assume(np.all(values[1] != 0))  # NumPy has no integer answer for a zero divisor
    if name == "pow" and all(v.dtype.kind in "biu" for v in values):
        assume(np.all(values[1] >= 0))  # NumPy refuses negative integer powers
    try:
        want = np.asarray(_quiet(_reference(name), *values))
    except (TypeError, ValueError, OverflowError):
        return  # NumPy refuses these dtypes; test_elemwise_dtypes checks the framework refuses too
    xs = [T.tensor(v.dtype.name, (None,) * v.ndim) for v in values]
    out = E.apply(name, *xs)
    assert out.dtype == want.dtype.name, (name, [v.dtype for v in values], out.dtype, want.dtype)
    for got in _compiled(xs, out, values):
        _same(got, want, (name, values))


@st.composite
def reduction_cases(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    value = draw(arrays(dtype, shape))
    kind = draw(st.sampled_from(REDUCTIONS))
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    return kind, axis, value


def _check_reduction(case):
    kind, axis, value = case
    want = np.asarray(_quiet(getattr(np, kind), value, axis))
    x = T.tensor(value.dtype.name, (None,) * value.ndim)
    out = getattr(T, kind)(x, axis=axis) if kind in ("all", "any") else getattr(x, kind)(axis=axis)
    for got in _compiled([x], out, [value]):
        _same(got, want, (kind, axis, value))


@st.composite
def indexing_cases(draw):
    dtype = draw(st.sampled_from(DTYPES))
    n = draw(st.integers(1, 4))
    x = draw(arrays(dtype, (n, 2)))
    idx = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5)))  # repeats allowed
    form = draw(st.sampled_from(["get", "set", "inc"]))
    y = draw(arrays(dtype, (len(idx), 2) if draw(st.booleans()) else (2,)))
    return form, x, idx, y


def _check_indexing(case):
    form, x, idx, y = case
    xs, ys = T.tensor(x.dtype.name, (None, None)), T.tensor(y.dtype.name, (None,) * y.ndim)
    if form == "get":
        out, want, inputs, values = xs[idx], x[idx], [xs], [x]
    else:
        want = x.copy()
        if form == "set":
            want[idx] = y  # NumPy: the last write to a repeated position wins
        else:
            if x.dtype == np.bool_:
                return  # NumPy has no add.at for bool
            _quiet(np.add.at, want, idx, y)
        build = T.set_subtensor if form == "set" else T.inc_subtensor
        out, inputs, values = build(xs[idx], ys), [xs, ys], [x, y]
    for got in _compiled(inputs, out, values):
        _same(got, want, (form, x, idx, y))


@st.composite
def repeated_index_gradients(draw):
    n = draw(st.integers(1, 4))
    idx = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6)))
    setter = draw(st.booleans())
    rng = np.random.RandomState(draw(st.integers(0, 2 ** 31 - 1)))
    return setter, rng.uniform(-1, 1, n), rng.uniform(-1, 1, len(idx)), rng.uniform(0.5, 2, n), idx


def _check_repeated_index_gradient(case):
    setter, xv, yv, w, idx = case
    x, y = T.dvector("x"), T.dvector("y")
    cost = ((T.set_subtensor if setter else T.inc_subtensor)(x[idx], y) * w).sum()

    def numpy_cost(xn, yn):
        z = xn.copy()
        if setter:
            z[idx] = yn
        else:
            np.add.at(z, idx, yn)
        return float((z * w).sum())

    eps = 1e-6
    num_y = np.array([(numpy_cost(xv, yv + eps * e) - numpy_cost(xv, yv - eps * e)) / (2 * eps)
                      for e in np.eye(len(yv))])
    num_x = np.array([(numpy_cost(xv + eps * e, yv) - numpy_cost(xv - eps * e, yv)) / (2 * eps)
                      for e in np.eye(len(xv))])
    for mode in MODES:
        gx, gy = function([x, y], grad(cost, [x, y]), mode=mode)(xv, yv)
        np.testing.assert_allclose(gy, num_y, atol=1e-6, err_msg=f"d/dy, set={setter}, idx={idx}")
        np.testing.assert_allclose(gx, num_x, atol=1e-6, err_msg=f"d/dx, set={setter}, idx={idx}")


CHECKS = [(elemwise_cases, _check_elemwise, 120), (reduction_cases, _check_reduction, 60),
          (indexing_cases, _check_indexing, 60), (repeated_index_gradients, _check_repeated_index_gradient, 40)]


@pytest.mark.parametrize("strategy,check,examples", CHECKS, ids=[c[1].__name__[7:] for c in CHECKS])
def test_matches_numpy_on_every_dtype_kind(strategy, check, examples):
    settings(max_examples=examples, **SETTINGS)(given(strategy())(check))()


@pytest.mark.slow
@pytest.mark.parametrize("strategy,check,examples", CHECKS, ids=[c[1].__name__[7:] for c in CHECKS])
def test_matches_numpy_on_every_dtype_kind_long_run(strategy, check, examples):
    settings(max_examples=examples * 20, **dict(SETTINGS, derandomize=False))(given(strategy())(check))()
