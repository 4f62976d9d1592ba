"""Indexing (x[...]), set_subtensor and inc_subtensor: values against NumPy,
static shapes, build-time errors and gradients."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function, grad, pp
from framework.core.errors import ShapeError
from framework.core.subtensor import IncSubtensor, Subtensor
from framework.core.types import TensorType
from framework.gradient import verify_grad

RNG = np.random.RandomState(1234)
A = np.arange(3 * 4 * 5).reshape(3, 4, 5)


def tensor(dtype, shape, name="x"):
    return TensorType(dtype, shape)(name)


# Each case builds an index from i, v, m: called once with symbolic variables
# and once with their values (i = 2, v = [0, 2], m = [[0], [1]]) for NumPy.
IDX_CASES = [
    ("int", lambda i, v, m: 1),
    ("negative int", lambda i, v, m: -1),
    ("tuple of ints", lambda i, v, m: (1, 2, 3)),
    ("slices", lambda i, v, m: (slice(1, None), slice(None, None, 2))),
    ("negative step", lambda i, v, m: (slice(None, None, -1), slice(3, 0, -2))),
    ("newaxis and ellipsis", lambda i, v, m: (None, Ellipsis, None, 0)),
    ("symbolic scalar", lambda i, v, m: (slice(1, None), i)),
    ("symbolic slice bounds", lambda i, v, m: (slice(i, None), slice(None, i + 1), slice(None, None, i))),
    ("constant list", lambda i, v, m: [0, 2, 2]),
    ("constant array", lambda i, v, m: (slice(None), np.array([3, 0]))),
    ("symbolic vector", lambda i, v, m: v),
    ("symbolic matrix", lambda i, v, m: (slice(None), m)),
    ("adjacent arrays", lambda i, v, m: (slice(None), v, m)),
    ("separated arrays", lambda i, v, m: (v, slice(None), v)),
    ("int and array separated", lambda i, v, m: (0, slice(None), v)),
    ("int and array adjacent", lambda i, v, m: (slice(None), 0, v)),
    ("newaxis separates arrays", lambda i, v, m: (v, None, v)),
    ("ellipsis separates arrays", lambda i, v, m: (slice(None), v, Ellipsis, v)),
    ("symbolic list", lambda i, v, m: [i, 0, i]),
    ("empty list", lambda i, v, m: []),
    ("empty tuple", lambda i, v, m: ()),
]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize("static", [True, False], ids=["static-shape", "unknown-shape"])
@pytest.mark.parametrize("name,index", IDX_CASES, ids=[c[0] for c in IDX_CASES])
def test_getitem_matches_numpy(name, index, static, dtype):
    x = tensor(dtype, A.shape if static else (None, None, None))
    i, v, m = T.lscalar("i"), T.lvector("v"), T.lmatrix("m")
    out = x[index(i, v, m)]
    value = A.astype(dtype)
    iv, vv, mv = 2, np.array([0, 2]), np.array([[0], [1]])
    expected = value[index(iv, vv, mv)]
    f = function([x, i, v, m], out, on_unused_input="ignore")
    got = f(value, iv, vv, mv)
    np.testing.assert_array_equal(got, expected)
    assert np.asarray(got).dtype == dtype
    assert out.ndim == np.ndim(expected)
    for known, actual in zip(out.type.shape, np.shape(expected)):
        assert known is None or known == actual


def test_static_shapes_are_known_where_numpy_fixes_them():
    x = tensor("float64", (3, 4, 5))
    assert x[1:, ::2].type.shape == (2, 2, 5)
    assert x[::-1, 3:0:-2, -1].type.shape == (3, 2)
    assert x[None, ..., None].type.shape == (1, 3, 4, 5, 1)
    assert x[[0, 2, 2]].type.shape == (3, 4, 5)
    assert x[0, :, [1, 2]].type.shape == (2, 4)  # int + array separated: advanced axes first
    assert x[:, 0, [1, 2]].type.shape == (3, 2)  # adjacent: they stay in place
    i = T.lscalar("i")
    assert x[i].type.shape == (4, 5)
    assert x[i:].type.shape == (None, 4, 5)
    v = tensor("int64", (7,), "v")
    assert x[:, v].type.shape == (3, 7, 5)
    y = tensor("float64", (None, 4))
    assert y[1:3].type.shape == (None, 4)
    assert y[:, 1:3].type.shape == (None, 2)


def test_symbolic_index_with_negative_value():
    x = T.dvector("x")
    i = T.lscalar("i")
    f = function([x, i], [x[i], x[i:], x[:i]])
    r = f(np.arange(5.0), -2)
    assert r[0] == 3.0
    np.testing.assert_array_equal(r[1], [3.0, 4.0])
    np.testing.assert_array_equal(r[2], [0.0, 1.0, 2.0])


def test_index_out_of_range_is_an_index_error_at_build_time_naming_shapes_and_line():
    x = tensor("float64", (3, 4))
    with pytest.raises(IndexError) as info:
        x[:, 4]
    msg = str(info.value)
    assert "out of bounds for axis 1 with size 4" in msg
    assert "(3, 4)" in msg
    assert "test_subtensor.py" in msg and "x[:, 4]" in msg
    with pytest.raises(IndexError, match="index -4 is out of bounds for axis 0 with size 3"):
        x[-4]
    with pytest.raises(IndexError, match="out of bounds"):
        x[[0, 3]]


def test_too_many_indices_and_bad_index_kinds():
    x = tensor("float64", (3, 4))
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]
    with pytest.raises(TypeError, match="integers"):
        x[1.5]
    with pytest.raises(TypeError, match="integer"):
        x[T.dscalar("f")]
    with pytest.raises(TypeError, match="integers"):
        x[T.dvector("fv")]
    with pytest.raises(ValueError, match="step cannot be zero"):
        x[::0]
    with pytest.raises(IndexError, match="cannot be broadcast"):
        x[[0, 1], [0, 1, 2]]


@pytest.mark.parametrize("mask", [
    np.array([True, False, True]),
    [True, False, True],
], ids=["array", "list"])
def test_boolean_mask_selects_rows_like_numpy(mask):
    # (until boolean masks were supported, these were refused with a TypeError suggesting T.switch)
    x = tensor("float64", (3, 4))
    value = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(function([x], x[mask])(value), value[np.asarray(mask)])


@pytest.mark.parametrize("index", [True, False, np.bool_(True), (0, True)], ids=["true", "false", "np", "tuple"])
def test_zero_d_boolean_index_is_a_type_error_suggesting_none_or_switch(index):
    x = tensor("float64", (3, 4))
    with pytest.raises(TypeError, match="switch") as info:
        x[index]
    assert "x[None]" in str(info.value)


def test_symbolic_boolean_mask_selects_the_true_entries():
    x = T.dvector("x")
    value = np.array([1.0, -2.0, 3.0, 0.0])
    np.testing.assert_array_equal(function([x], x[x > 0])(value), [1.0, 3.0])


def test_runtime_out_of_range_names_the_op():
    x = T.dmatrix("x")
    i = T.lscalar("i")
    f = function([x, i], x[i])
    with pytest.raises(IndexError, match="subtensor"):
        f(np.zeros((2, 3)), 5)


def test_set_subtensor_leaves_the_input_value_unchanged():
    x = T.dmatrix("x")
    value = np.zeros((2, 3))
    out = function([x], T.set_subtensor(x[:, 0], 7.0))(value)
    np.testing.assert_array_equal(out[:, 0], [7.0, 7.0])
    assert not value.any()


def test_pp_renders_indices_like_python():
    x, i, v = T.dmatrix("x"), T.lscalar("i"), T.lvector("v")
    assert pp(x[1:, i]) == "x[1:, i]"
    assert pp(x[::2, None, ...]) == "x[::2, None, ...]"
    assert pp(x[v, 0]) == "x[v, 0]"
    assert pp(x[i:i + 1]).startswith("x[i:")
    assert pp(T.set_subtensor(x[0], 1.0)) == "set_subtensor(x[0], 1.0)"
    assert pp(T.inc_subtensor(x[v], x[0])) == "inc_subtensor(x[v], x[0])"


def test_op_equality_follows_the_template():
    x = T.dmatrix("x")
    i = T.lscalar("i")
    assert x[1:, i].owner.op == x[1:, i].owner.op
    assert x[1:, i].owner.op != x[2:, i].owner.op
    assert isinstance(x[0].owner.op, Subtensor)
    assert hash(x[[0, 1]].owner.op) == hash(x[[1, 0]].owner.op)  # constant arrays are inputs


# --- set_subtensor / inc_subtensor ---------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_set_and_inc_subtensor_match_numpy(dtype):
    x = tensor(dtype, (None, None))
    y = tensor(dtype, (None,), "y")
    i = T.lscalar("i")
    value = np.arange(12).reshape(3, 4).astype(dtype)
    yv = np.array([10, 20, 30, 40]).astype(dtype)
    f = function([x, y, i], [
        T.set_subtensor(x[i], y),
        T.inc_subtensor(x[i], y),
        T.set_subtensor(x[1:, ::2], 5),
        T.inc_subtensor(x[:, i], y[:3]),
    ])
    got = f(value, yv, 1)
    exp = [value.copy() for _ in range(4)]
    exp[0][1] = yv
    exp[1][1] += yv
    exp[2][1:, ::2] = 5
    exp[3][:, 1] += yv[:3]
    for g, e in zip(got, exp):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == dtype
    np.testing.assert_array_equal(value, np.arange(12).reshape(3, 4))


def test_inc_subtensor_adds_every_repeated_advanced_index():
    x = T.dvector("x")
    v = T.lvector("v")
    y = T.dvector("y")
    f = function([x, v, y], [T.inc_subtensor(x[v], y), T.set_subtensor(x[v], y)])
    inc, st = f(np.zeros(4), [0, 2, 0, 0], [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(inc, [8.0, 0.0, 2.0, 0.0])
    assert st[0] in (1.0, 3.0, 4.0) and st[2] == 2.0
    # constant repeated indices and a broadcast increment on a matrix
    m = T.dmatrix("m")
    g = function([m], T.inc_subtensor(m[[1, 1, 0], 1:], 1.0))
    expected = np.zeros((2, 3))
    np.add.at(expected, (np.array([1, 1, 0]), slice(1, None)), 1.0)
    np.testing.assert_array_equal(g(np.zeros((2, 3))), expected)


def test_inc_subtensor_through_separated_advanced_indices():
    x = T.dtensor3("x")
    v = T.lvector("v")
    out = T.inc_subtensor(x[v, :, v], 1.0)
    got = function([x, v], out)(np.zeros((3, 2, 3)), [1, 1])
    expected = np.zeros((3, 2, 3))
    np.add.at(expected, (np.array([1, 1]), slice(None), np.array([1, 1])), 1.0)
    np.testing.assert_array_equal(got, expected)


def test_set_subtensor_needs_an_indexing_result():
    x = T.dmatrix("x")
    with pytest.raises(TypeError, match="result of indexing"):
        T.set_subtensor(x, 1.0)
    with pytest.raises(TypeError, match="result of indexing"):
        T.inc_subtensor(x + 1, 1.0)


def test_set_subtensor_checks_the_value_shape_and_dtype_at_build_time():
    x = tensor("float64", (3, 4))
    with pytest.raises(ShapeError, match=r"\(2,\).*\(4,\)"):
        T.set_subtensor(x[0], np.ones(2))
    with pytest.raises(ShapeError, match="test_subtensor.py"):
        T.inc_subtensor(x[:, 1:], np.ones((3, 2, 1)))
    xi = tensor("int32", (3,))
    with pytest.raises(TypeError, match="float64"):
        T.set_subtensor(xi[0], T.dscalar("f"))
    with pytest.raises(TypeError, match="cast"):
        T.inc_subtensor(xi[0], 1.5)
    assert isinstance(T.set_subtensor(xi[0], 3).owner.op, IncSubtensor)


# --- gradients -------------------------------------------------------------------

GRAD_CASES = [
    ("int", lambda x: x[1]),
    ("slices", lambda x: x[1:, ::-2]),
    ("newaxis", lambda x: x[None, :, 0]),
    ("repeated list", lambda x: x[[0, 2, 0, 0]]),
    ("separated arrays", lambda x: x[[0, 1], :, [2, 2]]),
    ("array and slice", lambda x: x[:, [3, 3, 1]]),
]


@pytest.mark.parametrize("name,fn", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_getitem_gradient(name, fn):
    verify_grad(fn, [RNG.rand(3, 4, 3)], rng=np.random.RandomState(0))


def test_getitem_gradient_with_symbolic_indices():
    i = T.lscalar("i")
    v = T.lvector("v")
    x = T.dmatrix("x")
    cost = (x[i:, v] ** 2).sum()
    gx = function([x, i, v], grad(cost, x))
    value = RNG.rand(3, 4)
    got = gx(value, 1, [0, 0, 2])
    expected = np.zeros_like(value)
    np.add.at(expected, (slice(1, None), np.array([0, 0, 2])), 2 * value[1:, [0, 0, 2]])
    np.testing.assert_allclose(got, expected)


WRITE_GRAD_CASES = [
    ("set basic", T.set_subtensor, lambda x: x[1:, 0]),
    ("inc basic", T.inc_subtensor, lambda x: x[1:, 0]),
    ("set newaxis", T.set_subtensor, lambda x: x[:, None, 1]),
    ("inc newaxis", T.inc_subtensor, lambda x: x[:, None, 1]),
    ("set advanced", T.set_subtensor, lambda x: x[[0, 2], 1]),
    ("inc repeated", T.inc_subtensor, lambda x: x[[0, 2, 0], 1]),
]


@pytest.mark.parametrize("name,setter,index", WRITE_GRAD_CASES, ids=[c[0] for c in WRITE_GRAD_CASES])
def test_set_and_inc_subtensor_gradients(name, setter, index):
    # y has one element, so it is broadcast into the region: its gradient is a sum
    verify_grad(lambda x, y: setter(index(x), y) * 1.5, [RNG.rand(3, 4), RNG.rand(1)],
                rng=np.random.RandomState(0))


def test_set_subtensor_gradient_values():
    x, y = T.dvector("x"), T.dvector("y")
    out = T.set_subtensor(x[1:3], y)
    cost = (out * np.array([1.0, 2.0, 3.0, 4.0])).sum()
    gx, gy = function([x, y], grad(cost, [x, y]))(np.zeros(4), np.zeros(2))
    np.testing.assert_array_equal(gx, [1.0, 0.0, 0.0, 4.0])
    np.testing.assert_array_equal(gy, [2.0, 3.0])


def test_float32_indexing_and_gradient():
    x = T.fmatrix("x")
    out = x[1:, [0, 0]]
    assert out.dtype == "float32"
    g = grad(out.sum(), x)
    assert g.dtype == "float32"
    got = function([x], g)(np.ones((3, 2), dtype="float32"))
    np.testing.assert_array_equal(got, [[0, 0], [2, 0], [2, 0]])
    verify_grad(lambda a: a[::-1, [1, 1]], [RNG.rand(3, 2).astype("float32")], rng=np.random.RandomState(0))


def _numeric_grad(f, v, eps=1e-6):
    g = np.zeros_like(v)
    for i in np.ndindex(*v.shape):
        d = np.zeros_like(v)
        d[i] = eps
        g[i] = (f(v + d) - f(v - d)) / (2 * eps)
    return g


@pytest.mark.parametrize("setter", [True, False])
@pytest.mark.parametrize("index,yshape", [
    ([0, 0], (2,)), ([2, 0, 2, 2], (4,)), ([1, 1], ()),  # y broadcast to a repeated region
])
def test_set_and_inc_gradients_with_repeated_indices_match_finite_differences(setter, index, yshape):
    """set: the last write to a repeated position wins, so only it gets a gradient;
    inc: every write adds, so every one does."""
    x, y = T.dvector("x"), T.tensor("float64", (None,) * len(yshape), name="y")
    w = np.array([1.0, 2.0, 3.0])
    build = T.set_subtensor if setter else T.inc_subtensor
    cost = (build(x[index], y) * w).sum()
    xv, yv = np.array([0.5, -1.0, 2.0]), np.random.RandomState(0).uniform(-1, 1, yshape)
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        f = function([x, y], cost, mode=mode)
        gx, gy = function([x, y], grad(cost, [x, y]), mode=mode)(xv, yv)
        np.testing.assert_allclose(gy, _numeric_grad(lambda v: f(xv, v), yv), atol=1e-6)
        np.testing.assert_allclose(gx, _numeric_grad(lambda v: f(v, yv), xv), atol=1e-6)


def test_set_gradient_with_repeated_rows_of_a_matrix():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    cost = (T.set_subtensor(x[[1, 0, 1]], y) * np.arange(6.0).reshape(2, 3)).sum()
    gy = function([x, y], grad(cost, y))(np.zeros((2, 3)), np.ones((3, 3)))
    np.testing.assert_array_equal(gy, [[0, 0, 0], [0, 1, 2], [3, 4, 5]])
