"""Plugin element-wise ops are rows of the element-wise table (framework_scalar_ops)."""
import numpy as np
import pytest

import framework
import framework.plugins as plugins
import framework.tensor as T
from framework.core.fusion import Fused
from framework.plugins import PluginError, ScalarOpSpec, hookimpl


class Cube:
    @hookimpl
    def framework_scalar_ops(self):
        yield ScalarOpSpec("cube", 1, lambda xp, x: x * x * x, grad=lambda ins, out, g: [g * 3 * ins[0] ** 2],
                           exprs={"cuda": "({0} * {0} * {0})"}, doc="x ** 3")


@pytest.fixture
def cube():
    plugins.register(Cube(), "cube")
    yield framework.ops.cube
    plugins.unregister("cube")


def test_a_plugin_row_fuses_with_its_neighbours(cube):
    m = T.dmatrix("m")
    y = cube(T.tanh(m)) * 2 + 1
    f = framework.function([m], y)
    nodes = f.maker.fgraph.toposort()
    assert len(nodes) == 1 and isinstance(nodes[0].op, Fused)
    v = np.random.RandomState(0).rand(3, 4)
    np.testing.assert_allclose(f(v), np.tanh(v) ** 3 * 2 + 1)


def test_a_plugin_row_differentiates_and_prints(cube):
    x = T.dvector("x")
    g = framework.function([x], T.grad(cube(x).sum(), x))
    np.testing.assert_allclose(g(np.array([1.0, -2.0])), [3.0, 12.0])
    assert framework.printing.pp(cube(x)) == "cube(x)"


def test_provenance_and_unregister(cube):
    assert plugins.scalar_ops()["cube"].plugin == "cube"
    info = next(i for i in plugins.list() if i.name == "cube")
    assert info.registered["scalar_ops"] == ["cube"]
    assert framework.core.elemwise.SCALAR_OPS["cube"].plugin == "cube"
    plugins.unregister("cube")
    with pytest.raises(AttributeError, match="no op 'cube'"):
        framework.ops.cube
    plugins.register(Cube(), "cube")  # the fixture unregisters it again


def test_a_row_named_like_a_built_in_row_is_an_error_naming_both():
    class Exp:
        @hookimpl
        def framework_scalar_ops(self):
            yield ScalarOpSpec("exp", 1, "exp")

    with pytest.raises(PluginError) as info:
        plugins.register(Exp(), "myexp")
    msg = str(info.value)
    assert "'myexp'" in msg and "built-in" in msg and "'kernel'" in msg
    assert "myexp" not in [i.name for i in plugins.list()]


def test_two_plugins_giving_one_row_is_an_error_naming_both(cube):
    with pytest.raises(PluginError) as info:
        plugins.register(Cube(), "cube2")
    assert "'cube2'" in str(info.value) and "'cube'" in str(info.value)
