"""Theano's In(...) options and Function.copy(share_memory) do what Theano documents, or raise."""
import numpy as np
import pytest

import framework.tensor as T
from framework import In, function, shared
from framework.core.errors import InputError


def test_strict_inputs_take_no_conversion():
    x = T.dvector("x")
    f = function([In(x, strict=True)], x * 2)
    np.testing.assert_allclose(f(np.ones(2)), [2.0, 2.0])
    for bad in ([1.0, 2.0], np.ones(2, dtype="float32"), np.ones((1, 2))):
        with pytest.raises(InputError, match="strict"):
            f(bad)
    g = function([x], x * 2)  # not strict: converted
    np.testing.assert_allclose(g([1.0, 2.0]), [2.0, 4.0])


def test_implicit_inputs_always_take_their_value():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = function([x, In(y, value=10.0, implicit=True)], x + y)
    assert f(1.0) == 11.0
    with pytest.raises(InputError):
        f(1.0, 2.0)
    with pytest.raises(InputError, match="implicit"):
        f(1.0, y=2.0)
    with pytest.raises(ValueError, match="needs a value"):
        In(y, implicit=True)


def test_mutable_and_borrow_are_permissions_the_function_never_needs():
    x = T.dvector("x")
    v = np.ones(3)
    f = function([In(x, mutable=True, borrow=True)], x + 1)
    np.testing.assert_allclose(f(v), 2 * np.ones(3))
    np.testing.assert_allclose(v, np.ones(3))


@pytest.mark.parametrize("share_memory", [False, True])
def test_copy_shares_shared_variables_whatever_share_memory(share_memory):
    s = shared(np.float64(0.0), name="s")
    inc = function([], s, updates=[(s, s + 1)])
    other = inc.copy(share_memory=share_memory)
    inc()
    other()
    assert s.get_value() == 2.0


def test_function_has_no_swap_parameter():
    x = T.dscalar("x")
    with pytest.raises(TypeError):
        function([x], x, swap={})
