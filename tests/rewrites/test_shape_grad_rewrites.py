"""The rewrites that clean up gradient bookkeeping: useless_sum_to_shape,
elemwise_of_broadcast and filled_constant_shape."""
import numpy as np
import pytest

import framework.tensor as T
from framework import Mode, function, grad


def _names(f):
    return [n.op.name for n in f.maker.fgraph.toposort()]


def test_broadcast_of_the_sum_gradient_is_folded_into_its_consumer():
    x = T.dvector("x")
    cost = (T.sin(x) * x).sum()
    g = grad(cost, x)
    on = function([x], g)
    off = function([x], g, mode=Mode(excluding=["elemwise_of_broadcast"]))
    assert "broadcast_like" not in _names(on)
    assert "broadcast_like" in _names(off)
    xv = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(on(xv), off(xv))
    np.testing.assert_allclose(on(xv), np.cos(xv) * xv + np.sin(xv))


def test_seed_of_a_scalar_cost_is_a_constant_so_the_cost_is_not_computed():
    x = T.dvector("x")
    cost = T.exp(x).sum()
    f = function([x], grad(cost, x))
    # the forward exp is needed by the gradient, but not the sum (the cost itself)
    assert "sum" not in _names(f)
    off = function([x], grad(cost, x), mode=Mode(excluding=["filled_constant_shape"]))
    np.testing.assert_allclose(f([0.0, 1.0]), off([0.0, 1.0]))


def test_useless_sum_to_shape_goes_when_shapes_are_provably_equal():
    x = T.dvector("x")
    y = x * 2
    from framework.core.elemwise import sum_to_shape

    g = sum_to_shape(T.exp(y), x)
    f = function([x], g)
    assert "sum_to_shape" not in _names(f)
    off = function([x], g, mode=Mode(excluding=["useless_sum_to_shape"]))
    assert "sum_to_shape" in _names(off)
    np.testing.assert_allclose(f([1.0, 2.0]), off([1.0, 2.0]))


def test_results_broadcast_from_the_same_unknown_sizes_have_equal_signatures():
    from framework.core.shape_sig import shape_signature

    x, y, z = T.dvector("x"), T.dvector("y"), T.dvector("z")
    a = x * y
    assert shape_signature(a) == shape_signature(T.exp(y - x))  # same sizes, any op, any order
    assert shape_signature(a + x) == shape_signature(a)  # broadcasting is associative
    assert shape_signature(a) != shape_signature(x) and shape_signature(a) != shape_signature(y)
    assert shape_signature(a) != shape_signature(x * z)


def test_mean_gradient_of_a_broadcast_result_needs_no_broadcast():
    """``d mean(f(x, y)) / d f`` is ``1/n`` broadcast to ``f``'s shape; the reader
    of that broadcast broadcasts ``x`` and ``y`` to the same shape on its own."""
    x, y = T.dvector("x"), T.dvector("y")
    cost = T.nnet.sigmoid_binary_crossentropy(x, y).mean()
    g = grad(cost, x)
    f = function([x, y], g)
    off = function([x, y], g, mode=Mode(excluding=["elemwise_of_broadcast", "broadcast_after_elemwise"]))
    assert "broadcast_like" not in _names(f)
    assert "broadcast_like" in _names(off)
    xv, yv = np.linspace(-3, 3, 5), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    np.testing.assert_allclose(f(xv, yv), (1 / (1 + np.exp(-xv)) - yv) / 5)
    np.testing.assert_allclose(f(xv, yv), off(xv, yv))
    # a target that broadcasts: the gradient is summed back to x's shape
    np.testing.assert_allclose(f(np.array([0.5]), yv), [np.sum(1 / (1 + np.exp(-0.5)) - yv) / 5])


