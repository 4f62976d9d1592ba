"""Stabilised expressions in FAST_RUN: finite and accurate at large inputs, values and gradients.

Written naively, ``log(sigmoid(x))``, ``log(1 - sigmoid(x))``, ``log(1 + exp(x))``,
``log1p(exp(x))``, binary cross-entropy, ``log(softmax(x))``, ``-log(softmax(x)[rows, 0])``,
``log(sum(exp(x)))`` and ``log(exp(a) + exp(b))`` overflow or lose everything once |x| passes a
few hundred; FAST_RUN's rewrites must turn them into stable forms. For float64 3x4 inputs at
scales 1 to 1e4 the values must be finite and match SciPy's exact functions (``log_expit``,
``logsumexp``, ``log_softmax``, ...) to rtol 1e-9, and the gradients of their sum must be finite
and match the closed forms written with ``expit``/``softmax`` to rtol 1e-7.
"""
from __future__ import annotations

import random

import numpy as np
from scipy.special import expit, log_expit, log_softmax, logsumexp, softmax

import framework.tensor as T
from framework import function

from .generators import fuzz_tests

SMOKE = range(0, 40)


def _first_column(x):
    return np.eye(x.shape[1])[0]


#: name: (symbolic expression, exact value, exact gradient of the value's sum)
CASES = {
    "log_sigmoid": (lambda x: T.log(T.nnet.sigmoid(x)), log_expit, lambda x: expit(-x)),
    "log_1m_sigmoid": (lambda x: T.log(1 - T.nnet.sigmoid(x)), lambda x: log_expit(-x), lambda x: -expit(x)),
    "softplus_naive": (lambda x: T.log(1 + T.exp(x)), lambda x: np.logaddexp(0, x), expit),
    "log1p_exp": (lambda x: T.log1p(T.exp(x)), lambda x: np.logaddexp(0, x), expit),
    "bce": (lambda x: -(0.3 * T.log(T.nnet.sigmoid(x)) + 0.7 * T.log(1 - T.nnet.sigmoid(x))),
            lambda x: -(0.3 * log_expit(x) + 0.7 * log_expit(-x)),
            lambda x: -(0.3 * expit(-x) - 0.7 * expit(x))),
    "log_softmax": (lambda x: T.log(T.nnet.softmax(x))[:, 0], lambda x: log_softmax(x, axis=1)[:, 0],
                    lambda x: _first_column(x) - softmax(x, axis=1)),
    "logaddexp_naive": (lambda x: T.log(T.exp(x) + T.exp(x * 0.5 - 3)), lambda x: np.logaddexp(x, x * 0.5 - 3),
                        lambda x: expit(x - (x * 0.5 - 3)) + 0.5 * expit((x * 0.5 - 3) - x)),
    "softmax_xent_idx": (lambda x: -T.log(T.nnet.softmax(x)[T.arange(x.shape[0]), 0]),
                         lambda x: -log_softmax(x, axis=1)[:, 0],
                         lambda x: softmax(x, axis=1) - _first_column(x)),
    "lse_naive": (lambda x: T.log(T.exp(x).sum(axis=1)), lambda x: logsumexp(x, axis=1),
                  lambda x: softmax(x, axis=1)),
}


def stable(seed: int) -> str | None:
    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    name = R.choice(sorted(CASES))
    sym, value, gradient = CASES[name]
    scale = R.choice([1, 30, 300, 800, 1e4])
    xv = rng.randn(3, 4) * scale
    x = T.dmatrix("x")
    out = sym(x)
    got, grad = function([x], [out, T.grad(out.sum(), x)], mode="FAST_RUN")(xv)
    want, grad_want = value(xv), gradient(xv)
    where = f"{name} at scale {scale}"
    if not (np.all(np.isfinite(got)) and np.allclose(got, want, rtol=1e-9, atol=1e-12)):
        worst = np.argmax(np.abs(np.nan_to_num(got - want, nan=np.inf)))
        return f"{where}: value {got.ravel()[worst]}, exact {want.ravel()[worst]}"
    if not (np.all(np.isfinite(grad)) and np.allclose(grad, grad_want, rtol=1e-7, atol=1e-12)):
        return f"{where}: gradient off by up to {np.nanmax(np.abs(grad - grad_want)):.3g}, finite {np.all(np.isfinite(grad))}"
    return None


test_stable_smoke, test_stable = fuzz_tests(stable, SMOKE, slow_count=3000)
