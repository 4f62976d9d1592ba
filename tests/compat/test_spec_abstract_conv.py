"""``theano.tensor.nnet.abstract_conv`` and ``T.nnet.conv2d_transpose``: Theano 1.0's convolution
interface (Lasagne's transposed convolution builds ``AbstractConv2d_gradInputs`` directly), the
shape helpers against the shapes the convolution gives, and ``theano.tensor.nnet.nnet``."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

SETTINGS = [dict(border_mode="valid", subsample=(1, 1)), dict(border_mode="full", subsample=(2, 1)),
            dict(border_mode="half", subsample=(2, 2), filter_flip=False), dict(border_mode=(1, 2), subsample=(1, 2)),
            dict(border_mode="valid", subsample=(1, 1), filter_dilation=(2, 1))]


def _conv_shape(settings, image=(2, 3, 9, 8), kernel=(4, 3, 3, 2)):
    from theano.tensor.nnet import abstract_conv as ac

    return ac.get_conv_output_shape(image, kernel, settings["border_mode"], settings["subsample"],
                                    settings.get("filter_dilation"))


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()))
def test_the_op_classes_build_the_convolution_and_its_gradients(settings):
    import theano
    import theano.tensor as T
    from theano.tensor.nnet import abstract_conv as ac

    rng = np.random.RandomState(0)
    xv, wv = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, 3, 2))
    x, w, g = T.dtensor4("x"), T.dtensor4("w"), T.dtensor4("g")
    out = ac.AbstractConv2d(imshp=(None, 3, 9, 8), kshp=(4, 3, 3, 2), **settings)(x, w)
    plain = T.nnet.conv2d(x, w, **settings)
    grad_in = ac.AbstractConv2d_gradInputs(imshp=(None, 3, None, None), kshp=(4, 3, 3, 2), **settings)(w, g, (9, 8))
    grad_w = ac.AbstractConv2d_gradWeights(imshp=(None, 3, 9, 8), kshp=(4, 3, None, None), **settings)(x, g, (3, 2))
    gx, gw = T.grad((plain * g).sum(), [x, w])
    f = theano.function([x, w, g], [out, plain, grad_in, grad_w, gx, gw])
    gv = rng.standard_normal(_conv_shape(settings))
    a, b, c, d, e, h = f(xv, wv, gv)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(c, e, rtol=1e-10, atol=1e-12)  # the transposed convolution is conv2d's adjoint
    np.testing.assert_allclose(d, h, rtol=1e-10, atol=1e-12)
    assert isinstance(out.owner.op, ac.AbstractConv2d) and isinstance(grad_in.owner.op, ac.AbstractConv2d_gradInputs)
    assert isinstance(grad_w.owner.op, ac.AbstractConv2d_gradWeights)
    assert not isinstance(out.owner.op, ac.AbstractConv2d_gradInputs) and not isinstance(T.exp(x).owner.op, ac.AbstractConv2d)


def test_conv2d_transpose_is_the_gradient_with_input_dilation_as_stride():
    import theano
    import theano.tensor as T

    rng = np.random.RandomState(1)
    x, w = T.dtensor4("x"), T.dtensor4("w")
    up = T.nnet.conv2d_transpose(x, w, (None, 3, 9, 9), input_dilation=(2, 2), border_mode="half")
    ref = T.nnet.abstract_conv.conv2d_grad_wrt_inputs(x, w, (None, 3, 9, 9), subsample=(2, 2), border_mode="half")
    xv, wv = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((4, 3, 3, 3))
    a, b = theano.function([x, w], [up, ref])(xv, wv)
    assert a.shape == (2, 3, 9, 9)
    np.testing.assert_array_equal(a, b)


def test_shape_helpers_give_the_shapes_the_convolution_gives():
    import theano
    import theano.tensor as T
    from theano.tensor.nnet import abstract_conv as ac

    x, w = T.dtensor4("x"), T.dtensor4("w")
    for mode, stride, dil in itertools.product(["valid", "full", "half", 1, (2, 0)], [(1, 1), (2, 3)], [(1, 1), (2, 1)]):
        f = theano.function([x, w], T.nnet.conv2d(x, w, border_mode=mode, subsample=stride, filter_dilation=dil).shape)
        image, kernel = (2, 3, 11, 10), (5, 3, 3, 2)
        got = tuple(f(np.zeros(image), np.zeros(kernel)))
        assert ac.get_conv_output_shape(image, kernel, mode, stride, dil) == got, (mode, stride, dil)
        if stride == (1, 1):
            assert ac.get_conv_gradinputs_shape(kernel, got, mode, stride, dil) == image
            if mode != "half":
                assert ac.get_conv_gradweights_shape(image, got, mode, stride, dil) == kernel
        else:  # several input sizes give the same output: not exact
            assert ac.get_conv_gradinputs_shape(kernel, got, mode, stride, dil)[2:] == (None, None)
    assert ac.get_conv_output_shape((None, 3, None, 10), (5, 3, 3, 2), "valid", (1, 1)) == (None, 5, None, 9)
    assert ac.get_conv_shape_1axis(None, 3, "valid", 1) is None
    with pytest.raises(ValueError, match=">= 0"):
        ac.get_conv_shape_1axis(10, 3, -1, 1)
    n = T.lscalar("n")
    assert theano.function([n], ac.get_conv_shape_1axis(n, 3, "half", 2))(11) == 6  # symbolic sizes too


def test_unshared_convolutions_are_refused_and_nnet_nnet_is_there():
    import theano.tensor as T
    from theano.tensor.nnet import abstract_conv as ac
    from theano.tensor.nnet import nnet

    with pytest.raises(TypeError, match="unshared"):
        ac.AbstractConv2d(unshared=True)
    with pytest.raises(ValueError, match="two spatial sizes"):
        ac.AbstractConv2d_gradInputs()(T.dtensor4(), T.dtensor4(), (3,))
    assert nnet.softmax is T.nnet.softmax and nnet.sigmoid is T.nnet.sigmoid and T.nnet.nnet is nnet
    assert nnet.binary_crossentropy is T.nnet.binary_crossentropy


def _interpolate(img, r):
    """Bilinear interpolation of a 2-d image at the output pixels' centres ``(i + 0.5) / r - 0.5``
    (input pixel units, clamped at the edges), shifted by ``1 / (2 r)`` for an even ``r``: Theano's
    documented asymmetry (the last row and column weigh once more than the first)."""
    shift = 0.0 if r % 2 else 0.5 / r

    def coords(size):
        t = np.clip((np.arange(size * r) + 0.5) / r - 0.5 + shift, 0, size - 1)
        lo = np.floor(t).astype(int)
        return lo, np.minimum(lo + 1, size - 1), t - lo

    (rl, rh, rf), (cl, ch, cf) = coords(img.shape[0]), coords(img.shape[1])
    rows = img[rl] * (1 - rf)[:, None] + img[rh] * rf[:, None]
    return rows[:, cl] * (1 - cf) + rows[:, ch] * cf


@pytest.mark.parametrize("ratio", [1, 2, 3, 4, 5])
def test_bilinear_upsampling_interpolates_as_theano_does(ratio):
    import theano
    import theano.tensor as T
    from theano.tensor.nnet.abstract_conv import bilinear_kernel_1D, bilinear_kernel_2D, bilinear_upsampling

    x = T.dtensor4("x")
    f = theano.function([x], [bilinear_upsampling(x, ratio), bilinear_upsampling(x, ratio, 2, 3, use_1D_kernel=False)])
    xv = np.random.RandomState(ratio).standard_normal((2, 3, 5, 7))
    one_d, two_d = f(xv)
    assert one_d.shape == (2, 3, 5 * ratio, 7 * ratio)
    for b in range(2):
        for c in range(3):
            np.testing.assert_allclose(one_d[b, c], _interpolate(xv[b, c], ratio), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(two_d, one_d, rtol=1e-12, atol=1e-12)
    k = bilinear_kernel_1D(ratio, normalize=False).eval()
    np.testing.assert_array_equal(k, list(range(1, ratio + 1)) + list(range(ratio - 1, 0, -1)))
    np.testing.assert_allclose(bilinear_kernel_2D(ratio).eval(), np.outer(k, k) / ratio ** 2)


def test_bilinear_upsampling_gradient():
    import theano
    from theano.tensor.nnet.abstract_conv import bilinear_upsampling

    rng = np.random.RandomState(0)
    theano.gradient.verify_grad(lambda x: bilinear_upsampling(x, 3), [rng.standard_normal((1, 2, 3, 4))], rng=rng)
