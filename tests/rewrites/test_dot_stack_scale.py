"""dot_sum_stack_scale: ``W - lr * (A @ B + C @ D)`` scales the stacked product in place, and the
subtraction writes into it -- with the same values, bit for bit, as the graph without the rewrite
(FAST_COMPILE: equal up to the stacking's own rounding, as before), the same broadcasting and
errors, non-finite inputs included (issue 16)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framework
import framework.tensor as T
from framework import function, shared

from .conftest import op_names, without


def _update(dtype: str, factor, sign: int = 1):
    """``W - factor * (P.T @ B ± Q.T @ D)``: a weight update of the shape the RBM's gradient has."""
    P, Q, B, D = (T.matrix(n, dtype=dtype) for n in "PQBD")
    W = T.matrix("W", dtype=dtype)
    G = T.dot(P.T, B) + T.dot(Q.T, D) if sign > 0 else T.dot(P.T, B) - T.dot(Q.T, D)
    return [W, P, Q, B, D], W - factor * G


def _scaled_nodes(f) -> int:
    return sum(1 for n in f.maker.fgraph.toposort() if getattr(n.op, "scaled", False))


def _same(a, b) -> None:
    a, b = np.atleast_1d(np.asarray(a)), np.atleast_1d(np.asarray(b))
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), "not bit-identical"


_SPECIALS = [np.nan, np.inf, -np.inf, 3e38, -3e38, 1e-45, 0.0]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 7), st.integers(1, 7), st.integers(1, 9), st.integers(1, 9), st.sampled_from([1, -1]),
       st.sampled_from(["float32", "float64"]), st.integers(0, 2 ** 31 - 1), st.booleans())
def test_bit_identical_to_the_unrewritten_graph_and_fast_compile(k1, k2, m, n, sign, dtype, seed, special):
    ins, out = _update(dtype, np.asarray(0.1, dtype=dtype), sign)
    f = function(ins, out)
    assert _scaled_nodes(f) == 1
    assert "mul" not in [s for s in op_names(f) if s == "mul"]  # the factor lives in the stacked node
    g = function(ins, out, mode=without("dot_sum_stack_scale"))
    h = function(ins, out, mode="FAST_COMPILE")
    rng = np.random.RandomState(seed)
    args = [rng.randn(m, n), rng.randn(k1, m), rng.randn(k2, m), rng.randn(k1, n), rng.randn(k2, n)]
    args = [a.astype(dtype) for a in args]
    if special:  # a non-finite or huge value somewhere: the guarded path computes as written
        a = args[rng.randint(5)]
        a.flat[rng.randint(a.size)] = _SPECIALS[rng.randint(len(_SPECIALS))]
    with np.errstate(all="ignore"):
        want = g(*[a.copy() for a in args])
        got = f(*[a.copy() for a in args])
        _same(got, want)
        # FAST_COMPILE computes the two products as written: the stacked product (with or without
        # this rewrite) sums the same terms in another order, so only rounding differs; the same
        # nan, inf and finite entries (the stacking's guard, see dot_stack.py)
        plain = h(*[a.copy() for a in args])
        np.testing.assert_allclose(got, plain, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-5)


@pytest.mark.parametrize("factor", [0.1, -2.5, 3])
def test_python_number_factors(factor):
    ins, out = _update("float32", factor)
    f = function(ins, out)
    g = function(ins, out, mode=without("dot_sum_stack_scale"))
    rng = np.random.RandomState(4)
    args = [rng.randn(6, 5), rng.randn(3, 6), rng.randn(2, 6), rng.randn(3, 5), rng.randn(2, 5)]
    args = [a.astype("float32") for a in args]
    _same(f(*args), g(*args))


def test_a_symbolic_factor_and_a_wider_factor():
    lr = T.scalar("lr", dtype="float32")
    ins, out = _update("float32", lr)
    f = function(ins + [lr], out)
    assert _scaled_nodes(f) == 1
    g = function(ins + [lr], out, mode=without("dot_sum_stack_scale"))
    rng = np.random.RandomState(5)
    args = [rng.randn(6, 5), rng.randn(3, 6), rng.randn(2, 6), rng.randn(3, 5), rng.randn(2, 5)]
    args = [a.astype("float32") for a in args]
    for v in (0.1, -7.0, np.inf, np.nan, 0.0):
        with np.errstate(all="ignore"):
            _same(f(*args, np.float32(v)), g(*args, np.float32(v)))
    # a float64 factor makes the product float64: the mul changes the type, it is left alone
    lr64 = T.scalar("lr64", dtype="float64")
    ins, out = _update("float32", lr64)
    f64 = function(ins + [lr64], out)
    assert _scaled_nodes(f64) == 0
    _same(f64(*args, 0.1), function(ins + [lr64], out, mode=without("dot_sum_stack_scale"))(*args, 0.1))


def test_product_read_elsewhere_is_not_scaled():
    ins, out = _update("float64", 0.5)
    G = out.owner.inputs[1].owner.inputs[1]  # the sum of products
    f = function(ins, [out, G])
    assert _scaled_nodes(f) == 0


