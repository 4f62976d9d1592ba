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


def test_random_draws_are_never_merged():
    """Two draws from one stream look alike (same op, same state input) but must stay two."""
    from framework.random import RandomStreams

    srng = RandomStreams(seed=3)
    a, b = srng.uniform((5,)), srng.uniform((5,))
    va, vb = function([], [a, b])()
    assert not np.allclose(va, vb)
