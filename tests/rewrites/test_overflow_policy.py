"""Rewrites that change the order of operations never change a finite result into inf or nan, nor the
reverse, nor nan into inf (issue #10, "algebra rewrites and overflow"; docs/rewrites.md, "Order of
operations and overflow").

Each case is an input on which the user's order and the rewritten order disagree when nothing guards
the rewrite: an intermediate that overflows in one order only, a partial sum that cancels in one
order only, ``inf - inf`` in one order and ``inf`` in the other, or a total at the very edge of the
float range. FAST_RUN must give what FAST_COMPILE (no optional rewrite) gives: the same elements
finite, the same elements nan, the same infinities with the same signs, and finite values equal up
to rounding.
"""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import Mode, function

from .conftest import op_names, sym

BIG = 1e308


def same_outcome(fast, plain, rtol=1e-6):
    fast, plain = np.asarray(fast), np.asarray(plain)
    assert fast.shape == plain.shape and fast.dtype == plain.dtype
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(plain))
    np.testing.assert_array_equal(np.isposinf(fast), np.isposinf(plain))
    np.testing.assert_array_equal(np.isneginf(fast), np.isneginf(plain))
    ok = np.isfinite(plain)
    np.testing.assert_allclose(fast[ok], plain[ok], rtol=rtol)


def check(inputs, output, cases, rewrite):
    fast = function(inputs, output)
    plain = function(inputs, output, mode="FAST_COMPILE")
    assert rewrite in op_names(fast), op_names(fast)
    with np.errstate(all="ignore"):
        for values in cases:
            values = [np.asarray(v, dtype=i.dtype) for v, i in zip(values, inputs)]
            same_outcome(fast(*values), plain(*values))


# --- dot_chain: re-associating the user's products is fast math ------------------------------------

@pytest.mark.parametrize("static", [True, False])
def test_a_chain_of_products_keeps_the_users_order(static):
    x = sym((1,), name="x", static=static)
    m = sym((1, 2), name="m", static=static)
    v = sym((2,), name="v", static=static)
    xv, mv, vv = np.array([1e200]), np.array([[1e200, -1e200]]), np.array([1.0, 1.0])
    with np.errstate(all="ignore"):
        for y in [T.dot(T.dot(x, m), v), T.dot(x, T.dot(m, v))]:
            f, g = function([x, m, v], y), function([x, m, v], y, mode="FAST_COMPILE")
            assert f.maker.report.fired["dot_chain"] == 0
            same_outcome(f(xv, mv, vv), g(xv, mv, vv))
        assert np.isnan(function([x, m, v], T.dot(T.dot(x, m), v))(xv, mv, vv))  # NumPy's order: nan


def test_fast_math_may_reassociate():
    x = sym((1,), name="x")
    m, v = T.dmatrix("m"), T.dvector("v")
    f = function([x, m, v], T.dot(T.dot(x, m), v), mode=Mode(including=["fast_math"]))
    assert f.maker.report.fired["dot_chain"] == 1


# --- dot_sum_stack: A @ B + C @ D as one stacked product ------------------------------------------

STACK_CASES = [
    # A @ B overflows to inf and C @ D to -inf: nan as written; the stacked sum gives inf
    ([[BIG, BIG]], [[1.0], [1.0]], [[BIG, BIG]], [[-1.0], [-1.0]]),
    # C @ D overflows to -inf as written; stacked after A's term the partial sums stay finite
    ([[BIG]], [[1.0]], [[-BIG, -BIG, 0.5 * BIG]], [[1.0], [1.0], [1.0]]),
    # every product finite as written; stacked, a partial sum overflows
    ([[BIG]], [[1.0]], [[BIG, 0.5 * BIG, -BIG, 0.5 * BIG, 0.5 * BIG, -BIG, -BIG, 0.5 * BIG, -BIG, 0.5 * BIG, -BIG]],
     np.ones((11, 1))),
    # non-finite operands
    ([[np.inf, 1.0]], [[1.0], [0.0]], [[1.0]], [[np.inf]]),
    ([[np.inf, 1.0]], [[0.0], [1.0]], [[1.0]], [[2.0]]),
    ([[1.0, 2.0]], [[np.nan], [1.0]], [[np.inf]], [[-1.0]]),
    ([[1e200, 1.0]], [[1e200], [1.0]], [[-1e200]], [[1e200]]),
    # ordinary values still match
    ([[1.0, 2.0], [3.0, 4.0]], [[0.5], [0.25]], [[1.0], [-1.0]], [[2.0]]),
]


