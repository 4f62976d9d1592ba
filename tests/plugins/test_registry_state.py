"""Caches built from the plugin registries follow register / unregister / reset."""
import numpy as np

import framework
import framework.plugins as plugins
import framework.tensor as T
from framework.plugins import KernelSpec, hookimpl


class TanhKernel:
    """A numpy kernel for 'tanh' that counts its calls."""

    calls = 0

    @hookimpl
    def framework_kernels(self):
        def build(node, backend):
            def run(x):
                TanhKernel.calls += 1
                return np.tanh(x)
            return run

        yield KernelSpec("tanh-counting", op="tanh", backend="numpy", build=build)


def _compile():
    x = T.dvector("x")
    return framework.function([x], T.tanh(x), mode="FAST_COMPILE")


def test_a_kernel_registered_after_a_compile_is_used_by_the_next_compile():
    _compile()(np.zeros(2))  # the backend's kernel table is built here
    TanhKernel.calls = 0
    plugins.register(TanhKernel(), "counting")
    try:
        np.testing.assert_allclose(_compile()(np.ones(2)), np.tanh(np.ones(2)))
        assert TanhKernel.calls == 1
    finally:
        plugins.unregister("counting")
    _compile()(np.ones(2))
    assert TanhKernel.calls == 1  # gone with its plugin


def test_reset_then_a_compile():
    plugins.register(TanhKernel(), "counting")
    _compile()(np.zeros(2))
    plugins.reset()
    TanhKernel.calls = 0
    np.testing.assert_allclose(_compile()(np.ones(3)), np.tanh(np.ones(3)))
    assert TanhKernel.calls == 0
    assert "counting" not in [i.name for i in plugins.list()]
