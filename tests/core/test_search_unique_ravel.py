"""``searchsorted``, ``unique``, ``unravel_index`` and ``ravel_multi_index`` (framework/core/extra_ops.py):
NumPy's values, int64 results, shapes known from the shape rules, build-time errors naming the
user's mistake, and the gradients Theano gives (zero for a float input of ``searchsorted``)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framework
import framework.tensor as T
from framework.core.errors import GradientError

MODES = ["FAST_RUN", "FAST_COMPILE"]


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=25, deadline=None)
@given(st.integers(0, 12), st.integers(0, 6), st.integers(1, 4), st.sampled_from(["left", "right"]),
       st.booleans(), st.integers(0, 2 ** 31 - 1))
def test_searchsorted_is_numpys(mode, n, rows, cols, side, with_sorter, seed):
    rng = np.random.default_rng(seed)
    xs = np.round(rng.standard_normal(n) * 3)  # ties on purpose
    vs = np.round(rng.standard_normal((rows, cols)) * 3)
    x, v, s = T.dvector("x"), T.dmatrix("v"), T.lvector("s")
    if with_sorter:
        out = T.searchsorted(x, v, side=side, sorter=s)
        f = framework.function([x, v, s], out, mode=mode)
        order = np.argsort(xs, kind="stable")
        got, want = f(xs, vs, order), np.searchsorted(xs, vs, side=side, sorter=order)
    else:
        out = x.searchsorted(v, side=side)
        f = framework.function([x, v], out, mode=mode)
        xs = np.sort(xs)
        got, want = f(xs, vs), np.searchsorted(xs, vs, side=side)
    assert got.dtype == np.int64 and got.shape == vs.shape
    np.testing.assert_array_equal(got, want)


def test_searchsorted_of_a_scalar_and_its_shape():
    x, v = T.dvector("x"), T.dscalar("v")
    out = T.searchsorted(x, v, side="right")
    assert out.ndim == 0 and out.dtype == "int64"
    assert framework.function([x, v], out)([1.0, 2.0, 3.0], 2.0) == 2
    m = T.dmatrix("m")
    shape = framework.function([x, m], T.searchsorted(x, m).shape)([1.0, 2.0], np.zeros((3, 5)))
    np.testing.assert_array_equal(shape, [3, 5])


def test_searchsorted_gradients_are_zero_for_floats_and_absent_for_ints():
    x, v = T.dvector("x"), T.dvector("v")
    cost = T.sum(T.cast(T.searchsorted(x, v), "float64") * v) + T.sum(x ** 2)
    gx, gv = T.grad(cost, [x, v])
    xs, vs = np.array([1.0, 2.0, 4.0]), np.array([0.5, 3.0])
    got_x, got_v = framework.function([x, v], [gx, gv])(xs, vs)
    np.testing.assert_array_equal(got_x, 2 * xs)  # only sum(x ** 2)'s: the positions are constant in x
    np.testing.assert_array_equal(got_v, np.searchsorted(xs, vs).astype(float))  # d(pos * v)/dv = pos


@pytest.mark.parametrize("bad, match", [
    (lambda: T.searchsorted(T.dmatrix("x"), T.dvector("v")), "x must be a vector"),
    (lambda: T.searchsorted(T.dvector("x"), T.dvector("v"), side="middle"), "side must be 'left' or 'right'"),
    (lambda: T.searchsorted(T.dvector("x"), T.dvector("v"), sorter=T.dvector("s")), "sorter must be a vector of integer"),
])
def test_searchsorted_build_errors(bad, match):
    with pytest.raises((TypeError, ValueError), match=match):
        bad()


def test_searchsorted_sorter_of_the_wrong_length_is_numpys_error_naming_the_op():
    x, v, s = T.dvector("x"), T.dvector("v"), T.lvector("s")
    f = framework.function([x, v, s], T.searchsorted(x, v, sorter=s))
    with pytest.raises(ValueError, match="searchsorted"):
        f([1.0, 2.0, 3.0], [2.0], [0, 1])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("flags", [(False, False, False), (True, False, False), (False, True, False),
                                   (False, False, True), (True, True, True), (False, True, True)])
def test_unique_is_numpys_with_a_flat_inverse(mode, flags):
    m = T.dmatrix("m")
    outs = T.unique(m, *flags)
    outs = outs if isinstance(outs, list) else [outs]
    assert len(outs) == 1 + sum(flags)
    f = framework.function([m], outs, mode=mode)
    data = np.array([[3.0, 1.0, 3.0], [2.0, 1.0, np.nan]])
    got = f(data)
    want = np.unique(data.reshape(-1), return_index=flags[0], return_inverse=flags[1], return_counts=flags[2])
    want = list(want) if isinstance(want, tuple) else [want]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert got[0].dtype == np.float64 and all(g.dtype == np.int64 and g.ndim == 1 for g in got[1:])
    if flags[1]:  # one position per entry of the input, over the flattened input (Theano's shape)
        inverse = got[1 + flags[0]]
        assert inverse.shape == (data.size,)
        np.testing.assert_array_equal(got[0][inverse], data.reshape(-1))


def test_unique_shapes_and_no_gradient():
    v = T.ivector("v")
    values, inverse = T.unique(v, return_inverse=True)
    f = framework.function([v], [values.shape, inverse.shape])
    s_values, s_inverse = f(np.array([5, 5, 1, 7], dtype="int32"))
    np.testing.assert_array_equal(s_values, [3])
    np.testing.assert_array_equal(s_inverse, [4])
    x = T.dvector("x")
    with pytest.raises(GradientError, match="unique"):
        T.grad(T.sum(T.unique(x)), x)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", ["C", "F"])
def test_unravel_and_ravel_round_trip_as_numpy(mode, order):
    dims = (3, 4, 5)
    i = T.lmatrix("i")
    coords = T.unravel_index(i, dims, order=order)
    assert isinstance(coords, tuple) and len(coords) == 3
    back = T.ravel_multi_index(coords, dims, order=order)
    f = framework.function([i], list(coords) + [back], mode=mode)
    flat = np.array([[0, 7, 59], [33, 1, 20]])
    *got, again = f(flat)
    for g, w in zip(got, np.unravel_index(flat, dims, order=order)):
        assert g.dtype == np.int64 and g.shape == flat.shape
        np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(again, flat)


def test_unravel_index_of_one_dim_is_a_one_tuple():
    i = T.lvector("i")
    (c,) = T.unravel_index(i, [6])
    np.testing.assert_array_equal(framework.function([i], c)([0, 5]), [0, 5])


@pytest.mark.parametrize("mode, coords, want", [
    ("wrap", ([4, -1], [0, 9]), [0, 19]),
    ("clip", ([4, -1], [0, 9]), [15, 4]),
    (("clip", "wrap"), ([4, -1], [0, 9]), [15, 4]),
])
def test_ravel_multi_index_modes_and_broadcasting(mode, coords, want):
    a, b = T.lvector("a"), T.lvector("b")
    f = framework.function([a, b], T.ravel_multi_index((a, b), (4, 5), mode=mode))
    got = f(*[np.array(c) for c in coords])
    np.testing.assert_array_equal(got, np.ravel_multi_index(tuple(np.array(c) for c in coords), (4, 5), mode=mode))
    np.testing.assert_array_equal(got, want)
    row, col = T.lscalar("row"), T.lvector("col")  # a scalar row beside a vector of columns
    g = framework.function([row, col], T.ravel_multi_index([row, col], (4, 5)))
    np.testing.assert_array_equal(g(2, np.array([0, 3])), [10, 13])


def test_ravel_multi_index_out_of_range_is_numpys_error():
    a, b = T.lvector("a"), T.lvector("b")
    f = framework.function([a, b], T.ravel_multi_index((a, b), (3, 4)))
    with pytest.raises(ValueError, match="ravel_multi_index"):
        f(np.array([0, 5]), np.array([0, 1]))


@pytest.mark.parametrize("bad, match", [
    (lambda: T.unravel_index(T.dvector("i"), (3, 4)), "indices must be integers"),
    (lambda: T.unravel_index(T.lvector("i"), T.lvector("dims")), "length of dims must be known"),
    (lambda: T.unravel_index(T.lvector("i"), (3, 4), order="K"), "order must be 'C' or 'F'"),
    (lambda: T.ravel_multi_index(T.lvector("a"), (3, 4)), "must be a tuple or list"),
    (lambda: T.ravel_multi_index((T.lvector("a"),), (3, 4)), "1 coordinate arrays for 2 dims"),
    (lambda: T.ravel_multi_index((T.dvector("a"), T.lvector("b")), (3, 4)), "integer coordinate"),
    (lambda: T.ravel_multi_index((T.lvector("a"), T.lvector("b")), (3, 4), mode="bounce"), "mode must be"),
])
def test_index_conversion_build_errors(bad, match):
    with pytest.raises((TypeError, ValueError), match=match):
        bad()


def test_cumop_takes_theanos_defaults():
    from framework.core.extra_ops import CumOp

    x = T.dmatrix("x")
    out = CumOp()(x)  # axis None (flattened), mode 'add'
    np.testing.assert_array_equal(framework.function([x], out)([[1.0, 2.0], [3.0, 4.0]]), [1.0, 3.0, 6.0, 10.0])
    with pytest.raises(ValueError, match="mode must be 'add'"):
        CumOp(0, "max")
