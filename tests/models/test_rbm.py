"""The RBM plugin's models: the tutorial's RBM, the Gaussian-Bernoulli RBM, the sampler."""
import runpy
from pathlib import Path

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import config, function, shared
from framework.models import RBM, GaussianBernoulliRBM
from framework_rbm import likelihood as L
from framework_rbm.sampling import Sampler, filters_image, initial_chains, samples_image

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _numpy_free_energy(v, W, hbias, vbias):
    return -(v @ vbias) - _softplus(v @ W + hbias).sum(axis=1)


@pytest.fixture
def float64():
    with config.change_flags(floatX="float64"):
        yield


def _small_rbm(n_visible=6, n_hidden=4, seed=0, input=None):
    rng = np.random.RandomState(seed)
    from framework.random import RandomStreams

    rbm = RBM(input=input, n_visible=n_visible, n_hidden=n_hidden, numpy_rng=rng,
              srng=RandomStreams(rng.randint(2 ** 30)))
    rbm.hbias.set_value(rng.randn(n_hidden) * 0.5)
    rbm.vbias.set_value(rng.randn(n_visible) * 0.5)
    return rbm


def test_construction_follows_the_tutorial(float64):
    rbm = RBM(n_visible=784, n_hidden=500)
    W = rbm.W.get_value()
    assert W.shape == (784, 500) and W.dtype == np.float64
    bound = 4 * np.sqrt(6.0 / (784 + 500))
    assert W.min() >= -bound and W.max() <= bound and W.max() > 0.9 * bound
    assert not rbm.hbias.get_value().any() and not rbm.vbias.get_value().any()
    assert rbm.params == [rbm.W, rbm.hbias, rbm.vbias]
    assert rbm.input.ndim == 2
    # numpy_rng decides W, so the same seed gives the same model
    again = RBM(n_visible=784, n_hidden=500, numpy_rng=np.random.RandomState(1234))
    np.testing.assert_array_equal(again.W.get_value(), W)
    assert RBM(n_visible=3, n_hidden=2, theano_rng=rbm.srng).srng is rbm.srng  # the tutorial's name
    with pytest.raises(ValueError, match="n_visible and n_hidden must be >= 1"):
        RBM(n_visible=0)


def test_free_energy_and_conditionals_match_numpy(float64):
    rbm = _small_rbm()
    W, hbias, vbias = (p.get_value() for p in rbm.params)
    v = np.random.RandomState(1).rand(5, 6)
    h = (np.random.RandomState(2).rand(5, 4) < 0.5).astype(float)
    hid = T.matrix("h")
    fe, pre_h, h_mean = function([rbm.input], [rbm.free_energy(rbm.input)] + rbm.propup(rbm.input))(v)
    pre_v, v_mean = function([hid], rbm.propdown(hid))(h)
    np.testing.assert_allclose(fe, _numpy_free_energy(v, W, hbias, vbias), rtol=1e-12)
    np.testing.assert_allclose(pre_h, v @ W + hbias, rtol=1e-12)
    np.testing.assert_allclose(h_mean, _sigmoid(v @ W + hbias), rtol=1e-12)
    np.testing.assert_allclose(pre_v, h @ W.T + vbias, rtol=1e-12)
    np.testing.assert_allclose(v_mean, _sigmoid(h @ W.T + vbias), rtol=1e-12)
    np.testing.assert_allclose(fe, L.free_energy(rbm, v), rtol=1e-12)


def test_samples_are_binary_with_the_right_means(float64):
    rbm = _small_rbm()
    v = np.tile(np.random.RandomState(3).rand(1, 6), (4000, 1))
    pre, mean, sample = function([rbm.input], rbm.sample_h_given_v(rbm.input))(v)
    assert sample.shape == (4000, 4) and sample.dtype == np.float64
    assert set(np.unique(sample)) <= {0.0, 1.0}
    np.testing.assert_allclose(sample.mean(axis=0), mean[0], atol=0.03)
    outputs = function([rbm.input], rbm.gibbs_vhv(rbm.input))(v[:3])
    assert [o.shape for o in outputs] == [(3, 4)] * 3 + [(3, 6)] * 3
    hid = T.matrix("h")
    outputs = function([hid], rbm.gibbs_hvh(hid))(np.zeros((3, 4)))
    assert [o.shape for o in outputs] == [(3, 6)] * 3 + [(3, 4)] * 3