@pytest.mark.parametrize("subtract", [False, True])
def test_stacked_products_keep_the_users_infs_and_nans(subtract):
    a, b, c, d = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("c"), T.dmatrix("d")
    y = T.dot(a, b) - T.dot(c, d) if subtract else T.dot(a, b) + T.dot(c, d)
    cases = [(A, B, C, -np.asarray(D) if subtract else D) for A, B, C, D in STACK_CASES]
    check([a, b, c, d], y, cases, "stacked_dot_sum")


def test_stacked_products_in_float32():
    a, b, c, d = T.fmatrix("a"), T.fmatrix("b"), T.fmatrix("c"), T.fmatrix("d")
    big = 3e38
    check([a, b, c, d], T.dot(a, b) + T.dot(c, d),
          [([[big, big]], [[1.0], [1.0]], [[big, big]], [[-1.0], [-1.0]]),
           ([[big]], [[1.0]], [[-big, -big, 0.5 * big]], [[1.0], [1.0], [1.0]])], "stacked_dot_sum")


# --- dot_column_update: S @ W from X @ W when S differs from X in column j --------------------------

def rank_update_graph(dtype="float64"):
    x, w = T.matrix("x", dtype=dtype), T.matrix("w", dtype=dtype)
    y, j = T.vector("y", dtype=dtype), T.lscalar("j")
    s = T.set_subtensor(x[:, j], y)
    return [x, w, y, j], [T.dot(x, w), T.dot(s, w)]


RANK_CASES = [
    # X @ W is 0; S @ W overflows in a partial sum (1e308 + 1e308) as written; the update gives 1e308
    ([[BIG, 0.0, -BIG]], np.ones((3, 1)), [BIG], 1),
    # X @ W overflows; S @ W is 0 as written; inf + (-1e308) would stay inf
    ([[BIG, BIG, -BIG]], np.ones((3, 1)), [0.0], 1),
    # the new column's product overflows
    ([[1.0, 0.0]], [[1.0, 2.0], [1e10, -1e10]], [1e300], 1),
    # inf - inf inside X @ W, none in S @ W
    ([[np.inf, 1.0]], [[1.0], [-np.inf]], [1.0], 0),
    # non-finite values elsewhere
    ([[np.nan, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]], [5.0, 6.0], 1),
    ([[1.0, 2.0]], [[np.inf, 0.0], [1.0, 1.0]], [0.0], 0),
    ([[0.0, 2.0]], [[np.inf, 0.0], [1.0, 1.0]], [3.0], 1),
    # ordinary values
    ([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], np.arange(12.0).reshape(3, 4) - 5, [1.0, 0.0], 2),
]


def test_rank_one_update_keeps_the_users_infs_and_nans():
    ins, outs = rank_update_graph()
    check(ins, outs, RANK_CASES, "dot_column_update")


# --- sum_squares_of_product and sum_of_broadcast_product -------------------------------------------

def jacobian_penalty(dtype):
    a, w = T.matrix("a", dtype=dtype), T.matrix("w", dtype=dtype)
    return [a, w], T.sum((a.dimshuffle(0, "x", 1) * w.dimshuffle("x", 0, 1)) ** 2)


