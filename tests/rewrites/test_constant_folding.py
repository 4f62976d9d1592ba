"""constant_folding: nodes of constant inputs are computed when compiling."""
from __future__ import annotations

import numpy as np

import framework.tensor as T
from framework import function
from framework.core.graph import Constant

from .conftest import assert_same, compare, rand, top_ops, without


def test_constant_subexpressions_are_computed_once_when_compiling():
    x = T.dvector("x")
    c = T.constant(np.arange(4.0))
    y = x * T.exp(c * 2.0 + 1.0)
    f = function([x], y, mode=without("fuse_elemwise", "inplace"))
    assert top_ops(f) == ["mul"]
    assert_same(f(np.ones(4)), np.exp(np.arange(4.0) * 2 + 1))
    g = function([x], y, mode=without("constant_folding", "fuse_elemwise", "inplace"))
    assert "exp" in top_ops(g)


def test_folded_constants_keep_dtype_and_shape():
    c = T.constant(np.arange(6, dtype="int32").reshape(2, 3))
    x = T.imatrix("x")
    y = x + c.T.sum(axis=0) * 2  # NumPy sums int32 to int64
    f = function([x], y)
    assert top_ops(f) == ["add"]
    (folded,) = [i for n in f.maker.fgraph.toposort() for i in n.inputs if isinstance(i, Constant)]
    assert folded.type.dtype == "int64" and folded.type.shape == (2,)
    xv = np.ones((3, 2), dtype="int32")
    assert_same(f(xv), xv + np.arange(6, dtype="int32").reshape(2, 3).T.sum(axis=0) * 2)


def test_big_allocations_are_not_folded():
    x = T.dmatrix("x")
    y = x + T.zeros((1000, 1000))
    f = function([x], y, mode=without("fuse_elemwise", "inplace", "elemwise_of_alloc"))
    assert "alloc" in top_ops(f)


def test_folding_keeps_values_on_random_inputs():
    for n in (1, 3, 7):
        x = T.dvector("x")
        c = T.constant(np.linspace(-1, 1, n))
        outs = [x * T.tanh(c) + T.sqrt(c * c + 1), T.sum(c) * x]
        compare([x], outs, lambda: [rand((n,))], "constant_folding")
