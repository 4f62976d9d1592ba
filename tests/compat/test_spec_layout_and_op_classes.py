"""Theano 1.0's ``split``, ``tri``/``tril``/``triu``, ``diagonal`` (also ``x.diagonal()``),
``swapaxes``, and the op classes of ``theano.tensor.elemwise`` that graph-inspecting scripts ask
``isinstance`` of -- against NumPy and against what Theano's documentation says
(library/tensor/basic.txt: "split", "tril", "triu", "tri"; tensor/elemwise.py's classes)."""
from __future__ import annotations

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE"]
rng = np.random.RandomState(5)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_split_cuts_consecutive_pieces_as_numpy(mode, axis):
    import theano
    import theano.tensor as T

    x, sizes = T.dmatrix("x"), T.lvector("sizes")
    xv = rng.randn(6, 6)
    for splits in ([1, 3, 2], [0, 6, 0], [6, 0, 0]):
        f = theano.function([x, sizes], T.split(x, sizes, 3, axis=axis), mode=mode)
        g = theano.function([x], T.split(x, splits, 3, axis=axis), mode=mode)  # a list of ints
        want = np.split(xv, np.cumsum(splits)[:-1], axis=axis)
        for got in (f(xv, np.array(splits)), g(xv)):
            assert len(got) == 3
            for a, b in zip(got, want):
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode", MODES)
def test_split_checks_its_sizes_when_the_function_runs(mode):
    import theano
    import theano.tensor as T

    x, sizes = T.dmatrix("x"), T.lvector("sizes")
    f = theano.function([x, sizes], T.split(x, sizes, 2, axis=1), mode=mode)
    xv = np.ones((2, 5))
    for bad, what in (([5], "n_splits=2"), ([2, 2], "add up"), ([-1, 6], "negative"), ([1, 2, 2], "n_splits=2")):
        with pytest.raises(AssertionError, match=what):
            f(xv, np.array(bad))
    with pytest.raises(TypeError, match="n_splits"):
        T.split(x, sizes, 0)
    with pytest.raises(TypeError, match="vector of integers"):
        T.split(x, T.dvector(), 2)


def test_split_gradient_is_the_pieces_own():
    import theano
    import theano.tensor as T

    x = T.dmatrix("x")
    a, b = T.split(x, [2, 3], 2, axis=1)
    g = theano.function([x], T.grad((a * 2).sum() + (b ** 2).sum(), x))
    xv = rng.randn(3, 5)
    want = np.concatenate([2 * np.ones((3, 2)), 2 * xv[:, 2:]], axis=1)
    np.testing.assert_allclose(g(xv), want)


@pytest.mark.parametrize("mode", MODES)
def test_tri_tril_triu_as_numpy(mode):
    import theano
    import theano.tensor as T

    m, n = T.lscalar("n"), T.lscalar("m")
    x = T.dmatrix("x")
    xv = rng.randn(4, 6)
    f = theano.function([x, m, n], [T.tri(m, n, 1), T.tri(3), T.tri(m, k=-1, dtype="int32"),
                                    T.tril(x), T.tril(x, 2), T.tril(x, -1), T.triu(x), T.triu(x, 1), T.triu(x, -2)],
                        mode=mode)
    got = f(xv, 4, 5)
    want = [np.tri(4, 5, 1), np.tri(3), np.tri(4, k=-1, dtype="int32"), np.tril(xv), np.tril(xv, 2),
            np.tril(xv, -1), np.triu(xv), np.triu(xv, 1), np.triu(xv, -2)]
    for a, b in zip(got, want):
        assert a.dtype == b.dtype or (b.dtype == np.float64 and a.dtype == theano.config.floatX)
        np.testing.assert_array_equal(a, b)
    # the documentation's promise: entries outside the triangle are zero, also a NaN or an inf
    special = np.array([[1.0, np.nan], [np.inf, 2.0]])
    g = theano.function([x], [T.tril(x), T.triu(x)], mode=mode)
    low, up = g(special)
    np.testing.assert_array_equal(low, np.tril(special))
    np.testing.assert_array_equal(up, np.triu(special))