class _ScanSpy:
    """Wraps framework.scan to keep the outputs of the Gibbs chain get_cost_updates builds."""

    def __init__(self, monkeypatch):
        self.real = framework.scan
        self.outputs = None
        monkeypatch.setattr(framework, "scan", self)

    def __call__(self, *args, **kwargs):
        outputs, updates = self.real(*args, **kwargs)
        self.outputs = outputs
        return outputs, updates


@pytest.mark.parametrize("k", [1, 3])
def test_cd_update_is_the_gradient_with_the_chain_end_held_constant(float64, monkeypatch, k):
    spy = _ScanSpy(monkeypatch)
    rbm = _small_rbm(n_visible=7, n_hidden=5)
    W, hbias, vbias = (p.get_value() for p in rbm.params)
    cost, updates = rbm.get_cost_updates(lr=0.1, persistent=None, k=k)
    # everything the step changes: the parameters and the random generator states
    assert {rbm.W, rbm.hbias, rbm.vbias} <= set(updates)
    assert any(type(s).__name__ == "RNGSharedVariable" for s in updates)
    pre_sigmoid_nvs, nv_samples = spy.outputs[0], spy.outputs[2]
    step = function([rbm.input], [cost, nv_samples[-1], pre_sigmoid_nvs[-1]], updates=updates)
    x = (np.random.RandomState(4).rand(8, 7) < 0.5).astype(float)
    monitor, chain_end, pre_nv = step(x)
    assert set(np.unique(chain_end)) <= {0.0, 1.0}
    # d/dtheta [mean F(x) - mean F(chain_end)] with chain_end constant
    ph, nh = _sigmoid(x @ W + hbias), _sigmoid(chain_end @ W + hbias)
    grad_W = (chain_end.T @ nh - x.T @ ph) / 8
    grad_h = (nh.sum(0) - ph.sum(0)) / 8
    grad_v = (chain_end.sum(0) - x.sum(0)) / 8
    np.testing.assert_allclose(rbm.W.get_value(), W - 0.1 * grad_W, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rbm.hbias.get_value(), hbias - 0.1 * grad_h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rbm.vbias.get_value(), vbias - 0.1 * grad_v, rtol=1e-10, atol=1e-12)
    # CD monitors the reconstruction cross-entropy of the chain's last pre-sigmoid activation
    expected = np.mean(np.sum(x * np.log(_sigmoid(pre_nv)) + (1 - x) * np.log(1 - _sigmoid(pre_nv)), axis=1))
    assert monitor == pytest.approx(expected, rel=1e-10)


def test_pcd_chain_and_pseudo_likelihood_with_cycling_bit(float64, monkeypatch):
    spy = _ScanSpy(monkeypatch)
    rbm = _small_rbm(n_visible=5, n_hidden=3)
    chain = shared(np.zeros((4, 3)), name="persistent_chain")
    cost, updates = rbm.get_cost_updates(lr=0.05, persistent=chain, k=2)
    assert chain in updates and rbm.bit_i_idx in updates
    nh_samples = spy.outputs[5]
    step = function([rbm.input], [cost, nh_samples[-1]], updates=updates)
    x = (np.random.RandomState(5).rand(4, 5) < 0.5).astype(float)
    for call in range(7):
        W, hbias, vbias = (p.get_value() for p in rbm.params)
        bit = int(rbm.bit_i_idx.get_value())
        assert bit == call % 5  # one bit per call, cycling through the visible units
        monitor, last_h = step(x)
        np.testing.assert_array_equal(chain.get_value(), last_h)  # the chain continues from here
        flipped = x.copy()
        flipped[:, bit] = 1 - flipped[:, bit]
        fe, fe_flip = _numpy_free_energy(x, W, hbias, vbias), _numpy_free_energy(flipped, W, hbias, vbias)
        assert monitor == pytest.approx(np.mean(5 * np.log(_sigmoid(fe_flip - fe))), rel=1e-10)


