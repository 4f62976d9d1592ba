"""Indexing against Theano 1.0's theano/tensor/tests/test_subtensor.py (``T_subtensor``:
``test1_ok_strided``, ``test2_ok_range_finite``, ``test2_err_bounds0``/``1``, ``test_ok_list``,
``test_grad_1d``; ``TestIncSubtensor1``/``TestAdvancedSubtensor``: repeated indices, ``inc``
accumulating; ``test_take``) and the signatures of ``theano.tensor.subtensor``'s
``inc_subtensor``/``set_subtensor``/``take``, read as the specification. Our own tests."""
from __future__ import annotations

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402

F = theano.function
V = np.arange(5.0)
M = np.arange(12.0).reshape(3, 4)


def test_basic_slicing_negative_steps_and_out_of_range_slices():
    """test1_ok_strided, test2_ok_strided: slices as NumPy's, out-of-range slices are empty."""
    v, m = T.dvector("v"), T.dmatrix("m")
    outs = F([v, m], [v[::-1], v[3:0:-2], v[0:-1:2], v[10:20], v[-20:2], m[1:4:2, 1:5:2], m[::-1, -1]])(V, M)
    want = [V[::-1], V[3:0:-2], V[0:-1:2], V[10:20], V[-20:2], M[1:4:2, 1:5:2], M[::-1, -1]]
    for got, exp in zip(outs, want):
        np.testing.assert_array_equal(got, exp)
        assert got.shape == exp.shape


def test_integer_and_symbolic_indices_with_negative_values():
    """test2_ok_range_finite (negative indices), indexing with symbolic scalars (``n[z:, z]``)."""
    v, m, i, j = T.dvector("v"), T.dmatrix("m"), T.iscalar("i"), T.lscalar("j")
    f = F([v, m, i, j], [v[-1], v[i], m[i:, j], m[:j, -4], v[i:j]])
    a, b, c, d, e = f(V, M, -2, 3)
    assert a == 4 and b == 3
    np.testing.assert_array_equal(c, M[-2:, 3])
    np.testing.assert_array_equal(d, M[:3, -4])
    np.testing.assert_array_equal(e, V[-2:3])


def test_out_of_bounds_indices_raise_index_error_at_run_time():
    """test1_err_bounds, test2_err_bounds0/1: an index out of range is an IndexError when the
    function runs (a shared variable's size is not known when the graph is built)."""
    n = theano.shared(np.ones((2, 3)))
    t = n[0, 4]  # building is fine
    with pytest.raises(IndexError, match="out of bounds"):
        F([], t)()
    with pytest.raises(IndexError, match="out of bounds"):
        F([], n[4:5, 3])()  # an empty slice does not excuse the other index
    v, i = T.dvector("v"), T.iscalar("i")
    f = F([v, i], v[i])
    for bad in (5, -6):
        with pytest.raises(IndexError, match="out of bounds"):
            f(V, bad)
    a = T.lvector("a")
    with pytest.raises(IndexError, match="out of bounds"):
        F([v, a], v[a])(V, np.array([0, 9]))


def test_list_and_array_indices_with_repeats():
    """test_ok_list: ``x[[3, 3, 1, -1]]`` repeats and counts negative entries from the end."""
    x = T.dtensor3("x")
    data = np.random.RandomState(0).rand(4, 2, 3)
    for idx in ([1, 0], [3, 3, 1, 1, 2, 2, 0, 0, -1, -2, -3, -4], np.array([0, 3], dtype="uint8")):
        np.testing.assert_array_equal(F([x], x[idx])(data), data[idx])
    np.testing.assert_array_equal(F([x], x[T.constant([2, 2])])(data), data[[2, 2]])


def test_inc_and_set_subtensor_on_slices_and_with_repeated_indices():
    """TestIncSubtensor1 / test_inc_adv_subtensor_w_2vec: ``inc`` adds every repeated index,
    ``set`` keeps the last write (NumPy's assignment, as AdvancedIncSubtensor1's perform)."""
    v, m = T.dvector("v"), T.dmatrix("m")
    f = F([v, m], [T.inc_subtensor(v[1:3], 10), T.set_subtensor(v[::-2], -1),
                   T.inc_subtensor(v[[0, 0, 1]], 1), T.set_subtensor(v[[0, 0, 1]], [1.0, 2.0, 3.0]),
                   T.inc_subtensor(m[[0, 0], [1, 1]], 1), T.inc_subtensor(m[:, [2, 2]], [[1, 1]])])
    inc, set_, inc_rep, set_rep, inc2, inc_col = f(V, M)
    np.testing.assert_array_equal(inc, [0, 11, 12, 3, 4])
    np.testing.assert_array_equal(set_, [-1, 1, -1, 3, -1])
    np.testing.assert_array_equal(inc_rep, [2, 2, 2, 3, 4])
    np.testing.assert_array_equal(set_rep, [2, 3, 2, 3, 4])
    exp = M.copy()
    exp[0, 1] += 2
    np.testing.assert_array_equal(inc2, exp)
    exp = M.copy()
    exp[:, 2] += 2
    np.testing.assert_array_equal(inc_col, exp)