@pytest.mark.parametrize("dtype,a,w", [
    # at the edge of the range: the product's sum rounds to inf, the factored one to the largest float
    ("float64", [[3.1884289388704925e+153], [3.188428938870494e+153]], [[2.9734869711312273]]),
    ("float32", [[5.907603958028829e+18], [5.907605057540456e+18]], [[2.20797061920166]]),
    # ... and the reverse
    ("float64", [[2.1977688634022155e+153], [2.1977688634022162e+153], [2.197768863402217e+153]],
     [[3.5222091123867503]]),
    ("float32", [[8.644280153226084e+18], [8.644280153226084e+18], [8.644279053714457e+18],
                 [8.644280153226084e+18]], [[1.0669913291931152]]),
    # a square that overflows, inf * 0, nan
    ("float64", [[1e200], [1.0]], [[1e-100]]),
    ("float64", [[np.inf], [1.0]], [[0.0]]),
    ("float64", [[np.nan, 1.0]], [[2.0, 3.0]]),
    ("float32", [[1e-30, 2.0]], [[1e30, 3.0]]),
])
def test_factored_sum_of_squares_keeps_the_users_infs_and_nans(dtype, a, w):
    ins, out = jacobian_penalty(dtype)
    check(ins, out, [(a, w)], "factored_sum_of_squares")


def test_general_factored_sum_keeps_the_users_order_of_products():
    x, y, z = T.dvector("x"), T.dvector("y"), T.dvector("z")
    xs, ys, zs = x.dimshuffle(0, "x", "x"), y.dimshuffle("x", 0, "x"), z.dimshuffle("x", "x", 0)
    big, tiny = [1e200, 1e200], [1e-200, 1e-200]
    cases = [(big, big, tiny), (tiny, big, big), ([1e300, 1.0], [1e300, -1e300], [1.0, 1.0]),
             ([1.0, np.inf], [0.0, 1.0], [1.0, 2.0]), ([1.0, 2.0], [3.0, 4.0], [0.5, 0.25])]
    check([x, y, z], T.sum(xs * (ys * zs)), cases, "factored_sum")  # y * z first, as written
    check([x, y, z], T.sum((xs * ys) * zs), cases, "factored_sum")


def test_general_factored_sum_with_a_cancelling_partial_sum():
    a, b = T.dvector("a"), T.dvector("b")
    # as written: 1e308 + 1e308 overflows before -1e308 comes; factored: (1e308 - 1e308) * 2 = 0
    check([a, b], T.sum(a.dimshuffle(0, "x") * b.dimshuffle("x", 0)),
          [([BIG, -BIG], [1.0, 1.0]), ([BIG, BIG], [1.0, -1.0]), ([1.0, 2.0], [3.0, 4.0])], "factored_sum")


def test_guards_keep_the_fast_path_on_ordinary_values():
    """The guards only fall back where the values come near overflow: ordinary values take the
    rewritten path (its rounding differs slightly from the product's, which shows which ran)."""
    from framework_rewrites.dot_stack import StackedDotSum
    from framework_rewrites.rank_update import DotColumnUpdate
    from framework_rewrites.sum_squares import FactoredSumOfSquares

    rng = np.random.RandomState(0)
    a, b, c, d = (rng.randn(5, 3) for _ in range(4))
    calls = []

    class Spy:
        __name__ = "numpy"

        def __getattr__(self, name):
            calls.append(name)
            return getattr(np, name)

    StackedDotSum(False).impl(Spy(), a, b.T, c, d.T)
    assert "concatenate" in calls
    calls.clear()
    x, w = (rng.rand(4, 6) < 0.5).astype(float), rng.randn(6, 3)
    s = x.copy()
    s[:, 2] = 1 - s[:, 2]
    r = DotColumnUpdate().impl(Spy(), x @ w, x, s, w, 2)
    np.testing.assert_allclose(r, s @ w)
    assert "dot" not in calls
    calls.clear()
    FactoredSumOfSquares((0,), (1,), (2,), False, False, "float64").impl(Spy(), rng.randn(4, 1, 3), rng.randn(1, 5, 3))
    assert "square" in calls and "sum" not in calls
