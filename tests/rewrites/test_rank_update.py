"""dot_column_update: a product with a matrix that differs from an already
multiplied one in one column becomes a rank-1 update of the first product,
with the same values (random shapes, every column, non-finite inputs)."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function

from .conftest import op_names, without

MODES = {"rewritten": "FAST_RUN", "plain": without("dot_column_update"), "reference": "FAST_COMPILE"}


def pl_like(dtype: str = "float64"):
    """The pseudo-likelihood monitor's shape: F(xi) and F(xi with column j flipped)."""
    x, W = T.matrix("x", dtype=dtype), T.matrix("W", dtype=dtype)
    hb = T.vector("hb", dtype=dtype)
    j = T.lscalar("j")
    xi = T.round(x)
    flip = T.set_subtensor(xi[:, j], 1 - xi[:, j])
    fe = lambda v: -T.sum(T.nnet.softplus(T.dot(v, W) + hb), axis=1)  # noqa: E731
    return [x, W, hb, j], [fe(xi), fe(flip), fe(xi) - fe(flip)]


def test_fires_on_the_pseudo_likelihood_monitor_and_removes_a_gemm():
    ins, outs = pl_like()
    f = function(ins, outs)
    names = op_names(f)
    assert "dot_column_update" in names and names.count("dot") == 1
    assert op_names(function(ins, outs, mode=MODES["plain"])).count("dot") == 2


@pytest.mark.parametrize("seed", range(12))
def test_same_values_on_random_shapes_and_columns(seed):
    rng = np.random.RandomState(seed)
    dtype = "float32" if seed % 2 else "float64"
    rows, inner, cols = rng.randint(1, 30, size=3)
    ins, outs = pl_like(dtype)
    fs = {k: function(ins, outs, mode=m) for k, m in MODES.items()}
    x = (rng.rand(rows, inner) * 1.4).astype(dtype)
    W = rng.randn(inner, cols).astype(dtype)
    hb = rng.randn(cols).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    for j in {0, inner - 1, int(rng.randint(inner)), -1, -inner}:
        got = fs["rewritten"](x, W, hb, j)
        for other in ("plain", "reference"):
            for g, e in zip(got, fs[other](x, W, hb, j)):
                np.testing.assert_allclose(g, e, **tol)


def test_general_replacement_values_and_layouts():
    """Any replacement column (not just 1 - x), a transposed W, and the set_subtensor's own value."""
    x, W = T.dmatrix("x"), T.dmatrix("W")
    y, j = T.dvector("y"), T.lscalar("j")
    s = T.set_subtensor(x[:, j], y)
    outs = [T.dot(x, W.T), T.dot(s, W.T), s]
    f = function([x, W, y, j], outs)
    assert "dot_column_update" in op_names(f)
    g = function([x, W, y, j], outs, mode="FAST_COMPILE")
    rng = np.random.RandomState(5)
    for _ in range(5):
        r, k, c = rng.randint(1, 12, size=3)
        args = (rng.randn(r, k), rng.randn(c, k), rng.randn(r), int(rng.randint(-k, k)))
        for a, b in zip(f(*args), g(*args)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_not_fired_without_the_first_product():
    x, W, y, j = T.dmatrix("x"), T.dmatrix("W"), T.dvector("y"), T.lscalar("j")
    f = function([x, W, y, j], T.dot(T.set_subtensor(x[:, j], y), W))
    assert "dot_column_update" not in op_names(f)


def test_not_fired_for_rows_or_increments():
    x, W, y, j = T.dmatrix("x"), T.dmatrix("W"), T.dvector("y"), T.lscalar("j")
    for s in (T.set_subtensor(x[j, :], y), T.inc_subtensor(x[:, j], y)):
        f = function([x, W, y, j], [T.dot(x, W), T.dot(s, W)])
        assert "dot_column_update" not in op_names(f)


@pytest.mark.parametrize("where", ["old column", "new column", "row of W", "elsewhere in x"])
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_non_finite_values_give_the_direct_products_result(where, value):
    x, W, y, j = T.dmatrix("x"), T.dmatrix("W"), T.dvector("y"), T.lscalar("j")
    outs = [T.dot(x, W), T.dot(T.set_subtensor(x[:, j], y), W)]
    f = function([x, W, y, j], outs)
    assert "dot_column_update" in op_names(f)
    g = function([x, W, y, j], outs, mode="FAST_COMPILE")
    rng = np.random.RandomState(0)
    xv, Wv, yv, jv = rng.randn(4, 5), rng.randn(5, 3), rng.randn(4), 2
    xv[1, 3] = 0.0
    Wv[3, 1] = 0.0
    if where == "old column":
        xv[1, jv] = value
    elif where == "new column":
        yv[2] = value
    elif where == "row of W":
        Wv[jv, 0] = value
    else:
        xv[0, 4] = value
    with np.errstate(all="ignore"):
        for a, b in zip(f(xv, Wv, yv, jv), g(xv, Wv, yv, jv)):
            np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_the_rbm_training_function_uses_it():
    import numpy as np_

    import framework
    from framework.models import RBM
    from framework.random import RandomStreams

    x = T.matrix("x")
    chain = framework.shared(np_.zeros((4, 6), dtype=framework.config.floatX))
    rbm = RBM(input=x, n_visible=9, n_hidden=6, numpy_rng=np_.random.RandomState(1),
              theano_rng=RandomStreams(2))
    cost, updates = rbm.get_cost_updates(lr=0.1, persistent=chain, k=2)
    f = function([x], cost, updates=updates)
    assert "dot_column_update" in op_names(f)
    data = (np_.random.RandomState(3).rand(4, 9) < 0.5).astype(framework.config.floatX)
    assert np_.isfinite(f(data))
