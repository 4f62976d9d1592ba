"""A 0-d step of a fused NumPy kernel is written as Python's operator on NumPy scalars (a fraction of
a ufunc call's cost) only where NumPy's scalar math rounds as the ufunc does: ``a ** b`` calls the C
library's ``pow``, ``numpy.power``'s loop its own, and about 2 % of random pairs differ in the last
bit -- a 0-d power (``mean(x) ** -2`` broadcast against ``x``) gave FAST_RUN other bits than
FAST_COMPILE. Found by ``tests/fuzz/test_elemwise_bits.py``."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("exponent", [-2, 2.5, "variable"])
def test_a_scalar_power_inside_a_fused_kernel_is_numpys_power(dtype, exponent):
    w, e, v = T.vector("w", dtype=dtype), T.scalar("e", dtype=dtype), T.vector("v", dtype=dtype)
    # the mean reaches the fused node as a NumPy scalar, the power is a 0-d step of that node
    out = T.mean(w) ** (e if exponent == "variable" else exponent) - v
    fast = function([w, e, v], out, on_unused_input="ignore")
    slow = function([w, e, v], out, mode="FAST_COMPILE", on_unused_input="ignore")
    rng = np.random.default_rng(1)
    means = (rng.standard_normal(1500) * rng.choice([1e-3, 1.0, 50.0, 1e5], 1500)).astype(dtype)
    exponents = rng.choice([-2.0, -1.5, 0.5, 2.5, 3.0, -3.0], 1500).astype(dtype)
    zero = np.zeros(2, dtype)
    with np.errstate(all="ignore"):
        for m, x in zip(means, exponents):
            got, want = fast(np.full(1, m), x, zero), slow(np.full(1, m), x, zero)
            assert got.tobytes() == want.tobytes() or (np.isnan(got).all() and np.isnan(want).all()), (m, x, got, want)


def test_cheap_scalar_operators_are_still_used_where_they_round_alike():
    s, v = T.dscalar("s"), T.dvector("v")
    f = function([s, v], (s * 2 + 1) / 3 - v)
    src = "".join(getattr(k, "__source__", "") for k in f._linked.run.__globals__.values())
    assert " * " in src or " + " in src or " / " in src  # the 0-d steps as operators
