"""The overflow guard's norms are shared: one norm per distinct operand per call (issue 17's 3 %
bound on the contractive autoencoder's step; docs/rewrites.md, "Order of operations and overflow").

The two contractions of the CAE penalty's gradient both read the 784 x 500 ``W``; each used to take
its norm. The rewrite now gives every non-scalar factor a ``guard_norm`` node and ``merge`` keeps one
of equal ones, so a call computes ``||W||`` once. What the guard decides is unchanged (see
test_overflow_policy.py): these tests count the norms and check the results on both sides of it.
"""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function

from .conftest import op_names, without
from .test_overflow_policy import same_outcome


def cae_penalty_and_grads(dtype="float64", B=4, V=7, H=6):
    """The tutorial's Jacobian penalty (written as bench/cae.py writes it) and its gradients: two
    factored sums reading the same ``W``."""
    a, W, c = T.matrix("a", dtype=dtype), T.matrix("W", dtype=dtype), T.scalar("c", dtype=dtype)
    J = T.reshape(a, (B, 1, H)) * T.reshape(W, (1, V, H))
    cost = c * T.sum(J ** 2)
    return [a, W, c], [cost, *T.grad(cost, [a, W])]


def norm_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if n.op.name == "guard_norm"]


def test_one_norm_node_per_distinct_operand():
    ins, outs = cae_penalty_and_grads()
    f = function(ins, outs)
    assert op_names(f).count("factored_sum") == 2
    norms = norm_nodes(f)
    # W and a: one node each (the scalar factor's magnitude costs nothing and gets none)
    assert len(norms) == 2
    assert len({n.inputs[0] for n in norms}) == 2
    fed = [n for n in f.maker.fgraph.toposort() if n.op.name == "factored_sum"]
    for node in fed:  # both contractions read the same norm nodes' outputs
        assert {v.owner for v in node.inputs[len(node.op.subs):]} <= set(norms)


def test_norms_computed_once_per_call(monkeypatch):
    import framework_rewrites.finite_guard as guard
    import framework_rewrites.sum_squares as sums

    ins, outs = cae_penalty_and_grads()
    f = function(ins, outs)
    seen = []
    real = guard.norm

    def counting(xp, x):
        seen.append(x.shape)
        return real(xp, x)

    monkeypatch.setattr(guard, "norm", counting)
    monkeypatch.setattr(sums, "norm", counting)
    rng = np.random.RandomState(0)
    av, Wv = rng.rand(4, 6), rng.randn(7, 6)
    f(av, Wv, 0.1)
    big = [s for s in seen if int(np.prod(s)) > 1]
    assert sorted(int(np.prod(s)) for s in big) == [4 * 6, 7 * 6]  # ||a|| and ||W||, once each
    seen.clear()
    f(av, Wv, 0.1)
    assert len([s for s in seen if int(np.prod(s)) > 1]) == 2


def test_a_shared_norm_node_survives_without_merge():
    """The rewrite reuses a norm node it built earlier for the same operand, so the sharing does not
    depend on a merge pass running after it."""
    ins, outs = cae_penalty_and_grads()
    f = function(ins, outs, mode=without("merge_before_specialize", "merge_before_fusion"))
    norms = norm_nodes(f)
    assert op_names(f).count("factored_sum") == 2
    assert len(norms) == 2 and len({n.inputs[0] for n in norms}) == 2


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan, 1e200])
def test_a_shared_norm_sends_both_contractions_to_the_users_order(value):
    """A non-finite (or overflowing) ``W`` fails the shared bound: both contractions compute as
    written, and give exactly what FAST_COMPILE gives."""
    ins, outs = cae_penalty_and_grads()
    f = function(ins, outs)
    g = function(ins, outs, mode="FAST_COMPILE")
    rng = np.random.RandomState(1)
    av, Wv = rng.rand(4, 6), rng.randn(7, 6)
    Wv[2, 1] = value
    with np.errstate(all="ignore"):
        for r, e in zip(f(av, Wv, 0.1), g(av, Wv, 0.1)):
            same_outcome(r, e)


