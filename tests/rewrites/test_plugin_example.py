"""The third-party rewrite plugin of docs/plugins.md ("Example: a rewrite plugin"),
registered in code exactly as the guide shows."""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.plugins
import framework.tensor as T
from framework import Mode, function
from framework.core.elemwise import Elemwise
from framework.plugins import RewriteSpec, hookimpl


# --- the plugin, as in docs/plugins.md ---------------------------------------------------

def sqrt_of_square(fgraph, node):
    """sqrt(sqr(x)) -> abs(x): equal for every x, and no overflow when x*x would."""
    inner = node.inputs[0].owner
    if inner is None or not isinstance(inner.op, Elemwise) or inner.op.scalar.name != "sqr":
        return None
    x = inner.inputs[0]
    out = node.outputs[0]
    if x.dtype != out.dtype:  # sqrt of an int is a float: leave that to casting rules
        return None
    return [T.abs_(x)]


class SqrtOfSquare:
    """A plugin object; a package would expose the same hook as a module function."""

    @hookimpl
    def framework_rewrites(self):
        yield RewriteSpec(
            name="sqrt_of_square",
            rewrite=sqrt_of_square,
            stage="algebra",  # a new stage ...
            after="specialize",  # ... right after the standard one that turns x**2 into sqr(x)
            tracks=("sqrt",),  # only called on sqrt nodes
            doc="sqrt(sqr(x)) -> abs(x)",
        )


# --- the tests ---------------------------------------------------------------------------

@pytest.fixture
def plugin():
    name = framework.plugins.register(SqrtOfSquare(), name="sqrt_of_square_example")
    yield name
    framework.plugins.unregister(name)


def test_example_rewrite_plugin_runs_in_its_own_stage(plugin):
    x = T.dvector("x")
    f = function([x], T.sqrt(x ** 2))
    assert [n.op.name for n in f.maker.fgraph.toposort()] == ["abs"]
    assert f.maker.report.fired["sqrt_of_square"] == 1
    assert f.maker.report.stage_of["sqrt_of_square"] == "algebra"
    big = np.array([-1e200, -2.0, 0.0, 3.0, 1e200])
    np.testing.assert_array_equal(f(big), np.abs(big))  # x*x would overflow to inf


def test_example_rewrite_is_listed_and_can_be_turned_off(plugin):
    info = [p for p in framework.plugins.list() if p.name == plugin]
    assert info and "sqrt_of_square" in str(info[0])
    x = T.dvector("x")
    f = function([x], T.sqrt(x ** 2), mode=Mode(excluding=["sqrt_of_square"]))
    assert "sqrt_of_square" not in f.maker.report.fired
    with np.errstate(over="ignore"):
        assert np.isinf(f(np.array([1e200]))[0])


def test_example_rewrite_leaves_integer_inputs_alone(plugin):
    i = T.ivector("i")
    f = function([i], T.sqrt(T.sqr(i)))
    assert f(np.array([-3, 4], dtype="int32")).dtype == np.float64
    assert "sqrt_of_square" not in f.maker.report.fired
