"""dot, tensordot, batched_dot, outer and einsum: values and dtypes against
NumPy, static shapes, build-time shape errors, gradients and printing."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function, grad, pp
from framework.core.blas import Einsum, einsum
from framework.core.errors import GradientError, ShapeError
from framework.core.types import TensorType
from framework.gradient import verify_grad

RNG = np.random.RandomState(42)


def sym(value, name="x", static=False):
    """A symbolic tensor of ``value``'s dtype (with its static shape if asked)."""
    shape = value.shape if static else (None,) * value.ndim
    return TensorType(value.dtype, shape)(name)


def rand(*shape, dtype="float64"):
    if np.dtype(dtype).kind == "i":
        return RNG.randint(-4, 5, size=shape).astype(dtype)
    return np.asarray(RNG.rand(*shape)).astype(dtype)


def check(fn, np_fn, *values, static=False, rtol=None):
    """Compile ``fn`` over symbolic copies of ``values``; compare with ``np_fn``."""
    xs = [sym(v, f"x{k}", static) for k, v in enumerate(values)]
    out = fn(*xs)
    got = function(xs, out)(*values)
    expected = np_fn(*values)
    tol = rtol or (1e-5 if any(v.dtype == np.float32 for v in values) else 1e-12)
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    assert out.dtype == np.asarray(expected).dtype
    assert out.ndim == np.ndim(expected)
    for known, actual in zip(out.type.shape, np.shape(expected)):
        assert known is None or known == actual
        if static:
            assert known == actual
    return out


# --- dot ---------------------------------------------------------------------------

DOT_SHAPES = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 2)), ((), (3, 2)), ((3, 2), ()),
              ((2, 3, 4), (4, 5)), ((2, 3, 4), (4,)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (5, 4, 2))]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize("static", [True, False], ids=["static", "unknown"])
@pytest.mark.parametrize("sa,sb", DOT_SHAPES, ids=[f"{a}x{b}" for a, b in DOT_SHAPES])
def test_dot_matches_numpy(sa, sb, static, dtype):
    check(T.dot, np.dot, rand(*sa, dtype=dtype), rand(*sb, dtype=dtype), static=static)


def test_dot_mixed_dtypes_follow_numpy():
    out = check(T.dot, np.dot, rand(3, 4, dtype="int32"), rand(4, dtype="float32"))
    assert out.dtype == "float64"
    assert T.dot(T.fmatrix(), T.fmatrix()).dtype == "float32"
    assert T.dot(T.fmatrix(), T.dmatrix()).dtype == "float64"


def test_dot_method_and_scalar_weak_constant():
    x = T.fmatrix("x")
    assert x.dot(x).dtype == "float32"
    assert T.dot(x, 2.0).dtype == "float32"


def test_dot_shape_mismatch_is_a_shape_error_at_build_time():
    a = TensorType("float64", (3, 4))("a")
    b = TensorType("float64", (5, 2))("b")
    with pytest.raises(ShapeError) as info:
        T.dot(a, b)
    msg = str(info.value)
    assert "'dot'" in msg and "(3, 4)" in msg and "(5, 2)" in msg
    assert "test_blas.py" in msg and "T.dot(a, b)" in msg
    c = TensorType("float64", (2, 3, 4))("c")
    with pytest.raises(ShapeError, match="tensordot"):
        T.dot(c, TensorType("float64", (5, 2))("d"))


def test_dot_shape_mismatch_at_run_time_names_the_op():
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = function([a, b], T.dot(a, b))
    with pytest.raises(ValueError, match="dot"):
        f(np.ones((2, 3)), np.ones((4, 2)))


DOT_GRAD_SHAPES = [s for s in DOT_SHAPES if () not in s]


@pytest.mark.parametrize("sa,sb", DOT_GRAD_SHAPES, ids=[f"{a}x{b}" for a, b in DOT_GRAD_SHAPES])
def test_dot_gradient(sa, sb):
    verify_grad(T.dot, [rand(*sa), rand(*sb)], rng=np.random.RandomState(0))


def test_dot_gradient_float32():
    a, b = T.fmatrix("a"), T.fvector("b")
    ga, gb = grad(T.dot(a, b).sum(), [a, b])
    assert ga.dtype == gb.dtype == "float32"
    verify_grad(T.dot, [rand(3, 4, dtype="float32"), rand(4, dtype="float32")], rng=np.random.RandomState(0))


# --- tensordot ---------------------------------------------------------------------