def test_monitoring_costs_stay_finite_for_saturated_units(float64):
    rbm = _small_rbm(n_visible=4, n_hidden=3)
    rbm.W.set_value(np.full((4, 3), 200.0))
    rbm.vbias.set_value(np.full(4, -500.0))
    cost, updates = rbm.get_cost_updates(lr=0.0, persistent=None, k=1)
    value = function([rbm.input], cost, updates=updates)(np.ones((2, 4)))
    assert np.isfinite(value)
    pcd = _small_rbm(n_visible=4, n_hidden=3)
    pcd.W.set_value(np.full((4, 3), 200.0))
    cost, updates = pcd.get_cost_updates(lr=0.0, persistent=shared(np.zeros((2, 3))), k=1)
    assert np.isfinite(function([pcd.input], cost, updates=updates)(np.ones((2, 4))))


def _train(rbm, data, epochs, lr, batch_size, persistent, k):
    x = rbm.input
    index = T.lscalar("index")
    shared_x = shared(np.asarray(data, dtype=config.floatX))
    cost, updates = rbm.get_cost_updates(lr=lr, persistent=persistent, k=k)
    step = function([index], cost, updates=updates,
                    givens={x: shared_x[index * batch_size:(index + 1) * batch_size]})
    for _ in range(epochs):
        for i in range(len(data) // batch_size):
            step(i)


@pytest.fixture(scope="module")
def bars_and_stripes_rbm():
    """An RBM trained with PCD-5 on 4x4 bars and stripes, and its log-likelihood before training."""
    with config.change_flags(floatX="float64"):
        data = framework.datasets.load("bars_and_stripes", n_side=4, n_samples=600, seed=0)
        train_x, patterns = data.train[0], data.test[0]
        rbm = _small_rbm(n_visible=16, n_hidden=12, seed=1)
        rbm.hbias.set_value(np.zeros(12))
        rbm.vbias.set_value(np.zeros(16))
        before = L.log_likelihood(rbm, patterns, method="exact").value
        chain = shared(np.zeros((20, 12)), name="persistent_chain")
        _train(rbm, train_x, epochs=10, lr=0.05, batch_size=20, persistent=chain, k=5)
        return rbm, patterns, before


def test_rbm_learns_bars_and_stripes(bars_and_stripes_rbm):
    rbm, patterns, before = bars_and_stripes_rbm
    after = L.log_likelihood(rbm, patterns, method="exact").value
    # 30 equally likely patterns: the best possible average is -log(30) = -3.40;
    # an untrained model is near uniform over 2**16 states (-11.1).
    assert before < -9.0
    assert after > before + 3.0, (before, after)
    assert after < -np.log(30) + 1e-9


def test_ais_agrees_with_exact_on_the_trained_rbm(bars_and_stripes_rbm):
    rbm, patterns, _ = bars_and_stripes_rbm
    exact = L.log_likelihood(rbm, patterns, method="exact")
    ais = L.log_likelihood(rbm, patterns, method="ais", n_runs=100, n_betas=3000, rng=0)
    assert ais.low <= exact.value <= ais.high, (str(ais), exact.value)
    assert ais.high - ais.low < 2.0


def test_gaussian_bernoulli_rbm(float64):
    rng = np.random.RandomState(6)
    rbm = GaussianBernoulliRBM(n_visible=3, n_hidden=2, numpy_rng=rng)
    rbm.vbias.set_value(np.array([0.5, -1.0, 2.0]))
    W, hbias, vbias = (p.get_value() for p in rbm.params)
    v = rng.randn(4, 3)
    fe = function([rbm.input], rbm.free_energy(rbm.input))(v)
    np.testing.assert_allclose(fe, 0.5 * ((v - vbias) ** 2).sum(1) - _softplus(v @ W + hbias).sum(1))
    np.testing.assert_allclose(fe, L.free_energy(rbm, v))
    hid = T.matrix("h")
    h = np.tile([[1.0, 0.0]], (20000, 1))
    pre, mean, sample = function([hid], rbm.sample_v_given_h(hid))(h)
    np.testing.assert_allclose(mean[0], W[:, 0] + vbias)
    np.testing.assert_allclose(sample.mean(0), mean[0], atol=0.03)  # unit-variance noise around the mean
    np.testing.assert_allclose(sample.std(0), 1.0, atol=0.03)
    assert rbm.visible_type == "gaussian"


def test_gaussian_bernoulli_rbm_learns_and_its_likelihood_rises(float64):
    rng = np.random.RandomState(7)
    centres = np.array([[2.0, 2.0, -2.0, -2.0], [-2.0, -2.0, 2.0, 2.0]])
    data = centres[rng.randint(2, size=400)] + 0.3 * rng.randn(400, 4)
    from framework.random import RandomStreams

    rbm = GaussianBernoulliRBM(n_visible=4, n_hidden=3, numpy_rng=rng, srng=RandomStreams(1))
    before = L.log_likelihood(rbm, data, method="exact").value
    error = function([rbm.input], rbm._squared_reconstruction_error())
    error_before = error(data)
    _train(rbm, data, epochs=20, lr=0.01, batch_size=20, persistent=None, k=1)
    assert error(data) < 0.5 * error_before
    after = L.log_likelihood(rbm, data, method="exact").value
    assert after > before + 1.0, (before, after)


def test_sampler_runs_persistent_chains(float64):
    rbm = _small_rbm(n_visible=4, n_hidden=3)
    start = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 0.0, 0.0]])
    sampler = Sampler(rbm, start, plot_every=5)
    means, samples = sampler.sample()
    assert means.shape == samples.shape == (3, 4)
    np.testing.assert_array_equal(sampler.persistent_vis_chain.get_value(), samples)
    assert np.all((means > 0) & (means < 1))
    assert len(sampler.run(3)) == 3
    with pytest.raises(ValueError, match="init must be n_chains x 4"):
        Sampler(rbm, np.zeros((2, 5)))


