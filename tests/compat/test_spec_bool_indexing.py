"""Boolean-mask indexing and the nonzero family against Theano 1.0, read as the specification:
theano/tensor/tests/test_subtensor.py (``T_subtensor.test_boolean``: masks from NumPy arrays,
shared variables and comparisons, with ints, slices, newaxis and ellipsis; ``inc_subtensor``
through a mask; gradients; masks of the wrong shape raise IndexError; Python bools are refused)
and theano/tensor/tests/test_basic.py (``test_nonzero``, ``test_flatnonzero``,
``test_nonzero_values``, with test values). Our own tests and words."""
from __future__ import annotations

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402
from theano.tensor import inc_subtensor, set_subtensor  # noqa: E402

N = np.arange(6, dtype=theano.config.floatX).reshape((2, 3))
N4 = np.arange(48, dtype=theano.config.floatX).reshape((2, 3, 4, 2))


def _inc(x, idx, a):
    out = x.copy()
    out[idx] += a
    return out


def _same(got, want):
    np.testing.assert_array_equal(got, want)
    assert np.shape(got) == np.shape(want)


def test_mask_on_the_first_axis_reads_and_increments():
    n = theano.shared(N)
    mask = np.array([True, False])
    _same(n[mask].eval(), N[mask])
    _same(inc_subtensor(n[mask], 1).eval(), _inc(N, mask, 1))
    _same(inc_subtensor(n[mask], n[mask]).eval(), _inc(N, mask, N[mask]))
    _same(set_subtensor(n[mask], -1).eval(), np.where(mask[:, None], -1.0, N))


def test_gradients_through_a_mask():
    mask = np.array([True, False])
    theano.gradient.verify_grad(lambda m: m[mask], [N.copy()], rng=np.random.RandomState(0))
    theano.gradient.verify_grad(lambda m: inc_subtensor(m[mask], 1), [N.copy()], rng=np.random.RandomState(0))


def test_masks_from_comparisons():
    n = theano.shared(N)
    _same(n[n > 2].eval(), N[N > 2])
    _same(n[[0], n[0] > 2].eval(), N[[0], N[0] > 2])
    _same(n[[1], n[0] > 2].eval(), N[[1], N[0] > 2])


def test_mask_on_the_second_axis_with_ints_slices_and_newaxis():
    n = theano.shared(N)
    mask = np.array([True, False, True])
    for idx in [(0, mask), (slice(None), mask), (slice(1, None), mask), (slice(None, 1), mask),
                (slice(1, None), mask, np.newaxis), (np.newaxis, slice(1, None), mask)]:
        _same(n[idx].eval(), N[idx])
    _same(n[:, theano.shared(mask)].eval(), N[:, mask])
    _same(inc_subtensor(n[(0,) + mask.nonzero()], 1).eval(), _inc(N, (0, mask), 1))
    _same(inc_subtensor(n[0, mask], 1).eval(), _inc(N, (0, mask), 1))
    _same(inc_subtensor(n[:, mask], 1).eval(), _inc(N, (slice(None), mask), 1))


def test_a_two_d_mask():
    n = theano.shared(N)
    mask = np.array([[True, False, True], [False, False, True]])
    _same(n[mask].eval(), N[mask])
    _same(n[theano.shared(mask)].eval(), N[mask])
    _same(inc_subtensor(n[mask], 1).eval(), _inc(N, mask, 1))


def test_a_comparison_mask_with_an_ellipsis():
    n, n4 = theano.shared(N), theano.shared(N4)
    for rest in [(Ellipsis,), (Ellipsis, 1), (Ellipsis, 0, 1)]:
        _same(n4[(n > 2,) + rest].eval(), N4[(N > 2,) + rest])
        _same(inc_subtensor(n4[(n > 2,) + rest], 1).eval(), _inc(N4, (N > 2,) + rest, 1))


@pytest.mark.parametrize("mask", [
    [True, False, True],  # too long, padded with True
    [True, False, False],  # too long, padded with False (NumPy < 1.13 accepted it)
    [True],  # too short (NumPy < 1.13 accepted it)
    [[True, False, False, True], [False, True, False, True]],
    [[True, False, False, False], [False, True, False, False]],
    [[True], [True]],
], ids=["long-true", "long-false", "short", "2d-long-true", "2d-long-false", "2d-short"])
def test_a_mask_of_the_wrong_shape_is_an_index_error(mask):
    n = theano.shared(N)
    mask = np.array(mask)
    forms = [lambda: n[mask], lambda: inc_subtensor(n[mask], 1)]
    if mask.ndim == 1:
        forms += [lambda: n[mask, ...], lambda: inc_subtensor(n[mask, ...], 1)]
    for form in forms:  # a shared variable's sizes are not static: the error comes when it runs
        with pytest.raises(IndexError, match="boolean index did not match"):
            form().eval()


