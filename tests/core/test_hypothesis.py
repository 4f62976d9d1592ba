"""Property-based tests: random expressions of element-wise, broadcasting,
reduction and indexing ops over random shapes and dtypes.

Each expression is built twice, once symbolically and once as a NumPy
function, from the same random choices; the compiled result must equal
NumPy's (value, dtype and shape) in every mode, and on float64 inputs the symbolic gradient
of a random projection must equal central finite differences of the NumPy
function.
"""
from __future__ import annotations

from typing import Any, Callable, List, Tuple

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import framework.tensor as T
from framework import function, grad
from framework.core.types import TensorType

Ref = Callable[[List[np.ndarray]], np.ndarray]
Node = Tuple[Any, Ref]  # (symbolic variable, NumPy function of the input values)

FLOAT_UNARY = {
    "neg": (lambda v: -v, lambda a: np.negative(a)),
    "abs": (lambda v: abs(v), np.abs),
    "tanh": (T.tanh, np.tanh),
    "sin": (T.sin, np.sin),
    "sqr": (T.sqr, np.square),
    "sigmoid": (T.sigmoid, lambda a: 1.0 / (1.0 + np.exp(-a))),
    "exp_tanh": (lambda v: T.exp(T.tanh(v)), lambda a: np.exp(np.tanh(a))),
    "softplus": (T.softplus, lambda a: np.logaddexp(0, a)),
}
INT_UNARY = ("neg", "abs", "sqr")
BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "maximum": (T.maximum, np.maximum),
    "minimum": (T.minimum, np.minimum),
}
SCALARS = [2, -1, 0.5, 1.5]
REDUCTIONS = ("sum", "mean", "max", "min", "prod")
FLOAT_DTYPES = ("float64", "float32")
DTYPES = ("float64", "float32", "int32", "int64")


def _input_value(rng: np.random.RandomState, shape: Tuple[int, ...], dtype: str) -> np.ndarray:
    if dtype.startswith("float"):
        return np.asarray(rng.uniform(-1.5, 1.5, size=shape)).astype(dtype)
    return np.asarray(rng.randint(-3, 4, size=shape)).astype(dtype)


@st.composite
def expressions(draw, for_grad: bool = False):
    """(inputs, values, output variable, NumPy reference) for a random expression."""
    ndim = draw(st.integers(0, 3))
    base = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    rng = np.random.RandomState(draw(st.integers(0, 2 ** 31 - 1)))
    inputs, values, pool = [], [], []
    for k in range(draw(st.integers(1, 3))):
        # each input broadcasts against ``base``: leading axes dropped, some sizes set to 1
        drop = draw(st.integers(0, ndim))
        shape = tuple(1 if draw(st.booleans()) and draw(st.booleans()) else d for d in base[drop:])
        dtype = "float64" if for_grad else draw(st.sampled_from(DTYPES))
        var = TensorType(dtype, (None,) * len(shape))(f"x{k}")
        inputs.append(var)
        values.append(_input_value(rng, shape, dtype))
        pool.append((var, lambda vals, k=k: vals[k]))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["unary", "binary", "scalar", "reduce", "index"]))
        pool.append(_grow(draw, kind, pool, inputs, values, for_grad))
    sym, ref = pool[-1]
    return inputs, values, sym, ref


def _value(node: Node, values: List[np.ndarray]) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(node[1](values))


