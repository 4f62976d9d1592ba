"""Library-reference examples of Theano 1.0 (extra_ops, xlogx, nlinalg/slinalg, nnet, scalar),
imported through the alias, with their documented outputs."""
from __future__ import annotations

import numpy as np
import pytest


def test_extra_ops_documented_examples():
    import theano
    import theano.tensor as T
    from theano.tensor import extra_ops

    x = T.imatrix("x")
    f = theano.function([x], [extra_ops.cumsum(x), extra_ops.cumsum(x, axis=0), extra_ops.cumprod(x, axis=1)])
    a = np.array([[1, 2, 3], [4, 5, 6]], dtype="int32")
    flat, down, across = f(a)
    assert flat.tolist() == [1, 3, 6, 10, 15, 21]
    assert down.tolist() == [[1, 2, 3], [5, 7, 9]]
    assert across.tolist() == [[1, 2, 6], [4, 20, 120]]
    v = T.ivector("v")
    g = theano.function([v], [extra_ops.bincount(v), extra_ops.bincount(v, minlength=6),
                              extra_ops.repeat(v, 2), extra_ops.to_one_hot(v, 4)])
    counts, padded, rep, hot = g(np.array([0, 1, 1, 3], dtype="int32"))
    assert counts.tolist() == [1, 2, 0, 1] and padded.tolist() == [1, 2, 0, 1, 0, 0]
    assert rep.tolist() == [0, 0, 1, 1, 1, 1, 3, 3]
    assert hot.dtype == theano.config.floatX and hot.tolist() == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0],
                                                                   [0, 0, 0, 1]]
    with pytest.raises(ValueError, match="negative"):
        g(np.array([0, -1], dtype="int32"))
    r = T.row("r")
    assert extra_ops.squeeze(r).ndim == 1
    assert T.cumsum is extra_ops.cumsum


def test_gradients_of_extra_ops():
    from theano.gradient import verify_grad
    from theano.tensor import extra_ops

    rng = np.random.RandomState(42)
    verify_grad(lambda a: extra_ops.cumsum(a, axis=1), [rng.rand(3, 4)], rng=rng)
    verify_grad(lambda a: extra_ops.cumprod(a, axis=0), [rng.rand(3, 4) + 0.5], rng=rng)
    verify_grad(lambda a: extra_ops.repeat(a, 3, axis=1), [rng.rand(2, 3)], rng=rng)
    verify_grad(lambda a: extra_ops.repeat(a, 2), [rng.rand(2, 3)], rng=rng)


def test_the_gradient_of_repeat_zero_times_is_zero():
    """repeats=0 (an empty result): the gradient is zeros of x's shape, flattened or along an axis
    (it once reshaped to (-1, 0), which NumPy cannot infer)."""
    import theano
    import theano.tensor as T
    from theano.tensor import extra_ops

    x = T.dmatrix("x")
    for axis in (None, 0, 1):
        y = extra_ops.repeat(x, 0, axis=axis)
        f = theano.function([x], [y, T.grad((y * 2).sum(), x)])
        value, grad = f(np.ones((4, 2)))
        assert value.shape == np.repeat(np.ones((4, 2)), 0, axis=axis).shape
        np.testing.assert_array_equal(grad, np.zeros((4, 2)))


def test_xlogx_is_zero_at_zero():
    import theano
    import theano.tensor as T
    from theano.tensor.xlogx import xlogx, xlogy0

    x, y = T.dvectors("x", "y")
    f = theano.function([x, y], [xlogx(x), xlogy0(x, y)])
    a, b = f([0.0, 1.0, 2.0], [0.0, 3.0, 0.5])
    assert np.allclose(a, [0.0, 0.0, 2 * np.log(2)]) and np.allclose(b, [0.0, np.log(3), 2 * np.log(0.5)])


def test_nlinalg_slinalg_values_and_gradients():
    import theano
    import theano.tensor as T
    from theano.gradient import verify_grad
    from theano.tensor.nlinalg import det, matrix_inverse, trace
    from theano.tensor.slinalg import cholesky, solve

    rng = np.random.RandomState(0)
    a = rng.rand(4, 4) + 4 * np.eye(4)
    b = rng.rand(4, 2)
    m, r = T.dmatrices("m", "r")
    f = theano.function([m, r], [matrix_inverse(m), det(m), cholesky(m.dot(m.T)), solve(m, r), trace(m)])
    inv, d, c, s, t = f(a, b)
    assert np.allclose(inv, np.linalg.inv(a)) and np.isclose(d, np.linalg.det(a))
    assert np.allclose(c, np.linalg.cholesky(a @ a.T)) and np.allclose(s, np.linalg.solve(a, b))
    assert np.isclose(t, np.trace(a))
    verify_grad(matrix_inverse, [a], rng=rng)
    verify_grad(det, [a], rng=rng)
    verify_grad(lambda q: cholesky(q.dot(q.T) + 0.1 * T.identity_like(q) if hasattr(T, "identity_like")
                                   else q.dot(q.T)), [a], rng=rng)
    verify_grad(solve, [a, b], rng=rng)
    verify_grad(solve, [a, b[:, 0]], rng=rng)


