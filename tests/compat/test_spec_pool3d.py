"""``theano.tensor.signal.pool``: ``pool_3d`` in every mode against a direct 3-d pooling written from
Theano's rules, its gradients, and Theano 1.0's default ``ignore_border`` (None: a warning, then
False) for ``pool_2d`` and ``pool_3d`` of the Theano layer."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest


def out_size(n, w, s, p, ignore_border):
    if ignore_border:
        return (n + 2 * p - w) // s + 1
    return (n - 1) // s + 1 if s >= w else max(0, (n - 1 - w + s) // s) + 1


def reference(x, ws, stride, pad, ignore_border, mode):
    """Windows start at ``o * stride`` in padded coordinates; max and sum read the input's own
    cells; 'average_inc_pad' divides by the window's cells inside the padded input,
    'average_exc_pad' by its cells inside the input."""
    sizes = x.shape[-3:]
    outs = [out_size(n, w, s, p, ignore_border) for n, w, s, p in zip(sizes, ws, stride, pad)]
    out = np.zeros(x.shape[:-3] + tuple(outs))
    for o in itertools.product(*[range(k) for k in outs]):
        lo = [oi * s - p for oi, s, p in zip(o, stride, pad)]
        hi = [l + w for l, w in zip(lo, ws)]
        inner = tuple(slice(max(l, 0), min(h, n)) for l, h, n in zip(lo, hi, sizes))
        cells = x[(Ellipsis,) + inner].reshape(x.shape[:-3] + (-1,))
        if mode == "max":
            out[(Ellipsis,) + o] = cells.max(axis=-1)
            continue
        total = cells.sum(axis=-1)
        if mode == "sum":
            out[(Ellipsis,) + o] = total
        elif mode == "average_inc_pad":
            count = np.prod([min(h, n + p) - l for l, h, n, p in zip(lo, hi, sizes, pad)])
            out[(Ellipsis,) + o] = total / count
        else:
            out[(Ellipsis,) + o] = total / cells.shape[-1]
    return out


CASES = [((2, 2, 2), None, (0, 0, 0), True), ((3, 2, 2), (1, 2, 1), (0, 0, 0), True),
         ((2, 3, 2), (2, 2, 2), (1, 1, 0), True), ((2, 2, 3), None, (0, 0, 0), False),
         ((3, 3, 2), (2, 1, 2), (0, 0, 0), False)]


@pytest.mark.parametrize("mode", ["max", "sum", "average_inc_pad", "average_exc_pad"])
@pytest.mark.parametrize("ws,stride,pad,ignore_border", CASES)
def test_pool_3d_matches_a_direct_3d_pooling(mode, ws, stride, pad, ignore_border):
    import theano
    import theano.tensor as T
    from theano.tensor.signal.pool import pool_3d

    xv = np.random.RandomState(0).standard_normal((2, 3, 5, 6, 7))
    x = T.TensorType("float64", (False,) * 5)("x")
    got = theano.function([x], pool_3d(x, ws, ignore_border, stride, pad, mode))(xv)
    want = reference(xv, ws, stride or ws, pad, ignore_border, mode)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("mode", ["max", "sum", "average_inc_pad", "average_exc_pad"])
def test_pool_3d_gradients(mode):
    import theano
    from theano.tensor.signal.pool import pool_3d

    rng = np.random.RandomState(1)
    theano.gradient.verify_grad(lambda x: pool_3d(x, (2, 2, 2), True, (1, 2, 1), (1, 0, 1), mode),
                                [rng.standard_normal((1, 2, 4, 5, 4))], rng=rng)


def test_theanos_default_ignore_border_is_false_with_a_warning():
    import theano
    import theano.tensor as T
    from theano.tensor.signal.pool import pool_2d, pool_3d

    x = T.dtensor4("x")
    with pytest.warns(UserWarning, match="ignore_border was not given"):
        out = pool_2d(x, (2, 2))
    assert tuple(theano.function([x], out.shape)(np.zeros((1, 1, 5, 5)))) == (1, 1, 3, 3)
    x5 = T.TensorType("float64", (False,) * 5)("x5")
    with pytest.warns(UserWarning, match="ignore_border was not given"):
        out3 = pool_3d(x5, (2, 2, 2))
    assert tuple(theano.function([x5], out3.shape)(np.zeros((1, 1, 5, 3, 4)))) == (1, 1, 3, 2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pool_2d(x, (2, 2), ignore_border=True)  # given: no warning
    with pytest.warns(DeprecationWarning, match="ds="):
        pool_2d(x, ds=(2, 2), ignore_border=True)
    with pytest.raises(ValueError, match="not both"):
        pool_3d(x5, (2, 2, 2), True, stride=(1, 1, 1), st=(1, 1, 1))
    with pytest.raises(ValueError, match="three entries"):
        pool_3d(x5, (2, 2), True)
    with pytest.raises(ValueError, match="at least three"):
        pool_3d(T.dmatrix(), (2, 2, 2), True)
