"""Specialisation: constant powers, sums of products as dot, dot chains, Bernoulli draws."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import Mode, function
from framework.core.blas import Einsum

from .conftest import assert_same, compare, op_names, rand, sym, top_ops, without

NO_FUSION = ("fuse_elemwise", "inplace")


# (exponent, ops by default, ops with fast_math): by default only the forms with power's own bits
POWERS = [(2, ["sqr"], ["sqr"]), (1, [], []), (-1, ["true_div"], ["true_div"]), (0.5, ["pow"], ["sqrt"]),
          (-0.5, ["pow"], ["sqrt", "true_div"]), (3, ["pow"], ["sqr", "mul"]), (-2, ["pow"], ["sqr", "true_div"])]


@pytest.mark.parametrize("exponent,expect,expect_fast", POWERS)
def test_constant_powers_become_cheaper_ops(exponent, expect, expect_fast):
    x = T.dvector("x")
    f = function([x], x ** exponent, mode=Mode("fast_run", excluding=NO_FUSION))
    assert top_ops(f) == expect
    fast = function([x], x ** exponent, mode=Mode("fast_run", including=["fast_math"], excluding=NO_FUSION))
    assert top_ops(fast) == expect_fast
    compare([x], x ** exponent, lambda: [rand((7,), low=0.1, high=3)], "pow_specialize")
    v = rand((7,), low=0.1, high=3)
    assert_same(f(v), function([x], x ** exponent, mode="FAST_COMPILE")(v))
    np.testing.assert_allclose(fast(v), v ** exponent, rtol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("exponent", [2, 3, -1, -2, 1])
def test_constant_powers_keep_powers_bits_by_default(dtype, exponent):
    """x**3 as sqr(x)*x rounds twice where power rounds once: a quarter of random values differed in
    the last bit (and 1/sqr(x) is 0 where x**-2 is subnormal), so those forms are fast math only."""
    x = T.tensor(dtype, (None,), name="x")
    rng = np.random.default_rng(7)
    scale = {"float32": [1e-3, 1.0, 1e3, 1e12], "float64": [1e-3, 1.0, 1e3, 1e100, 1e160]}[dtype]
    v = (rng.standard_normal(20000) * rng.choice(scale, 20000)).astype(dtype)
    with np.errstate(all="ignore"):
        got = function([x], x ** exponent)(v)
        want = np.power(v, np.asarray(exponent, dtype))
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.view(f"u{got.itemsize}"), want.view(f"u{want.itemsize}"))


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64"])
def test_integer_cubes_are_products_with_powers_wrapping(dtype):
    x = T.tensor(dtype, (None,), name="x")
    f = function([x], x ** 3, mode=Mode("fast_run", excluding=NO_FUSION))
    assert top_ops(f) == ["sqr", "mul"]
    info = np.iinfo(dtype)
    v = np.array([0, 1, -1, 7, -7, info.max, info.min, info.max // 3, -(info.max // 5), 11], dtype=dtype)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(f(v), np.power(v, np.asarray(3, dtype)))


@pytest.mark.parametrize("exponent", [0.5, -0.5])
def test_square_root_powers_keep_non_finite_results_by_default(exponent):
    x = T.dvector("x")
    v = np.array([-np.inf, np.inf, np.nan, -0.0, 4.0])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(function([x], x ** exponent)(v), np.power(v, exponent))


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
def test_constant_powers_keep_dtypes(dtype):
    x = T.tensor(dtype, (None,), name="x")
    outs = [x ** 2, x ** 3, x ** 0.5]
    compare([x], outs, lambda: [rand((5,), dtype, 1, 4)], "pow_specialize", rtol=1e-6)


def test_power_with_a_broadcasting_exponent_is_kept():
    x = T.dvector("x")
    y = x ** T.constant(np.full((2, 1), 2.0))
    f = function([x], y, mode=without(*NO_FUSION))
    assert "pow" in top_ops(f)
    assert f(np.arange(3.0)).shape == (2, 3)


def test_sum_of_squares_is_a_dot():
    for shape in [(5,), (3, 4)]:
        x = T.tensor("float64", (None,) * len(shape), name="x")
        for y in [(x ** 2).sum(), (x * x).sum(), T.sqr(x).sum()]:
            f = function([x], y, mode=without(*NO_FUSION))
            assert "dot" in top_ops(f) and "sum" not in top_ops(f)
            compare([x], y, lambda: [rand(shape)], "sum_to_dot")


def test_sum_of_products_of_vectors_and_matrix_rows_is_a_dot():
    a, b = sym((6,), name="a", static=True), sym((6,), name="b", static=True)
    f = function([a, b], (a * b).sum(), mode=without(*NO_FUSION))
    assert top_ops(f) == ["dot"]
    m, v = sym((3, 6), name="m", static=True), sym((6,), name="v", static=True)
    g = function([m, v], (m * v.dimshuffle("x", 0)).sum(axis=1), mode=without(*NO_FUSION))
    assert top_ops(g) == ["dot"]
    u = sym((3,), name="u", static=True)
    h = function([m, u], (m * u.dimshuffle(0, "x")).sum(axis=0), mode=without(*NO_FUSION))
    assert top_ops(h) == ["dot"]
    compare([m, v, u], [(m * v.dimshuffle("x", 0)).sum(axis=1), (m * u.dimshuffle(0, "x")).sum(axis=0)],
            lambda: [rand((3, 6)), rand((6,)), rand((3,))], "sum_to_dot")


def test_sum_of_products_that_may_broadcast_is_not_a_dot():
    """Unknown sizes could be 1 and broadcast: a dot would then fail, so no rewrite."""
    a, b = T.dvector("a"), T.dvector("b")
    f = function([a, b], (a * b).sum())
    assert "dot" not in top_ops(f)
    assert f(np.ones(1), np.arange(4.0)) == 6.0


def test_integer_sums_of_products_stay_sums():
    a = T.ivector("a")
    f = function([a], (a * a).sum())
    assert "dot" not in top_ops(f)
    av = np.array([100000, 3], dtype="int32")
    with np.errstate(over="ignore"):
        assert_same(f(av), (av * av).sum())  # int32 products (wrapping as NumPy's), int64 sum


# dot_chain re-associates the user's order of products: fast math, opt-in (see test_overflow_policy.py)
FAST_MATH = Mode("fast_run", including=["fast_math"], excluding=NO_FUSION)


def test_dot_chain_is_off_by_default():
    a = sym((100, 2), name="a", static=True)
    b = sym((2, 100), name="b", static=True)
    c = sym((100, 50), name="c", static=True)
    f = function([a, b, c], T.dot(T.dot(a, b), c), mode=without(*NO_FUSION))
    assert f.maker.report.fired["dot_chain"] == 0
    assert top_ops(f) == ["dot", "dot"]


def test_dot_chain_with_static_shapes_takes_the_cheaper_order():
    a = sym((100, 2), name="a", static=True)
    b = sym((2, 100), name="b", static=True)
    c = sym((100, 50), name="c", static=True)
    y = T.dot(T.dot(a, b), c)  # (a b) c costs 100*2*100 + 100*100*50; a (b c) 2*100*50 + 100*2*50
    f = function([a, b, c], y, mode=FAST_MATH)
    (outer,) = [n for n in f.maker.fgraph.toposort() if n.outputs[0] is f.maker.fgraph.outputs[0]]
    assert outer.inputs[0].name == "a"  # a · (b · c)
    g = function([a, b, c], y, mode="FAST_COMPILE")
    for _ in range(3):
        vals = [rand((100, 2)), rand((2, 100)), rand((100, 50))]
        assert_same(f(*vals), g(*vals), rtol=1e-10)


def test_dot_chain_already_in_the_best_order_is_kept():
    a = sym((2, 100), name="a", static=True)
    b = sym((100, 100), name="b", static=True)
    c = sym((100, 3), name="c", static=True)
    f = function([a, b, c], T.dot(T.dot(a, b), c), mode=FAST_MATH)
    assert top_ops(f) == ["dot", "dot"]
    assert f.maker.report.fired["dot_chain"] == 0


def test_dot_chain_with_unknown_shapes_becomes_an_einsum_planned_per_call():
    a, b, c, v = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("c"), T.dvector("v")
    y = T.dot(T.dot(T.dot(a, b), c), v)
    f = function([a, b, c, v], y, mode=FAST_MATH)
    assert [type(n.op) for n in f.maker.fgraph.toposort()] == [Einsum]
    for sa in [(30, 2), (2, 30), (4, 3)]:
        vals = [rand(sa), rand((sa[1], 40)), rand((40, 5)), rand((5,))]
        assert_same(f(*vals), vals[0] @ vals[1] @ vals[2] @ vals[3], rtol=1e-10)


def test_intermediate_dot_used_elsewhere_is_not_reassociated():
    a, b, c = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("c")
    ab = T.dot(a, b)
    f = function([a, b, c], [T.dot(ab, c), ab], mode=FAST_MATH)
    assert top_ops(f).count("dot") == 2


def test_bernoulli_draws_become_one_bernoulli_node():
    from framework.random import RandomStreams

    p = T.dmatrix("p")
    srng = RandomStreams(seed=7)
    s = srng.binomial(size=p.shape, n=1, p=p, dtype="float64")
    f = function([p], s)
    names = op_names(f)
    # the binomial sampler is gone: one node draws uniforms and compares them with p
    assert "random_binomial" not in names and "random_bernoulli" in names
    pv = np.tile(np.array([0.0, 0.2, 0.9, 1.0]), (2000, 1))
    out = f(pv)
    assert out.dtype == np.float64 and out.shape == pv.shape
    assert set(np.unique(out)) <= {0.0, 1.0}
    np.testing.assert_allclose(out.mean(axis=0), [0.0, 0.2, 0.9, 1.0], atol=0.03)
    assert not np.array_equal(out, f(pv))  # the state advances
    g = function([p], s, mode=without("binomial_to_uniform"))
    assert "random_binomial" in op_names(g)
    # and the rewrite changes no number: both draw uniform < p from the same state
    fresh = [RandomStreams(seed=8).binomial(size=p.shape, n=1, p=p, dtype="float64") for _ in range(2)]
    rewritten, plain = function([p], fresh[0]), function([p], fresh[1], mode=without("binomial_to_uniform"))
    assert "random_bernoulli" in op_names(rewritten) and "random_binomial" in op_names(plain)
    for _ in range(2):
        np.testing.assert_array_equal(rewritten(pv), plain(pv))


def test_bernoulli_draw_without_size_and_with_other_n_is_left_alone():
    from framework.random import RandomStreams

    srng = RandomStreams(seed=7)
    p = T.dvector("p")
    f = function([p], srng.binomial(n=1, p=p))
    assert "random_bernoulli" in op_names(f)
    assert f(np.array([0.0, 1.0, 1.0])).tolist() == [0, 1, 1]
    g = function([p], srng.binomial(size=(3,), n=2, p=p))
    assert "random_binomial" in op_names(g)
