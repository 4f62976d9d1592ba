"""bench/'s hand-written NumPy references compute the step they stand for.

The benchmarks compare the framework with the fastest NumPy we can write
(issue 16); a reference that is fast because it computes something else
would prove nothing. Each careful reference (and each one held to the
framework's contract) is checked here against the plain transcription of the
tutorial's step, from the same start and with the same uniforms.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))

from numpy_rbm import ContractRBM, NaiveRBM, NumpyRBM  # noqa: E402

import logreg  # noqa: E402


@pytest.mark.parametrize("cls", [NumpyRBM, ContractRBM])
@pytest.mark.parametrize("persistent,k", [(True, 15), (False, 1), (False, 3)])
def test_rbm_references_take_the_tutorials_step(cls, persistent, k):
    x = (np.random.RandomState(0).rand(20, 784) < 0.13).astype(np.float32)
    careful = cls(784, 500, 20, "float32", persistent=persistent)
    plain = NaiveRBM(784, 500, 20, persistent)
    for step in range(3):
        # the same uniforms, in the same order: CD's careful step leaves out only the last
        # hidden sample, which nothing reads
        careful.gen = np.random.Generator(np.random.PCG64(step))
        twin = np.random.Generator(np.random.PCG64(step))
        cost = careful.step(x, 0.1, k)
        plain_cost = plain.step(x, lambda shape: twin.random(shape, dtype=np.float32), 0.1, k)
        np.testing.assert_allclose(cost, plain_cost, rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(careful.W, plain.W, rtol=0, atol=1e-6)
        np.testing.assert_allclose(careful.hbias, plain.hbias, rtol=0, atol=1e-7)
        np.testing.assert_allclose(careful.vbias, plain.vbias, rtol=0, atol=1e-7)
        if persistent:
            np.testing.assert_array_equal(careful.chain, plain.chain)


def test_the_contract_reference_keeps_ws_old_value_and_moves_cds_stream_on():
    x = (np.random.RandomState(1).rand(20, 784) < 0.13).astype(np.float32)
    con = ContractRBM(784, 500, 20, "float32", persistent=False)
    old = con.W
    keep = old.copy()
    con.step(x, 0.1, 1)
    assert con.W is not old and np.array_equal(old, keep)  # a new buffer, the old value intact
    # CD-1 draws 20 x 500 hidden, 20 x 784 visible, and moves on over the unused 20 x 500 more
    twin = np.random.Generator(np.random.PCG64(123))
    twin.random((20, 500), dtype=np.float32)
    twin.random((20, 784), dtype=np.float32)
    twin.random((20, 500), dtype=np.float32)
    ours, theirs = con.gen.bit_generator.state, twin.bit_generator.state
    assert ours["state"] == theirs["state"] and ours["has_uint32"] == theirs["has_uint32"] == 0


def test_a_nan_probability_is_refused_by_the_contract_reference_only():
    x = np.full((20, 784), np.nan, dtype=np.float32)
    NumpyRBM(784, 500, 20, "float32", persistent=False).step(x, 0.1, 1)
    with pytest.raises(ValueError, match="NaN"):
        ContractRBM(784, 500, 20, "float32", persistent=False).step(x, 0.1, 1)


def _tutorial_step(w, b, x, y):
    """The tutorial's logistic regression step, transcribed plainly."""
    p = 1 / (1 + np.exp(-(x @ w) - b))
    xent = -y * np.log(p) - (1 - y) * np.log(1 - p)
    dz = (p - y) / len(y)
    gw = x.T @ dz + 2 * logreg.L2 * w
    return p > 0.5, xent, w - logreg.LR * gw, b - logreg.LR * dz.sum()


@pytest.mark.parametrize("cls", [logreg.NumpyStep, logreg.ContractStep])
def test_logreg_references_take_the_tutorials_step(cls):
    X, Y, w0 = logreg.data()
    w, b = 1e-3 * w0, 0.0  # no probability rounds to 0 or 1: every formula is finite
    ref = cls(w)
    for _ in range(5):
        pred, xent = ref(X, Y)
        want_pred, want_xent, w, b = _tutorial_step(w, b, X, Y)
        np.testing.assert_array_equal(pred, want_pred)
        np.testing.assert_allclose(xent, want_xent, rtol=1e-9)
        np.testing.assert_allclose(ref.w, w, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ref.b, b, rtol=1e-9, atol=1e-12)


def test_the_logreg_contract_reference_is_finite_where_p_saturates():
    X, Y, w0 = logreg.data()
    ref, con = logreg.NumpyStep(100 * w0), logreg.ContractStep(100 * w0)
    with np.errstate(all="ignore"):
        _, xent = ref(X, Y)
        assert not np.all(np.isfinite(xent))  # log(0) of a saturated p
        _, xent = con(X, Y)
    assert np.all(np.isfinite(xent)) and np.all(xent >= 0)
