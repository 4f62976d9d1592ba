"""Shape simplification: static sizes fold, shapes are read from inputs."""
from __future__ import annotations

import numpy as np

import framework.tensor as T
from framework import function

from .conftest import assert_same, compare, rand, sym, top_ops, without


def test_static_sizes_fold_to_constants():
    x = sym((4, None), name="x", static=True)
    n = x.shape[0]
    f = function([x], x * T.cast(n, "float64"), mode=without("fuse_elemwise", "inplace"))
    assert "shape" not in top_ops(f) and "shape_i" not in top_ops(f) and "subtensor" not in top_ops(f)
    assert_same(f(np.ones((4, 2))), np.full((4, 2), 4.0))


def test_shape_indexing_becomes_shape_i():
    x = T.dmatrix("x")
    f = function([x], x.shape[1], mode=without("fuse_elemwise"))
    assert top_ops(f) == ["shape_i"]
    assert f(np.ones((2, 5))) == 5
    g = function([x], x.shape[-1])
    assert g(np.ones((2, 7))) == 7


def test_shape_of_elementwise_result_is_read_from_its_input():
    x = T.dmatrix("x")
    y = T.exp(x) * 2.0
    f = function([x], y.shape[0] + y.shape[1], mode=without("fuse_elemwise", "inplace"))
    assert "exp" not in top_ops(f) and "mul" not in top_ops(f)
    assert f(np.ones((3, 4))) == 7


def test_ambiguous_broadcast_keeps_the_computation():
    """x + y with both sizes unknown: either may be 1 at run time, so the shape is not lifted."""
    x, y = T.dvector("x"), T.dvector("y")
    f = function([x, y], (x + y).shape[0])
    assert f(np.ones(1), np.ones(5)) == 5
    assert f(np.ones(5), np.ones(1)) == 5


def test_shape_through_dimshuffle_dot_and_reduction():
    a, b = T.dmatrix("a"), T.dmatrix("b")
    outs = [T.dot(a, b).shape[1], a.T.shape[0], a.sum(axis=0).shape[0], a.dimshuffle(0, "x", 1).shape[1]]
    f = function([a, b], outs, mode=without("fuse_elemwise"))
    assert "dot" not in top_ops(f) and "sum" not in top_ops(f)
    assert [int(v) for v in f(np.ones((2, 3)), np.ones((3, 5)))] == [5, 3, 3, 1]


def test_shape_rewrites_keep_values_on_random_shapes():
    for shape in [(1, 1), (2, 5), (4, 1)]:
        x, y = T.dmatrix("x"), T.dmatrix("y")
        z = T.tanh(x) + y
        outs = [z.shape[0] * z.shape[1], T.dot(x, y.T).shape[0], x.T.shape[1]]
        compare([x, y], outs, lambda: [rand(shape), rand(shape)], "shape")