TENSORDOT_CASES = [
    ((3, 4, 5), (4, 5, 2), 2),
    ((3, 4), (4, 2), 1),
    ((3, 4), (2, 5), 0),
    ((3, 4, 5), (5, 3, 2), ([0, 2], [1, 0])),
    ((3, 4, 5), (2, 4), ([-2], [-1])),
    ((2, 3), (3, 2), ([0, 1], [1, 0])),
    ((4,), (4, 2), (0, 0)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("sa,sb,axes", TENSORDOT_CASES, ids=[str(c) for c in TENSORDOT_CASES])
def test_tensordot_matches_numpy(sa, sb, axes, dtype):
    check(lambda a, b: T.tensordot(a, b, axes), lambda a, b: np.tensordot(a, b, axes),
          rand(*sa, dtype=dtype), rand(*sb, dtype=dtype), static=True)


@pytest.mark.parametrize("sa,sb,axes", TENSORDOT_CASES, ids=[str(c) for c in TENSORDOT_CASES])
def test_tensordot_gradient(sa, sb, axes):
    verify_grad(lambda a, b: T.tensordot(a, b, axes), [rand(*sa), rand(*sb)], rng=np.random.RandomState(0))


def test_tensordot_bad_axes():
    a = TensorType("float64", (3, 4))("a")
    b = TensorType("float64", (4, 3))("b")
    with pytest.raises(ShapeError, match=r"size 4.*size 3"):
        T.tensordot(a, b, ([1], [1]))
    with pytest.raises(ValueError, match="out of range"):
        T.tensordot(a, b, ([2], [0]))
    with pytest.raises(ValueError, match="paired"):
        T.tensordot(a, b, ([0, 1], [0]))
    with pytest.raises(ValueError, match="cannot contract 3 axes"):
        T.tensordot(a, b, 3)


# --- batched_dot and outer -----------------------------------------------------------

BATCHED_CASES = [((5, 2, 3), (5, 3, 4)), ((5, 3), (5, 3)), ((5, 2, 3), (5, 3)), ((5, 3), (5, 3, 4)),
                 ((5, 2, 6, 3), (5, 3, 4)), ((5, 2, 3), (5, 6, 3, 4))]


def np_batched_dot(a, b):
    return np.stack([np.dot(x, y) for x, y in zip(a, b)])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize("sa,sb", BATCHED_CASES, ids=[f"{a}x{b}" for a, b in BATCHED_CASES])
def test_batched_dot_matches_a_loop_of_dots(sa, sb, dtype):
    check(T.batched_dot, np_batched_dot, rand(*sa, dtype=dtype), rand(*sb, dtype=dtype), static=True)


@pytest.mark.parametrize("sa,sb", BATCHED_CASES, ids=[f"{a}x{b}" for a, b in BATCHED_CASES])
def test_batched_dot_gradient(sa, sb):
    verify_grad(T.batched_dot, [rand(*sa), rand(*sb)], rng=np.random.RandomState(0))


def test_batched_dot_errors():
    a = TensorType("float64", (5, 2, 3))("a")
    with pytest.raises(ShapeError, match="batched_dot"):
        T.batched_dot(a, TensorType("float64", (4, 3, 2))("b"))
    with pytest.raises(ShapeError, match="batched_dot"):
        T.batched_dot(a, TensorType("float64", (5, 4, 2))("b"))
    with pytest.raises(TypeError, match="batch axis"):
        T.batched_dot(a, T.dvector("v"))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_outer_matches_numpy(dtype):
    check(T.outer, np.outer, rand(3, dtype=dtype), rand(4, dtype=dtype))
    check(T.outer, np.outer, rand(2, 2, dtype=dtype), rand(3, dtype=dtype))


def test_outer_gradient():
    verify_grad(T.outer, [rand(3), rand(4)], rng=np.random.RandomState(0))


# --- einsum ------------------------------------------------------------------------

EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("i,i", [(4,), (4,)]),
    ("i,i->i", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ii->i", [(3, 3)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bij,bjk->kbi", [(2, 3, 4), (2, 4, 5)]),
    ("ijk,kj->i", [(2, 3, 4), (4, 3)]),
    ("ijk,k->ik", [(2, 3, 4), (4,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ab,bc,cd,de->ae", [(2, 3), (3, 4), (4, 5), (5, 2)]),
    ("ab,ab,ab->a", [(2, 3), (2, 3), (2, 3)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,jk", [(6, 2, 3, 4), (4, 5)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("i,->i", [(3,), ()]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("spec,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_matches_numpy(spec, shapes, dtype):
    values = [rand(*s, dtype=dtype) for s in shapes]
    check(lambda *xs: T.einsum(spec, *xs), lambda *vs: np.einsum(spec, *vs), *values, static=True)
    check(lambda *xs: T.einsum(spec, *xs), lambda *vs: np.einsum(spec, *vs), *values, static=False)


def test_einsum_is_correct_when_shapes_change_between_calls():
    a, b, c = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("c")
    f = function([a, b, c], T.einsum("ij,jk,kl->il", a, b, c))
    for n in (2, 7, 3):
        va, vb, vc = rand(n, 3), rand(3, n + 1), rand(n + 1, 2)
        np.testing.assert_allclose(f(va, vb, vc), va @ vb @ vc)


def test_einsum_static_shapes_and_size_errors():
    a = TensorType("float64", (3, None))("a")
    b = TensorType("float64", (None, 5))("b")
    assert T.einsum("ij,jk->ik", a, b).type.shape == (3, 5)
    assert T.einsum("ij,jk->ki", a, b).type.shape == (5, 3)
    with pytest.raises(ShapeError) as info:
        T.einsum("ij,jk->ik", TensorType("float64", (3, 4))("a"), TensorType("float64", (5, 2))("b"))
    msg = str(info.value)
    assert "'j'" in msg and "(3, 4)" in msg and "(5, 2)" in msg and "test_blas.py" in msg


def test_einsum_subscript_errors():
    a = T.dmatrix("a")
    with pytest.raises(ValueError, match="2 operand"):
        T.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="dimension"):
        T.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="no operand"):
        T.einsum("ij->iz", a)
    with pytest.raises(ValueError, match="repeat"):
        T.einsum("ij->ii", a)
    with pytest.raises(ValueError, match="invalid"):
        T.einsum("i1->i", a)


EINSUM_GRAD_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("i,i->", [(4,), (4,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("ijk,k->i", [(2, 3, 4), (4,)]),  # j appears only in the first operand
    ("ij,jk,kl->li", [(2, 3), (3, 4), (4, 2)]),
    ("...ij,...j->...i", [(2, 3, 4), (2, 4)]),
    ("ij->", [(3, 4)]),
]


@pytest.mark.parametrize("spec,shapes", EINSUM_GRAD_CASES, ids=[c[0] for c in EINSUM_GRAD_CASES])
def test_einsum_gradient(spec, shapes):
    verify_grad(lambda *xs: T.einsum(spec, *xs), [rand(*s) for s in shapes], rng=np.random.RandomState(0))


def test_einsum_gradient_of_a_diagonal_is_a_clear_error():
    a = T.dmatrix("a")
    with pytest.raises(GradientError, match="repeat a letter"):
        grad(T.einsum("ii->", a), a)


def test_einsum_int_operand_gets_no_gradient():
    a, i = T.dmatrix("a"), T.lvector("i")
    g = grad(T.einsum("ij,j->", a, i), a)
    np.testing.assert_array_equal(function([a, i], g)(np.ones((2, 3)), [1, 2, 3]), [[1, 2, 3], [1, 2, 3]])


# --- printing -----------------------------------------------------------------------

def test_pp():
    x, y, v = T.dmatrix("x"), T.dmatrix("y"), T.dvector("v")
    assert pp(T.dot(x, y)) == "dot(x, y)"
    assert pp(T.outer(v, v)) == "outer(v, v)"
    assert pp(T.batched_dot(x, y)) == "batched_dot(x, y)"
    assert pp(T.einsum("ij,jk->ik", x, y)) == "einsum('ij,jk->ik', x, y)"
    assert pp(T.tensordot(x, y, 1)) == "tensordot(x, y, axes=([1], [0]))"
    assert isinstance(T.einsum("ij", x).owner.op, Einsum)
    assert einsum("ij,jk", x, y).owner.op == T.einsum("ij,jk->ik", x, y).owner.op


def test_einsum_broadcasts_size_one_axes_and_their_gradient():
    a = TensorType("float64", (1, 3))("a")
    b = TensorType("float64", (2, 3))("b")
    out = T.einsum("ij,ij->ij", a, b)
    assert out.type.shape == (2, 3)
    av, bv = rand(1, 3), rand(2, 3)
    ga = function([a, b], grad(out.sum(), a))(av, bv)
    np.testing.assert_allclose(ga, bv.sum(axis=0, keepdims=True))
    verify_grad(lambda x, y: T.einsum("ij,ij->ij", x, y), [av, bv], rng=np.random.RandomState(0))


def test_single_operand_einsum_never_aliases_its_input():
    a = T.dmatrix("a")
    value = rand(3, 3)
    f = function([a], [T.einsum("ij->ji", a), T.einsum("ii->i", a)])
    for out in f(value):
        assert not np.shares_memory(out, value)
        out[...] = 0
    assert value.any()
