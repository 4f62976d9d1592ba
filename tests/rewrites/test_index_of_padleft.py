"""index_of_padleft: ``v[None][0]`` and ``v[None][-1]`` are ``v`` (what an inlined one-step loop's
``ys[-1]`` reads); other indices and patterns keep their values and errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framework.tensor as T
from framework import function

from .conftest import op_names, without


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 3), st.lists(st.integers(0, 4), min_size=3, max_size=3), st.sampled_from([0, -1]),
       st.integers(0, 2 ** 31 - 1))
def test_the_row_of_a_padded_axis_is_the_value(ndim, dims, index, seed):
    v = T.TensorType("float64", (None,) * ndim)("v")
    out = T.exp(v.dimshuffle(("x",) + tuple(range(ndim)))[index])
    f = function([v], out)
    assert "subtensor" not in op_names(f) and "dimshuffle" not in op_names(f)
    g = function([v], out, mode="FAST_COMPILE")
    h = function([v], out, mode=without("index_of_padleft"))
    x = np.asarray(np.random.RandomState(seed).randn(*dims[:ndim]))
    if x.size:
        x.flat[0] = np.inf
    for other in (g, h):
        a, b = f(x), other(x)
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_other_indices_and_patterns_are_left_alone():
    v = T.dmatrix("v")
    with pytest.raises(IndexError):  # out of range on the padded axis: refused when built, as ever
        v.dimshuffle("x", 0, 1)[1]
    swapped = v.dimshuffle("x", 1, 0)[0]  # a transpose: not v
    g = function([v], swapped)
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(g(x), x.T)
