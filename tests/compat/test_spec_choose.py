"""Theano 1.0's ``T.choose(a, choices, out=None, mode='raise')`` against ``numpy.choose``
(library/tensor/basic.txt: "Construct an array from an index array and a set of arrays to
choose from"), with its three modes, broadcasting, and gradients."""
from __future__ import annotations

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE"]


@pytest.mark.parametrize("fmode", MODES)
@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_choose_is_numpys_choose(fmode, mode):
    import theano
    import theano.tensor as T

    a = T.lmatrix("a")
    c0, c1, c2 = T.dmatrix("c0"), T.dvector("c1"), T.dscalar("c2")
    f = theano.function([a, c0, c1, c2], T.choose(a, [c0, c1, c2], mode=mode), mode=fmode)
    v0, v1, v2 = np.arange(6.0).reshape(2, 3), np.array([10.0, 20.0, 30.0]), np.array(-1.0)
    indices = [np.array([[0, 1, 2], [2, 1, 0]])]
    if mode != "raise":
        indices.append(np.array([[3, -1, 5], [0, -4, 2]]))
    for av in indices:
        np.testing.assert_array_equal(f(av, v0, v1, v2), np.choose(av, [v0, v1, v2], mode=mode))


def test_choose_from_a_tensor_of_known_length_and_with_one_choice():
    import theano
    import theano.tensor as T

    a, s = T.lvector("a"), T.dmatrix("s")
    f = theano.function([a, s], [T.choose(a, T.specify_shape(s, (2, 4))), T.choose(a * 0, [s[0]])])
    av, sv = np.array([1, 0, 0, 1]), np.arange(8.0).reshape(2, 4)
    both, one = f(av, sv)
    np.testing.assert_array_equal(both, np.choose(av, sv))
    np.testing.assert_array_equal(one, np.choose(av * 0, [sv[0]]))
    assert T.choose(a, [T.fvector(), T.dvector()]).dtype == "float64"  # the choices' promotion


def test_choose_refusals_name_what_was_wrong():
    import theano
    import theano.tensor as T

    a = T.lvector("a")
    f = theano.function([a], T.choose(a, [T.constant(np.zeros(3)), T.constant(np.ones(3))]))
    with pytest.raises(AssertionError, match=r"outside \[0, 2\)"):
        f(np.array([0, 2, 1]))
    with pytest.raises(TypeError, match="no known length"):
        T.choose(a, T.dmatrix())
    with pytest.raises(TypeError, match="integers"):
        T.choose(T.dvector(), [a])
    with pytest.raises(ValueError, match="mode"):
        T.choose(a, [a], mode="nearest")
    with pytest.raises(TypeError, match="out"):
        T.choose(a, [a], out=a)


def test_choose_gradient_reaches_each_choice_where_chosen():
    import theano
    import theano.tensor as T

    a = T.lmatrix("a")
    c0, c1 = T.dmatrix("c0"), T.dvector("c1")
    g = theano.function([a, c0, c1], T.grad((T.choose(a, [c0, c1]) * 3).sum(), [c0, c1]))
    av = np.array([[0, 1, 1], [1, 0, 1]])
    g0, g1 = g(av, np.ones((2, 3)), np.ones(3))
    np.testing.assert_array_equal(g0, 3.0 * (av == 0))
    np.testing.assert_array_equal(g1, 3.0 * (av == 1).sum(axis=0))
