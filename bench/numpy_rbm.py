"""A hand-written NumPy RBM training step: the reference the RBM benchmarks compare against.

It computes exactly what the tutorial's compiled ``train_rbm`` computes for
one minibatch -- CD-k or PCD-k with binary units, the gradient of
``mean(F(x)) - mean(F(chain_end))``, the parameter updates, the new
persistent chain, and the monitoring cost (the pseudo-likelihood with its
cycling bit index for PCD, the reconstruction cross-entropy for CD), all
from the parameters *before* the update, as the compiled function does --
written the way a careful NumPy programmer would: Bernoulli samples as
``uniform < p``, the hidden means of the data and of the chain's end reused
for the gradient, everything in the data's dtype.
"""
from __future__ import annotations

from typing import Optional

import numpy as np


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0, x)


class NumpyRBM:
    """Binary RBM state (``W``, ``hbias``, ``vbias``, persistent chain) and its training step."""

    def __init__(self, n_visible: int = 784, n_hidden: int = 500, batch_size: int = 20, dtype: str = "float32",
                 persistent: bool = True, seed: int = 123) -> None:
        self.rng = np.random.RandomState(seed)
        bound = 4 * np.sqrt(6.0 / (n_hidden + n_visible))
        self.W = self.rng.uniform(-bound, bound, size=(n_visible, n_hidden)).astype(dtype)
        self.hbias = np.zeros(n_hidden, dtype=dtype)
        self.vbias = np.zeros(n_visible, dtype=dtype)
        self.chain: Optional[np.ndarray] = np.zeros((batch_size, n_hidden), dtype=dtype) if persistent else None
        self.bit_i_idx = 0
        self.dtype = np.dtype(dtype)

    def _bernoulli(self, p: np.ndarray) -> np.ndarray:
        return (self.rng.uniform(size=p.shape) < p).astype(self.dtype)

    def free_energy(self, v: np.ndarray) -> np.ndarray:
        return -(v @ self.vbias) - _softplus(v @ self.W + self.hbias).sum(axis=1)

    def step(self, x: np.ndarray, lr: float = 0.1, k: int = 15) -> float:
        """One CD-k / PCD-k update on minibatch ``x``; returns the monitoring cost."""
        W, hbias, vbias = self.W, self.hbias, self.vbias
        ph_mean = _sigmoid(x @ W + hbias)
        h = self.chain if self.chain is not None else self._bernoulli(ph_mean)
        for _ in range(k):
            pre_nv = h @ W.T + vbias
            nv = self._bernoulli(_sigmoid(pre_nv))
            nh_mean = _sigmoid(nv @ W + hbias)
            h = self._bernoulli(nh_mean)
        batch = self.dtype.type(len(x))
        lr = self.dtype.type(lr)
        # d/dtheta [mean F(x) - mean F(nv)] with the chain's end held constant
        grad_W = (nv.T @ nh_mean - x.T @ ph_mean) / batch
        grad_hbias = (nh_mean.sum(axis=0) - ph_mean.sum(axis=0)) / batch
        grad_vbias = (nv.sum(axis=0) - x.sum(axis=0)) / batch

        if self.chain is not None:
            # pseudo-likelihood of bit `bit_i_idx`, from the parameters before the update
            xi = np.round(x)
            fe_xi = self.free_energy(xi)
            xi_flip = xi.copy()
            xi_flip[:, self.bit_i_idx] = 1 - xi_flip[:, self.bit_i_idx]
            fe_flip = self.free_energy(xi_flip)
            cost = float(np.mean(W.shape[0] * -_softplus(fe_xi - fe_flip)))
            self.bit_i_idx = (self.bit_i_idx + 1) % W.shape[0]
            self.chain = h
        else:
            cost = float(np.mean(np.sum(x * -_softplus(-pre_nv) + (1 - x) * -_softplus(pre_nv), axis=1)))

        self.W = W - lr * grad_W
        self.hbias = hbias - lr * grad_hbias
        self.vbias = vbias - lr * grad_vbias
        return cost
