"""The generated index readers (``subtensor.index_reader``) are ``x[build_index(...)]``: the same
result, view or copy, and the same error, for every kind of template entry."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework.core.subtensor import ARRAY, SCALAR, build_index, index_reader

X = np.arange(60.0).reshape(3, 4, 5)

CASES = [
    ((("slice", SCALAR, SCALAR, None),), (np.asarray(1), np.asarray(3))),
    ((("slice", SCALAR, SCALAR, None),), (np.int64(-2), np.int64(99))),
    ((SCALAR,), (np.asarray(-1),)),
    ((SCALAR, SCALAR, SCALAR), (np.asarray(0), np.asarray(3), np.asarray(4))),
    ((None, Ellipsis, ("slice", 1, None, SCALAR)), (np.int64(2),)),
    ((Ellipsis, SCALAR), (np.asarray(-5),)),
    ((SCALAR, ARRAY), (np.asarray(-1), np.array([0, 3, 3]))),
    ((ARRAY, ("slice", None, None, -1), ARRAY), (np.array([[0], [2]]), np.array([1, 4]))),
    ((("slice", None, None, -1), SCALAR, None), (np.asarray(2),)),
    ((2, ("slice", SCALAR, None, 2)), (np.asarray(1),)),
    ((("slice", SCALAR, -1, SCALAR), None, 1), (np.asarray(0), np.asarray(2))),
]


@pytest.mark.parametrize("template,values", CASES)
def test_reader_is_build_index(template, values):
    read = index_reader(template, np)
    got = read(X, *values)
    want = X[build_index(template, np, values)]
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.array_equal(got, want)
    assert np.shares_memory(got, X) == np.shares_memory(want, X)  # a view exactly where NumPy gives one


@pytest.mark.parametrize("template,values", [
    ((SCALAR,), (np.asarray(3),)),  # past the end
    ((SCALAR, SCALAR), (np.asarray(0), np.asarray(-6))),
    ((ARRAY,), (np.array([0, 7]),)),
    ((SCALAR, SCALAR, SCALAR, SCALAR), tuple(np.asarray(0) for _ in range(4))),  # too many indices
])
def test_reader_fails_as_build_index(template, values):
    with pytest.raises(IndexError) as want:
        X[build_index(template, np, values)]
    with pytest.raises(IndexError) as got:
        index_reader(template, np)(X, *values)
    assert str(got.value) == str(want.value)


def test_reader_cached_per_template():
    t = (("slice", SCALAR, SCALAR, None),)
    assert index_reader(t, np) is index_reader(t, np)


def test_minibatch_slice_in_a_function():
    """The tutorials' ``givens`` slice, compiled: every window, and the error past the data's end."""
    data = np.arange(40.0).reshape(10, 4)
    i = T.lscalar("i")
    x = T.matrix("x", dtype="float64")
    f = function([i, x], x[i * 3:(i + 1) * 3])
    for k in range(4):
        assert np.array_equal(f(k, data), data[k * 3:(k + 1) * 3])
    g = function([i, x], x[i])
    with pytest.raises(IndexError):
        g(10, data)
    for k, j in itertools.product(range(-3, 3), range(2)):
        h = function([i, x], x[i, j] if j else x[:, i])
        assert np.array_equal(h(k, data), data[k, j] if j else data[:, k])
