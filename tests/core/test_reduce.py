"""Reductions: sum, prod, mean, max, min, argmax, argmin, all, any, var, std --
values, dtypes and static shapes against NumPy, and gradients."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import framework.tensor as T
from framework import function, grad
from framework.core.types import TensorType
from framework.gradient import verify_grad

RNG = np.random.RandomState(42)
A = RNG.uniform(0.5, 1.5, size=(2, 3, 4))
KINDS = ["sum", "prod", "mean", "max", "min", "argmax", "argmin", "all", "any", "var", "std"]
AXES = [None, 0, 1, -1, (0, 2), (0, 1, 2), ()]


def _numpy(kind, value, axis, keepdims):
    if kind in ("argmax", "argmin") and axis is None:
        r = getattr(np, kind)(value)
        return np.reshape(r, (1,) * value.ndim) if keepdims else r
    return getattr(np, kind)(value, axis=axis, keepdims=keepdims)


# NumPy's argmax/argmin take one axis (several axes are an error, tested below)
CASES = [(k, a) for k in KINDS for a in AXES if not (k in ("argmax", "argmin") and isinstance(a, tuple))]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("kind,axis", CASES, ids=[f"{k}-{a}" for k, a in CASES])
@pytest.mark.parametrize("static", [False, True], ids=["unknown-shape", "static-shape"])
def test_values_match_numpy(kind, axis, keepdims, static):
    x = TensorType("float64", A.shape if static else (None,) * 3)("x")
    method = getattr(x, kind, None)
    out = method(axis=axis, keepdims=keepdims) if method else getattr(T, kind)(x, axis=axis, keepdims=keepdims)
    want = np.asarray(_numpy(kind, A, axis, keepdims))
    got = np.asarray(function([x], out)(A))
    assert got.shape == want.shape and out.ndim == want.ndim
    assert got.dtype == want.dtype and out.dtype == want.dtype.name
    if static:
        assert out.type.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["int8", "int32", "uint8", "bool", "float32", "float16", "int64"])
@pytest.mark.parametrize("kind", ["sum", "prod", "mean", "max", "min", "argmax", "all", "any", "var"])
def test_dtypes_follow_numpy(kind, dtype):
    """int8 sums to int64, mean of ints is float64, max keeps the dtype ..."""
    x = T.tensor(dtype, (None, None), name="x")
    value = (RNG.rand(3, 4) * 3).astype(dtype)
    for axis in (None, 0):
        out = getattr(T, kind)(x, axis=axis)
        want = np.asarray(getattr(np, kind)(value, axis=axis))
        got = np.asarray(function([x], out)(value))
        assert out.dtype == want.dtype.name == got.dtype.name, (kind, dtype, axis)
        np.testing.assert_allclose(got.astype("float64"), want.astype("float64"), rtol=1e-3)


def test_sum_with_explicit_dtype():
    x = T.tensor("int8", (None,))
    out = x.sum(dtype="int16")
    assert out.dtype == "int16"
    assert function([x], out)(np.array([100, 100], dtype="int8")) == 200


@pytest.mark.parametrize("ddof", [0, 1])
def test_var_and_std_take_ddof(ddof):
    x = T.dmatrix("x")
    v = A[0]
    np.testing.assert_allclose(x.var(axis=0, ddof=ddof).eval({x: v}), np.var(v, axis=0, ddof=ddof))
    np.testing.assert_allclose(x.std(ddof=ddof).eval({x: v}), np.std(v, ddof=ddof))
    np.testing.assert_allclose(T.std(x, axis=1, keepdims=True, ddof=ddof).eval({x: v}),
                               np.std(v, axis=1, keepdims=True, ddof=ddof))


@pytest.mark.parametrize("axis", [None, 0, (0, 2), -1])
@pytest.mark.parametrize("kind", ["sum", "prod", "mean", "max", "min", "var", "std"])
def test_gradient_matches_finite_differences(kind, axis):
    verify_grad(lambda x: getattr(T, kind)(x, axis=axis), [RNG.uniform(0.5, 1.5, size=(2, 3, 4))], rng=RNG)
    verify_grad(lambda x: getattr(T, kind)(x, axis=axis, keepdims=True) * x,
                [RNG.uniform(0.5, 1.5, size=(2, 3, 4))], rng=RNG)


def test_gradient_of_max_goes_to_the_maximum():
    x = T.dmatrix("x")
    g = grad(x.max(axis=1).sum(), x)
    v = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    np.testing.assert_array_equal(function([x], g)(v), [[0, 1, 0], [1, 0, 0]])


def test_gradient_of_max_with_ties_reaches_every_tied_position():
    """Documented choice (as Theano): each position equal to the maximum gets the full gradient."""
    x = T.dvector("x")
    g = grad(x.max(), x)
    np.testing.assert_array_equal(function([x], g)([2.0, 2.0, 1.0]), [1.0, 1.0, 0.0])


def _prod_grad_reference(value, axis):
    """d prod(value, axis) / d value by brute force: the product of the other entries of each group."""
    value = np.asarray(value, dtype=np.float64)
    out = np.empty_like(value)
    for index in np.ndindex(value.shape):
        group = np.zeros(value.shape, dtype=bool)
        if axis is None:
            group[...] = True
        else:
            where = list(index)
            where[axis] = slice(None)
            group[tuple(where)] = True
        group[index] = False
        out[index] = np.prod(value[group])
    return out


# Rows with no, one and two zeros (small integers and halves: every product is exact).
PROD_ROWS = np.array([[2.0, -3.0, 0.5, 4.0],
                      [2.0, 0.0, -1.5, 4.0],
                      [0.0, 3.0, 0.0, 2.0],
                      [0.0, 0.0, 0.0, 0.0]])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("axis", [None, 1, 0])
@pytest.mark.parametrize("keepdims", [False, True])
def test_gradient_of_prod_is_exact_where_x_has_zeros(dtype, axis, keepdims):
    """No zero in a group: prod / x; one zero: the product of the others at the zero, 0 elsewhere;
    two or more zeros: 0 (as Theano/PyTensor) -- never nan."""
    x = T.tensor(dtype, (None, None), name="x")
    g = grad(T.prod(x, axis=axis, keepdims=keepdims).sum(), x)
    f = function([x], g)
    if axis is None:
        # over all axes: inputs whose only zeros are none, one and two
        cases = [PROD_ROWS[:1], PROD_ROWS[:2], PROD_ROWS[:3], np.array([[1.5, 0.0], [0.0, 2.0]])]
    else:
        cases = [PROD_ROWS if axis == 1 else PROD_ROWS.T]
    for value in cases:
        value = value.astype(dtype)
        got = f(value)
        assert got.dtype == np.dtype(dtype) and np.all(np.isfinite(got))
        np.testing.assert_array_equal(got, _prod_grad_reference(value, axis).astype(dtype))


def test_gradient_of_prod_with_a_zero_on_several_axes_and_an_outer_gradient():
    x = T.dtensor3("x")
    value = RNG.uniform(0.5, 1.5, size=(2, 3, 4))
    value[0, 1, 2] = 0.0  # one zero in group 0 of the reduction over axes (1, 2)
    value[1, 0, 0] = value[1, 2, 3] = 0.0  # two zeros in group 1
    weights = np.array([3.0, -2.0])
    g = grad((T.prod(x, axis=(1, 2)) * weights).sum(), x)
    got = function([x], g)(value)
    want = np.zeros_like(value)
    want[0, 1, 2] = 3.0 * np.prod(np.delete(value[0].ravel(), 1 * 4 + 2))
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("axis", [None, 1])
def test_gradient_of_prod_is_differentiable(dtype, axis):
    """The zero-safe rule is built from ordinary ops: its own gradient checks out away from
    zeros and stays finite at them."""
    value = RNG.uniform(0.5, 1.5, size=(3, 4)).astype(dtype)
    verify_grad(lambda x: T.prod(x, axis=axis), [value], rng=RNG)
    verify_grad(lambda x: grad(T.prod(x, axis=axis).sum(), x), [value], rng=RNG)
    x = T.tensor(dtype, (None, None), name="x")
    gx = grad(T.prod(x, axis=axis).sum(), x)
    second = grad((gx * gx).sum(), x)
    with_zeros = PROD_ROWS.astype(dtype)
    assert np.all(np.isfinite(function([x], second)(with_zeros)))


def test_gradient_of_mean_with_unknown_shape_divides_by_runtime_count():
    x = T.dmatrix("x")
    g = grad(x.mean(axis=0).sum(), x)
    np.testing.assert_allclose(function([x], g)(np.ones((4, 2))), np.full((4, 2), 0.25))


def test_integer_and_boolean_reductions_give_no_gradient():
    x = T.dvector("x")
    i = T.ivector("i")
    cost = x.sum() + T.cast(i.sum(), "float64") + T.cast(x.argmax(), "float64")
    gx, gi = grad(cost, [x, i])
    gxv, giv = function([x, i], [gx, gi])([1.0, 3.0], [1, 2])
    np.testing.assert_array_equal(gxv, [1.0, 1.0])
    np.testing.assert_array_equal(giv, [0.0, 0.0])


def test_scalar_reductions():
    s = T.dscalar("s")
    assert function([s], s.sum())(3.0) == 3.0
    assert function([s], s.max())(3.0) == 3.0
    assert function([s], s.argmax())(3.0) == 0
    assert s.argmax().dtype == "int64"


def test_axis_out_of_range_names_the_reduction_and_the_line():
    x = T.dmatrix("x")
    with pytest.raises(ValueError) as info:
        x.sum(axis=2)  # reduce here
    assert "sum" in str(info.value) and "axis 2" in str(info.value)
    assert "x.sum(axis=2)  # reduce here" in str(info.value)


def test_repeated_axis_is_an_error():
    with pytest.raises(ValueError, match="repeated axis"):
        T.dtensor3().sum(axis=(0, 0))


def test_argmax_over_several_axes_is_an_error():
    with pytest.raises(ValueError, match="one axis"):
        T.dmatrix().argmax(axis=(0, 1))


def test_size_and_norm():
    x = T.dmatrix("x")
    v = np.arange(6.0).reshape(2, 3)
    assert x.size.eval({x: v}) == 6
    np.testing.assert_allclose(x.norm(2).eval({x: v}), np.linalg.norm(v))
    np.testing.assert_allclose(x.norm(1, axis=0).eval({x: v}), np.abs(v).sum(axis=0))


def test_static_shape_of_reductions():
    x = TensorType("float64", (2, None, 4))("x")
    assert x.sum(axis=0).type.shape == (None, 4)
    assert x.sum(axis=1, keepdims=True).type.shape == (2, 1, 4)
    assert x.max().type.shape == ()
    assert x.mean(axis=(0, 2), keepdims=True).type.shape == (1, None, 1)


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_var_with_ddof_at_least_the_count_is_numpys_inf_or_nan(mode):
    """NumPy divides by ``max(n - ddof, 0)``: ``ddof >= n`` gives inf (or NaN for a zero sum of
    squares), never the negative or finite variance that ``mean * n / (n - ddof)`` gave (found
    by tests/fuzz/test_numpy_semantics.py). Other ddof: NumPy's digits, bit for bit."""
    x = T.dmatrix("x")
    v = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]])
    outs = [x.var(axis=1, ddof=3), x.var(axis=1, ddof=4), x.std(axis=1, ddof=5), x.var(axis=0, ddof=1),
            x.var(ddof=2), x.std(axis=(0, 1), ddof=1, keepdims=True)]
    f = function([x], outs, mode=mode)
    y = T.tensor("float32", (None, None), "y")  # sizes only known at run time
    g = function([y], [y.var(axis=0, ddof=3), y.var(axis=1, ddof=1)], mode=mode)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = [np.var(v, axis=1, ddof=3), np.var(v, axis=1, ddof=4), np.std(v, axis=1, ddof=5),
                np.var(v, axis=0, ddof=1), np.var(v, ddof=2), np.std(v, axis=(0, 1), ddof=1, keepdims=True)]
        got = f(v)
        w32 = v.astype("float32")
        got32, want32 = g(w32), [np.var(w32, axis=0, ddof=3), np.var(w32, axis=1, ddof=1)]
    for a, b in zip(got + got32, want + want32):
        assert np.asarray(a).dtype == np.asarray(b).dtype and np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_prod_with_acc_dtype_returns_the_accumulators_dtype(mode):
    """``prod(x, acc_dtype=d)`` is ``np.prod(x, dtype=d)``, like ``sum``: NumPy's prod of an int8
    array is int64, so the product was returned unwrapped (-400 for 100 * -4 where int8 gives 112)."""
    b = T.tensor("int8", (None,), "b")
    f = function([b], [T.prod(b, acc_dtype="int8"), T.prod(b, acc_dtype="uint16"), T.prod(b, acc_dtype="bool"),
                       T.sum(b, acc_dtype="int8")], mode=mode)
    v = np.array([100, -4], dtype="int8")
    with np.errstate(all="ignore"):
        want = [np.prod(v, dtype="int8"), np.prod(v, dtype="uint16"), np.prod(v, dtype="bool"), np.sum(v, dtype="int8")]
    for a, w in zip(f(v), want):
        assert a.dtype == w.dtype and a == w


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std", "argmax"])
@pytest.mark.parametrize("axis", [0, -1, (0,)])
def test_an_axis_of_a_0d_input_is_a_clear_error(name, axis):
    """A 0-d input has no axis: every reduction says so when the graph is built, naming the op
    (axis 0 went on to a raw NumPy AxisError from the dtype inference; NumPy's own sum accepts
    it, its mean does not -- found by tests/fuzz/test_numpy_semantics.py)."""
    x = T.dscalar("x")
    with pytest.raises(ValueError, match=f"{name}: axis .* out of range for a 0-d input"):
        getattr(T, name)(x, axis=axis)
