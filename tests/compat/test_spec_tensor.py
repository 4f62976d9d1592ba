"""``theano.tensor`` basics against Theano 1.0's theano/tensor/tests/test_basic.py and its library
reference, read as the specification: ``sum``/``prod`` dtypes with ``acc_dtype``, ``stack`` (both
forms), ``flatten(outdim=)``, ``round`` modes and ``iround``, ``ptp``, ``roll``, ``diag``, ``tile``,
``max_and_argmax``, integer division, ``dot`` of 1-d/2-d/3-d. Our own tests."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402

F = theano.function


def test_sum_and_prod_result_dtype_does_not_follow_acc_dtype():
    """CAReduceDtype: the result is ``dtype`` (default int64 for integers), the accumulator
    ``acc_dtype``; an accumulator narrower than the input is refused."""
    b = T.bvector("b")
    assert T.sum(b).dtype == "int64" and T.sum(T.vector(dtype="uint8")).dtype == "uint64"
    assert T.sum(b, acc_dtype="int8").dtype == "int64"
    assert T.prod(b, acc_dtype="int16").dtype == "int64"
    assert T.sum(b, dtype="int8").dtype == "int8"
    assert F([b], T.sum(b, acc_dtype="int8"))(np.full(100, 100, "int8")) == 16   # wrapped in int8
    assert F([b], T.sum(b))(np.full(100, 100, "int8")) == 10000
    assert T.sum(b, acc_dtype="float32").dtype == "int64"
    with pytest.raises(TypeError, match="precision"):
        T.sum(T.lvector(), acc_dtype="int8")
    with pytest.raises(TypeError, match="precision"):
        T.mean(T.dvector(), acc_dtype="float32")
    assert T.sum(T.fvector()).dtype == "float32"


def test_stack_both_forms_and_flatten_outdim():
    a, b = T.dscalars("a", "b")
    assert list(F([a, b], T.stack([a, b]))(1, 2)) == [1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert list(F([a, b], T.stack(a, b))(1, 2)) == [1, 2]
    v = T.dvector("v")
    assert F([v], T.stack([v, v], axis=1))(np.arange(3.0)).shape == (3, 2)
    t3 = T.tensor3("t3")
    assert F([t3], T.flatten(t3, outdim=2))(np.zeros((2, 3, 4))).shape == (2, 12)
    assert F([t3], T.flatten(t3, ndim=2))(np.zeros((2, 3, 4))).shape == (2, 12)


def test_round_modes_and_iround():
    v = T.dvector("v")
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.4])
    np.testing.assert_array_equal(F([v], T.round(v))(x), np.round(x))
    np.testing.assert_array_equal(F([v], T.round(v, mode="half_to_even"))(x), np.round(x))
    np.testing.assert_array_equal(F([v], T.round(v, mode="half_away_from_zero"))(x), [1, 2, 3, -1, -3, 0])
    np.testing.assert_array_equal(F([v], T.round_half_away_from_zero(v))(x), [1, 2, 3, -1, -3, 0])
    r = T.iround(v)
    assert r.dtype == "int64"
    np.testing.assert_array_equal(F([v], r)(x), np.round(x).astype("int64"))
    with pytest.raises(ValueError, match="mode"):
        T.round(v, mode="up")


def test_ptp_roll_diag_tile_match_numpy():
    m = T.dmatrix("m")
    v = T.dvector("v")
    M = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    np.testing.assert_allclose(F([m], T.ptp(m, axis=1))(M), np.ptp(M, axis=1))
    assert F([m], T.ptp(m))(M) == np.ptp(M)
    for shift, axis in ((1, None), (1, 1), (-1, 0), (4, 1), (0, 1)):
        np.testing.assert_allclose(F([m], T.roll(m, shift, axis))(M), np.roll(M, shift, axis))
    np.testing.assert_allclose(F([v], T.diag(v))(np.arange(3.0)), np.diag(np.arange(3.0)))
    np.testing.assert_allclose(F([m], T.diag(m))(M), np.diag(M))
    np.testing.assert_allclose(F([m], T.tile(m, (2, 3)))(M), np.tile(M, (2, 3)))
    np.testing.assert_allclose(F([v], T.tile(v, (2, 2)))(np.arange(3.0)), np.tile(np.arange(3.0), (2, 2)))
    g = F([m], T.grad(T.tile(m, (2, 1)).sum(), m))(M)
    np.testing.assert_allclose(g, 2 * np.ones_like(M))


def test_max_and_argmax_and_integer_division():
    m = T.dmatrix("m")
    M = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    mx, am = F([m], list(T.max_and_argmax(m, axis=0)))(M)
    np.testing.assert_allclose(mx, [4, 5, 6])
    np.testing.assert_array_equal(am, [1, 0, 1])
    assert T.argmax(m).dtype == "int64"
    i, j = T.iscalars("ij")
    assert (i / j).dtype == "float64" and F([i, j], i / j)(7, 2) == 3.5
    assert F([i, j], i // j)(-7, 2) == -4 and F([i, j], T.int_div(i, j))(-7, 2) == -4


def test_dot_ranks():
    v, m, t3 = T.dvector("v"), T.dmatrix("m"), T.tensor3("t3")
    A3 = np.arange(24.0).reshape(2, 3, 4)
    assert F([v], T.dot(v, v))(np.arange(3.0)) == 5
    assert F([t3, m], T.dot(t3, m))(A3, np.ones((4, 2))).shape == (2, 3, 2)
    np.testing.assert_allclose(F([t3], T.dot(t3, t3.dimshuffle(0, 2, 1)))(A3),
                               np.dot(A3, A3.transpose(0, 2, 1)))
    np.testing.assert_allclose(F([t3], T.batched_dot(t3, t3.dimshuffle(0, 2, 1)))(A3),
                               np.einsum("bij,bkj->bik", A3, A3))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_round_half_away_from_zero_is_c_round(dtype, mode):
    """``round(x, 'half_away_from_zero')`` is C's ``round`` (what Theano's kernel called). It was
    ``sgn(x) * floor(|x| + 0.5)``, whose sum rounds: 0.49999999999999994 gave 1 and 2**52 + 1 gave
    2**52 + 2; a zero's sign was lost. Checked against the C library's ``round``."""
    import ctypes
    import ctypes.util
    import warnings

    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    libm.round.restype, libm.round.argtypes = ctypes.c_double, [ctypes.c_double]
    v = np.array([0.49999999999999994, 2.0 ** 52 + 1, 2.0 ** 52 - 0.5, -2.5, 2.5, -0.0, 0.0, -0.3, 1.5, -1.5,
                  np.nan, np.inf, -np.inf, 2.0 ** 53 + 2, 8388609.0, 0.49999997, -0.49999997, 3e38], dtype=dtype)
    x = T.vector(dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no invalid-operation warning for the infinities
        got = theano.function([x], T.round(x, "half_away_from_zero"), mode=mode)(v)
    want = np.array([libm.round(float(t)) for t in v], dtype=dtype)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