def _grow(draw, kind: str, pool: List[Node], inputs, values, for_grad: bool) -> Node:
    """One new node built from nodes of the pool."""
    a_sym, a_ref = draw(st.sampled_from(pool[-3:])) if draw(st.booleans()) else draw(st.sampled_from(pool))
    a_val = _value((a_sym, a_ref), values)
    if kind == "binary":
        b_sym, b_ref = draw(st.sampled_from(pool))
        b_val = _value((b_sym, b_ref), values)
        try:
            np.broadcast_shapes(a_val.shape, b_val.shape)
        except ValueError:
            kind = "unary"
        else:
            name = draw(st.sampled_from(sorted(BINARY)))
            sym_fn, np_fn = BINARY[name]
            if draw(st.booleans()):
                a_sym, a_ref, b_sym, b_ref = b_sym, b_ref, a_sym, a_ref
            return sym_fn(a_sym, b_sym), lambda vals: np_fn(a_ref(vals), b_ref(vals))
    if kind == "scalar":
        c = draw(st.sampled_from(SCALARS))
        name = draw(st.sampled_from(["add", "mul", "sub"]))
        sym_fn, np_fn = BINARY[name]
        if draw(st.booleans()):
            return sym_fn(a_sym, c), lambda vals: np_fn(a_ref(vals), c)
        return sym_fn(c, a_sym), lambda vals: np_fn(c, a_ref(vals))
    if kind == "reduce":
        # max/min have ties through broadcast copies, where the gradient is a choice: values only
        names = [r for r in REDUCTIONS if not (for_grad and r in ("max", "min"))]
        name = draw(st.sampled_from(names))
        axis = None if a_val.ndim == 0 or draw(st.booleans()) else draw(st.integers(-a_val.ndim, a_val.ndim - 1))
        keepdims = draw(st.booleans())
        out = getattr(a_sym, name)(axis=axis, keepdims=keepdims)
        return out, lambda vals: getattr(np, name)(a_ref(vals), axis=axis, keepdims=keepdims)
    if kind == "index" and a_val.ndim > 0:
        n = a_val.shape[0]
        how = draw(st.sampled_from(["int", "symbolic", "slice", "newaxis", "array", "second_axis"]))
        if how == "int":
            i = draw(st.integers(-n, n - 1))
            return a_sym[i], lambda vals: a_ref(vals)[i]
        if how == "symbolic":
            i = draw(st.integers(-n, n - 1))
            idx = T.lscalar(f"i{len(inputs)}")
            inputs.append(idx)
            values.append(np.int64(i))
            return a_sym[idx], lambda vals: a_ref(vals)[i]
        if how == "slice":
            start = draw(st.one_of(st.none(), st.integers(-n, n)))
            stop = draw(st.one_of(st.none(), st.integers(-n, n)))
            step = draw(st.sampled_from([None, 1, 2, -1]))
            sl = slice(start, stop, step)
            out_val = a_val[sl]
            if out_val.size == 0:  # keep things non-empty
                sl = slice(None, None, step)
            return a_sym[sl], lambda vals: a_ref(vals)[sl]
        if how == "newaxis":
            return a_sym[None, ...], lambda vals: a_ref(vals)[None, ...]
        if how == "array":
            idx = np.asarray(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4)))
            return a_sym[idx], lambda vals: a_ref(vals)[idx]
        if a_val.ndim > 1:
            j = draw(st.integers(0, a_val.shape[1] - 1))
            return a_sym[:, j], lambda vals: a_ref(vals)[:, j]
    # unary (also the fallback)
    dtype = a_val.dtype.name
    names = sorted(FLOAT_UNARY) if dtype.startswith("float") else sorted(INT_UNARY)
    name = draw(st.sampled_from(names))
    sym_fn, np_fn = FLOAT_UNARY[name]
    return sym_fn(a_sym), lambda vals: np_fn(a_ref(vals))


def _tolerance(dtype: np.dtype, want: np.ndarray) -> dict:
    scale = float(np.max(np.abs(want))) if want.size else 1.0
    if dtype == np.float32 or dtype == np.float16:
        return dict(rtol=1e-4, atol=1e-4 * max(1.0, scale))
    return dict(rtol=1e-9, atol=1e-9 * max(1.0, scale))


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                derandomize=True)


@settings(max_examples=150, **SETTINGS)
@given(expressions(), st.sampled_from(["FAST_RUN", "FAST_COMPILE", "DEBUG"]))
def test_compiled_expressions_match_numpy(case, mode):
    inputs, values, out, ref = case
    with np.errstate(all="ignore"):
        want = np.asarray(ref(values))
    assume(np.all(np.isfinite(want)) and np.max(np.abs(want), initial=0) < 1e6)
    f = function(inputs, out, on_unused_input="ignore", mode=mode)
    got = np.asarray(f(*values))
    assert out.dtype == want.dtype.name, f"symbolic dtype {out.dtype}, NumPy {want.dtype}"
    assert got.dtype == want.dtype, f"result dtype {got.dtype}, NumPy {want.dtype}"
    assert got.shape == want.shape and out.ndim == want.ndim
    for static, actual in zip(out.type.shape, want.shape):
        assert static is None or static == actual, (out.type.shape, want.shape)
    np.testing.assert_allclose(got, want, **_tolerance(want.dtype, want))