def test_errors_and_broadcasting_are_the_originals():
    ins, out = _update("float64", 0.5)
    f = function(ins, out)
    g = function(ins, out, mode="FAST_COMPILE")
    rng = np.random.RandomState(6)
    # the first product is (1, 4), the second (3, 4): the sum broadcasts, then W (3, 4)
    args = [rng.randn(3, 4), rng.randn(2, 1), rng.randn(5, 3), rng.randn(2, 4), rng.randn(5, 4)]
    _same(f(*args), g(*args))
    bad = [rng.randn(3, 4), rng.randn(2, 2), rng.randn(5, 3), rng.randn(2, 4), rng.randn(5, 4)]
    with pytest.raises(ValueError):
        g(*bad)
    with pytest.raises(ValueError):
        f(*bad)
    # W of another shape: the subtraction broadcasts (or fails) as written, never into the product
    for w in (rng.randn(1, 4), rng.randn(4)[None, :]):
        args2 = [w] + args[1:]
        _same(f(*args2), g(*args2))
    with pytest.raises(ValueError):
        f(*([rng.randn(2, 4)] + args[1:]))


def test_the_gradient_of_the_scaled_op():
    from framework_rewrites.dot_stack import StackedDotSum

    A, B, C, D = (T.dmatrix(n) for n in "ABCD")
    s = T.dscalar("s")
    like = T.dot(A, B)
    out = StackedDotSum(True, scaled=True).make_node(A, B, C, D, s, like=like).outputs[0]
    cost = (out ** 2).sum()
    grads = framework.grad(cost, [A, B, C, D, s])
    f = function([A, B, C, D, s], grads, mode="FAST_COMPILE")
    rng = np.random.RandomState(7)
    a, b, c, d = rng.randn(3, 2), rng.randn(2, 4), rng.randn(3, 5), rng.randn(5, 4)
    sv = 0.7
    G = sv * (a @ b - c @ d)
    want = [2 * sv * G @ b.T, 2 * sv * a.T @ G, -2 * sv * G @ d.T, -2 * sv * c.T @ G, np.sum(2 * G * (a @ b - c @ d))]
    for got, w in zip(f(a, b, c, d, sv), want):
        np.testing.assert_allclose(got, w, rtol=1e-10)


def test_the_rbm_weight_update_allocates_no_weight_sized_temporary():
    from framework.models import RBM
    from framework.random import RandomStreams

    old = framework.config.floatX
    framework.config.floatX = "float32"
    try:
        x = T.matrix("x")
        results = []
        for mode in (None, without("dot_sum_stack_scale")):
            rbm = RBM(input=x, n_visible=9, n_hidden=6, numpy_rng=np.random.RandomState(1),
                      theano_rng=RandomStreams(2))
            cost, updates = rbm.get_cost_updates(lr=0.1, persistent=None, k=1)
            f = function([x], cost, updates=updates, mode=mode)
            if mode is None:
                assert _scaled_nodes(f) == 1
                subs = [n for n in f.maker.fgraph.toposort() if "stacked_dot_sum" in {i.owner.op.name for i in
                                                                                     n.inputs if i.owner}]
                assert any(getattr(n.op, "destroy_map", None) for n in subs)  # W - G writes into G
            data = (np.random.RandomState(3).rand(4, 9) < 0.5).astype("float32")
            results.append((f(data), rbm.W.get_value().copy(), f(data), rbm.W.get_value().copy()))
        for a, b in zip(*results):
            _same(a, b)
    finally:
        framework.config.floatX = old


def test_the_node_clones_onto_new_inputs():
    from framework_rewrites.dot_stack import StackedDotSum

    A, B, C, D = (T.dmatrix(n) for n in "ABCD")
    s = T.dscalar("s")
    for op, extra in ((StackedDotSum(False), []), (StackedDotSum(True, scaled=True), [s])):
        node = op.make_node(A, B, C, D, *extra, like=T.dot(A, B))
        A2, B2, C2, D2 = (T.dmatrix(n + "2") for n in "ABCD")
        clone = node.clone_with_new_inputs([A2, B2, C2, D2] + extra)
        assert clone.op == op and clone.outputs[0].type.ndim == 2


def test_the_shape_of_a_broadcast_sum_of_products():
    from framework_rewrites.dot_stack import StackedDotSum

    A, B, C, D = (T.dmatrix(n) for n in "ABCD")
    for op, extra in ((StackedDotSum(False), []), (StackedDotSum(False, scaled=True), [T.dscalar("s")])):
        out = op.make_node(A, B, C, D, *extra, like=T.dot(A, B)).outputs[0]
        f = function([A, B, C, D] + extra, out.shape, mode="FAST_COMPILE")
        g = function([A, B, C, D] + extra, out.shape)  # the shape read from the inputs
        rng = np.random.RandomState(8)
        # first product (1, 4), second (3, 4): the sum is (3, 4)
        args = [rng.randn(1, 2), rng.randn(2, 4), rng.randn(3, 5), rng.randn(5, 4)] + [0.5] * len(extra)
        assert tuple(f(*args)) == tuple(g(*args)) == (3, 4)