def test_broadcast_moves_past_scalar_arithmetic():
    """The L2 term's gradient ``broadcast_like(2 * c, w) * w`` (built as
    ``(broadcast * 2) * w``) ends up as ``2 * c * w``: no broadcast at run time."""
    w = T.dvector("w")
    g = grad(0.01 * (w ** 2).sum(), w)
    f = function([w], g)
    off = function([w], g, mode=Mode(excluding=["broadcast_after_elemwise"]))
    assert "broadcast_like" not in _names(f)
    assert "broadcast_like" in _names(off)
    np.testing.assert_allclose(f([1.0, -2.0]), [0.02, -0.04])
    np.testing.assert_allclose(f([1.0, -2.0]), off([1.0, -2.0]))


def test_a_one_input_op_of_a_broadcast_runs_on_the_few_values():
    """``-broadcast_like(1/n, n)`` (a mean's gradient, negated) -> ``broadcast_like(-(1/n), n)``: the
    negation joins the scalar arithmetic; the same values and shape, empty sizes included."""
    from hypothesis import given, settings, strategies as st

    x = T.dmatrix("x")
    g = grad(-x.sum(axis=1).mean(), x)
    f = function([x], g)
    off = function([x], g, mode=Mode(excluding=["broadcast_after_elemwise"]))
    def vector_arithmetic(fn):  # element-wise nodes computing on vectors or matrices
        return [n for n in fn.maker.fgraph.toposort() if n.op.name in ("fused", "neg") and n.outputs[0].ndim > 0]

    assert not vector_arithmetic(f) and vector_arithmetic(off)  # -(1/n) is computed once, then broadcast

    @settings(max_examples=20, deadline=None)
    @given(st.integers(0, 5), st.integers(0, 5))
    def check(rows, cols):
        v = np.arange(rows * cols, dtype=float).reshape(rows, cols)
        with np.errstate(divide="ignore"):  # no rows: 1/0, in both
            a, b = f(v), off(v)
        assert a.shape == b.shape == (rows, cols)
        np.testing.assert_array_equal(a, b)

    check()


def test_a_row_scaling_mean_gradient_needs_no_broadcast_column():
    """The RBM's free-energy gradient: ``d mean(sum(f(x @ W), axis=1))`` scales each row by
    ``1/n`` through ``dimshuffle{0,x}(broadcast_like(1/n, n))``; lifted through the
    dimshuffle, the column meets the rows it scales and becomes the scalar itself."""
    x, W = T.dmatrix("x"), T.dmatrix("W")
    cost = T.nnet.softplus(T.dot(x, W)).sum(axis=1).mean()
    g = grad(cost, W)
    on = function([x, W], g)
    off = function([x, W], g, mode=Mode(excluding=["dimshuffle_of_broadcast"]))
    assert "broadcast_like" not in _names(on)
    assert "broadcast_like" in _names(off)
    rng = np.random.RandomState(0)
    for rows in (1, 3, 7):
        xv, Wv = rng.randn(rows, 4), rng.randn(4, 5)
        np.testing.assert_array_equal(on(xv, Wv), off(xv, Wv))
        expected = xv.T @ (1 / (1 + np.exp(-(xv @ Wv)))) / rows
        np.testing.assert_allclose(on(xv, Wv), expected)


def test_a_broadcast_column_that_might_not_fit_keeps_its_error():
    """A column broadcast to a length nothing proves equal to the rows it meets is kept, so
    a mismatch still fails as the graph says."""
    from framework.core.shape_ops import BroadcastLike
    from framework.core.variable import constant

    a, b = T.dmatrix("a"), T.dvector("b")
    s = T.dscalar("s")
    col = BroadcastLike()(s, b.shape[0], constant(np.int64(1)))  # (len(b), 1)
    f = function([a, b, s], a * col)
    assert "broadcast_like" in _names(f)
    np.testing.assert_array_equal(f(np.ones((3, 2)), np.zeros(3), 2.0), np.full((3, 2), 2.0))
    with pytest.raises(ValueError):
        f(np.ones((3, 2)), np.zeros(4), 2.0)
    # the lift itself: a scalar broadcast then reordered is the scalar broadcast to the reordered shape
    v = BroadcastLike()(s, b.shape[0])
    g = function([b, s], T.shape_padright(v) + 0 * T.shape_padright(b))
    np.testing.assert_array_equal(g(np.zeros(3), 5.0), np.full((3, 1), 5.0))
