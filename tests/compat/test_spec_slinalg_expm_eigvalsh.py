"""Theano 1.0's ``theano.tensor.slinalg.expm`` and ``eigvalsh``: SciPy's values, and gradients
checked by finite differences (``verify_grad``), in both modes."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

MODES = ["FAST_RUN", "FAST_COMPILE"]


def _spd(rng, n):
    m = rng.randn(n, n)
    return m @ m.T + n * np.eye(n)


@pytest.mark.parametrize("mode", MODES)
def test_expm_values_dtype_and_gradient(mode):
    import theano
    import theano.tensor as T
    from theano.gradient import verify_grad
    from theano.tensor import slinalg

    rng = np.random.RandomState(3)
    A = T.dmatrix("A")
    a = rng.randn(4, 4)
    np.testing.assert_allclose(theano.function([A], slinalg.expm(A), mode=mode)(a), scipy.linalg.expm(a), rtol=1e-12)
    verify_grad(slinalg.expm, [a], rng=rng, mode=mode)
    repeated = np.array([[1.0, 1.0], [0.0, 1.0]])  # a defective matrix: one repeated eigenvalue
    verify_grad(slinalg.expm, [repeated], rng=rng, mode=mode)
    F = T.fmatrix("F")
    out = theano.function([F], slinalg.expm(F), mode=mode)(a.astype("float32"))
    assert out.dtype == np.float32 and slinalg.expm(F).dtype == "float32"
    assert slinalg.expm(A).shape.eval({A: a}).tolist() == [4, 4]
    with pytest.raises(TypeError, match="square matrix"):
        slinalg.expm(T.dvector("v"))
    with pytest.raises(ValueError, match="square matrix"):
        theano.function([A], slinalg.expm(A), mode=mode)(rng.randn(2, 3))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lower", [True, False])
def test_eigvalsh_values_and_gradients(mode, lower):
    import theano
    import theano.tensor as T
    from theano.gradient import verify_grad
    from theano.tensor import slinalg

    rng = np.random.RandomState(4)
    A, B = T.dmatrices("A", "B")
    a, b = _spd(rng, 4), _spd(rng, 4)
    f = theano.function([A, B], [slinalg.eigvalsh(A, B, lower), slinalg.eigvalsh(A, lower=lower)], mode=mode)
    w_ab, w_a = f(a, b)
    np.testing.assert_allclose(w_ab, scipy.linalg.eigvalsh(a, b, lower=lower), rtol=1e-10)
    np.testing.assert_allclose(w_a, scipy.linalg.eigvalsh(a, lower=lower), rtol=1e-10)
    verify_grad(lambda m: slinalg.eigvalsh(m + m.T, lower=lower), [a], rng=rng, mode=mode)
    verify_grad(lambda m, n: slinalg.eigvalsh(m + m.T, n + n.T, lower), [a, b], rng=rng, mode=mode)
    # only one triangle is read: an unsymmetric matrix is differentiated on that triangle alone
    skew = a + np.triu(rng.randn(4, 4), 1) if lower else a + np.tril(rng.randn(4, 4), -1)
    verify_grad(lambda m: slinalg.eigvalsh(m, lower=lower), [skew], rng=rng, mode=mode)
    g = theano.function([A], theano.grad(slinalg.eigvalsh(A, lower=lower).sum(), A), mode=mode)(skew)
    untouched = np.triu(g, 1) if lower else np.tril(g, -1)
    np.testing.assert_array_equal(untouched, 0.0)
