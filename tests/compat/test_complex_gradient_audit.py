"""No silent wrong gradient through complex values: every function a Theano program may apply to a
complex tensor either has a gradient that matches finite differences (Theano's convention
``dC/dx + i dC/dy`` for ``z = x + iy``), or refuses -- a ``GradientError`` when ``grad`` reaches
a rule written for real values only, a ``TypeError`` when the function itself is not defined for
complex values. Written after an audit found wrong ones (``eigh``, ``eigvalsh``, ``expm``,
``pool_2d``: gradients of real rules, or a dropped imaginary part, answered without a word)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest


def _cases(theano, T):
    from theano.tensor import nlinalg, slinalg
    from theano.tensor.signal import pool

    def herm(z):  # a Hermitian positive definite matrix from a 2 x 3 complex one
        return T.dot(T.conj(z).T, z) + 0.1 * T.eye(3)

    # (function of the complex 2 x 3 matrix z, expected outcome): "fd" = matches finite
    # differences, "refuse" = GradientError, "null" = no gradient (NullTypeGradError), "type" =
    # TypeError when built
    return {
        "max": (lambda z: T.max(z, axis=0), "fd"),
        "cumsum": (lambda z: T.cumsum(z, axis=0), "fd"),
        "diff": (lambda z: T.extra_ops.diff(z, axis=1), "fd"),
        "repeat": (lambda z: T.repeat(z, 2, axis=0), "fd"),
        "tile": (lambda z: T.tile(z, (2, 1)), "fd"),
        "reshape, transpose": (lambda z: z.reshape((3, 2)).T, "fd"),
        "indexing": (lambda z: z[1:, ::2] + z[[0, 1, 1]].sum(), "fd"),
        "inc_subtensor": (lambda z: T.inc_subtensor(z[0], z[1] * 2), "fd"),
        "set_subtensor": (lambda z: T.set_subtensor(z[0], z[1] * 2), "fd"),
        "concatenate, stack": (lambda z: T.concatenate([z, T.stack([z[0], z[1]])], axis=0), "fd"),
        "roll": (lambda z: T.roll(z, 1, axis=1), "fd"),
        "outer": (lambda z: T.outer(z[0], z[1]), "fd"),
        "mean": (lambda z: T.mean(z, axis=0), "fd"),
        "var": (lambda z: T.var(z, axis=0), "fd"),
        "std": (lambda z: T.std(z, axis=1), "fd"),
        "switch": (lambda z: T.switch(T.real(z) > 0, z, z * 2), "fd"),
        "tril": (lambda z: T.tril(z), "fd"),
        "pow": (lambda z: z ** 3 + z ** z[0, 0], "fd"),
        "tensordot": (lambda z: T.tensordot(z, z.T, axes=1), "fd"),
        "diagonal, trace": (lambda z: T.diagonal(z) + nlinalg.trace(z[:, :2]), "fd"),
        "kron": (lambda z: slinalg.kron(z, z), "fd"),
        "matrix_dot": (lambda z: nlinalg.matrix_dot(z, z.T, z), "fd"),
        "alloc, fill": (lambda z: T.alloc(z[0, 0], 2, 2) + T.fill(z[:, :2], z[0, 1]).T, "fd"),
        "zeros_like": (lambda z: T.zeros_like(z) + z, "fd"),
        "sigmoid, tanh": (lambda z: T.nnet.sigmoid(z) + T.tanh(z), "fd"),
        "sin, cos, tan": (lambda z: T.sin(z) * T.cos(z) + T.tan(z / 3), "fd"),
        "sinh, cosh": (lambda z: T.sinh(z) + T.cosh(z), "fd"),
        "exp2, expm1, log1p": (lambda z: T.exp2(z) + T.expm1(z) + T.log1p(z), "fd"),
        "log2, log10": (lambda z: T.log2(z) + T.log10(z), "fd"),
        "arctan, arcsin, arccos": (lambda z: T.arctan(z) + T.arcsin(z / 3) + T.arccos(z / 3), "fd"),
        "arcsinh, arctanh": (lambda z: T.arcsinh(z) + T.arctanh(z / 3), "fd"),
        "reciprocal": (lambda z: 1 / z + T.inv(z), "fd"),
        "erf, erfc, gamma": (lambda z: T.erf(z) + T.erfc(z / 2) + T.gamma(z + 2), "fd"),
        "psi": (lambda z: T.psi(z + 2), "null"),  # no gradient, as in Theano (for real values too)
        "batched_dot": (lambda z: T.batched_dot(T.stack([z, z]), T.stack([z.T, z.T])), "fd"),
        "max_and_argmax": (lambda z: T.max_and_argmax(z, axis=0)[0], "fd"),
        "ifelse": (lambda z: theano.ifelse.ifelse(T.real(z[0, 0]) > 0, z, 2 * z), "fd"),
        "scan": (lambda z: theano.scan(lambda r, acc: acc * r, sequences=[z],
                                       outputs_info=[T.ones_like(z[0])])[0][-1], "fd"),
        "eigh": (lambda z: nlinalg.eigh(herm(z))[0] + T.abs_(nlinalg.eigh(herm(z))[1][:, 0]), "fd"),
        "eigvalsh": (lambda z: slinalg.eigvalsh(herm(z), None), "fd"),
        "expm": (lambda z: slinalg.expm(z[:, :2]), "fd"),
        "pool_2d sum": (lambda z: pool.pool_2d(z.reshape((1, 1, 2, 3)), (2, 2), ignore_border=True, mode="sum"),
                        "fd"),
        "pool_2d max": (lambda z: pool.pool_2d(z.reshape((1, 1, 2, 3)), (2, 2), ignore_border=True), "refuse"),
        "maximum": (lambda z: T.maximum(z, z * 2), "refuse"),
        "clip": (lambda z: T.clip(z, -1, 1), "refuse"),
        "sgn": (lambda z: T.sgn(z), "refuse"),  # z / |z|: not piecewise constant for complex values
        "prod": (lambda z: T.prod(z, axis=0), "refuse"),
        "det": (lambda z: nlinalg.det(z[:, :2]), "refuse"),
        "cholesky": (lambda z: slinalg.cholesky(herm(z)), "refuse"),
        "solve": (lambda z: slinalg.solve(z[:, :2], z[:, 2]), "refuse"),
        "softplus": (lambda z: T.nnet.softplus(z), "type"),
        "sort": (lambda z: T.sort(z, axis=1), "type"),
        "conv2d": (lambda z: T.nnet.conv2d(z.reshape((1, 1, 2, 3)), z[:, :2].reshape((1, 1, 2, 2))), "type"),
    }


def _names():
    import framework.compat.theano as compat

    compat.install()
    import theano
    import theano.tensor as T

    return sorted(_cases(theano, T))


@pytest.mark.parametrize("name", _names())
def test_complex_gradient_is_right_or_refused(name):
    import theano
    import theano.ifelse  # noqa: F401
    import theano.tensor as T
    import theano.tensor.signal.pool  # noqa: F401

    build, expected = _cases(theano, T)[name]

    def cost(a, b):
        out = build(T.complex(a, b))
        # both parts of the result count: a wrong conjugation shows in one of them
        return T.real(out * T.conj(out)).sum() + T.imag(out).sum()

    rng = np.random.RandomState(7)
    a0, b0 = rng.randn(2, 3) * 0.5 + 0.3, rng.randn(2, 3) * 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)  # no imaginary part dropped
        if expected == "fd":
            theano.gradient.verify_grad(cost, [a0, b0], rng=rng)
        elif expected in ("refuse", "null"):
            a = T.dmatrix("a")
            c = cost(a, T.dmatrix("b"))
            error, match = ((theano.gradient.GradientError, "complex") if expected == "refuse"
                            else (theano.gradient.NullTypeGradError, "null"))
            with pytest.raises(error, match=match):
                T.grad(c, a)
        else:
            with pytest.raises(TypeError):
                cost(T.dmatrix("a"), T.dmatrix("b"))
