"""``neg(sigmoid_xent(a, x))`` in one fused NumPy kernel is one row of eight ufuncs, not the
eight then a negation (the RBM tutorial's reconstruction cost, after stabilizing), and gives
the negation of sigmoid_xent's own values bit for bit: negation is exact and round-to-nearest
symmetric. Only a NaN's sign bit may differ (nothing reads it)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import framework.tensor as T
from framework import function
from framework.core.elemwise import sigmoid_xent


def _sources(f):
    return "".join(getattr(k, "__source__", "") for k in f._linked.run.__globals__.values())


def _same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(f"u{got.itemsize}"), want[~nan].view(f"u{want.itemsize}"))


SPECIAL = [0.0, -0.0, 1e-30, -1e-30, 0.5, -0.5, 30.0, -30.0, 88.0, -88.0, 1e4, -1e4, np.inf, -np.inf, np.nan]


@settings(max_examples=40, deadline=None)
@given(dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 2 ** 16),
       shape=st.sampled_from([(7,), (3, 5), (20, 784)]))
def test_negated_cross_entropy_is_the_negation_bit_for_bit(dtype, seed, shape):
    a = T.tensor(dtype=dtype, shape=(None,) * len(shape))
    x = T.tensor(dtype=dtype, shape=(None,) * len(shape))
    b = T.vector("b", dtype=dtype)
    cost = -sigmoid_xent(a + b, x)  # the bias add fuses in, as in the RBM's step
    fast = function([a, x, b], [cost, T.nnet.sigmoid(a + b)])
    slow = function([a, x, b], [cost, T.nnet.sigmoid(a + b)], mode="FAST_COMPILE")
    assert "X_subtract(_n, _m, out=_n)" in _sources(fast)  # the folded row, no extra negation
    rng = np.random.RandomState(seed)
    av = (rng.randn(*shape) * 10 ** rng.randint(-2, 3)).astype(dtype)
    flat = av.reshape(-1)
    flat[: len(SPECIAL)] = np.array(SPECIAL, dtype=dtype)[: flat.size]
    xv = rng.rand(*shape).astype(dtype)
    xv.reshape(-1)[:3] = np.array([0.0, 1.0, np.nan], dtype=dtype)[: xv.size]
    bv = np.zeros(shape[-1], dtype=dtype)
    with np.errstate(all="ignore"):
        got, want = fast(av, xv, bv), slow(av, xv, bv)
    for g, w in zip(got, want):
        _same(g, w)


@pytest.mark.parametrize("read_twice", [True, False])
def test_a_cross_entropy_also_read_unnegated_keeps_both(read_twice):
    a, x = T.vectors("a", "x")
    xent = sigmoid_xent(a, x)
    outs = [-xent, xent * 2.0] if read_twice else [-xent]
    f = function([a, x], outs)
    g = function([a, x], outs, mode="FAST_COMPILE")
    av, xv = np.array([-3.0, 0.0, 2.5, 40.0]), np.array([0.0, 1.0, 0.25, 1.0])
    for u, v in zip(f(av, xv), g(av, xv)):
        _same(u, v)


def test_mixed_dtypes_keep_the_negation():
    # float32 logits against float64 targets: the row's own function, not the expansion -- the
    # negation after it must then still run (a first version dropped it)
    a, x = T.fvector("a"), T.dvector("x")
    out = -sigmoid_xent(a * 2, x)
    av, xv = np.array([0.5, -1.0, 3.0], dtype="float32"), np.array([0.0, 1.0, 0.5])
    _same(function([a, x], out)(av, xv), function([a, x], out, mode="FAST_COMPILE")(av, xv))
    assert np.all(function([a, x], out)(av, xv) < 0)
