"""A careful hand-written NumPy RBM training step: the reference the RBM benchmarks compare against.

It computes exactly what the tutorial's compiled ``train_rbm`` computes for
one minibatch -- CD-k or PCD-k with binary units, the gradient of
``mean(F(x)) - mean(F(chain_end))``, the parameter updates, the new
persistent chain, and the monitoring cost (the pseudo-likelihood with its
cycling bit index for PCD, the reconstruction cross-entropy for CD), all
from the parameters *before* the update, as the compiled function does.

It is written as the fastest NumPy we know how to write, so that beating it
means something:

* every buffer is allocated once; every ufunc writes in place (``out=``), in
  the data's dtype (float32: no float64 temporaries);
* Bernoulli samples are ``Generator.random(dtype=float32, out=u)`` then
  ``numpy.less(u, p, out=u)``: the 0/1 sample lands, as float32, in the
  uniforms' own buffer (no separate cast pass). The Generator is
  ``numpy.random.default_rng`` (PCG64), the fastest NumPy has;
* for k >= 3 Gibbs steps ``W`` is also kept transposed and C-contiguous
  (``WT``, refreshed once per step): OpenBLAS's sgemm with a transposed
  operand is markedly slower at these shapes than with a contiguous one, and
  the downward pass ``h @ W.T`` runs k times a step; for fewer steps (CD-1,
  where the copy would cost more than it saves) the downward pass is
  computed as ``(W @ h.T).T`` and laid out in C order: OpenBLAS runs that
  form about 1.5x faster than ``h @ W.T`` at 20 rows in float32 (the
  framework's NumPy backend makes the same choice, ``gemm_layout.py``);
* the gradient's two outer products are one GEMM: ``[x; nv].T @ [c*ph;
  -c*nh]`` (c = lr / batch) writes the whole update of ``W``;
* NumPy's overflow warning (``exp`` of a large ``-a`` in the sigmoid, whose
  exact result 0 follows) is silenced once per step, not once per sigmoid
  (``numpy.errstate`` costs about a microsecond to enter and leave);
* CD-k draws no sample it does not use: the last Gibbs step's hidden sample
  only continues a persistent chain, so without one it is not drawn;
* the hidden means of the data and of the chain's end are reused for the
  gradient; the reconstruction cost uses ``x*a - softplus(a)`` (the same
  value as the tutorial's ``x*log(sigmoid(a)) + (1-x)*log(1-sigmoid(a))``).

What it does *not* do is algebra a person would not write: the
pseudo-likelihood monitor recomputes ``xi_flip @ W`` with a full GEMM, as the
tutorial says (that is the compiler's rank-1 rewrite to find, issue 16).
"""
from __future__ import annotations

from typing import Optional

import numpy as np


