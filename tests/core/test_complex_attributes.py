"""``x.real``, ``x.imag``, ``x.conj()`` / ``x.conjugate()`` and ``imag`` on tensors, as NumPy's arrays have
them (values, dtypes, a real tensor's own parts), and their gradients with the convention
``dC/dx + i dC/dy`` (``imag``'s is ``complex(0, g)`` exactly, an infinite ``g`` included)."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function, grad

MODES = ["FAST_RUN", "FAST_COMPILE"]


@pytest.mark.parametrize("mode", MODES)
def test_parts_of_complex_and_real_tensors_are_numpys(mode):
    z, x, i = T.zvector("z"), T.fvector("x"), T.lvector("i")
    zv = np.array([1 + 2j, complex(-3.5, -np.inf), complex(np.nan, 0.5)])
    xv, iv = np.array([1.0, -2.0, np.inf], dtype="float32"), np.array([3, -4, 5])
    outs = [z.real, z.imag, z.conj(), z.conjugate(), T.imag(z), x.real, x.imag, x.conj(), i.imag, i.real]
    got = function([z, x, i], outs, mode=mode)(zv, xv, iv)
    want = [zv.real, zv.imag, zv.conj(), zv.conjugate(), np.imag(zv), xv.real, xv.imag, xv.conj(), iv.imag, iv.real]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    assert x.real is x and x.conj() is x  # a real tensor's real part and conjugate: itself, no node
    assert T.cscalar().imag.dtype == "float32"


def test_gradients_through_the_parts():
    a, b = T.dvector("a"), T.dvector("b")
    import framework.compat.theano.tensor as TT

    z = TT.complex(a, b)
    cost = (z.imag * z.real + (z.conj() * z).real).sum()  # ab + a^2 + b^2
    ga, gb = function([a, b], grad(cost, [a, b]))(np.array([1.0, 2.0]), np.array([3.0, -4.0]))
    np.testing.assert_allclose(ga, [3.0 + 2.0, -4.0 + 4.0])
    np.testing.assert_allclose(gb, [1.0 + 6.0, 2.0 - 8.0])


def test_imag_gradient_is_exactly_i_times_g():
    """``complex(0, g)``, not ``g * 1j`` (whose real part would be NaN for an infinite ``g``)."""
    z = T.zvector("z")
    s = T.dvector("s")
    g = grad((z.imag * s).sum(), z)
    out = function([z, s], g)(np.array([1 + 1j, 2 - 1j]), np.array([np.inf, -2.0]))
    assert out.dtype == np.complex128
    np.testing.assert_array_equal(out.real, [0.0, 0.0])
    np.testing.assert_array_equal(out.imag, [np.inf, -2.0])
