"""dot_transpose_lift: ``dot(A, B).T`` read only transposed becomes ``dot(B.T, A.T)``, so the
gradient of a tied weight (``h @ W.T`` in an autoencoder) is two products that stack into one
GEMM -- with the values, non-finite patterns and errors of the graph as written."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function, shared

from .conftest import op_names, without

OFF = ["dot_transpose_lift"]


def _inner_known(k=3):
    """``a`` (m x k) and ``b`` (k x n): inner sizes proven equal, as the lift requires."""
    return T.matrix("a", dtype="float64", shape=(None, k)), T.matrix("b", dtype="float64", shape=(k, None))


def test_a_transposed_product_becomes_a_product_of_transposes():
    a, b = _inner_known()
    f = function([a, b], T.dot(a, b).T * 2)
    g = function([a, b], T.dot(a, b).T * 2, mode=without(*OFF))
    assert op_names(f).count("dot") == 1 and op_names(g).count("dot") == 1
    # after the lift no transpose reads the product's output
    dots = [n for n in f.maker.fgraph.toposort() if str(n.op) == "dot"]
    readers = [c for n in dots for c, _ in f.maker.fgraph.clients[n.outputs[0]]]
    assert not any(str(getattr(r, "op", "")).startswith("dimshuffle") for r in readers)
    rng = np.random.RandomState(0)
    for _ in range(8):
        m, n = rng.randint(1, 9, size=2)
        args = rng.randn(m, 3), rng.randn(3, n)
        np.testing.assert_allclose(f(*args), g(*args), rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(f(*args), 2 * (args[0] @ args[1]).T, rtol=1e-13, atol=1e-13)


def test_the_product_read_elsewhere_is_computed_once_and_left_alone():
    a, b = T.dmatrix("a"), T.dmatrix("b")
    p = T.dot(a, b)
    f = function([a, b], [p, p.T + 1])
    assert op_names(f).count("dot") == 1
    x, y = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    r, rt = f(x, y)
    np.testing.assert_array_equal(r, x @ y)
    np.testing.assert_array_equal(rt, (x @ y).T + 1)


def _tied_autoencoder(dtype, mode=None):
    rng = np.random.RandomState(1)
    nv, nh = 12, 7
    W = shared(rng.uniform(-0.5, 0.5, (nv, nh)).astype(dtype), name="W")
    bh, bv = shared(np.zeros(nh, dtype), name="bh"), shared(np.zeros(nv, dtype), name="bv")
    x = T.matrix("x", dtype=dtype)
    h = T.nnet.sigmoid(T.dot(x, W) + bh)
    z = T.nnet.sigmoid(T.dot(h, W.T) + bv)
    cost = T.mean(-T.sum(x * T.log(z) + (1 - x) * T.log(1 - z), axis=1))
    gW, gbh, gbv = T.grad(cost, [W, bh, bv])
    lr = np.asarray(0.1, dtype)
    f = function([x], cost, updates=[(W, W - lr * gW), (bh, bh - lr * gbh), (bv, bv - lr * gbv)], mode=mode)
    return f, W


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_tied_weights_gradient_is_one_stacked_product_with_the_same_training(dtype):
    f, W = _tied_autoencoder(dtype)
    g, W2 = _tied_autoencoder(dtype, mode=without(*OFF))
    h, W3 = _tied_autoencoder(dtype, mode="FAST_COMPILE")
    stacked = [str(n.op) for n in f.maker.fgraph.toposort() if n.op.name == "stacked_dot_sum"]
    assert stacked == ["stacked_dot_sum{False, scaled}"] and op_names(f).count("dot") == 3  # x @ W, h @ W.T, dz @ W
    assert "stacked_dot_sum" not in op_names(g)
    data = (np.random.RandomState(2).rand(30, 12) < 0.3).astype(dtype)
    tol = 1e-12 if dtype == "float64" else 1e-5
    for batch in (1, 5, 7):
        for i in range(0, 30, batch):
            cf, cg, ch = f(data[i:i + batch]), g(data[i:i + batch]), h(data[i:i + batch])
            np.testing.assert_allclose(cf, cg, rtol=tol)
            np.testing.assert_allclose(cf, ch, rtol=tol)
    np.testing.assert_allclose(W.get_value(), W2.get_value(), rtol=tol, atol=tol)
    np.testing.assert_allclose(W.get_value(), W3.get_value(), rtol=tol, atol=tol)


def test_non_finite_entries_give_the_same_pattern():
    a, b = _inner_known()
    f = function([a, b], T.dot(a, b).T)
    assert not any(str(n.op).startswith("dimshuffle") and n.inputs[0].owner is not None
                   and str(n.inputs[0].owner.op) == "dot" for n in f.maker.fgraph.toposort())  # lifted
    g = function([a, b], T.dot(a, b).T, mode=without(*OFF))
    x = np.array([[1.0, np.inf, 0.0], [np.nan, 2.0, 1.0]])
    y = np.array([[1.0, -1.0], [0.0, 1.0], [-np.inf, 3.0]])
    with np.errstate(invalid="ignore"):  # inf * 0 in the product: NumPy's warning, expected here
        np.testing.assert_array_equal(f(x, y), g(x, y))  # nan where inf * 0 or nan, +-inf kept


@pytest.mark.parametrize("mode", [None, "FAST_COMPILE"])
def test_inner_sizes_not_proven_equal_keep_the_error_as_written(mode):
    """Unproven inner sizes are not lifted, so a mismatch is the same error in both modes, naming
    the operands as the user wrote them and the user's line."""
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = function([a, b], T.dot(a, b).T, mode=mode)
    with pytest.raises(ValueError, match=r"op 'dot' failed(.|\n)*\(2, ?3\)(.|\n)*\(4, ?5\)(.|\n)*"
                                         r"test_dot_transpose_lift.py"):
        f(np.ones((2, 3)), np.ones((4, 5)))
