"""Shape ops: shape, reshape, flatten, dimshuffle/transpose, padding, alloc,
join/concatenate/stack, arange, make_vector -- values against NumPy, static
shapes, errors and gradients."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function, grad, pp
from framework.core.errors import ShapeError
from framework.core.types import TensorType
from framework.gradient import verify_grad

RNG = np.random.RandomState(0)
A = RNG.randn(2, 3, 4)


def t3(static=False, dtype="float64", name="x"):
    return TensorType(dtype, A.shape if static else (None, None, None))(name)


# --- shape ------------------------------------------------------------------------------

@pytest.mark.parametrize("static", [False, True])
def test_shape_and_its_entries(static):
    x = t3(static)
    f = function([x], [x.shape, x.shape[0], x.shape[-1], T.shape(x)], on_unused_input="ignore")
    shp, s0, s2, shp2 = f(A)
    np.testing.assert_array_equal(shp, A.shape)
    assert shp.dtype == np.int64
    assert (s0, s2) == (2, 4)
    np.testing.assert_array_equal(shp2, A.shape)
    assert x.shape.type.shape == (3,)


def test_shape_is_not_differentiable_but_does_not_break_grad():
    x = T.dmatrix("x")
    cost = x.sum() / T.cast(x.shape[0], "float64")
    g = function([x], grad(cost, x))(np.ones((4, 2)))
    np.testing.assert_allclose(g, np.full((4, 2), 0.25))


# --- reshape and flatten -------------------------------------------------------------------

RESHAPES = [(6, 4), (-1,), (4, -1), (2, 3, 2, 2), (24, 1), (1, 24)]


@pytest.mark.parametrize("static", [False, True])
@pytest.mark.parametrize("new", RESHAPES, ids=str)
def test_reshape_matches_numpy(new, static):
    x = t3(static)
    out = x.reshape(new)
    got = function([x], out)(A)
    np.testing.assert_array_equal(got, A.reshape(new))
    if static:
        assert out.type.shape == A.reshape(new).shape
    verify_grad(lambda v: v.reshape(new), [A])


def test_reshape_with_symbolic_sizes():
    x = T.dtensor3("x")
    n = T.lscalar("n")
    out = x.reshape((x.shape[0], n, -1))
    np.testing.assert_array_equal(function([x, n], out)(A, 3), A.reshape(2, 3, 4))
    out2 = T.reshape(x, T.stack([n, -1]), ndim=2)
    np.testing.assert_array_equal(function([x, n], out2)(A, 4), A.reshape(4, -1))
    # varargs spelling
    np.testing.assert_array_equal(x.reshape(4, 6).eval({x: A}), A.reshape(4, 6))


def test_reshape_shape_vector_of_unknown_length_needs_ndim():
    x = T.dtensor3("x")
    v = T.lvector("v")
    with pytest.raises(ValueError, match="ndim"):
        x.reshape(v)
    out = x.reshape(v, ndim=2)
    np.testing.assert_array_equal(function([x, v], out)(A, [4, 6]), A.reshape(4, 6))


def test_reshape_to_the_wrong_size_fails_when_built_if_known():
    x = t3(static=True)
    with pytest.raises(ShapeError) as info:
        x.reshape((5, 5))  # bad reshape
    assert "(2, 3, 4)" in str(info.value) and "x.reshape((5, 5))  # bad reshape" in str(info.value)


def test_reshape_to_the_wrong_size_at_run_time_names_op_shapes_and_line():
    x = t3()
    out = x.reshape((5, -1))  # reshape built here
    f = function([x], out)
    with pytest.raises(ValueError) as info:
        f(A)
    msg = str(info.value)
    assert "reshape" in msg and "(2, 3, 4)" in msg
    assert "out = x.reshape((5, -1))  # reshape built here" in msg


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_flatten(ndim):
    x = t3()
    want = A.reshape(A.shape[:ndim - 1] + (-1,))
    np.testing.assert_array_equal(x.flatten(ndim).eval({x: A}), want)
    np.testing.assert_array_equal(T.flatten(x, ndim).eval({x: A}), want)
    verify_grad(lambda v: v.flatten(ndim), [A])


def test_flatten_bad_ndim():
    with pytest.raises(ValueError, match="ndim"):
        T.dmatrix().flatten(3)


# --- dimshuffle, transpose and padding -----------------------------------------------------

PATTERNS = [(2, 0, 1), (1, "x", 0, 2), ("x", 0, 1, 2, "x"), (0, 1, 2)]


@pytest.mark.parametrize("pattern", PATTERNS, ids=str)
def test_dimshuffle(pattern):
    x = t3()
    kept = [p for p in pattern if p != "x"]
    want = np.transpose(A, kept)
    for i, p in enumerate(pattern):
        if p == "x":
            want = np.expand_dims(want, i)
    out = x.dimshuffle(pattern)
    np.testing.assert_array_equal(out.eval({x: A}), want)
    assert x.dimshuffle(*pattern).ndim == want.ndim
    verify_grad(lambda v: v.dimshuffle(pattern), [A])


def test_dimshuffle_drops_size_one_axes_known_statically():
    x = TensorType("float64", (2, 1, 3))("x")
    v = RNG.randn(2, 1, 3)
    out = x.dimshuffle(0, 2)
    assert out.type.shape == (2, 3)
    np.testing.assert_array_equal(out.eval({x: v}), v[:, 0, :])
    g = grad((out * np.arange(6.0).reshape(2, 3)).sum(), x)
    np.testing.assert_array_equal(function([x], g)(v), np.arange(6.0).reshape(2, 1, 3))


def test_dimshuffle_cannot_drop_an_axis_of_unknown_size():
    with pytest.raises(ValueError, match="drops axis 1"):
        T.dtensor3().dimshuffle(0, 2)


def test_dimshuffle_bad_patterns():
    with pytest.raises(ValueError):
        T.dmatrix().dimshuffle(0, 0)
    with pytest.raises(ValueError):
        T.dmatrix().dimshuffle(0, 2)


@pytest.mark.parametrize("axes", [None, (1, 0, 2), (2, 0, 1), (-1, 0, 1)])
def test_transpose(axes):
    x = t3()
    want = np.transpose(A, axes)
    np.testing.assert_array_equal(T.transpose(x, axes).eval({x: A}), want)
    if axes is None:
        np.testing.assert_array_equal(x.T.eval({x: A}), A.T)
    else:
        np.testing.assert_array_equal(x.transpose(*axes).eval({x: A}), want)
        np.testing.assert_array_equal(x.transpose(axes).eval({x: A}), want)
    verify_grad(lambda v: T.transpose(v, axes), [A])


def test_transpose_of_a_matrix_prints_as_dot_T():
    x = T.dmatrix("x")
    assert pp(x.T) == "x.T"


def test_transpose_bad_axes():
    with pytest.raises(ValueError, match="permutation"):
        t3().transpose(0, 1)


def test_padding_and_squeeze():
    x = t3()
    assert T.shape_padleft(x).eval({x: A}).shape == (1, 2, 3, 4)
    assert T.shape_padleft(x, 2).eval({x: A}).shape == (1, 1, 2, 3, 4)
    assert T.shape_padright(x, 2).eval({x: A}).shape == (2, 3, 4, 1, 1)
    assert T.shape_padaxis(x, 1).eval({x: A}).shape == (2, 1, 3, 4)
    assert T.shape_padaxis(x, -1).eval({x: A}).shape == (2, 3, 4, 1)
    y = TensorType("float64", (1, None, 1))("y")
    assert y.squeeze().type.shape == (None,)
    assert T.squeeze(y).eval({y: np.ones((1, 5, 1))}).shape == (5,)
    assert T.shape_padleft(x).type.shape == (1, None, None, None)


# --- alloc, ones, zeros ---------------------------------------------------------------------

def test_alloc_fills_a_new_array():
    n = T.lscalar("n")
    v = T.dvector("v")
    out = T.alloc(v, n, 3)
    got = function([v, n], out)(np.array([1.0, 2.0, 3.0]), 2)
    np.testing.assert_array_equal(got, np.tile([1.0, 2.0, 3.0], (2, 1)))
    got[0, 0] = 99.0  # it is a fresh, writable array
    assert T.alloc(1.5, 2, 3).type.shape == (2, 3)
    assert T.alloc(1.5, n, 3).type.shape == (None, 3)


def test_alloc_gradient_sums_over_the_broadcast_axes():
    verify_grad(lambda v: T.alloc(v, 3, 4), [RNG.randn(4)])
    verify_grad(lambda v: T.alloc(v, 3, 4), [RNG.randn(1, 4)])
    verify_grad(lambda v: T.alloc(v, 2, 3, 4), [RNG.randn(3, 1)])


def test_alloc_errors():
    with pytest.raises(TypeError, match="integer"):
        T.alloc(1.0, T.dscalar())
    with pytest.raises(ValueError, match="dimensions"):
        T.alloc(T.dmatrix(), 3)


@pytest.mark.parametrize("dtype", [None, "float32", "int32"])
def test_ones_and_zeros(dtype):
    n = T.lscalar("n")
    o, z = T.ones((2, n), dtype=dtype), T.zeros((n,), dtype=dtype)
    want_dt = dtype or "float64"
    ov, zv = function([n], [o, z])(3)
    np.testing.assert_array_equal(ov, np.ones((2, 3), want_dt))
    np.testing.assert_array_equal(zv, np.zeros(3, want_dt))
    assert ov.dtype == zv.dtype == np.dtype(want_dt)
    assert T.zeros(4).eval().shape == (4,)


# --- join, concatenate, stack ---------------------------------------------------------------

@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_concatenate_and_join(axis):
    x, y = t3(name="x"), t3(name="y")
    b = RNG.randn(*A.shape)
    want = np.concatenate([A, b, A], axis=axis)
    np.testing.assert_array_equal(function([x, y], T.concatenate([x, y, x], axis=axis))(A, b), want)
    np.testing.assert_array_equal(function([x, y], T.join(axis, x, y, x))(A, b), want)
    verify_grad(lambda p, q: T.concatenate([p, q, p], axis=axis), [A, b])


def test_concatenate_mixed_dtypes_and_static_shapes():
    x = TensorType("int32", (2, 3))("x")
    y = TensorType("float32", (None, 3))("y")
    out = T.concatenate([x, y])
    assert out.dtype == np.result_type("int32", "float32").name
    assert out.type.shape == (None, 3)
    z = TensorType("float32", (4, 3))("z")
    assert T.concatenate([x, z]).type.shape == (6, 3)


def test_concatenate_errors():
    with pytest.raises(TypeError, match="same number of dimensions"):
        T.concatenate([T.dmatrix(), T.dvector()])
    with pytest.raises(ShapeError) as info:
        T.concatenate([TensorType("float64", (2, 3))(), TensorType("float64", (2, 4))()])  # join here
    assert "join here" in str(info.value)


@pytest.mark.parametrize("axis", [1, -2, 5])
def test_out_of_range_axes_are_errors_not_wrapped_around(axis):
    """NumPy raises for ``concatenate([v, v], axis=1)`` on vectors; so must we (no modulo)."""
    v = T.dvector("v")
    with pytest.raises(ValueError, match="axis"):
        T.concatenate([v, v], axis=axis)
    with pytest.raises(ValueError, match="axis"):
        T.stack([v, v], axis=axis + 1 if axis > 0 else axis - 1)
    with pytest.raises(ValueError, match="axis"):
        T.shape_padaxis(v, axis + 1 if axis > 0 else axis - 1)
    with pytest.raises(ValueError):
        T.transpose(T.dmatrix(), (0, axis + 1 if axis > 0 else axis - 1))


def test_concatenate_run_time_mismatch_names_the_op_and_line():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    out = T.concatenate([x, y], axis=0)  # concatenated here
    f = function([x, y], out)
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones((2, 4)))
    assert "join" in str(info.value) and "(2, 3)" in str(info.value) and "(2, 4)" in str(info.value)
    assert "concatenated here" in str(info.value)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_stack(axis):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    a, b = RNG.randn(2, 3), RNG.randn(2, 3)
    np.testing.assert_array_equal(function([x, y], T.stack([x, y], axis=axis))(a, b), np.stack([a, b], axis=axis))
    verify_grad(lambda p, q: T.stack([p, q], axis=axis), [a, b])


def test_stack_of_scalars_is_a_vector():
    a, b = T.dscalar("a"), T.dscalar("b")
    out = T.stack([a, b, 3.0])
    assert out.type.shape == (3,)
    np.testing.assert_array_equal(function([a, b], out)(1.0, 2.0), [1.0, 2.0, 3.0])
    ga, gb = grad((out * [1.0, 10.0, 100.0]).sum(), [a, b])
    assert function([a, b], [ga, gb])(1.0, 2.0) == [1.0, 10.0]


def test_as_tensor_variable_stacks_lists_of_variables():
    a = T.dscalar("a")
    v = T.as_tensor_variable([a, 2.0, a * 2])
    np.testing.assert_array_equal(v.eval({a: 1.5}), [1.5, 2.0, 3.0])


# --- arange and make_vector ----------------------------------------------------------------

@pytest.mark.parametrize("args", [(5,), (2, 7), (7, 2, -2), (0.0, 1.0, 0.25), (1, 4.5)], ids=str)
def test_arange_matches_numpy(args):
    out = T.arange(*args)
    want = np.arange(*args)
    got = out.eval()
    assert got.dtype == want.dtype and out.dtype == want.dtype.name
    np.testing.assert_array_equal(got, want)
    if all(isinstance(a, int) for a in args):
        assert out.type.shape == want.shape


def test_arange_with_symbolic_bounds_and_dtype():
    n = T.lscalar("n")
    out = T.arange(1, n, 2, dtype="int32")
    got = function([n], out)(8)
    np.testing.assert_array_equal(got, np.arange(1, 8, 2, dtype="int32"))
    assert out.type.shape == (None,) and got.dtype == np.int32


def test_make_vector():
    a, b = T.lscalar("a"), T.lscalar("b")
    v = T.make_vector(a, b, 3)
    assert v.dtype == "int64" and v.type.shape == (3,)
    np.testing.assert_array_equal(function([a, b], v)(1, 2), [1, 2, 3])
    with pytest.raises(TypeError, match="scalars"):
        T.make_vector(T.dvector())


# --- broadcast_like ----------------------------------------------------------------------------

def test_broadcast_like():
    g, x = T.dvector("g"), T.dmatrix("x")
    out = T.broadcast_like(g, x)
    got = function([g, x], out)(np.array([1.0, 2.0]), np.zeros((3, 2)))
    np.testing.assert_array_equal(got, np.tile([1.0, 2.0], (3, 1)))
    gg = grad((out * x).sum(), g)
    np.testing.assert_array_equal(function([g, x], gg)(np.zeros(2), np.ones((3, 2))), [3.0, 3.0])


@pytest.mark.parametrize("bad", [(2.5,), (2, 1.0), "ab", [None]])
def test_a_shape_of_non_integers_is_refused_with_the_users_line(bad):
    """NumPy refuses ``reshape((2.5,))``; a float size used to be cast to int64 here (``(2.5,)`` became
    ``(2,)``, silently), and a string failed inside the conversion. Both name the shape and the line."""
    import framework.random

    x = T.dvector("x")
    with pytest.raises(TypeError, match="a shape must be .* got .*test_shape_ops.py"):
        x.reshape(bad)
    with pytest.raises(TypeError, match="a shape must be"):
        framework.random.RandomStreams(1).uniform(size=bad)
    assert x.reshape((2, np.int64(3))).ndim == 2 and x.reshape(np.array([3, 2])).ndim == 2