@settings(max_examples=60, **SETTINGS)
@given(expressions(for_grad=True), st.integers(0, 2 ** 31 - 1))
def test_gradients_match_finite_differences(case, seed):
    inputs, values, out, ref = case
    with np.errstate(all="ignore"):
        want = np.asarray(ref(values))
    assume(want.dtype == np.float64 and np.all(np.isfinite(want)) and np.max(np.abs(want), initial=0) < 1e4)
    proj = np.random.RandomState(seed).uniform(0.5, 1.5, size=want.shape)
    cost = (out * proj).sum()
    wrt = [v for v in inputs if v.dtype == "float64"]
    gs = grad(cost, wrt, disconnected_inputs="ignore")
    got = function(inputs, gs, on_unused_input="ignore")(*values)

    def numpy_cost(vals):
        with np.errstate(all="ignore"):
            return float((np.asarray(ref(vals)) * proj).sum())

    eps = 1e-6
    for k, (v, g) in enumerate(zip(wrt, got)):
        pos = inputs.index(v)
        base = values[pos]
        num = np.zeros_like(base)
        for j in np.ndindex(base.shape):
            plus, minus = base.copy(), base.copy()
            plus[j] += eps
            minus[j] -= eps
            vp, vm = list(values), list(values)
            vp[pos], vm[pos] = plus, minus
            num[j] = (numpy_cost(vp) - numpy_cost(vm)) / (2 * eps)
        assert g.shape == base.shape and g.dtype == np.float64
        scale = max(1.0, float(np.max(np.abs(num), initial=0)))
        np.testing.assert_allclose(g, num, rtol=1e-4, atol=1e-5 * scale,
                                   err_msg=f"gradient of input {v} (values {values})")


# --- shapes and errors agree between modes ---------------------------------------------

@st.composite
def shape_programs(draw):
    """(inputs, values, output) for programs whose operand sizes may not fit:
    element-wise ops, dots and sums over float vectors and matrices of sizes 1-3."""
    inputs, values = [], []
    rng = np.random.RandomState(draw(st.integers(0, 2 ** 31 - 1)))
    for k in range(draw(st.integers(2, 3))):
        shape = tuple(draw(st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=2)))
        inputs.append(TensorType("float64", (None,) * len(shape))(f"x{k}"))
        values.append(rng.uniform(-1, 1, size=shape))
    pool = list(inputs)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["binary", "dot", "unary", "sum"]))
        a, b = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
        if kind == "dot" and a.ndim in (1, 2) and b.ndim in (1, 2):
            pool.append(T.dot(a, b))
        elif kind == "binary" and a.ndim == b.ndim:
            pool.append(BINARY[draw(st.sampled_from(sorted(BINARY)))][0](a, b))
        elif kind == "sum" and a.ndim > 0:
            pool.append(a.sum(axis=0))
        else:
            pool.append(T.tanh(a))
    return inputs, values, pool[-1]


def _outcome(inputs, values, outputs, mode):
    """The shapes computed, or 'error' when the compiled function raises."""
    try:
        got = function(inputs, outputs, on_unused_input="ignore", mode=mode)(*values)
    except Exception:
        return "error"
    return [np.shape(g) for g in got] + [tuple(np.asarray(g).ravel()) for g in got if np.ndim(g) == 1 and
                                         np.asarray(g).dtype == np.int64]


@settings(max_examples=120, **SETTINGS)
@given(shape_programs())
def test_rewrites_keep_shapes_and_errors(case):
    """A graph that raises in FAST_COMPILE raises in FAST_RUN (and the other way
    round), and both give the same shapes: for the value, for its shape alone
    (which rewrites read from the inputs) and for its gradients."""
    inputs, values, out = case
    cost = out.sum() if out.ndim else out
    grads = grad(cost, inputs, disconnected_inputs="ignore")
    for outputs in ([out], [out.shape], grads, [out.shape] + grads):
        fast = _outcome(inputs, values, outputs, "FAST_RUN")
        slow = _outcome(inputs, values, outputs, "FAST_COMPILE")
        assert fast == slow, (outputs, [v.shape for v in values])
