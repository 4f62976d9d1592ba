"""The NumPy backend's ``mean`` and ``sum_to_shape`` kernels
(``framework_backend_numpy.reductions``) give exactly what ``numpy.mean`` and
the op's own kernel give: the same digits, dtype, shape and warnings."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framework.tensor as T
from framework import function
from framework.core.backend import get_backend
from framework.core.elemwise import SumToShape


def lowered(f, name):
    return [k for k in f._linked.run.__globals__.values()
            if getattr(k, "__qualname__", "") == f"{name}.<locals>.kernel"]


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(0, 6), min_size=1, max_size=3), dtype=st.sampled_from(["float32", "float64"]),
       keepdims=st.booleans(), seed=st.integers(0, 2 ** 16), data=st.data())
def test_mean_is_numpys_mean_bit_for_bit(shape, dtype, keepdims, seed, data):
    nd = len(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-nd, nd - 1)))
    x = T.tensor(dtype=dtype, shape=(None,) * nd)
    f = function([x], T.mean(x, axis=axis, keepdims=keepdims))
    assert lowered(f, "lower_mean")
    v = (np.random.RandomState(seed).randn(*shape) * 10 ** np.random.RandomState(seed).randint(-3, 4)).astype(dtype)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        got = f(v)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        want = np.mean(v, axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(got, want)
    assert np.asarray(got).dtype == np.asarray(want).dtype and np.shape(got) == np.shape(want)
    assert sorted(str(w.message) for w in ours) == sorted(str(w.message) for w in theirs)


def test_integer_means_keep_the_general_kernel():
    x = T.matrix("x", dtype="int32")
    f = function([x], T.mean(x))
    assert not lowered(f, "lower_mean")
    assert f(np.arange(6, dtype="int32").reshape(2, 3)) == 2.5


@pytest.mark.parametrize("gshape,target", [((20, 500), (500,)), ((3, 4, 5), (5,)), ((3, 4, 5), (4, 5)),
                                           ((20, 500), (20, 500)), ((4, 5), (1, 5)), ((4, 5), (4, 1)),
                                           ((2, 4, 5), (1, 5)), ((0, 3), (3,))])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int64"])
def test_sum_to_shape_is_the_ops_own_kernel(gshape, target, dtype):
    from framework_backend_numpy.reductions import lower_sum_to_shape

    backend = get_backend("cpu")
    g = T.tensor(dtype=dtype, shape=(None,) * len(gshape))
    dims = [T.lscalar() for _ in target]
    node = SumToShape().make_node(g, *dims)
    ours = lower_sum_to_shape(node, backend)
    theirs = node.op.make_kernel(node, backend)
    v = (np.random.RandomState(3).randn(*gshape) * 50).astype(dtype)
    sizes = [np.int64(d) for d in target]
    got, want = ours(v, *sizes), theirs(v, *sizes)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype and got.shape == want.shape == target