def test_sample_and_filter_pictures_have_the_tutorial_layout():
    rng = np.random.RandomState(0)
    samples = [rng.rand(20, 784) for _ in range(10)]
    image = samples_image(samples, (28, 28))
    assert image.shape == (29 * 10 + 1, 29 * 20 - 1) and image.dtype == np.uint8
    filters = filters_image(rng.randn(784, 500), (28, 28))
    assert filters.shape == (29 * 10 - 1, 29 * 10 - 1)
    chains = initial_chains(np.arange(50.0).reshape(25, 2), 20, np.random.RandomState(1))
    assert chains.shape == (20, 2) and np.all(np.diff(chains[:, 0]) == 2)  # consecutive examples
    assert initial_chains(np.ones((3, 2)), 5, np.random.RandomState(1)).shape == (5, 2)


def test_rbm_tutorial_example_runs_on_digits(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    example = runpy.run_path(str(EXAMPLES / "rbm_tutorial.py"))
    with config.change_flags(floatX="float32"):
        rbm = example["test_rbm"](dataset="digits", training_epochs=1, n_hidden=30, n_samples=2,
                                  output_folder="plots")
    assert rbm.W.get_value().dtype == np.float32
    assert (tmp_path / "plots" / "filters_at_epoch_0.png").exists()
    assert (tmp_path / "plots" / "samples.png").exists()
