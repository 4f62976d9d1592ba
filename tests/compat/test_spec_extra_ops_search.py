"""Theano 1.0's ``theano.tensor.extra_ops`` search and index ops -- ``searchsorted``/``SearchsortedOp``,
``Unique``, ``unravel_index``/``UnravelIndex``, ``ravel_multi_index``/``RavelMultiIndex``, ``CumOp`` --
as Theano 1.0's documentation describes them (the values are NumPy's; the shapes and dtypes Theano's)."""
from __future__ import annotations

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE"]


@pytest.mark.parametrize("mode", MODES)
def test_searchsorted_forms(mode):
    import theano
    import theano.tensor as T
    from theano.tensor import extra_ops

    x = T.dvector("x")
    sorted_x = [1.0, 2.0, 3.0, 4.0, 5.0]
    f = theano.function([x], [x.searchsorted(3), extra_ops.searchsorted(x, 3, side="right"),
                              extra_ops.searchsorted(x, [-10, 10, 2, 3])], mode=mode)
    at, after, many = f(sorted_x)
    assert at == 2 and after == 3 and at.dtype == np.int64
    np.testing.assert_array_equal(many, [0, 5, 1, 2])
    # a constant vector as x, and the op class with a sorter
    assert extra_ops.searchsorted([1, 2, 3, 4, 5], 3).eval() == 2
    s = T.lvector("s")
    g = theano.function([x, s], extra_ops.SearchsortedOp(side="left")(x, [2.5, 0.0], s), mode=mode)
    unsorted = np.array([4.0, 1.0, 3.0])
    np.testing.assert_array_equal(g(unsorted, np.argsort(unsorted)),
                                  np.searchsorted(unsorted, [2.5, 0.0], sorter=np.argsort(unsorted)))
    with pytest.raises(ValueError, match="side"):
        extra_ops.SearchsortedOp(side="both")


def test_searchsorted_gradients_are_zeros_of_the_inputs_shapes():
    import theano
    import theano.tensor as T
    from theano.tensor import extra_ops

    x, v = T.dvector("x"), T.dmatrix("v")
    cost = T.sum(extra_ops.searchsorted(x, v) * 2.0)
    gx, gv = theano.grad(cost, [x, v])
    rx, rv = theano.function([x, v], [gx, gv])([1.0, 2.0, 3.0], [[0.5, 2.5]])
    np.testing.assert_array_equal(rx, np.zeros(3))
    np.testing.assert_array_equal(rv, np.zeros((1, 2)))


@pytest.mark.parametrize("mode", MODES)
def test_unique_op_on_a_vector_and_a_matrix(mode):
    import theano
    import theano.tensor as T
    from theano.tensor.extra_ops import Unique

    v = T.vector("v")
    f = theano.function([v], Unique(True, True, False)(v), mode=mode)
    values, index, inverse = f(np.array([1, 2.0, 3, 4, 3, 2, 1], dtype=v.dtype))
    np.testing.assert_array_equal(values, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(index, [0, 1, 2, 3])
    np.testing.assert_array_equal(inverse, [0, 1, 2, 3, 2, 1, 0])
    m = T.matrix("m")
    g = theano.function([m], Unique(True, True, False)(m), mode=mode)
    values, index, inverse = g(np.array([[1, 1, 1.0], [2, 3, 3.0]], dtype=m.dtype))
    np.testing.assert_array_equal(values, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(index, [0, 3, 4])
    np.testing.assert_array_equal(inverse, [0, 0, 0, 1, 2, 2])  # over the flattened matrix
    counts = theano.function([m], Unique(return_counts=True)(m), mode=mode)(np.array([[5, 5], [6, 5.0]],
                                                                                       dtype=m.dtype))
    np.testing.assert_array_equal(counts[1], [3, 1])
    only = theano.function([m], Unique()(m), mode=mode)(np.array([[2, 1.0]], dtype=m.dtype))
    np.testing.assert_array_equal(only, [1.0, 2.0])


@pytest.mark.parametrize("mode", MODES)
def test_unravel_and_ravel_multi_index(mode):
    import theano
    import theano.tensor as T
    from theano.tensor import extra_ops

    i = T.lvector("i")
    rows, cols = extra_ops.unravel_index(i, (4, 5))
    f = theano.function([i], [rows, cols, T.ravel_multi_index((rows, cols), (4, 5))], mode=mode)
    r, c, back = f([0, 6, 19])
    np.testing.assert_array_equal(r, [0, 1, 3])
    np.testing.assert_array_equal(c, [0, 1, 4])
    np.testing.assert_array_equal(back, [0, 6, 19])
    fr = theano.function([i], list(extra_ops.UnravelIndex(order="F")(i, [4, 5])), mode=mode)
    for got, want in zip(fr([0, 6, 19]), np.unravel_index([0, 6, 19], (4, 5), order="F")):
        np.testing.assert_array_equal(got, want)
    a, b = T.lvector("a"), T.lvector("b")
    wrap = theano.function([a, b], extra_ops.RavelMultiIndex("wrap", "C")(a, b, [4, 5]), mode=mode)
    np.testing.assert_array_equal(wrap([5, -1], [0, 7]), np.ravel_multi_index(([5, -1], [0, 7]), (4, 5), mode="wrap"))
    with pytest.raises(TypeError, match="tuple or list"):
        extra_ops.ravel_multi_index(a, (4, 5))


def test_cumop_class_defaults():
    import theano
    import theano.tensor as T
    from theano.tensor.extra_ops import CumOp

    x = T.dmatrix("x")
    f = theano.function([x], [CumOp()(x), CumOp(axis=1, mode="mul")(x)])
    flat, prod = f([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(flat, [1.0, 3.0, 6.0, 10.0])
    np.testing.assert_array_equal(prod, [[1.0, 2.0], [3.0, 12.0]])
