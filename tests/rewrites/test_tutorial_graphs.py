"""The whole FAST_RUN pipeline on the Theano tutorial's logistic regression: the
graph the benchmark times (bench/logreg.py), checked for the structure that
makes it fast, and for its values against a hand-written NumPy step."""
import numpy as np

import framework.tensor as T
from framework import function, shared
from framework.core.fusion import Fused

from .conftest import op_names


def _tutorial(w0):
    x, y = T.dmatrix("x"), T.dvector("y")
    w, b = shared(w0.copy(), name="w"), shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = function([x, y], [prediction, xent], updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
    return train, w, b


def test_logistic_regression_computes_its_forward_once_and_fuses_the_gradient():
    rng = np.random.RandomState(0)
    X, Y, w0 = rng.randn(40, 7), (rng.rand(40) > 0.5).astype("float64"), 0.1 * rng.randn(7)
    train, w, b = _tutorial(w0)
    names = op_names(train)
    # the user's forward and the one grad differentiates merged: one cross-entropy, one sigmoid
    assert names.count("sigmoid_xent") == 1 and names.count("sigmoid") == 1
    assert names.count("dot") == 2 and "broadcast_like" not in names
    assert names.count("sum_to_shape") <= 1  # y may broadcast against x's rows: checked at run time
    assert "switch" not in names and "sgn" not in names  # the gradient is sigmoid(z) - y
    fused = [n for n in train.maker.fgraph.toposort() if isinstance(n.op, Fused)]
    assert len(fused) <= 4
    wv, bv = w0.copy(), 0.0
    for _ in range(3):
        pred, xent = train(X, Y)
        z = X @ wv + bv
        p = 1 / (1 + np.exp(-z))
        np.testing.assert_array_equal(pred, p > 0.5)
        np.testing.assert_allclose(xent, -Y * np.log(p) - (1 - Y) * np.log(1 - p), rtol=1e-12)
        dz = (p - Y) / len(Y)
        wv, bv = wv - 0.1 * (X.T @ dz + 0.02 * wv), bv - 0.1 * dz.sum()
        np.testing.assert_allclose(w.get_value(), wv, rtol=1e-12)
        np.testing.assert_allclose(b.get_value(), bv, rtol=1e-12)
