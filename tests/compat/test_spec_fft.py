"""Theano 1.0's ``theano.tensor.fft`` (``rfft``, ``irfft``): values against NumPy's FFTs in Theano's
real/imaginary-pair layout, the three normalisations, odd lengths, the argument errors, and the
gradients against finite differences (the half spectrum's weights: mirrored coefficients count
twice)."""
from __future__ import annotations

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE"]


def _complex(pairs):
    out = np.empty(pairs.shape[:-1], dtype=np.result_type(pairs.dtype, np.complex64))
    out.real, out.imag = pairs[..., 0], pairs[..., 1]
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(2, 16), (3, 7), (1, 4, 6), (2, 5, 3, 4)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rfft_and_irfft_are_numpys_in_theanos_layout(mode, shape, dtype):
    import theano
    import theano.tensor as T
    from theano.tensor import fft

    rng = np.random.RandomState(0)
    xv = rng.standard_normal(shape).astype(dtype)
    x = T.tensor(dtype=dtype, broadcastable=(False,) * len(shape))
    axes = tuple(range(1, len(shape)))
    tol = 1e-12 if dtype == "float64" else 2e-5
    spec = theano.function([x], [fft.rfft(x), fft.rfft(x, norm="ortho"), fft.rfft(x, norm="no_norm")], mode=mode)
    plain, ortho, no_norm = spec(xv)
    want = np.fft.rfftn(xv.astype("float64"), axes=axes)
    assert plain.dtype == dtype and plain.shape == want.shape + (2,)
    np.testing.assert_allclose(_complex(plain), want, rtol=tol, atol=tol * np.abs(want).max())
    np.testing.assert_allclose(_complex(no_norm), want, rtol=tol, atol=tol * np.abs(want).max())
    n = int(np.prod(shape[1:]))
    np.testing.assert_allclose(_complex(ortho), want / np.sqrt(n), rtol=tol, atol=tol * np.abs(want).max())

    z = T.tensor(dtype=dtype, broadcastable=(False,) * (len(shape) + 1))
    odd = shape[-1] % 2 == 1
    back = theano.function([z], [fft.irfft(z, is_odd=odd), fft.irfft(z, norm="ortho", is_odd=odd),
                                 fft.irfft(z, norm="no_norm", is_odd=odd)], mode=mode)
    inv, inv_ortho, inv_none = back(plain)
    assert inv.dtype == dtype and inv.shape == shape
    np.testing.assert_allclose(inv, xv, rtol=10 * tol, atol=10 * tol)  # the round trip
    ref = np.fft.irfftn(_complex(plain).astype("complex128"), s=shape[1:], axes=axes)
    np.testing.assert_allclose(inv_ortho, ref * np.sqrt(n), rtol=10 * tol, atol=10 * tol * np.abs(ref).max() * n)
    np.testing.assert_allclose(inv_none, ref * n, rtol=10 * tol, atol=10 * tol * np.abs(ref).max() * n)


def test_irfft_of_an_arbitrary_half_spectrum_and_its_shape():
    """Imaginary parts of the first and Nyquist coefficients are ignored, as NumPy's irfft does;
    ``is_odd`` makes the last length ``2 (N - 1) + 1``; an infinite imaginary part stays out of the
    real one."""
    import theano
    import theano.tensor as T
    from theano.tensor import fft

    rng = np.random.RandomState(1)
    zv = rng.standard_normal((2, 4, 5, 2))
    z = T.dtensor4("z")
    f = theano.function([z], [fft.irfft(z), fft.irfft(z, is_odd=True), fft.irfft(z).shape])
    even, odd, shape = f(zv)
    np.testing.assert_allclose(even, np.fft.irfftn(_complex(zv), s=(4, 8), axes=(1, 2)), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(odd, np.fft.irfftn(_complex(zv), s=(4, 9), axes=(1, 2)), rtol=1e-12, atol=1e-14)
    assert tuple(shape) == (2, 4, 8)
    x = T.dmatrix("x")
    assert tuple(theano.function([x], fft.rfft(x).shape)(np.zeros((3, 9)))) == (3, 5, 2)


def test_arguments_are_checked_as_theanos():
    import theano.tensor as T
    from theano.tensor import fft

    x, z = T.dmatrix("x"), T.dtensor3("z")
    with pytest.raises(ValueError, match="norm"):
        fft.rfft(x, norm=123)
    with pytest.raises(ValueError, match="norm"):
        fft.irfft(z, norm="backward")
    with pytest.raises(ValueError, match="is_odd"):
        fft.irfft(z, is_odd=123)
    with pytest.raises(TypeError, match="at least 2 dimensions"):
        fft.rfft(T.dvector("v"))
    with pytest.raises(TypeError, match="at least 3 dimensions"):
        fft.irfft(x)
    with pytest.raises(TypeError, match="float"):
        fft.rfft(T.lmatrix("i"))
    with pytest.raises(TypeError, match="integer vector"):
        fft.rfft_op(x, T.dvector("s"))
    assert T.fft is fft


@pytest.mark.parametrize("shape", [(1, 16), (2, 7), (1, 4, 6), (2, 3, 5)])
@pytest.mark.parametrize("norm", [None, "ortho", "no_norm"])
def test_gradients_match_finite_differences(shape, norm):
    import theano
    from theano.tensor import fft

    rng = np.random.RandomState(2)
    odd = shape[-1] % 2 == 1
    theano.gradient.verify_grad(lambda x: fft.rfft(x, norm=norm), [rng.standard_normal(shape)], rng=rng)
    half = shape[:-1] + (shape[-1] // 2 + 1, 2)
    theano.gradient.verify_grad(lambda z: fft.irfft(z, norm=norm, is_odd=odd), [rng.standard_normal(half)], rng=rng)