def test_tril_and_triu_act_on_the_last_two_axes_and_pass_gradients_inside_the_triangle():
    import theano
    import theano.tensor as T

    y = T.dtensor3("y")
    yv = rng.randn(2, 3, 4)
    f = theano.function([y], [T.tril(y, 1), T.triu(y)])
    low, up = f(yv)
    np.testing.assert_array_equal(low, np.tril(yv, 1))
    np.testing.assert_array_equal(up, np.triu(yv))
    g = theano.function([y], T.grad(T.tril(y).sum(), y))
    np.testing.assert_array_equal(g(yv), np.tril(np.ones_like(yv)))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        T.tril(T.dvector())
    with pytest.raises(TypeError, match="offset"):
        T.triu(y, 1.5)


@pytest.mark.parametrize("mode", MODES)
def test_diagonal_and_swapaxes_as_numpy(mode):
    import theano
    import theano.tensor as T

    x, y = T.dmatrix("x"), T.dtensor3("y")
    xv, yv = rng.randn(4, 6), rng.randn(3, 4, 5)
    outs = [x.diagonal(), x.diagonal(2), T.diagonal(x, -1), x.diagonal(7), y.diagonal(0, 0, 2), y.diagonal(1, 2, 1),
            T.diagonal(y, -1, 1, 2), T.swapaxes(y, 0, 2), T.swapaxes(x, -1, 0)]
    f = theano.function([x, y], outs, mode=mode)
    want = [xv.diagonal(), xv.diagonal(2), np.diagonal(xv, -1), xv.diagonal(7), yv.diagonal(0, 0, 2),
            yv.diagonal(1, 2, 1), np.diagonal(yv, -1, 1, 2), np.swapaxes(yv, 0, 2), np.swapaxes(xv, -1, 0)]
    for a, b in zip(f(xv, yv), want):
        assert a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    g = theano.function([x], T.grad(x.diagonal(1).sum(), x), mode=mode)
    np.testing.assert_array_equal(g(xv), np.eye(4, 6, 1))
    with pytest.raises(ValueError, match="same axis"):
        y.diagonal(0, 1, -2)
    with pytest.raises(ValueError, match="at least 2"):
        T.dvector().diagonal()


def test_op_classes_answer_isinstance_as_theano():
    import theano
    import theano.tensor as T
    from theano.tensor.elemwise import All, Any, CAReduce, CAReduceDtype, DimShuffle, Elemwise, Prod, Sum

    x = T.dmatrix("x")
    outs = [T.exp(x) * 2 + 1, x.sum(axis=0), x.prod(), x.max(axis=1), T.any(x > 0), x.T, T.all(x > 0, axis=0)]
    for mode in MODES:
        f = theano.function([x], outs, mode=mode)
        ops = [n.op for n in f.maker.fgraph.toposort()]
        assert any(isinstance(op, Elemwise) for op in ops)  # fused or not: Theano's Elemwise{Composite}
        assert sum(isinstance(op, Sum) for op in ops) == 1 and sum(isinstance(op, Prod) for op in ops) == 1
        assert sum(isinstance(op, Any) for op in ops) == 1 and sum(isinstance(op, All) for op in ops) == 1
        assert sum(isinstance(op, CAReduce) for op in ops) == 5  # sum, prod, max, any, all
        assert sum(isinstance(op, CAReduceDtype) for op in ops) == 2
        assert any(isinstance(op, DimShuffle) for op in ops)
        assert not any(isinstance(op, Elemwise) and isinstance(op, CAReduce) for op in ops)
    assert T.Elemwise is Elemwise and T.CAReduce is CAReduce and T.DimShuffle is DimShuffle
    assert not isinstance(3, Elemwise) and not isinstance(None, Sum)
    with pytest.raises(TypeError, match="isinstance"):
        Elemwise(None)
    with pytest.raises(AttributeError, match="theano.tensor.elemwise"):
        theano.tensor.elemwise.Composite