def test_inc_subtensor_keywords_of_theano():
    """Theano's signature ``inc_subtensor(x, y, inplace=False, set_instead_of_inc=False,
    tolerate_inplace_aliasing=False)`` and ``set_subtensor(x, y, inplace, tolerate_inplace_aliasing)``:
    ``set_instead_of_inc`` sets; the in-place options leave the result unchanged (and the input)."""
    v = T.dvector("v")
    f = F([v], [T.inc_subtensor(v[1:3], 10, inplace=True), T.inc_subtensor(v[1:3], 10, tolerate_inplace_aliasing=True),
                T.inc_subtensor(v[1:3], 10, set_instead_of_inc=True), T.set_subtensor(v[1:3], 10, inplace=True),
                T.set_subtensor(v[[1]], 7, tolerate_inplace_aliasing=True)])
    data = V.copy()
    a, b, c, d, e = f(data)
    np.testing.assert_array_equal(a, [0, 11, 12, 3, 4])
    np.testing.assert_array_equal(b, a)
    np.testing.assert_array_equal(c, [0, 10, 10, 3, 4])
    np.testing.assert_array_equal(d, c)
    np.testing.assert_array_equal(e, [0, 7, 2, 3, 4])
    np.testing.assert_array_equal(data, V)  # the input is never overwritten
    from theano.tensor.subtensor import advanced_inc_subtensor1, advanced_set_subtensor1, inc_subtensor
    assert inc_subtensor is T.inc_subtensor
    np.testing.assert_array_equal(F([v], advanced_inc_subtensor1(v, 1.0, [0, 0]))(V), [2, 1, 2, 3, 4])
    np.testing.assert_array_equal(F([v], advanced_set_subtensor1(v, 9.0, [4]))(V), [0, 1, 2, 3, 9])


def test_inc_subtensor_of_a_transposed_indexing_result():
    """Theano's ``inc_subtensor`` takes a dimshuffle of an indexing result (``m[1:].T``) and
    returns the same dimshuffle of the whole updated tensor."""
    m, y = T.dmatrix("m"), T.dmatrix("y")
    out = F([m, y], T.inc_subtensor(m[1:].T, y))(np.zeros((3, 2)), np.arange(4.0).reshape(2, 2))
    exp = np.zeros((3, 2))
    exp[1:] += np.arange(4.0).reshape(2, 2).T
    np.testing.assert_array_equal(out, exp.T)
    with pytest.raises(TypeError, match="result of indexing"):
        T.inc_subtensor(m, 1)


def test_take_as_theano_and_numpy():
    """test_extra_ops/test_basic ``TestTake``: ``take(a, indices, axis=None, mode='raise')``."""
    m, v, idx = T.dmatrix("m"), T.dvector("v"), T.lmatrix("idx")
    I = np.array([[0, 1], [1, 2]])
    f = F([m, v, idx], [T.take(v, [0, -1]), T.take(m, [0, 2], axis=1), T.take(m, idx, axis=0), T.take(m, idx),
                        T.take(m, [0, 9], axis=1, mode="clip"), T.take(v, [7, -1], mode="wrap"),
                        T.take(m, [1], axis=-1)])
    got = f(M, V, I)
    want = [np.take(V, [0, -1]), np.take(M, [0, 2], axis=1), np.take(M, I, axis=0), np.take(M, I),
            np.take(M, [0, 9], axis=1, mode="clip"), np.take(V, [7, -1], mode="wrap"), np.take(M, [1], axis=-1)]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
        assert g.shape == w.shape
    with pytest.raises(IndexError):
        F([v], T.take(v, [5]))(V)
    with pytest.raises(ValueError, match="mode"):
        T.take(v, [0], mode="nearest")


def test_gradients_of_indexing():
    """test_grad_1d/test_grad_0d and the AdvancedSubtensor1/AdvancedIncSubtensor1 gradients:
    repeated reads add up; a position ``set`` repeats gets the gradient of its last write only."""
    v, m = T.dvector("v"), T.dmatrix("m")
    rng = np.random.RandomState(3)
    for fn in (lambda a: a[::-2], lambda a: a[[0, 0, 2]], lambda a: T.take(a, [1, 1, 3]),
               lambda a: T.inc_subtensor(a[[0, 0]], a[1:3] ** 2), lambda a: T.set_subtensor(a[1:3], a[3:] * 2)):
        T.verify_grad(fn, [rng.rand(5)], rng=rng)
    np.testing.assert_array_equal(F([v], T.grad(v[[0, 0, 2]].sum(), v))(V), [2, 0, 1, 0, 0])
    g = F([v], T.grad((T.set_subtensor(v[[0, 0]], v[1:3]) ** 2).sum(), v))(V)
    # out = [v2, v1, v2, v3, v4]: v[0]'s write of v1 is overwritten by v2's
    np.testing.assert_array_equal(g, [0, 2 * 1, 2 * 2 * 2, 2 * 3, 2 * 4])
    gm = F([m], T.grad(T.exp(m[1:, 0]).sum(), m))(M / 10)
    exp = np.zeros_like(M)
    exp[1:, 0] = np.exp(M[1:, 0] / 10)
    np.testing.assert_allclose(gm, exp)


def test_newaxis_broadcastable():
    """test_newaxis: ``None`` inserts a broadcastable axis."""
    n = theano.shared(np.arange(24.0).reshape(2, 3, 4))
    assert n[None].broadcastable == (True, False, False, False)
    assert n[:, :, None, :].broadcastable == (False, False, True, False)
    assert n.flatten()[None, :, None].broadcastable == (True, False, True)
    assert T.cscalar()[None].broadcastable == (True,)


def test_index_errors_when_building():
    """test1_err_invalid / test0_err_invalid: too many indices, a float index."""
    v = T.dvector("v")
    with pytest.raises(IndexError, match="too many indices"):
        v[0, 0]
    with pytest.raises(IndexError, match="too many indices"):
        T.dscalar()[0]
    with pytest.raises(TypeError, match="integer"):
        v[T.dscalar()]
