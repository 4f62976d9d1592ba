"""Convolution and pooling through the alias (``theano.tensor.nnet.conv2d``, the old
``nnet.conv.conv2d``, ``theano.tensor.signal.pool.pool_2d``): they resolve to the ops the
convolution plugin registers. Skipped where no plugin registers them (test_alias.py then checks
the clear "not yet available" error)."""
from __future__ import annotations

import numpy
import pytest

from framework import plugins

pytestmark = pytest.mark.skipif("conv2d" not in plugins.ops() or "pool_2d" not in plugins.ops(),
                                reason="no installed plugin registers the conv2d and pool_2d ops")


def _correlate_valid(x, w):
    b, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    out = numpy.zeros((b, f, h - kh + 1, wd - kw + 1))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            patch = x[:, :, i:i + kh, j:j + kw]
            out[:, :, i, j] = numpy.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out


@pytest.mark.parametrize("spelling", ["nnet", "old"])
def test_conv2d_flips_the_filters_as_theano(spelling):
    import theano
    import theano.tensor as T
    from theano.tensor.nnet import conv

    fn = T.nnet.conv2d if spelling == "nnet" else conv.conv2d
    x, w = T.dtensor4("x"), T.dtensor4("w")
    f = theano.function([x, w], fn(x, w))
    rng = numpy.random.RandomState(0)
    xv, wv = rng.rand(2, 3, 6, 5), rng.rand(4, 3, 3, 2)
    assert numpy.allclose(f(xv, wv), _correlate_valid(xv, wv[:, :, ::-1, ::-1]))


def test_pool_2d_documented_example():
    import theano
    import theano.tensor as T
    from theano.tensor.signal import pool

    input = T.dtensor4("input")
    maxpool_shape = (2, 2)
    f = theano.function([input], pool.pool_2d(input, maxpool_shape, ignore_border=True))
    g = theano.function([input], pool.pool_2d(input, maxpool_shape, ignore_border=False))
    invals = numpy.random.RandomState(1).rand(3, 2, 5, 5)
    want = invals[:, :, :4, :4].reshape(3, 2, 2, 2, 2, 2).max(axis=(3, 5))
    assert numpy.allclose(f(invals), want)
    out = g(invals)
    assert out.shape == (3, 2, 3, 3) and numpy.allclose(out[:, :, 2, 2], invals[:, :, 4, 4])


def test_a_small_convnet_trains():
    import theano
    import theano.tensor as T
    from theano.tensor.signal import pool

    rng = numpy.random.RandomState(2)
    x = T.dtensor4("x")
    y = T.ivector("y")
    w = theano.shared(rng.randn(2, 1, 3, 3) * 0.1, name="w")
    v = theano.shared(numpy.zeros((2 * 2 * 2, 2)), name="v")
    h = pool.pool_2d(T.nnet.relu(T.nnet.conv2d(x, w)), (2, 2), ignore_border=True).flatten(2)
    p = T.nnet.softmax(T.dot(h, v))
    cost = T.nnet.categorical_crossentropy(p, y).mean()
    train = theano.function([x, y], cost, updates=[(q, q - 0.5 * g) for q, g in zip([w, v], theano.grad(cost, [w, v]))])
    xs = rng.rand(8, 1, 6, 6)
    ys = (xs[:, 0, :3].sum(axis=(1, 2)) > xs[:, 0, 3:].sum(axis=(1, 2))).astype("int32")
    first = train(xs, ys)
    for _ in range(50):
        last = train(xs, ys)
    assert last < first


def test_old_conv2d_takes_theano_positional_order_and_speed_hints():
    """``nnet.conv.conv2d(input, filters, image_shape, filter_shape, border_mode, subsample)``,
    with ConvOp's speed hints accepted and its result-changing options refused by name."""
    import theano
    import theano.tensor as T
    from theano.tensor.nnet import conv

    x, w = T.dtensor4("x"), T.dtensor4("w")
    out = conv.conv2d(x, w, (2, 3, 6, 5), (4, 3, 3, 2), "full", (1, 1), unroll_batch=2, unroll_kern=4)
    f = theano.function([x, w], out)
    rng = numpy.random.RandomState(1)
    xv, wv = rng.rand(2, 3, 6, 5), rng.rand(4, 3, 3, 2)
    padded = numpy.pad(xv, ((0, 0), (0, 0), (2, 2), (1, 1)))
    assert numpy.allclose(f(xv, wv), _correlate_valid(padded, wv[:, :, ::-1, ::-1]))
    with pytest.raises(Exception, match="imshp_logical"):
        conv.conv2d(x, w, imshp_logical=(3, 12, 10))