def test_nnet_softmax_of_a_vector_is_a_row_in_theano():
    import framework.tensor as native
    import theano
    import theano.tensor as T

    v = T.dvector("v")
    sm = T.nnet.softmax(v)
    assert sm.ndim == 2 and sm.type.shape[0] == 1
    out = theano.function([v], sm)([1.0, 2.0, 3.0])
    e = np.exp([1.0, 2.0, 3.0])
    assert out.shape == (1, 3) and np.allclose(out, [e / e.sum()])
    assert native.nnet.softmax(v).ndim == 1  # framework's own API keeps a vector a vector


def test_nnet_functions():
    import theano
    import theano.tensor as T

    x = T.dvector("x")
    vals = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    f = theano.function([x], [T.nnet.relu(x), T.nnet.relu(x, 0.1), T.nnet.hard_sigmoid(x),
                              T.nnet.ultra_fast_sigmoid(x), T.nnet.elu(x), T.nnet.sigmoid(x)])
    relu, leaky, hard, fast, elu, sig = f(vals)
    assert np.allclose(relu, np.maximum(vals, 0)) and np.allclose(leaky, np.where(vals > 0, vals, 0.1 * vals))
    assert np.allclose(hard, np.clip(0.2 * vals + 0.5, 0, 1))
    assert np.max(np.abs(fast - sig)) < 0.05 and np.allclose(elu, np.where(vals > 0, vals, np.expm1(vals)))
    p, t = T.dmatrix("p"), T.ivector("t")
    xent = theano.function([p, t], T.nnet.categorical_crossentropy(p, t))
    probs = np.array([[0.7, 0.3], [0.2, 0.8]])
    assert np.allclose(xent(probs, np.array([0, 1], dtype="int32")), -np.log([0.7, 0.8]))


def test_reduction_keywords_of_theano():
    import theano
    import theano.tensor as T

    x = T.fmatrix("x")
    s = T.sum(x, acc_dtype="float64", dtype="float32")
    m = T.mean(x, dtype="float64", acc_dtype="float64")
    mx, amx = T.max_and_argmax(x, axis=1, keepdims=True)
    assert s.dtype == "float32" and m.dtype == "float64"
    f = theano.function([x], [s, m, T.max(x, axis=0, keepdims=True), T.argmax(x, axis=1, keepdims=True), mx, amx])
    a = np.array([[1, 5, 2], [7, 0, 3]], dtype="float32")
    total, mean, top, arg, mx_v, amx_v = f(a)
    assert total == 18 and np.isclose(mean, 3.0)
    assert top.tolist() == [[7, 5, 3]] and arg.tolist() == [[1], [0]]
    assert mx_v.tolist() == [[5], [7]] and amx_v.tolist() == [[1], [0]]
    i = T.bvector("i")
    assert T.sum(i).dtype == "int64" and T.mean(i).dtype == "float64"


def test_scalar_upcast_and_row_col():
    import theano
    import theano.tensor as T
    from theano.scalar import upcast

    assert upcast("int32", "float32") == "float64" and upcast("int8", "int16") == "int16"
    with theano.config.change_flags(floatX="float32"):
        assert upcast("floatX", "int8") == "float32"
    r, c = T.row("r"), T.col("c")
    assert r.type.shape == (1, None) and c.type.shape == (None, 1)
    f = theano.function([r, c], r + c)
    assert f(np.ones((1, 3)), np.ones((2, 1))).shape == (2, 3)


def test_lop_rop():
    import theano
    import theano.tensor as T

    W = T.dmatrix("W")
    V = T.dmatrix("V")
    x = T.dvector("x")
    y = T.dot(x, W)
    v = T.dvector("v")
    # the tutorial's example (derivatives page); y is linear in W, so W itself is not needed
    jv = theano.function([W, V, x], theano.gradient.Rop(y, W, V), on_unused_input="ignore")
    vj = theano.function([W, v, x], theano.gradient.Lop(y, W, v), on_unused_input="ignore")
    assert np.allclose(jv([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]), [2.0, 2.0])
    assert np.allclose(vj([[1, 1], [1, 1]], [2, 2], [0, 1]), [[0, 0], [2, 2]])
    # a non-linear case against finite differences
    z = T.tanh(T.dot(x, W))
    jz = theano.function([W, V, x], theano.gradient.Rop(z, W, V))
    rng = np.random.RandomState(1)
    w0, v0, x0 = rng.rand(3, 2), rng.rand(3, 2), rng.rand(3)
    eps = 1e-6
    fd = (np.tanh(x0 @ (w0 + eps * v0)) - np.tanh(x0 @ (w0 - eps * v0))) / (2 * eps)
    assert np.allclose(jz(w0, v0, x0), fd, atol=1e-6)
