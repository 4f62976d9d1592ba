"""Log-likelihood of RBMs: exact enumeration and AIS (framework_rbm.likelihood)."""
import itertools

import numpy as np
import pytest

from framework_rbm import likelihood as L


def _random_rbm(n_visible, n_hidden, seed, scale=1.0, visible_type="binary"):
    rng = np.random.RandomState(seed)
    return {"W": scale * rng.randn(n_visible, n_hidden), "hbias": rng.randn(n_hidden),
            "vbias": rng.randn(n_visible), "visible_type": visible_type}


def _brute_force_log_z(params):
    nv, nh = params["W"].shape
    V = np.array(list(itertools.product([0, 1], repeat=nv)), dtype=float)
    H = np.array(list(itertools.product([0, 1], repeat=nh)), dtype=float)
    neg_energy = (V @ params["vbias"])[:, None] + (H @ params["hbias"])[None, :] + V @ params["W"] @ H.T
    top = neg_energy.max()
    return float(np.log(np.exp(neg_energy - top).sum()) + top)


@pytest.mark.parametrize("n_visible, n_hidden", [(8, 5), (5, 9), (7, 7)])
def test_exact_log_partition_matches_the_sum_over_every_state(n_visible, n_hidden):
    params = _random_rbm(n_visible, n_hidden, seed=n_visible * 10 + n_hidden)
    assert L.exact_log_partition(params, chunk=16) == pytest.approx(_brute_force_log_z(params), abs=1e-9)


def test_log_likelihoods_of_all_states_sum_to_one():
    params = _random_rbm(6, 4, seed=1)
    states = np.array(list(itertools.product([0, 1], repeat=6)), dtype=float)
    log_z = L.exact_log_partition(params)
    log_p = -L.free_energy(params, states) - log_z
    assert np.exp(log_p).sum() == pytest.approx(1.0, abs=1e-12)
    result = L.log_likelihood(params, states[:5])
    assert result.method == "exact" and result.low == result.value == result.high
    assert result.value == pytest.approx(np.mean(log_p[:5]))
    assert "(exact)" in str(result)


def test_gaussian_visible_log_partition_matches_numerical_integration():
    params = _random_rbm(2, 3, seed=4, scale=0.5, visible_type="gaussian")
    grid = np.linspace(-12, 12, 1201)
    step = grid[1] - grid[0]
    points = np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2)
    numeric = np.log(np.exp(-L.free_energy(params, points)).sum() * step * step)
    assert L.exact_log_partition(params) == pytest.approx(numeric, abs=1e-8)


@pytest.mark.parametrize("visible_type", ["binary", "gaussian"])
def test_ais_agrees_with_exact_within_its_error_bar(visible_type):
    scale = 1.0 if visible_type == "binary" else 0.3
    params = _random_rbm(12, 10, seed=7, scale=scale, visible_type=visible_type)
    exact = L.exact_log_partition(params)
    ais = L.ais_log_partition(params, n_runs=100, n_betas=2000, rng=0)
    assert ais.log_z_low <= exact <= ais.log_z_high
    below, above = ais.error_bar
    assert 0 < below < 1.0 and 0 < above < 1.0  # a useful error bar, not a trivial one
    assert ais.n_runs == 100 and ais.n_betas == 2000 and ais.log_weights.shape == (100,)


def test_ais_log_likelihood_brackets_the_exact_value():
    params = _random_rbm(10, 12, seed=3)
    data = (np.random.RandomState(0).rand(50, 10) < 0.5).astype(float)
    exact = L.log_likelihood(params, data, method="exact")
    ais = L.log_likelihood(params, data, method="ais", n_runs=100, n_betas=2000, rng=1)
    assert ais.method == "ais" and ais.low <= exact.value <= ais.high
    assert ais.value == pytest.approx(exact.value, abs=0.5)
    assert "AIS, 100 runs" in str(ais)


def test_auto_picks_exact_for_small_layers_and_ais_beyond_20_units():
    small = _random_rbm(30, 6, seed=2, scale=0.1)
    data = np.zeros((3, 30))
    assert L.log_likelihood(small, data).method == "exact"  # 6 hidden units are enumerated
    big = _random_rbm(25, 22, seed=2, scale=0.1)
    result = L.log_likelihood(big, np.zeros((3, 25)), n_runs=20, n_betas=100, rng=0)
    assert result.method == "ais"
    with pytest.raises(ValueError, match="min\\(25 visible, 22 hidden\\) > 20"):
        L.exact_log_partition(big)


def test_beta_schedule_and_bad_arguments():
    betas = L.beta_schedule(14500)
    assert betas[0] == 0.0 and betas[-1] == 1.0 and len(betas) == 14500
    assert np.all(np.diff(betas) > 0)
    assert np.sum(betas < 0.5) == 500 and np.sum(betas >= 0.9) == 10000
    params = _random_rbm(4, 3, seed=0)
    with pytest.raises(ValueError, match="betas must increase from 0 to 1"):
        L.ais_log_partition(params, betas=[0.0, 0.7, 0.5, 1.0])
    with pytest.raises(ValueError, match="at least 2 runs"):
        L.ais_log_partition(params, n_runs=1)
    with pytest.raises(ValueError, match="4 columns"):
        L.log_likelihood(params, np.zeros((2, 5)))
    with pytest.raises(ValueError, match="method must be"):
        L.log_likelihood(params, np.zeros((2, 4)), method="magic")