def test_basic_op_classes_answer_isinstance():
    import theano
    import theano.tensor as T

    x, v = T.dmatrix("x"), T.dvector("v")
    f = theano.function([x, v], [T.dot(x, v), T.concatenate([x, x]), T.zeros((v.shape[0], 2)) + 1, x.flatten()])
    ops = [n.op for n in f.maker.fgraph.toposort()]
    for cls in (T.basic.Dot, T.Join, T.Alloc, T.Reshape):
        assert sum(isinstance(op, cls) for op in ops) == 1, cls.__name__
    assert T.Dot is T.basic.Dot and not isinstance(ops[0], T.Join)
    with pytest.raises(TypeError, match="T.dot"):
        T.Dot()


def test_more_op_classes_answer_isinstance_as_in_theano():
    """``nnet.Softmax``/``LogSoftmax``, ``T.Argmax``, ``signal.pool.Pool``/``MaxPoolGrad``/
    ``AveragePoolGrad`` and ``nnet.conv.ConvOp`` over framework's (and the convolution plugin's) nodes;
    calling one to build a node says which function builds it."""
    import theano
    import theano.tensor as T
    from theano.tensor.signal import pool

    x, x4, w = T.dmatrix("x"), T.dtensor4("x4"), T.dtensor4("w")
    assert isinstance(T.nnet.softmax(x).owner.op, T.nnet.Softmax)
    assert isinstance(T.nnet.logsoftmax(x).owner.op, T.nnet.LogSoftmax)
    assert not isinstance(T.nnet.softmax(x).owner.op, T.nnet.LogSoftmax)
    assert isinstance(T.argmax(x, axis=1).owner.op, T.Argmax) and T.Argmax is T.basic.Argmax
    assert not isinstance(T.max(x, axis=1).owner.op, T.Argmax)
    p = pool.pool_2d(x4, (2, 2), ignore_border=True)
    avg = pool.pool_2d(x4, (2, 2), ignore_border=True, mode="average_inc_pad")
    assert isinstance(p.owner.op, pool.Pool) and not isinstance(p.owner.op, pool.MaxPoolGrad)
    nodes = theano.function([x4], T.grad(p.sum() + avg.sum(), x4)).maker.fgraph.toposort()
    assert any(isinstance(n.op, pool.MaxPoolGrad) for n in nodes)
    assert any(isinstance(n.op, pool.AveragePoolGrad) for n in nodes)
    assert isinstance(T.nnet.conv.conv2d(x4, w).owner.op, T.nnet.conv.ConvOp)
    assert not isinstance(T.exp(x).owner.op, (T.nnet.Softmax, pool.Pool, T.nnet.conv.ConvOp, T.Argmax))
    with pytest.raises(TypeError, match="theano.tensor.signal.pool.Pool.*pool_2d"):
        pool.Pool(ignore_border=True)


def test_max_and_argmax_op_class():
    """Theano 1.0 built ``T.max`` and ``T.argmax`` as ``max_and_argmax(x, axis)[k]``: ``T.MaxAndArgmax``
    answers ``isinstance`` for both nodes, and ``MaxAndArgmax(axis)(x)`` gives the two outputs."""
    import theano
    import theano.tensor as T

    x = T.dmatrix("x")
    assert isinstance(T.max(x, axis=1).owner.op, T.MaxAndArgmax)
    assert isinstance(T.argmax(x, axis=0).owner.op, T.MaxAndArgmax)
    assert not isinstance(T.sum(x).owner.op, T.MaxAndArgmax) and not isinstance(T.min(x).owner.op, T.MaxAndArgmax)
    assert T.MaxAndArgmax is T.basic.MaxAndArgmax
    op = T.MaxAndArgmax([1])
    assert isinstance(op, T.MaxAndArgmax) and op == T.MaxAndArgmax([1]) and op != T.MaxAndArgmax([0])
    m, a = op(x)
    got = theano.function([x], [m, a])(np.array([[1.0, 3.0, 2.0], [5.0, 4.0, 0.0]]))
    np.testing.assert_array_equal(got[0], [3.0, 5.0])
    np.testing.assert_array_equal(got[1], [1, 0])
    both = T.MaxAndArgmax([0, 1])(x)  # several axes, as Theano's: the index into the flattened axes
    got = theano.function([x], both)(np.array([[1.0, 3.0, 2.0], [5.0, 4.0, 0.0]]))
    assert float(got[0]) == 5.0 and int(got[1]) == 3
