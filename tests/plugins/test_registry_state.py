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


def test_reset_rebuilds_the_backend_objects():
    """A backend object is made from its plugin's registration: after reset the
    next compile gets a fresh one (no cache outlives the registry it came from)."""
    from framework.core.backend import get_backend

    f = _compile()
    first = get_backend("cpu")
    assert f.maker.backend is first and get_backend("cpu") is first  # created once per registration
    plugins.reset()
    g = _compile()
    assert g.maker.backend is not first and get_backend("cpu") is g.maker.backend
    np.testing.assert_allclose(g(np.ones(2)), np.tanh(np.ones(2)))
    np.testing.assert_allclose(f(np.ones(2)), np.tanh(np.ones(2)))  # a function compiled before still runs


def test_a_backend_plugin_registered_in_code_serves_its_device_at_once():
    from framework.core.backend import get_backend
    from framework_backend_numpy import NumpyBackend
    from framework.plugins import BackendSpec

    class Counting(NumpyBackend):
        name = "counting_numpy"

    class Plugin:
        @hookimpl
        def framework_backends(self):
            yield BackendSpec("counting_numpy", devices=("countdev",), available=lambda: True, create=Counting)

    plugins.register(Plugin(), "countdev")
    try:
        x = T.dvector("x")
        f = framework.function([x], T.tanh(x) * 2, device="countdev")
        assert isinstance(f.maker.backend, Counting) and get_backend("countdev") is f.maker.backend
        np.testing.assert_allclose(f(np.ones(2)), np.tanh(np.ones(2)) * 2)
    finally:
        plugins.unregister("countdev")
    import pytest
    from framework.core.backend import BackendError

    with pytest.raises(BackendError, match="countdev"):
        get_backend("countdev")  # gone with its plugin, not served from a stale cache


def test_a_registered_kernel_for_fused_comes_before_the_backends_own_lowering():
    """The NumPy backend lowers 'fused' itself (Backend.lowerings); a plugin's
    KernelSpec for ('fused', 'numpy') is added from elsewhere and wins, without
    touching the op or the backend; unregistered, the backend's lowering is back."""
    seen, replace = [], [True]

    class FusedKernel:
        @hookimpl
        def framework_kernels(self):
            def build(node, backend):
                seen.append(str(node.op))
                if replace[0]:
                    return lambda v: np.full_like(v, 7.0)
                return None  # declines: the backend's own lowering runs

            yield KernelSpec("fused-watch", op="fused", backend="numpy", build=build)

    x = T.dvector("x")
    plugins.register(FusedKernel(), "fused_watch")
    try:
        np.testing.assert_allclose(framework.function([x], T.exp(x) * 2 + 1)(np.zeros(2)), [7.0, 7.0])
        replace[0] = False
        f = framework.function([x], T.exp(x) * 2 + 1)
        assert seen == ["fused{exp,mul,add}"] * 2
        np.testing.assert_allclose(f(np.zeros(2)), [3.0, 3.0])
        (node,) = f.maker.fgraph.toposort()
        assert hasattr(f.maker.backend.kernel(node), "__source__")  # declined: the generated function
    finally:
        plugins.unregister("fused_watch")
    np.testing.assert_allclose(framework.function([x], T.exp(x) * 2 + 1)(np.zeros(2)), [3.0, 3.0])
