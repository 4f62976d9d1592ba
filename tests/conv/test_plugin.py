"""The conv plugin registers like a third party's: ops, kernels and a model family,
and its kernels agree with the ops' reference implementations."""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework.core.backend import get_backend


def test_listed_with_its_ops_and_kernels():
    info = {i.name: i for i in framework.plugins.list()}["conv"]
    assert info.status == "loaded"
    assert {"conv2d", "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights", "pool_2d"} <= set(info.registered["ops"])
    kernels = framework.plugins.kernels()
    for op in ("conv2d", "conv2d_grad_inputs", "conv2d_grad_weights"):
        assert kernels[(op, "numpy")].plugin == "conv"
        assert kernels[(op, "cupy")].plugin == "conv"
    assert "lenet" in framework.models.list()
    assert "conv2d" in dir(framework.ops)


def _kernel_and_reference(var):
    node = var.owner
    be = get_backend("cpu")
    return be.kernel(node), lambda *vals: node.op.impl(np, *vals)


@pytest.mark.parametrize("settings", [dict(), dict(border_mode="full", subsample=(2, 1)),
                                      dict(border_mode=(1, 2), filter_dilation=(2, 2), num_groups=3),
                                      dict(border_mode="half", filter_flip=False)])
def test_numpy_kernels_agree_with_the_references(settings):
    r = np.random.RandomState(5)
    x, w, g = T.ftensor4("x"), T.ftensor4("w"), T.ftensor4("g")
    xv, wv = r.randn(3, 6, 10, 9).astype("float32"), r.randn(9, 6 // settings.get("num_groups", 1), 3, 4).astype(
        "float32")
    z = framework.ops.conv2d(x, w, **settings)
    kernel, ref = _kernel_and_reference(z)
    assert kernel is not None
    zv = kernel(xv, wv)
    np.testing.assert_allclose(zv, ref(xv, wv), rtol=1e-4, atol=1e-4)
    gv = r.randn(*zv.shape).astype("float32")
    gx = framework.ops.conv2d_grad_wrt_inputs(g, w, input_shape=xv.shape, **settings)
    gw = framework.ops.conv2d_grad_wrt_weights(x, g, filter_shape=wv.shape, **settings)
    for var, args in ((gx, (wv, gv, np.array(xv.shape[2:]))), (gw, (xv, gv, np.array(wv.shape[2:])))):
        kernel, ref = _kernel_and_reference(var)
        out = kernel(*args)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, ref(*args), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("mode", ["max", "sum", "average_inc_pad"])
def test_side_by_side_pooling_kernels_agree_with_the_references(mode):
    r = np.random.RandomState(6)
    x = T.ftensor4("x")
    xv = r.randn(2, 3, 9, 8).astype("float32")
    y = framework.ops.pool_2d(x, (2, 3), mode=mode)
    kernel, ref = _kernel_and_reference(y)
    np.testing.assert_allclose(kernel(xv), ref(xv), rtol=1e-6)
    gx = framework.grad(None, x, known_grads={y: T.ftensor4("g")})
    yv = ref(xv)
    gv = r.randn(*yv.shape).astype("float32")
    kernel, ref = _kernel_and_reference(gx)
    args = (xv, yv, gv) if mode == "max" else (xv, gv)
    np.testing.assert_allclose(kernel(*args), ref(*args), rtol=1e-6)


def test_reachable_as_framework_ops_and_T_nnet():
    from framework_conv import conv2d, conv2d_grad_wrt_inputs, pool_2d

    assert framework.ops.conv2d is conv2d and T.nnet.conv2d is conv2d
    assert T.nnet.conv2d_grad_wrt_inputs is conv2d_grad_wrt_inputs
    assert framework.ops.pool_2d is pool_2d
    with pytest.raises(AttributeError, match="no attribute 'conv3d'"):
        T.nnet.conv3d  # noqa: B018