def test_a_mask_with_too_many_dimensions_is_an_index_error_when_built():
    n = theano.shared(N)
    with pytest.raises(IndexError):
        n[np.array([[[True, False, False], [False, True, False]]])]


@pytest.mark.parametrize("index", [(True,), (False,), (True, False)], ids=["true", "false", "both"])
def test_python_bools_are_refused(index):
    n = theano.shared(N)
    with pytest.raises(TypeError):
        n[index]


def test_bools_nested_in_python_lists_follow_numpy_here():
    """Theano 1.0 refuses ``n[[True, False]]``, ``n[[0, 1], [0, False]]`` (TypeError: Python bools
    in an index); the variables here are framework's, whose indexing is NumPy's: a list of bools
    is a mask, a list mixing ints and bools is integer positions (docs/theano.md, differences)."""
    n = theano.shared(N)
    _same(n[[True, False]].eval(), N[np.array([True, False])])
    _same(n[[0, 1], [0, False]].eval(), N[[0, 1], [0, False]])


def test_integer_arrays_are_positions_not_masks():
    """Only the bool dtype makes a mask (Theano 1.0's rule): int8 zeros and ones are positions."""
    n = theano.shared(N)
    _same(n[np.array([1, 0, 1], dtype="int8")].eval(), N[[1, 0, 1]])


def _symbolic(m):
    return T.tensor(dtype=m.dtype, broadcastable=(False,) * m.ndim)


def _samples():
    r1 = np.random.RandomState(1).rand(8)
    r1[:4] = 0
    r2 = np.random.RandomState(2).rand(8, 9)
    r2[:4] = 0
    r3 = np.random.RandomState(3).rand(3, 4, 5)
    r3[1] = 0
    return [r1, r2, r3]


def test_nonzero_as_a_tuple_and_as_a_matrix():
    for m in _samples():
        x = _symbolic(m)
        f = theano.function([x], list(T.nonzero(x, return_matrix=False)) + [T.nonzero(x, return_matrix=True)])
        *rows, matrix = f(m)
        _same(matrix, np.vstack(np.nonzero(m)))
        for got, want in zip(rows, np.nonzero(m)):
            _same(got, want)
        assert matrix.dtype == "int64"


def test_flatnonzero_and_nonzero_values():
    for m in _samples():
        x = _symbolic(m)
        got, values = theano.function([x], [T.flatnonzero(x), T.nonzero_values(x)])(m)
        _same(got, np.flatnonzero(m))
        _same(values, m[np.nonzero(m)])


@pytest.mark.parametrize("fn", ["nonzero", "flatnonzero", "nonzero_values"])
def test_the_nonzero_family_refuses_a_0d_input(fn):
    with pytest.raises(ValueError):
        getattr(T, fn)(T.dscalar("s"))


def test_the_nonzero_family_with_test_values():
    """test_basic's own form: the results read from ``tag.test_value`` with compute_test_value='raise'."""
    old = theano.config.compute_test_value
    theano.config.compute_test_value = "raise"
    try:
        for m in _samples():
            x = _symbolic(m)
            x.tag.test_value = m
            rows, matrix = T.nonzero(x), T.nonzero(x, return_matrix=True)
            _same(matrix.tag.test_value, np.vstack(np.nonzero(m)))
            for got, want in zip(rows, np.nonzero(m)):
                _same(got.tag.test_value, want)
            _same(T.flatnonzero(x).tag.test_value, np.flatnonzero(m))
            _same(T.nonzero_values(x).tag.test_value, m[np.nonzero(m)])
    finally:
        theano.config.compute_test_value = old


def test_the_methods():
    x = T.dmatrix("x")
    m = _samples()[1]
    rows, matrix, values = theano.function([x], [x.nonzero()[1], x.nonzero(return_matrix=True),
                                                 x.nonzero_values()])(m)
    _same(rows, np.nonzero(m)[1])
    _same(matrix, np.vstack(np.nonzero(m)))
    _same(values, m[np.nonzero(m)])