def test_shared_norms_keep_the_values_in_float32():
    ins, outs = cae_penalty_and_grads("float32", 20, 30, 50)
    f = function(ins, outs)
    g = function(ins, outs, mode="FAST_COMPILE")
    assert len(norm_nodes(f)) == 2
    rng = np.random.RandomState(2)
    av, Wv = rng.rand(20, 50).astype("float32"), rng.randn(30, 50).astype("float32")
    for r, e in zip(f(av, Wv, 0.1), g(av, Wv, 0.1)):
        assert r.dtype == e.dtype == np.float32
        np.testing.assert_allclose(r, e, rtol=1e-4, atol=1e-5)


def test_guard_norm_values():
    from framework_rewrites.finite_guard import GuardNorm

    op = GuardNorm()
    assert float(op.impl(np, np.zeros((0, 3)))) == 0.0
    assert float(op.impl(np, np.array([[3.0, 4.0]]))) == 5.0
    assert float(op.impl(np, np.array([3, 4], dtype="int8"))) == 5.0  # squared in floats, no wrapping
    assert np.isinf(float(op.impl(np, np.array([1e200, 1.0]))))
    assert np.isinf(float(op.impl(np, np.array([np.inf, 1.0]))))
    assert np.isnan(float(op.impl(np, np.array([np.nan, 1.0]))))
    assert float(op.impl(np, np.asfortranarray(np.ones((3, 4), "float32")))) == pytest.approx(np.sqrt(12.0))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "longdouble", "complex64", "complex128"])
def test_norms_raise_and_warn_under_no_error_state(dtype):
    """``norm`` runs no errstate around its BLAS dot: an overflowing sum of squares, an ``inf``, a
    ``nan`` and ``inf * 0`` must pass silently even where the user made every error raise (a NumPy
    that checked floating-point flags after ``vdot`` would fail this, and the errstate is needed)."""
    import warnings

    from framework_rewrites.finite_guard import norm

    big = 6e4 if dtype == "float16" else 1e30 if dtype in ("float32", "complex64") else 1e200
    cases = [np.full((8, 8), big), np.full((4, 5), np.inf), np.full((3, 3), np.nan),
             np.array([[np.inf, 0.0], [0.0, 1.0]]), np.full(1, complex(1.7e308, 1.7e308))]
    if not dtype.startswith("complex"):
        cases.pop()
    with np.errstate(all="ignore"):  # the cases themselves (a complex beyond complex64)
        cases = [case.astype(dtype) for case in cases]
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        for k, case in enumerate(cases):
            value = norm(np, case)
            assert np.isinf(value) or np.isnan(value), (dtype, k, value)


def test_a_factored_sum_without_norm_inputs_computes_its_own():
    """The op built without ``norm_of`` (as before the norms were nodes) guards itself."""
    from framework_rewrites.sum_squares import FactoredSum

    op = FactoredSum(("ac", "bc"), "c", ("1", "1", "c"), (0, 1), True, False, "float64")
    rng = np.random.RandomState(3)
    a, W = rng.rand(3, 1, 4), rng.randn(1, 5, 4)
    np.testing.assert_allclose(op.impl(np, a, W), (a * W).sum(axis=(0, 1), keepdims=True))
    W[0, 2, 1] = np.inf
    a[0, 0, 1] = 0.0
    with np.errstate(all="ignore"):
        r, e = op.impl(np, a, W), (a * W).sum(axis=(0, 1), keepdims=True)
    np.testing.assert_array_equal(np.isnan(r), np.isnan(e))


def test_norm_inputs_get_no_gradient():
    from framework_rewrites.finite_guard import GuardNorm
    from framework_rewrites.sum_squares import FactoredSum

    a, W = T.dtensor3("a"), T.dtensor3("W")
    op = FactoredSum(("ac", "bc"), "c", ("1", "1", "c"), (0, 1), True, False, "float64", None, (0, 1))
    node = op.make_node(a, W, GuardNorm()(a), GuardNorm()(W))
    grads = op.grad(node, [T.dtensor3("g")])
    assert len(grads) == 4 and grads[2] is None and grads[3] is None
    with pytest.raises(TypeError, match="2 factors and 2 norms"):
        op.make_node(a, W)
