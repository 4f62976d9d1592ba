"""Restricted Boltzmann machines, as in the deeplearning.net tutorial (rbm.py).

:class:`RBM` has binary visible and hidden units; :class:`GaussianBernoulliRBM`
has real-valued (unit-variance Gaussian) visible units for real data. Both are
built from the framework's symbolic API exactly as the tutorial builds its
model: ``propup``/``propdown`` give the pre-sigmoid activations and the
means, the ``sample_*`` methods draw from a :class:`RandomStreams`, one
Gibbs step is ``gibbs_hvh`` (from the hidden units) or ``gibbs_vhv`` (from
the visible units), and ``get_cost_updates`` builds CD-k or PCD-k training
with ``scan`` over ``gibbs_hvh`` and ``grad(..., consider_constant=[chain_end])``.

Numbers (log-likelihoods, samples) come from :mod:`framework_rbm.likelihood`
and :mod:`framework_rbm.sampling`.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, List, Optional

import numpy as np

import framework
import framework.tensor as T
from framework import config

__all__ = ["RBM", "GaussianBernoulliRBM"]


def _random_streams(seed: int) -> Any:
    # Imported here, not at module level, so that the plugin loads (and the
    # datasets and the linear family keep working) even in a build without
    # random streams.
    from framework.random import RandomStreams

    return RandomStreams(seed)


class RBM:
    """Restricted Boltzmann machine with binary visible and hidden units.

    ``RBM(input=None, n_visible=784, n_hidden=500, W=None, hbias=None,
    vbias=None, numpy_rng=None, srng=None)``, as in the tutorial:

    * ``input``: the symbolic minibatch (a ``T.matrix``, created if None);
    * ``W`` (n_visible x n_hidden), ``hbias``, ``vbias``: shared variables, or
      None to create them (``W`` uniform in ``+-4 * sqrt(6 / (n_hidden +
      n_visible))``, biases 0), all of dtype ``config.floatX``;
    * ``numpy_rng``: the ``numpy.random.RandomState`` used to initialise
      ``W`` (default ``RandomState(1234)``);
    * ``srng``: the :class:`RandomStreams` the sampling methods draw from
      (default: seeded from ``numpy_rng``). ``theano_rng=`` is accepted as the
      tutorial's name for it.

    Energy: ``E(v, h) = -vbias.v - hbias.h - v.W.h``.
    """

    #: What the visible units are; the likelihood code dispatches on it.
    visible_type = "binary"

    def __init__(self, input: Any = None, n_visible: int = 784, n_hidden: int = 500, W: Any = None,
                 hbias: Any = None, vbias: Any = None, numpy_rng: Optional[np.random.RandomState] = None,
                 srng: Any = None, theano_rng: Any = None) -> None:
        if int(n_visible) < 1 or int(n_hidden) < 1:
            raise ValueError(f"{type(self).__name__}: n_visible and n_hidden must be >= 1, got "
                             f"n_visible={n_visible}, n_hidden={n_hidden}")
        if srng is not None and theano_rng is not None and srng is not theano_rng:
            raise ValueError(f"{type(self).__name__}: give srng or theano_rng (the tutorial's name), not both")
        self.n_visible = int(n_visible)
        self.n_hidden = int(n_hidden)
        if numpy_rng is None:
            numpy_rng = np.random.RandomState(1234)
        srng = srng if srng is not None else theano_rng
        if srng is None:
            srng = _random_streams(numpy_rng.randint(2 ** 30))
        dtype = config.floatX
        if W is None:
            bound = 4 * np.sqrt(6.0 / (self.n_hidden + self.n_visible))
            initial_W = np.asarray(numpy_rng.uniform(low=-bound, high=bound,
                                                     size=(self.n_visible, self.n_hidden)), dtype=dtype)
            W = framework.shared(value=initial_W, name="W", borrow=True)
        if hbias is None:
            hbias = framework.shared(value=np.zeros(self.n_hidden, dtype=dtype), name="hbias", borrow=True)
        if vbias is None:
            vbias = framework.shared(value=np.zeros(self.n_visible, dtype=dtype), name="vbias", borrow=True)
        self.input = input if input is not None else T.matrix("input")
        self.W = W
        self.hbias = hbias
        self.vbias = vbias
        self.srng = srng
        self.theano_rng = srng  # the tutorial's attribute name
        self.numpy_rng = numpy_rng
        self.params: List[Any] = [self.W, self.hbias, self.vbias]
        self.bit_i_idx: Optional[Any] = None  # set by get_pseudo_likelihood_cost

    # -- the model -------------------------------------------------------------

    def free_energy(self, v_sample: Any) -> Any:
        """``F(v) = -vbias.v - sum_j softplus(hbias_j + v.W_j)``, one value per row."""
        wx_b = T.dot(v_sample, self.W) + self.hbias
        vbias_term = T.dot(v_sample, self.vbias)
        # The tutorial writes log(1 + exp(wx_b)); softplus is the same function
        # without the overflow of exp for large activations.
        hidden_term = T.sum(T.nnet.softplus(wx_b), axis=1)
        return -hidden_term - vbias_term

    def propup(self, vis: Any) -> List[Any]:
        """``[pre-sigmoid activation, mean]`` of the hidden units given ``vis``."""
        pre_sigmoid_activation = T.dot(vis, self.W) + self.hbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_h_given_v(self, v0_sample: Any) -> List[Any]:
        """``[pre-sigmoid, mean, sample]`` of ``h`` given ``v``."""
        pre_sigmoid_h1, h1_mean = self.propup(v0_sample)
        h1_sample = self.srng.binomial(size=h1_mean.shape, n=1, p=h1_mean, dtype=config.floatX)
        return [pre_sigmoid_h1, h1_mean, h1_sample]

    def propdown(self, hid: Any) -> List[Any]:
        """``[pre-sigmoid activation, mean]`` of the visible units given ``hid``."""
        pre_sigmoid_activation = T.dot(hid, self.W.T) + self.vbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_v_given_h(self, h0_sample: Any) -> List[Any]:
        """``[pre-sigmoid, mean, sample]`` of ``v`` given ``h``."""
        pre_sigmoid_v1, v1_mean = self.propdown(h0_sample)
        v1_sample = self.srng.binomial(size=v1_mean.shape, n=1, p=v1_mean, dtype=config.floatX)
        return [pre_sigmoid_v1, v1_mean, v1_sample]

    def gibbs_hvh(self, h0_sample: Any) -> List[Any]:
        """One Gibbs step from the hidden units: ``h -> v -> h`` (six outputs, as the tutorial)."""
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h0_sample)
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v1_sample)
        return [pre_sigmoid_v1, v1_mean, v1_sample, pre_sigmoid_h1, h1_mean, h1_sample]

    def gibbs_vhv(self, v0_sample: Any) -> List[Any]:
        """One Gibbs step from the visible units: ``v -> h -> v`` (six outputs, as the tutorial)."""
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v0_sample)
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h1_sample)
        return [pre_sigmoid_h1, h1_mean, h1_sample, pre_sigmoid_v1, v1_mean, v1_sample]

    # -- training -------------------------------------------------------------

    def get_cost_updates(self, lr: float = 0.1, persistent: Any = None, k: int = 1) -> tuple:
        """The monitoring cost and the updates of one CD-k or PCD-k step.

        ``persistent`` is None for CD-k (the chain starts at the hidden sample
        of the data) or a shared ``(batch_size, n_hidden)`` matrix holding the
        persistent chain (PCD-k: the chain continues from it and its new state
        is part of the updates). Returns ``(monitoring_cost, updates)``: the
        pseudo-likelihood for PCD, the reconstruction cross-entropy for CD.
        """
        from framework import scan

        if int(k) < 1:
            raise ValueError(f"get_cost_updates: k (Gibbs steps) must be >= 1, got {k}")
        pre_sigmoid_ph, ph_mean, ph_sample = self.sample_h_given_v(self.input)
        chain_start = ph_sample if persistent is None else persistent
        (
            [pre_sigmoid_nvs, nv_means, nv_samples, pre_sigmoid_nhs, nh_means, nh_samples],
            updates,
        ) = scan(self.gibbs_hvh, outputs_info=[None, None, None, None, None, chain_start], n_steps=k,
                 name="gibbs_hvh")
        if not isinstance(updates, dict):
            updates = OrderedDict(updates)
        chain_end = nv_samples[-1]
        cost = T.mean(self.free_energy(self.input)) - T.mean(self.free_energy(chain_end))
        gparams = T.grad(cost, self.params, consider_constant=[chain_end])
        for gparam, param in zip(gparams, self.params):
            updates[param] = param - gparam * T.cast(lr, dtype=config.floatX)
        if persistent is not None:
            updates[persistent] = nh_samples[-1]
            monitoring_cost = self.get_pseudo_likelihood_cost(updates)
        else:
            monitoring_cost = self.get_reconstruction_cost(updates, pre_sigmoid_nvs[-1])
        return monitoring_cost, updates

    def get_pseudo_likelihood_cost(self, updates: dict) -> Any:
        """Stochastic approximation of the pseudo-likelihood (one visible bit per call).

        Flips bit ``bit_i_idx`` of the rounded input, compares free energies,
        and adds the update that moves the index to the next bit.
        """
        bit_i_idx = framework.shared(value=0, name="bit_i_idx")
        self.bit_i_idx = bit_i_idx
        xi = T.round(self.input)
        fe_xi = self.free_energy(xi)
        xi_flip = T.set_subtensor(xi[:, bit_i_idx], 1 - xi[:, bit_i_idx])
        fe_xi_flip = self.free_energy(xi_flip)
        # log(sigmoid(x)) = -softplus(-x): the same value, finite for large |x|
        cost = T.mean(self.n_visible * -T.nnet.softplus(fe_xi - fe_xi_flip))
        updates[bit_i_idx] = (bit_i_idx + 1) % self.n_visible
        return cost

    def get_reconstruction_cost(self, updates: dict, pre_sigmoid_nv: Any) -> Any:
        """Mean cross-entropy between the input and its reconstruction after the chain.

        Written from the pre-sigmoid activation (``log(sigmoid(a)) =
        -softplus(-a)``), which is what Theano's stabilising rewrite made of the
        tutorial's ``log(sigmoid(...))``.
        """
        x = self.input
        return T.mean(T.sum(x * -T.nnet.softplus(-pre_sigmoid_nv) + (1 - x) * -T.nnet.softplus(pre_sigmoid_nv),
                            axis=1))

    # -- numbers ----------------------------------------------------------------

    def parameters(self) -> dict:
        """The current ``W``, ``hbias`` and ``vbias`` as NumPy arrays (host copies)."""
        return {"W": np.asarray(self.W.get_value()), "hbias": np.asarray(self.hbias.get_value()),
                "vbias": np.asarray(self.vbias.get_value())}

    def log_likelihood(self, data: np.ndarray, method: str = "auto", **options: Any) -> Any:
        """Average log-likelihood of ``data`` (rows) under the model.

        ``method='exact'`` enumerates the smaller layer (at most 20 units),
        ``'ais'`` estimates ``log Z`` by annealed importance sampling with an
        error bar, ``'auto'`` picks exact when it can. See
        :func:`framework_rbm.likelihood.log_likelihood`.
        """
        from .likelihood import log_likelihood

        return log_likelihood(self, data, method=method, **options)


class GaussianBernoulliRBM(RBM):
    """RBM with real-valued visible units (Gaussian, unit variance) and binary hidden units.

    Energy ``E(v, h) = |v - vbias|^2 / 2 - hbias.h - v.W.h``, so
    ``p(v | h) = N(vbias + W h, I)`` and ``p(h | v)`` is as in :class:`RBM`.
    Train it on data standardised to zero mean and unit variance per feature,
    with a smaller learning rate than the binary RBM (0.01 is a good start).
    The monitoring cost is a reconstruction's mean squared error (the
    pseudo-likelihood of the binary model has no meaning for real values):
    the chain's for CD, the mean-field reconstruction's for PCD.
    """

    visible_type = "gaussian"

    def free_energy(self, v_sample: Any) -> Any:
        """``F(v) = |v - vbias|^2 / 2 - sum_j softplus(hbias_j + v.W_j)``."""
        wx_b = T.dot(v_sample, self.W) + self.hbias
        visible_term = 0.5 * T.sum((v_sample - self.vbias) ** 2, axis=1)
        return visible_term - T.sum(T.nnet.softplus(wx_b), axis=1)

    def propdown(self, hid: Any) -> List[Any]:
        """``[activation, mean]`` of the visible units: both ``hid.W^T + vbias`` (no sigmoid)."""
        mean = T.dot(hid, self.W.T) + self.vbias
        return [mean, mean]

    def sample_v_given_h(self, h0_sample: Any) -> List[Any]:
        """``[activation, mean, sample]``: the sample is the mean plus unit Gaussian noise."""
        pre_v1, v1_mean = self.propdown(h0_sample)
        v1_sample = v1_mean + self.srng.normal(size=v1_mean.shape, avg=0.0, std=1.0, dtype=config.floatX)
        return [pre_v1, v1_mean, v1_sample]

    def get_cost_updates(self, lr: float = 0.01, persistent: Any = None, k: int = 1) -> tuple:
        """As :meth:`RBM.get_cost_updates`, with a default learning rate suited to real-valued data."""
        return super().get_cost_updates(lr=lr, persistent=persistent, k=k)

    def get_pseudo_likelihood_cost(self, updates: dict) -> Any:
        """The PCD monitor for real-valued visible units.

        The pseudo-likelihood flips binary visible units, which real values
        do not have; PCD training monitors the squared error of the mean-field
        reconstruction ``input -> E[h] -> E[v]`` instead (``updates`` is left
        as it is).
        """
        return self._squared_reconstruction_error()

    def get_reconstruction_cost(self, updates: dict, pre_sigmoid_nv: Any) -> Any:
        """Mean squared error between the input and the mean of ``p(v | h)`` after the chain."""
        return T.mean(T.sum((self.input - pre_sigmoid_nv) ** 2, axis=1))

    def _squared_reconstruction_error(self) -> Any:
        _, h_mean = self.propup(self.input)
        _, v_mean = self.propdown(h_mean)
        return T.mean(T.sum((self.input - v_mean) ** 2, axis=1))
