"""The conv plugin's CuPy kernels, run on the CPU stand-in for CuPy.

Run by tests/backend_cupy/test_conv_fake_device.py in a subprocess whose
``sys.path`` starts with this folder, so ``import cupy`` is the stand-in:
the cupy backend links the plugin's ``*_cupy`` kernels (im2col + GEMM through
``cupy.matmul``), and their results, gradients included, must match NumPy's
without reading any device value back inside the step.
"""
from __future__ import annotations

import numpy as np
import pytest

import cupy
import framework
import framework.tensor as T
from framework import config, function, grad, shared
from framework.core.backend import clear_backends, get_backend

assert getattr(cupy, "_FAKE", False), "these checks must run on the CPU stand-in for CuPy"

SETTINGS = [dict(), dict(border_mode="full", subsample=(2, 1)), dict(border_mode="half", filter_dilation=(2, 1)),
            dict(border_mode=(1, 2), num_groups=2, filter_flip=False)]


def _build(settings):
    x, w = T.ftensor4("x"), T.ftensor4("w")
    z = framework.ops.conv2d(x, w, **settings)
    cost = (T.tanh(framework.ops.pool_2d(z, (2, 2), ignore_border=False)) ** 2).sum()
    return [x, w], [z, cost] + grad(cost, [x, w])


@pytest.mark.parametrize("settings", SETTINGS)
def test_conv_kernels_on_the_device_match_numpy(settings):
    r = np.random.RandomState(3)
    xv = r.randn(3, 4, 9, 8).astype("float32")
    wv = r.randn(6, 4 // settings.get("num_groups", 1), 3, 2).astype("float32")
    clear_backends()
    inputs, outputs = _build(settings)
    expected = function(inputs, outputs)(xv, wv)
    with config.change_flags(device="cuda", floatX="float32"):
        inputs, outputs = _build(settings)
        f = function(inputs, outputs)
        be = get_backend("cuda")
        names = {n.op.name: be.kernel(n) for n in f.maker.fgraph.toposort() if n.op.name.startswith("conv2d")}
        assert set(names) == {"conv2d", "conv2d_grad_inputs", "conv2d_grad_weights"}
        for fn in names.values():
            assert fn.__module__ == "framework_conv.gpu"
        got = f(xv, wv)
    clear_backends()
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=2e-4, atol=2e-3)


def test_a_lenet_step_on_the_device_never_reads_back():
    LeNet = framework.models.get("lenet")
    r = np.random.RandomState(0)
    clear_backends()
    with config.change_flags(device="cuda", floatX="float32"):
        model = LeNet(image_shape=(1, 16, 16), nkerns=(4, 5), filter_size=3, n_hidden=10, n_out=3)
        data_x = shared(r.rand(20, 1, 16, 16).astype("float32"))
        data_y = shared(r.randint(0, 3, 20).astype("int64"))
        y, index = T.lvector("y"), T.lscalar("i")
        cost = model.cost(y)
        updates = [(p, p - np.float32(0.1) * g) for p, g in zip(model.params, T.grad(cost, model.params))]
        step = function([index], cost, updates=updates, outputs_on_device=True,
                        givens={model.input: data_x[index * 10:(index + 1) * 10], y: data_y[index * 10:(index + 1) * 10]})
        step(0)
        cupy.SYNCS[0] = 0
        for i in range(4):
            step(i % 2)
        assert cupy.SYNCS[0] == 0
        assert np.isfinite(float(step(0).get()))
    clear_backends()