def sigmoid_(src: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out = 1 / (1 + exp(-src))`` in four in-place passes (overflow of exp gives the exact 0: the
    caller silences the overflow warning, once per step -- see :meth:`NumpyRBM.step`)."""
    np.negative(src, out=out)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def softplus_(x: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """``x = max(x, 0) + log1p(exp(-|x|))`` in place (never overflows); ``tmp`` is scratch of x's shape."""
    np.abs(x, out=tmp)
    np.negative(tmp, out=tmp)
    np.exp(tmp, out=tmp)
    np.log1p(tmp, out=tmp)
    np.maximum(x, 0, out=x)
    x += tmp
    return x


class NumpyRBM:
    """Binary RBM state (``W``, ``hbias``, ``vbias``, persistent chain) and its training step."""

    def __init__(self, n_visible: int = 784, n_hidden: int = 500, batch_size: int = 20, dtype: str = "float32",
                 persistent: bool = True, seed: int = 123, generator: str = "pcg64", contract: bool = False) -> None:
        """``contract``: do what the compiled step must and the careful step does not (see
        :class:`ContractRBM`)."""
        self.contract = contract
        init = np.random.RandomState(seed)
        bound = 4 * np.sqrt(6.0 / (n_hidden + n_visible))
        self.dtype = dt = np.dtype(dtype)
        self.W = init.uniform(-bound, bound, size=(n_visible, n_hidden)).astype(dt)
        self.WT = np.ascontiguousarray(self.W.T)
        self.wt_stale = False
        self.hbias = np.zeros(n_hidden, dtype=dt)
        self.vbias = np.zeros(n_visible, dtype=dt)
        # PCG64 (default_rng) is NumPy's fastest generator and the native RandomStreams'; "mt19937"
        # gives the reference the generator of the Theano layer's RandomStreams
        bits = np.random.MT19937(seed) if generator == "mt19937" else np.random.PCG64(seed)
        self.gen = np.random.Generator(bits)
        self.persistent = persistent
        self.bit_i_idx = 0
        B, V, H = batch_size, n_visible, n_hidden
        self.shape = (B, V, H)
        e = lambda *s: np.empty(s, dtype=dt)  # noqa: E731
        self.chain = np.zeros((B, H), dtype=dt)  # the persistent chain (PCD) or scratch (CD)
        self.h_next = e(B, H)
        # stacked operands of the gradient's single GEMM: [x; nv] and [c*ph; -c*nh]
        self.vis2 = e(2 * B, V)
        self.hid2 = e(2 * B, H)
        self.pre_nv, self.nv_mean = e(B, V), e(B, V)
        self.tmp_bh, self.tmp_bh2, self.tmp_bv = e(B, H), e(B, H), e(B, V)
        self.xi = e(B, V)
        self.gW = e(V, H) if not contract else None  # the contract's gradient goes into W_other
        self.W_other = e(V, H) if contract else None
        self.gh, self.gv = e(H), e(V)

    def _bernoulli_(self, p: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out = (uniform < p)`` as the dtype's 0/1, drawn into ``out`` itself."""
        if self.contract and np.isnan(np.vdot(p, p)):  # p in [0, 1] or NaN: NaN iff one entry is
            raise ValueError("p contains NaNs")
        self.gen.random(dtype=self.dtype, out=out)
        return np.less(out, p, out=out)

    def _free_energy(self, v: np.ndarray) -> np.ndarray:
        """``-(v . vbias) - sum_j softplus(v @ W + hbias)_j``, one value per row."""
        t = self.tmp_bh
        np.matmul(v, self.W, out=t)
        t += self.hbias
        softplus_(t, self.tmp_bh2)
        fe = t.sum(axis=1)
        fe += v @ self.vbias
        return np.negative(fe, out=fe)

    def step(self, x: np.ndarray, lr: float = 0.1, k: int = 15) -> float:
        """One CD-k / PCD-k update on minibatch ``x``; returns the monitoring cost."""
        with np.errstate(over="ignore"):  # the sigmoids' exp(-a) overflowing to inf gives the exact 0
            return self._step(x, lr, k)

    def _step(self, x: np.ndarray, lr: float, k: int) -> float:
        B, V, H = self.shape
        if self.contract:  # what a failed step restores: one stream per draw of the graph (2 PCD, 3 CD)
            saved = [self.gen.bit_generator.state for _ in range(2 if self.persistent else 3)]  # noqa: F841
        W, WT = self.W, self.WT
        if k >= 3 and self.wt_stale:
            np.copyto(WT, W.T)
            self.wt_stale = False
        x_top, nv = self.vis2[:B], self.vis2[B:]
        ph, nh = self.hid2[:B], self.hid2[B:]
        pre_nv, nv_mean = self.pre_nv, self.nv_mean
        np.copyto(x_top, x)
        # positive phase: hidden means of the data
        np.matmul(x, W, out=ph)
        ph += self.hbias
        sigmoid_(ph, ph)
        h = self.chain
        if not self.persistent:
            h = self._bernoulli_(ph, h)
        h_next = self.h_next
        # a contiguous W.T pays for its copy only over several Gibbs steps
        for step in range(k):
            if k >= 3:
                np.matmul(h, WT, out=pre_nv)
            else:  # h @ W.T, as OpenBLAS runs it fastest in float32 (docstring)
                np.copyto(pre_nv, np.matmul(W, h.T).T)
            pre_nv += self.vbias
            sigmoid_(pre_nv, nv_mean)
            self._bernoulli_(nv_mean, nv)
            np.matmul(nv, W, out=nh)
            nh += self.hbias
            sigmoid_(nh, nh)
            if self.persistent or step + 1 < k:  # CD: the last hidden sample would go unused
                self._bernoulli_(nh, h_next)
                h, h_next = h_next, h
            elif self.contract:  # the stream moves on as the draw would have moved it
                if np.isnan(np.vdot(nh, nh)):
                    raise ValueError("p contains NaNs")
                self.gen.bit_generator.advance(nh.size // 2)  # float32 uniforms: two per 64-bit word
        self.chain, self.h_next = h, h_next

        # monitoring cost, from the parameters before the update
        if self.persistent:
            xi = np.round(x, out=self.xi)
            fe_xi = self._free_energy(xi)
            i = self.bit_i_idx
            np.subtract(1, xi[:, i], out=xi[:, i])  # xi is now xi_flip
            fe_flip = self._free_energy(xi)
            d = fe_xi - fe_flip
            cost = float(np.mean(V * -(np.maximum(d, 0) + np.log1p(np.exp(-np.abs(d))))))
            self.bit_i_idx = (i + 1) % V
        else:
            # x*log(sigmoid(a)) + (1-x)*log(1-sigmoid(a)) == x*a - softplus(a)
            a = pre_nv
            t = np.multiply(x, a, out=self.tmp_bv)
            softplus_(a, nv_mean)
            t -= a
            cost = float(np.mean(t.sum(axis=1)))

        if self.contract:
            self._contract_updates(x, ph, nh, nv, lr)
            return cost
        # updates: W += c * (x.T @ ph - nv.T @ nh), c = lr / batch, as one GEMM
        c = self.dtype.type(lr / B)
        np.sum(ph, axis=0, out=self.gh)
        self.gh -= nh.sum(axis=0)
        self.gh *= c
        self.hbias += self.gh
        np.sum(x, axis=0, out=self.gv)
        self.gv -= nv.sum(axis=0)
        self.gv *= c
        self.vbias += self.gv
        ph *= c
        nh *= -c
        np.matmul(self.vis2.T, self.hid2, out=self.gW)
        W += self.gW
        self.wt_stale = True
        return cost

    def _contract_updates(self, x: np.ndarray, ph: np.ndarray, nh: np.ndarray, nv: np.ndarray, lr: float) -> None:
        """The updates as the tutorial writes them, ``p - lr * grad(cost, p)``, each rounding kept:
        the gradient ``(nv.T @ nh - x.T @ ph) / batch`` as one GEMM of stacked operands (the
        ``1 / batch`` in the small operands), checked by the overflow guard's two norms, then
        multiplied by ``lr`` (NumPy has no GEMM with a scale factor: a pass over ``W``'s size)
        and subtracted into the other of two buffers (the old ``W`` is never overwritten)."""
        B = self.shape[0]
        inv = self.dtype.type(1.0 / B)
        lr_ = self.dtype.type(lr)
        ph *= -inv  # the stacked right operand [-ph; nh] / batch: vis2.T @ hid2 is the gradient
        nh *= inv
        gh, gv = self.gh, self.gv
        np.sum(ph, axis=0, out=gh)  # (sum nh - sum ph) / batch
        gh += nh.sum(axis=0)
        gh *= lr_
        self.hbias -= gh
        np.sum(nv, axis=0, out=gv)  # (sum nv - sum x) / batch
        gv -= x.sum(axis=0)
        gv *= inv
        gv *= lr_
        self.vbias -= gv
        if not (np.sqrt(np.vdot(self.vis2, self.vis2)) * np.sqrt(np.vdot(self.hid2, self.hid2)) < 1e30):
            raise FloatingPointError("the stacked product could overflow: computed as written instead")
        # the gradient into the buffer the new W will occupy, then W - lr G into that same buffer:
        # two weight-sized buffers, as the careful step's W and gW (a third would cost ~3 % of CD-1
        # in cache misses, measured)
        new = np.matmul(self.vis2.T, self.hid2, out=self.W_other)
        new *= lr_
        np.subtract(self.W, new, out=new)
        self.W, self.W_other = new, self.W
        self.wt_stale = True


class ContractRBM(NumpyRBM):
    """:class:`NumpyRBM` held to the compiled step's contract (``bench/rbm_step.py --contract``).

    What the framework's step does that the careful step does not: the random streams' states are
    saved before the step (a failed call stores nothing; Theano's ``RandomStreams`` keep one
    stream per draw of the graph: three in CD-1, two in PCD-k); every Bernoulli draw checks
    ``p`` (NaN: one BLAS dot, as the framework's draw does for a ``p`` bounded in [0, 1]), and
    CD's unused last hidden sample still moves its stream on (``advance``, not drawn); the
    stacked gradient GEMM is guarded by the two norms that prove no order of summation
    overflows; the update is rounded as written (``W - lr * G``: NumPy cannot fold ``lr`` into
    the GEMM, so it is one more pass over ``W``'s size -- the framework's NumPy backend does fold
    it, bit for bit, see ``plugins/backend_numpy/scaled_gemm.py``); and ``W``'s old value is kept
    (the new one goes into a second buffer). Everything else is :class:`NumpyRBM`'s."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["contract"] = True
        super().__init__(*args, **kwargs)


def plain_step_reference(n_visible: int, n_hidden: int, batch_size: int, persistent: bool):
    """The same step written naively (new arrays, RandomState draws): checks :class:`NumpyRBM`'s algebra."""
    return NaiveRBM(n_visible, n_hidden, batch_size, persistent)


class NaiveRBM:
    """The straightforward NumPy transcription of the tutorial's step (what bench/ compared with before)."""

    def __init__(self, n_visible: int, n_hidden: int, batch_size: int, persistent: bool, seed: int = 123) -> None:
        init = np.random.RandomState(seed)
        bound = 4 * np.sqrt(6.0 / (n_hidden + n_visible))
        self.W = init.uniform(-bound, bound, size=(n_visible, n_hidden)).astype("float32")
        self.hbias = np.zeros(n_hidden, dtype="float32")
        self.vbias = np.zeros(n_visible, dtype="float32")
        self.chain: Optional[np.ndarray] = np.zeros((batch_size, n_hidden), "float32") if persistent else None
        self.bit_i_idx = 0

    def step(self, x: np.ndarray, uniforms, lr: float = 0.1, k: int = 15) -> float:
        """``uniforms(shape)`` gives the uniforms the Bernoulli draws compare with."""
        sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
        sp = lambda a: np.logaddexp(0, a)  # noqa: E731
        W, hb, vb = self.W, self.hbias, self.vbias
        ph = sig(x @ W + hb)
        h = self.chain if self.chain is not None else (uniforms(ph.shape) < ph).astype("float32")
        for _ in range(k):
            pre = h @ W.T + vb
            nv = (uniforms(pre.shape) < sig(pre)).astype("float32")
            nh = sig(nv @ W + hb)
            h = (uniforms(nh.shape) < nh).astype("float32")
        fe = lambda v: -(v @ vb) - sp(v @ W + hb).sum(axis=1)  # noqa: E731
        if self.chain is not None:
            xi = np.round(x)
            flip = xi.copy()
            flip[:, self.bit_i_idx] = 1 - flip[:, self.bit_i_idx]
            cost = float(np.mean(W.shape[0] * -sp(fe(xi) - fe(flip))))
            self.bit_i_idx = (self.bit_i_idx + 1) % W.shape[0]
            self.chain = h
        else:
            cost = float(np.mean(np.sum(x * -sp(-pre) + (1 - x) * -sp(pre), axis=1)))
        n = np.float32(len(x))
        self.W = W - np.float32(lr) * (nv.T @ nh - x.T @ ph) / n
        self.hbias = hb - np.float32(lr) * (nh.sum(0) - ph.sum(0)) / n
        self.vbias = vb - np.float32(lr) * (nv.sum(0) - x.sum(0)) / n
        return cost
