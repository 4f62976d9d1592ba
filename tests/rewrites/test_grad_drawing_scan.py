"""``grad`` through a scan that draws random numbers (issue #17): the tutorial's reconstruction
cost written naively from ``nv_means[-1]`` has a finite, exact gradient -- the stabilisation
push-out reaches loops that draw -- and the gradient uses the very samples the cost used."""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import Mode, config, function
from framework.core.scan import Scan

from .conftest import same_bits_without
from .test_scan_pushout import RBM, assert_naive_matches_tutorial, saturated_rbm


def drawing_loops(f):
    """The compiled function's scans that draw (a gradient's backward loop draws nothing)."""
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan) and n.op.n_rng]


@pytest.mark.parametrize("k", [1, 3])
def test_naive_cost_through_a_drawing_chain_has_the_tutorial_forms_gradient(k):
    with config.change_flags(floatX="float64"):
        rbm, data = saturated_rbm()
        outs, updates = rbm.chain(k)  # Gibbs steps that draw; the body returns pre_sigmoid_nvs too
        naive = rbm.naive_reconstruction_cost(outs["nv_means"][-1])
        tutorial = rbm.reconstruction_cost(outs["pre_sigmoid_nvs"][-1])
        f = function([rbm.input], [naive, tutorial] + T.grad(naive, rbm.params) + T.grad(tutorial, rbm.params),
                     updates=updates)
        got = f(data)
    assert_naive_matches_tutorial(got, len(rbm.params))
    # the naive cost's gradient reads the user's own loop: it adds no loop to what the tutorial's form
    # compiles to (the cost's loop and the full history its gradient reads)
    alone = [function([rbm.input], [c] + T.grad(c, rbm.params), updates=updates) for c in (naive, tutorial)]
    assert len(drawing_loops(alone[0])) == len(drawing_loops(alone[1]))


def test_the_gradient_matches_finite_differences():
    """Saturated units: every sample is certain, so the cost is a smooth function of the
    weights near them and finite differences apply."""
    with config.change_flags(floatX="float64"):
        rbm, data = saturated_rbm(seed=2)
        outs, updates = rbm.chain(2)
        naive = rbm.naive_reconstruction_cost(outs["nv_means"][-1])
        W, vbias = rbm.params[0], rbm.params[2]
        cost_f = function([rbm.input], naive, updates=updates)
        gW, gv = function([rbm.input], T.grad(naive, [W, vbias]), updates=updates)(data)
    assert np.all(np.isfinite(gW)) and np.all(np.isfinite(gv))
    eps = 0.5  # the cost is linear in these parameters where every unit is saturated; its values are large
    for param, g, idx in [(vbias, gv, (0,)), (vbias, gv, (3,)), (W, gW, (0, 0)), (W, gW, (2, 1))]:
        value = param.get_value()
        up, down = value.copy(), value.copy()
        up[idx] += eps
        down[idx] -= eps
        param.set_value(up)
        plus = cost_f(data)
        param.set_value(down)
        minus = cost_f(data)
        param.set_value(value)
        np.testing.assert_allclose(g[idx], (plus - minus) / (2 * eps), rtol=1e-5, atol=1e-9)


def test_a_body_without_the_pre_activation_still_gets_a_finite_exact_gradient():
    """The push-out must make the loop output the pre-activation: grad's loop is another loop
    over the same generator states, so it draws the same samples."""
    with config.change_flags(floatX="float64"):
        rbm, data = saturated_rbm(seed=3)
        outs, updates = rbm.chain(2, means_only=True)
        naive = rbm.naive_reconstruction_cost(outs["nv_means"][-1])
        twin, twin_data = saturated_rbm(seed=3)
        touts, tupdates = twin.chain(2)
        tutorial = twin.reconstruction_cost(touts["pre_sigmoid_nvs"][-1])
        got = function([rbm.input], [naive] + T.grad(naive, rbm.params), updates=updates)(data)
        want = function([twin.input], [tutorial] + T.grad(tutorial, twin.params), updates=tupdates)(twin_data)
    for a, b in zip(got, want):
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("means_only", [False, True])
def test_the_gradient_uses_the_samples_the_cost_used(means_only):
    """Unsaturated units (real randomness): FAST_RUN's cost and gradient, drawn as NumPy's binomial,
    equal FAST_COMPILE's, which differentiates the loop as written -- the same draws."""
    rng = np.random.RandomState(5)
    n_vis, n_hid = 6, 4

    def build(mode):
        rbm = RBM(n_vis, n_hid, W0.copy(), np.zeros(n_hid), np.zeros(n_vis))  # the same seed each time
        outs, updates = rbm.chain(3, means_only=means_only)
        naive = rbm.naive_reconstruction_cost(outs["nv_means"][-1])
        return function([rbm.input], [naive] + T.grad(naive, rbm.params), updates=updates, mode=mode)

    W0 = rng.uniform(-1, 1, (n_vis, n_hid))
    data = (rng.rand(5, n_vis) > 0.5).astype("float64")
    with config.change_flags(floatX="float64"):
        fast = build(Mode("fast_run", excluding=["binomial_to_uniform"]))
        plain = build("FAST_COMPILE")
        for _ in range(3):  # the generator states advance alike
            for a, b in zip(fast(data), plain(data)):
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_the_non_drawing_scan_case_of_issue_17():
    """The body returns [state * 2, sigmoid(state * 2)], 10 steps from x0 = [1, -1]: the gradient of
    the cross-entropy of means[-1] against t = [0, 1] is exactly [1024, -1024] (also in
    tests/rewrites/test_grad_stands_alone.py)."""
    x0 = T.dvector("x0")
    (_, means), _ = framework.scan(lambda s: [s * 2, T.nnet.sigmoid(s * 2)], outputs_info=[x0, None], n_steps=10)
    m, t = means[-1], np.array([0.0, 1.0])
    cost = -(t * T.log(m) + (1 - t) * T.log(1 - m)).sum()
    value, g = function([x0], [cost, T.grad(cost, x0)])(np.array([1.0, -1.0]))
    assert value == 2048.0
    np.testing.assert_array_equal(g, [1024.0, -1024.0])


@pytest.mark.parametrize("means_only", [False, True])
def test_the_chain_and_the_loops_its_gradient_reads_run_once(means_only):
    """The naive cost's gradient reads the chain's samples from a replay of the loop (and, for a
    body without the pre-activation, the push-out's copy of it): ``scan_merge_forward`` leaves
    one loop, with the same bits and the same generator states after each call."""
    rng = np.random.RandomState(6)
    n_vis, n_hid = 6, 4
    rbm = RBM(n_vis, n_hid, rng.uniform(-1, 1, (n_vis, n_hid)), np.zeros(n_hid), np.zeros(n_vis))
    data = (rng.rand(5, n_vis) > 0.5).astype("float64")
    with config.change_flags(floatX="float64"):
        outs, updates = rbm.chain(3, means_only=means_only)
        naive = rbm.naive_reconstruction_cost(outs["nv_means"][-1])
        merged, twice = same_bits_without("scan_merge_forward", [rbm.input], [naive] + T.grad(naive, rbm.params),
                                          [(data,)] * 3, updates=updates)
    assert (len(drawing_loops(merged)), len(drawing_loops(twice))) == (1, 2)
