"""framework's own ``In(update=...)``: an input with state, updated after each call as a shared
variable is (from the old values, after the outputs, nothing stored on failure), read and set with
``f[x]``; and the plain call path does not change when no input has state."""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import In


def test_native_in_update():
    x = T.dvector("x")
    total = T.dvector("total")
    f = framework.function([x, In(total, value=np.zeros(3), update=total + x)], total.sum())
    assert f(np.ones(3)) == 0.0
    assert f(np.ones(3)) == 3.0
    np.testing.assert_allclose(f[total], [2.0, 2.0, 2.0])
    f[total] = [10.0, 0.0, 0.0]
    assert f(np.zeros(3)) == 10.0
    np.testing.assert_allclose(f["total"], [10.0, 0.0, 0.0])
    with pytest.raises(framework.core.errors.InputError):
        f(np.ones(3), total=np.ones(2), bogus=1)            # binding errors store nothing either
    np.testing.assert_allclose(f[total], [10.0, 0.0, 0.0])


def test_debug_mode_and_single_outputs():
    n = T.lscalar("n")
    f = framework.function([In(n, value=5, update=n - 1)], n * 2, mode="DEBUG")
    assert f() == 10 and f() == 8 and f[n] == 3
    g = framework.function([In(n, value=0, update=n + 1)], [n, n + 1])
    assert g() == [0, 1] and g() == [1, 2]


def test_functions_without_state_keep_the_plain_call():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = framework.function([x, In(y, value=2.0)], x * y)
    assert f._fast_n == 2 and f(3.0, 4.0) == 12.0 and f(3.0) == 6.0
    f[y] = 5.0                                              # one call takes the other path, then back
    assert f._fast_n == -1 and f(3.0) == 15.0
    assert f._fast_n == 2 and f[y] == 2.0 and f(3.0) == 6.0
