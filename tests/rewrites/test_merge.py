"""merge: common subexpressions and equal constants become one."""
from __future__ import annotations

import numpy as np

import framework.tensor as T
from framework import function
from framework.core.graph import Constant

from .conftest import compare, rand, top_ops, without


def test_equal_ops_on_the_same_inputs_are_computed_once():
    x, y = T.dvector("x"), T.dvector("y")
    a = T.exp(x) * y
    b = T.exp(x) * y  # built again
    f = function([x, y], [a + b, a - b], mode=without("fuse_elemwise", "inplace"))
    names = top_ops(f)
    assert names.count("exp") == 1 and names.count("mul") == 1
    g = function([x, y], [a + b, a - b], mode=without("merge", "fuse_elemwise", "inplace"))
    assert top_ops(g).count("exp") == 2


def test_equal_constants_become_one_constant():
    x = T.dvector("x")
    f = function([x], [x * 3.0, x + 3.0, T.maximum(x, 3.0)], mode=without("fuse_elemwise", "inplace"))
    consts = {id(i) for n in f.maker.fgraph.toposort() for i in n.inputs if isinstance(i, Constant)}
    assert len(consts) == 1


def test_ops_with_different_props_are_not_merged():
    x = T.dmatrix("x")
    f = function([x], [x.sum(axis=0), x.sum(axis=1)], mode=without("fuse_elemwise"))
    assert top_ops(f).count("sum") == 2


def test_merge_keeps_values_on_random_inputs():
    for shape in [(3,), (4, 5), (2, 3, 4)]:
        x, y = T.tensor("float64", (None,) * len(shape)), T.tensor("float64", (None,) * len(shape))
        outs = [T.tanh(x) * y + T.tanh(x), (T.tanh(x) * y) ** 2]
        compare([x, y], outs, lambda: [rand(shape), rand(shape)], "merge")


def test_two_draws_of_one_stream_are_not_merged():
    """Two draws made by one stream look alike (same op, same shape) but each has a state of its
    own: they must stay two draws with two samples."""
    from framework.random import RandomStreams

    srng = RandomStreams(seed=3)
    a, b = srng.uniform((5,)), srng.uniform((5,))
    va, vb = function([], [a, b])()
    assert not np.allclose(va, vb)


def test_equal_draws_on_the_same_state_are_one_draw():
    """The same draw applied twice to the very same state (what cloning -- an inlined loop and
    its gradient's copy -- builds) gives the same sample and new state: merged into one, with
    FAST_COMPILE's numbers and the state advanced once."""
    from framework.core.random_ops import RandomVariable
    from framework.random import RandomStreams

    srng = RandomStreams(seed=5)
    rv = srng.normal((4,))
    rng, size, avg, std = rv.owner.inputs
    twin = RandomVariable("normal", rv.dtype, 1).make_node(rng, size, avg, std).outputs[1]
    outs = [rv * 2, twin + 1]
    merged = function([], outs, updates=[(rng, rv.owner.outputs[0])])
    draws = [n for n in merged.maker.fgraph.toposort() if isinstance(n.op, RandomVariable)]
    assert len(draws) == 1
    plain = function([], outs, updates=[(rng, rv.owner.outputs[0])], mode="FAST_COMPILE")
    state = rng.get_value().get_state()
    a = merged()
    after = rng.get_value().get_state()
    rng.get_value(borrow=True).set_state(state)
    b = plain()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_allclose(a[0] / 2, a[1] - 1, rtol=1e-12, atol=1e-12)  # one sample read twice
    assert repr(after) == repr(rng.get_value().get_state())
