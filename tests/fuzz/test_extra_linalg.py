"""The Theano layer's extra_ops and linear algebra against NumPy, gradients by finite differences.

Through ``theano.tensor.extra_ops`` (cumsum, cumprod, diff, repeat -- ``repeats=0`` included --
over every axis and None), ``theano.tensor.nlinalg`` (det, matrix_inverse, trace, extract_diag,
matrix_dot) and ``theano.tensor.slinalg`` (solve, cholesky) on random float64 matrices (square,
sometimes singular-looking, positive definite for cholesky). Values must match NumPy to rtol
1e-7, or both raise; the gradient of ``sum(out * w)`` for a fixed random ``w`` must match central
finite differences of the NumPy function to rtol 1e-4. Cholesky reads only one triangle, so its
gradient is compared with that of the symmetrised input, or after symmetrising both.
"""
from __future__ import annotations

import random

import numpy as np

import framework.compat.theano as compat_theano
import framework.tensor as T
from framework import function

from .generators import fd_grad, fuzz_tests

SMOKE = range(0, 40)
SQUARE = ("det", "inv", "solve", "chol", "trace", "extract_diag", "matrix_dot")


def theano_modules():
    compat_theano.install()
    import theano.tensor.extra_ops as extra
    import theano.tensor.nlinalg as nlinalg
    import theano.tensor.slinalg as slinalg
    return extra, nlinalg, slinalg


def make_case(seed: int, x):
    """(kind, input value, symbolic output, NumPy reference) of ``seed``."""
    X, NL, SL = theano_modules()
    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    kind = R.choice(["cumsum", "cumprod", "diff", "repeat", *SQUARE])
    n = R.randint(1, 4)
    if kind in SQUARE:
        a = rng.randn(n, n)
        xv = a @ a.T + n * np.eye(n) if kind == "chol" else a + 0.5 * np.eye(n) * R.choice([0, 3])
    else:
        xv = rng.randn(R.randint(1, 4), R.randint(1, 4))
    axis = R.choice([None, 0, 1, -1])
    if kind == "cumsum":
        return kind, xv, X.cumsum(x, axis=axis), lambda v: np.cumsum(v, axis=axis)
    if kind == "cumprod":
        return kind, xv, X.cumprod(x, axis=axis), lambda v: np.cumprod(v, axis=axis)
    if kind == "diff":
        ax, order = R.choice([0, 1, -1]), R.randint(1, 2)
        return kind, xv, X.diff(x, n=order, axis=ax), lambda v: np.diff(v, n=order, axis=ax)
    if kind == "repeat":
        reps, ax = R.randint(0, 3), R.choice([None, 0, 1])
        return kind, xv, X.repeat(x, reps, axis=ax), lambda v: np.repeat(v, reps, axis=ax)
    if kind == "det":
        return kind, xv, NL.det(x), np.linalg.det
    if kind == "inv":
        return kind, xv, NL.matrix_inverse(x), np.linalg.inv
    if kind == "solve":
        b = rng.randn(n, 2)
        return kind, xv, SL.solve(x, T.constant(b)), lambda v: np.linalg.solve(v, b)
    if kind == "chol":
        return kind, xv, SL.cholesky(x), np.linalg.cholesky
    if kind == "trace":
        return kind, xv, NL.trace(x), np.trace
    if kind == "extract_diag":
        return kind, xv, NL.extract_diag(x), lambda v: np.diag(v).copy()
    return kind, xv, NL.matrix_dot(x, x.T, x), lambda v: v @ v.T @ v


def extra_matches(seed: int) -> str | None:
    x = T.dmatrix("x")
    kind, xv, sym, ref = make_case(seed, x)
    where = f"{kind} x{xv.shape}"
    try:
        want = ref(xv)
    except Exception as e:
        want = e
    weights = np.random.RandomState(1).randn(*np.shape(want)) if not isinstance(want, Exception) else 1.0
    try:
        got, grad = function([x], [sym, T.grad((sym * weights).sum(), x)], mode="FAST_RUN")(xv)
    except Exception as e:
        got = e
    if isinstance(want, Exception) or isinstance(got, Exception):
        if isinstance(want, Exception) == isinstance(got, Exception):
            return None
        return f"{where}: NumPy {want!r:.200}, framework {got!r:.200}"
    if np.shape(got) != np.shape(want) or not np.allclose(got, want, rtol=1e-7, atol=1e-9):
        return f"{where}: {np.ravel(got)[:6]} {np.shape(got)}, NumPy {np.ravel(want)[:6]} {np.shape(want)}"
    if kind == "chol":
        num = fd_grad(lambda v: (np.linalg.cholesky((v + v.T) / 2) * weights).sum(), xv)
        ok = (np.allclose(grad, num, rtol=1e-4, atol=1e-5)
              or np.allclose((grad + grad.T) / 2, (num + num.T) / 2, rtol=1e-4, atol=1e-5))
    else:
        num = fd_grad(lambda v: (ref(v) * weights).sum(), xv)
        ok = np.allclose(grad, num, rtol=1e-4, atol=1e-5)
    return None if ok else f"{where}: gradient off by up to {np.max(np.abs(grad - num)):.3g}"


test_extra_linalg_smoke, test_extra_linalg = fuzz_tests(extra_matches, SMOKE, slow_count=3000)
