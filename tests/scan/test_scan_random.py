"""Random streams inside scan, and the RBM tutorial's Gibbs chain (CD-k / PCD-k)
checked number for number against NumPy drawing from the same seeds."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import function, shared
from framework.core.random_ops import RandomVariable
from framework.core.scan import Scan
from framework.scan_module import scan
from framework.tensor.shared_randomstreams import RandomStreams
from framework.testing.streams import assert_same_state


def bernoulli(rng, p, uniform):
    """How the compiled graph draws binomial(n=1, p): ``uniform < p`` on the native streams'
    states, NumPy's (Theano's) binomial on the Theano layer's (``streams.bernoulli_is_uniform``),
    in every mode (docs/random.md)."""
    if uniform:
        return (rng.uniform(0.0, 1.0, np.shape(p)) < p).astype(np.float64)
    return rng.binomial(1, p, np.shape(p)).astype(np.float64)


def scan_node(f):
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    return node


def test_each_step_draws_fresh_numbers_and_the_state_comes_back_in_updates(streams):
    srng = streams(seed=7)
    x = T.dvector("x")
    out, updates = scan(lambda xt: xt + srng.uniform((2,)), sequences=x)
    (rng_var,) = list(updates)
    assert isinstance(rng_var.get_value(borrow=True), np.random.RandomState)
    f = function([x], out, updates=updates)
    (ref,) = streams.reference_states(7, 1)
    xs = np.array([10.0, 20.0, 30.0])
    np.testing.assert_array_equal(f(xs), xs[:, None] + np.array([ref.uniform(size=(2,)) for _ in range(3)]))
    # the next call goes on where the loop stopped
    np.testing.assert_array_equal(f(xs), xs[:, None] + np.array([ref.uniform(size=(2,)) for _ in range(3)]))


def test_without_updates_the_default_update_still_advances_the_stream(streams):
    srng = streams(seed=7)
    out, updates = scan(lambda: srng.normal((2,)), n_steps=2)
    f = function([], out)
    g = function([], out, no_default_updates=True)
    (ref,) = streams.reference_states(7, 1)
    first = ref.normal(size=(2, 2))
    np.testing.assert_array_equal(g(), first)
    np.testing.assert_array_equal(g(), first)
    np.testing.assert_array_equal(f(), first)
    np.testing.assert_array_equal(f(), ref.normal(size=(2, 2)))


def test_replay_with_get_state_and_set_state(streams):
    srng = streams(seed=3)
    n = T.iscalar("n")
    walk, updates = scan(lambda pos: pos + srng.normal(()), outputs_info=T.constant(np.float64(0)), n_steps=n)
    f = function([n], walk, updates=updates)
    (rng_var,) = list(updates)
    saved = rng_var.get_value().get_state()
    a = f(5)
    b = f(5)
    r = rng_var.get_value(borrow=True)
    r.set_state(saved)
    rng_var.set_value(r, borrow=True)
    np.testing.assert_array_equal(f(5), a)
    np.testing.assert_array_equal(f(5), b)
    assert not np.allclose(a, b)
    assert scan_node(f).op.rng_inplace == (True,)  # no copy: only its own update reads the state


def test_loop_draws_are_in_place_and_the_users_state_is_never_touched(streams):
    srng = streams(seed=5)
    out, updates = scan(lambda: srng.uniform((3,)), n_steps=4)
    g = function([], out, no_default_updates=True)
    (rng_var,) = list(updates)
    held = rng_var.get_value(borrow=True)
    before = copy.deepcopy(held)
    g()
    assert_same_state(held, before)
    node = scan_node(g)
    assert node.op.rng_inplace == (False,)
    inner = node.op.compile_inner(g.maker.backend).fgraph
    assert all(n.op.inplace for n in inner.toposort() if isinstance(n.op, RandomVariable))


def test_tutorial_gibbs_sampling_with_shared_variables(streams):
    rs = np.random.RandomState(0)
    W_values, bvis_values, bhid_values = rs.randn(6, 4) * 0.5, rs.randn(6) * 0.1, rs.randn(4) * 0.1
    W = framework.shared(W_values)
    bvis = framework.shared(bvis_values)
    bhid = framework.shared(bhid_values)
    trng = streams(1234)

    def OneStep(vsample):
        hmean = T.nnet.sigmoid(T.dot(vsample, W) + bhid)
        hsample = trng.binomial(size=hmean.shape, n=1, p=hmean)
        vmean = T.nnet.sigmoid(T.dot(hsample, W.T) + bvis)
        return trng.binomial(size=vsample.shape, n=1, p=vmean, dtype=framework.config.floatX)

    sample = T.vector()
    values, updates = scan(OneStep, outputs_info=sample, n_steps=10)
    gibbs10 = function([sample], values[-1], updates=updates)
    rh, rv = streams.reference_states(1234, 2)
    uni = streams.bernoulli_is_uniform
    v = np.zeros(6)
    for _ in range(10):
        h = bernoulli(rh, 1 / (1 + np.exp(-(v @ W_values + bhid_values))), uni)
        v = bernoulli(rv, 1 / (1 + np.exp(-(h @ W_values.T + bvis_values))), uni)
    np.testing.assert_array_equal(gibbs10(np.zeros(6)), v)
    assert len(updates) == 2


# --- the RBM tutorial (deeplearning.net rbm.py), written against this API --------------------

class RBM:
    def __init__(self, input=None, n_visible=784, n_hidden=500, W=None, hbias=None, vbias=None,
                 numpy_rng=None, theano_rng=None, streams=RandomStreams):
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        if numpy_rng is None:
            numpy_rng = np.random.RandomState(1234)
        if theano_rng is None:
            theano_rng = streams(numpy_rng.randint(2 ** 30))
        if W is None:
            initial_W = np.asarray(numpy_rng.uniform(low=-4 * np.sqrt(6. / (n_hidden + n_visible)),
                                                     high=4 * np.sqrt(6. / (n_hidden + n_visible)),
                                                     size=(n_visible, n_hidden)), dtype=framework.config.floatX)
            W = framework.shared(value=initial_W, name='W', borrow=True)
        if hbias is None:
            hbias = framework.shared(value=np.zeros(n_hidden, dtype=framework.config.floatX), name='hbias',
                                     borrow=True)
        if vbias is None:
            vbias = framework.shared(value=np.zeros(n_visible, dtype=framework.config.floatX), name='vbias',
                                     borrow=True)
        self.input = input
        if not input:
            self.input = T.matrix('input')
        self.W = W
        self.hbias = hbias
        self.vbias = vbias
        self.theano_rng = theano_rng
        self.params = [self.W, self.hbias, self.vbias]

    def free_energy(self, v_sample):
        wx_b = T.dot(v_sample, self.W) + self.hbias
        vbias_term = T.dot(v_sample, self.vbias)
        hidden_term = T.sum(T.log(1 + T.exp(wx_b)), axis=1)
        return -hidden_term - vbias_term

    def propup(self, vis):
        pre_sigmoid_activation = T.dot(vis, self.W) + self.hbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_h_given_v(self, v0_sample):
        pre_sigmoid_h1, h1_mean = self.propup(v0_sample)
        h1_sample = self.theano_rng.binomial(size=h1_mean.shape, n=1, p=h1_mean, dtype=framework.config.floatX)
        return [pre_sigmoid_h1, h1_mean, h1_sample]

    def propdown(self, hid):
        pre_sigmoid_activation = T.dot(hid, self.W.T) + self.vbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_v_given_h(self, h0_sample):
        pre_sigmoid_v1, v1_mean = self.propdown(h0_sample)
        v1_sample = self.theano_rng.binomial(size=v1_mean.shape, n=1, p=v1_mean, dtype=framework.config.floatX)
        return [pre_sigmoid_v1, v1_mean, v1_sample]

    def gibbs_hvh(self, h0_sample):
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h0_sample)
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v1_sample)
        return [pre_sigmoid_v1, v1_mean, v1_sample, pre_sigmoid_h1, h1_mean, h1_sample]

    def get_cost_updates(self, lr=0.1, persistent=None, k=1):
        pre_sigmoid_ph, ph_mean, ph_sample = self.sample_h_given_v(self.input)
        if persistent is None:
            chain_start = ph_sample
        else:
            chain_start = persistent
        (
            [pre_sigmoid_nvs, nv_means, nv_samples, pre_sigmoid_nhs, nh_means, nh_samples],
            updates
        ) = framework.scan(
            self.gibbs_hvh,
            outputs_info=[None, None, None, None, None, chain_start],
            n_steps=k,
            name="gibbs_hvh"
        )
        chain_end = nv_samples[-1]
        cost = T.mean(self.free_energy(self.input)) - T.mean(self.free_energy(chain_end))
        gparams = T.grad(cost, self.params, consider_constant=[chain_end])
        for gparam, param in zip(gparams, self.params):
            updates[param] = param - gparam * T.cast(lr, dtype=framework.config.floatX)
        if persistent:
            updates[persistent] = nh_samples[-1]
            monitoring_cost = self.get_pseudo_likelihood_cost(updates)
        else:
            monitoring_cost = self.get_reconstruction_cost(updates, pre_sigmoid_nvs[-1])
        return monitoring_cost, updates

    def get_pseudo_likelihood_cost(self, updates):
        bit_i_idx = framework.shared(value=0, name='bit_i_idx')
        xi = T.round(self.input)
        fe_xi = self.free_energy(xi)
        xi_flip = T.set_subtensor(xi[:, bit_i_idx], 1 - xi[:, bit_i_idx])
        fe_xi_flip = self.free_energy(xi_flip)
        cost = T.mean(self.n_visible * T.log(T.nnet.sigmoid(fe_xi_flip - fe_xi)))
        updates[bit_i_idx] = (bit_i_idx + 1) % self.n_visible
        return cost

    def get_reconstruction_cost(self, updates, pre_sigmoid_nv):
        cross_entropy = T.mean(
            T.sum(self.input * T.log(T.nnet.sigmoid(pre_sigmoid_nv))
                  + (1 - self.input) * T.log(1 - T.nnet.sigmoid(pre_sigmoid_nv)), axis=1))
        return cross_entropy


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def free_energy(v, W, hb, vb):
    return -np.log1p(np.exp(v @ W + hb)).sum(axis=1) - v @ vb


def reference_step(x, W, hb, vb, chain_start, rngs, k, lr, uniform):
    """The same training step in NumPy: Gibbs chain, then the CD gradient."""
    r_h0, r_v, r_h = rngs
    if chain_start is None:
        chain_start = bernoulli(r_h0, sigmoid(x @ W + hb), uniform)
    h = chain_start
    for _ in range(k):
        pre_v = h @ W.T + vb
        v = bernoulli(r_v, sigmoid(pre_v), uniform)
        h = bernoulli(r_h, sigmoid(v @ W + hb), uniform)
    n = x.shape[0]
    px, pv = sigmoid(x @ W + hb), sigmoid(v @ W + hb)
    gW = (-(x.T @ px) + v.T @ pv) / n
    ghb = (-px.sum(0) + pv.sum(0)) / n
    gvb = (-x.sum(0) + v.sum(0)) / n
    cost = free_energy(x, W, hb, vb).mean() - free_energy(v, W, hb, vb).mean()
    return W - lr * gW, hb - lr * ghb, vb - lr * gvb, v, h, pre_v, cost


@pytest.fixture
def data():
    rs = np.random.RandomState(42)
    return (rs.rand(5, 12) > 0.5).astype(framework.config.floatX)


def test_rbm_cd_k_training_step(streams, data):
    x = T.matrix("x")
    numpy_rng = np.random.RandomState(123)
    rbm = RBM(input=x, n_visible=12, n_hidden=7, numpy_rng=numpy_rng, streams=streams)
    W0 = rbm.W.get_value()
    streams_seed = np.random.RandomState(123).randint(2 ** 30)
    cost, updates = rbm.get_cost_updates(lr=0.1, k=3)
    train = function([x], cost, updates=updates)
    rngs = streams.reference_states(streams_seed, 3)
    W1, hb1, vb1, v, h, pre_v, _ = reference_step(data, W0, np.zeros(7), np.zeros(12), None, rngs, 3, 0.1,
                                                  streams.bernoulli_is_uniform)
    monitor = train(data)
    np.testing.assert_allclose(rbm.W.get_value(), W1, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rbm.hbias.get_value(), hb1, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rbm.vbias.get_value(), vb1, rtol=1e-10, atol=1e-12)
    p = sigmoid(pre_v)
    expect = np.mean(np.sum(data * np.log(p) + (1 - data) * np.log(1 - p), axis=1))
    assert monitor == pytest.approx(expect, rel=1e-10)
    node = scan_node(train)
    # only the last step of the outputs read afterwards is stored; the rest is dropped (the
    # hidden pre-activation's last step is read too: F(chain_end) reuses it, scan_reuse_last_step)
    assert node.op.keep == (1, 1, 1, 1) and node.op.n_nonrec == 3


def test_rbm_pcd_k_chain_and_consider_constant(streams, data):
    x = T.matrix("x")
    rbm = RBM(input=x, n_visible=12, n_hidden=7, numpy_rng=np.random.RandomState(9), streams=streams)
    streams_seed = np.random.RandomState(9).randint(2 ** 30)
    persistent = framework.shared(np.zeros((5, 7), dtype=framework.config.floatX), borrow=True)
    W0 = rbm.W.get_value()
    cost, updates = rbm.get_cost_updates(lr=0.05, persistent=persistent, k=4)
    train = function([x], cost, updates=updates)
    rngs = streams.reference_states(streams_seed, 3)
    W, hb, vb, chain = W0, np.zeros(7), np.zeros(12), np.zeros((5, 7))
    for _ in range(3):
        train(data)
        W, hb, vb, v, chain, _, _ = reference_step(data, W, hb, vb, chain, rngs, 4, 0.05, streams.bernoulli_is_uniform)
        np.testing.assert_array_equal(persistent.get_value(), chain)
        np.testing.assert_allclose(rbm.W.get_value(), W, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(rbm.vbias.get_value(), vb, rtol=1e-10, atol=1e-12)
    node = scan_node(train)
    assert node.op.rng_inplace == (True, True)
    assert set(np.unique(persistent.get_value())) <= {0.0, 1.0}


def test_rbm_grad_through_the_chain_is_cut_by_consider_constant(data):
    x = T.matrix("x")
    rbm = RBM(input=x, n_visible=12, n_hidden=7)
    [pre, means, samples, pre_h, h_means, h_samples], updates = framework.scan(
        rbm.gibbs_hvh, outputs_info=[None] * 5 + [T.zeros_like(T.dot(x, rbm.W))], n_steps=2)
    chain_end = samples[-1]
    cost = T.mean(rbm.free_energy(x)) - T.mean(rbm.free_energy(chain_end))
    g = T.grad(cost, rbm.W, consider_constant=[chain_end])
    f = function([x], [g, chain_end], updates=updates)
    gW, end = f(data)
    W = rbm.W.get_value()
    expect = (-(data.T @ sigmoid(data @ W)) + end.T @ sigmoid(end @ W)) / data.shape[0]
    np.testing.assert_allclose(gW, expect, rtol=1e-10)
    assert not any(isinstance(n.op, Scan) and n.op.label.startswith("grad_of")
                   for n in f.maker.fgraph.toposort())
