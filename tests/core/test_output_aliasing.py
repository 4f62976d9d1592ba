"""No two results of a call share memory (Theano's rule): an output that is a view of another
output, or a shared variable's new value that is a view of an output, is copied. Found by
``tests/fuzz/test_output_subsets.py`` (fourteenth session): ``[y, y.T]`` returned a matrix and
its own transpose, so writing into one changed the other."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function, shared


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE", "DEBUG"])
def test_views_of_another_output_are_copied(mode):
    x = T.dmatrix("x")
    y = x * 2
    f = function([x], [y, y.T, y[None], y[0], (y * 1.0)[::-1]], mode=mode)
    outs = f(np.arange(6.0).reshape(2, 3))
    for i in range(len(outs)):
        for j in range(i + 1, len(outs)):
            assert not np.shares_memory(outs[i], outs[j]), (i, j)
    np.testing.assert_array_equal(outs[1], outs[0].T)
    outs[0][...] = -1  # the others keep their values
    np.testing.assert_array_equal(outs[1], (np.arange(6.0).reshape(2, 3) * 2).T)


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE", "DEBUG"])
def test_a_shared_update_that_views_an_output_is_copied(mode):
    x = T.dvector("x")
    s = shared(np.zeros((1, 3)))
    y = x + 1
    f = function([x], y, updates=[(s, y[None])], mode=mode)
    out = f(np.zeros(3))
    assert not np.shares_memory(out, s.get_value(borrow=True))
    out[...] = 5
    np.testing.assert_array_equal(s.get_value(), [[1.0, 1.0, 1.0]])


def test_the_rbm_and_logreg_steps_copy_nothing():
    """The alias analysis follows views only: a fused node that may overwrite an input does not
    make its outputs look alike (the logistic regression's two outputs are not copied)."""
    x, y = T.dmatrix("x"), T.dvector("y")
    w = shared(np.zeros(4), name="w")
    p = 1 / (1 + T.exp(-T.dot(x, w)))
    xent = -y * T.log(p) - (1 - y) * T.log(1 - p)
    g = T.grad(xent.mean(), w)
    f = function([x, y], [p > 0.5, xent], updates=[(w, w - 0.1 * g)])
    assert "COPY(" not in f._linked.run.__source__
