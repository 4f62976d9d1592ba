"""The Theano 1.0 names the compatibility layer gives resolve to this plugin's functions
and run Theano scripts' calls (old keywords included)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import framework
import framework.compat.theano as compat_theano

from . import direct


@pytest.fixture(autouse=True)
def theano_alias():
    compat_theano.install()
    yield


def test_theano_conv2d_and_pool_2d_run_the_plugins_ops():
    import theano
    import theano.tensor as T
    from theano.tensor.nnet import conv2d
    from theano.tensor.nnet import conv as old_conv
    from theano.tensor.signal import pool

    x, w = T.dtensor4("x"), T.dtensor4("w")
    r = np.random.RandomState(0)
    xv, wv = r.randn(2, 3, 8, 7), r.randn(4, 3, 3, 2)
    new = conv2d(x, w, input_shape=(2, 3, 8, 7), filter_shape=(4, 3, 3, 2), border_mode="full")
    old = old_conv.conv2d(x, w, image_shape=(2, 3, 8, 7), filter_shape=(4, 3, 3, 2), border_mode="full")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pooled = pool.pool_2d(new, ds=(2, 2), ignore_border=True, mode="max")
    same = pool.max_pool_2d_same_size(x, (2, 2))
    f = theano.function([x, w], [new, old, pooled, same])
    a, b, p, s = f(xv, wv)
    expected = direct.conv2d(xv, wv, border_mode="full")
    np.testing.assert_allclose(a, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(b, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(p, direct.pool2d(expected, (2, 2)), rtol=1e-10, atol=1e-10)
    assert s.shape == xv.shape
    assert framework.ops.conv2d.__name__ == "conv2d"
