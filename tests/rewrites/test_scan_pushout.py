"""scan_pushout_elemwise: the last element-wise step of a scan output read only at its
last step(s) is computed outside the loop, so the outer stabilisations reach it.

The RBM tutorial carries ``pre_sigmoid_nvs`` out of its Gibbs scan by hand because
Theano cannot stabilise ``log(sigmoid(...))`` across the loop boundary; here the
naive ``log(nv_means[-1])`` is enough.
"""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import Mode, config, function, shared
from framework.core.elemwise import Elemwise
from framework.core.scan import Scan
from framework.random import RandomStreams
from framework.scan_module import until

from .conftest import assert_same, op_names, without

NAME = "scan_pushout_elemwise"


@pytest.fixture(autouse=True)
def theano_defaults():
    with config.change_flags(floatX="float64", mode="FAST_RUN"):
        yield


def scan_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def inner_ends(node, name):
    """Whether one of the scan's (non-rng) outputs is computed by the element-wise op ``name``."""
    op = node.op
    outs = op.inner.outputs[:op.n_rec + op.n_nonrec]
    return any(o.owner is not None and isinstance(o.owner.op, Elemwise) and o.owner.op.scalar.name == name
               for o in outs)


# --- the RBM tutorial -------------------------------------------------------------------------

class RBM:
    """The tutorial's RBM, reduced to what the reconstruction cost needs."""

    def __init__(self, n_visible, n_hidden, W, hbias=None, vbias=None, seed=1234):
        self.input = T.matrix("input")
        self.W = shared(W, name="W")
        self.hbias = shared(np.zeros(n_hidden) if hbias is None else hbias, name="hbias")
        self.vbias = shared(np.zeros(n_visible) if vbias is None else vbias, name="vbias")
        self.theano_rng = RandomStreams(seed)
        self.params = [self.W, self.hbias, self.vbias]

    def free_energy(self, v_sample):
        wx_b = T.dot(v_sample, self.W) + self.hbias
        return -T.sum(T.log(1 + T.exp(wx_b)), axis=1) - T.dot(v_sample, self.vbias)

    def propup(self, vis):
        pre = T.dot(vis, self.W) + self.hbias
        return [pre, T.nnet.sigmoid(pre)]

    def propdown(self, hid):
        pre = T.dot(hid, self.W.T) + self.vbias
        return [pre, T.nnet.sigmoid(pre)]

    def sample_h_given_v(self, v0):
        pre, mean = self.propup(v0)
        return [pre, mean, self.theano_rng.binomial(size=mean.shape, n=1, p=mean, dtype="float64")]

    def sample_v_given_h(self, h0):
        pre, mean = self.propdown(h0)
        return [pre, mean, self.theano_rng.binomial(size=mean.shape, n=1, p=mean, dtype="float64")]

    def gibbs_hvh(self, h0_sample):
        pre_v1, v1_mean, v1_sample = self.sample_v_given_h(h0_sample)
        pre_h1, h1_mean, h1_sample = self.sample_h_given_v(v1_sample)
        return [pre_v1, v1_mean, v1_sample, pre_h1, h1_mean, h1_sample]

    def gibbs_hvh_means_only(self, h0_sample):
        """The same step written without carrying the pre-sigmoid activations."""
        _, v1_mean, v1_sample = self.sample_v_given_h(h0_sample)
        _, h1_mean, h1_sample = self.sample_h_given_v(v1_sample)
        return [v1_mean, v1_sample, h1_mean, h1_sample]

    def chain(self, k=1, means_only=False):
        _, _, ph_sample = self.sample_h_given_v(self.input)
        if means_only:
            outs, updates = framework.scan(self.gibbs_hvh_means_only, outputs_info=[None, None, None, ph_sample],
                                           n_steps=k, name="gibbs_hvh")
            return dict(zip(["nv_means", "nv_samples", "nh_means", "nh_samples"], outs)), updates
        outs, updates = framework.scan(self.gibbs_hvh, outputs_info=[None] * 5 + [ph_sample], n_steps=k,
                                       name="gibbs_hvh")
        names = ["pre_sigmoid_nvs", "nv_means", "nv_samples", "pre_sigmoid_nhs", "nh_means", "nh_samples"]
        return dict(zip(names, outs)), updates

    def reconstruction_cost(self, pre_sigmoid_nv):
        """The tutorial's form, from the pre-sigmoid activation carried out of scan."""
        x = self.input
        return T.mean(T.sum(x * T.log(T.nnet.sigmoid(pre_sigmoid_nv))
                            + (1 - x) * T.log(1 - T.nnet.sigmoid(pre_sigmoid_nv)), axis=1))

    def naive_reconstruction_cost(self, nv_mean):
        """The form a user would write first, from the sigmoid means."""
        x = self.input
        return T.mean(T.sum(x * T.log(nv_mean) + (1 - x) * T.log(1 - nv_mean), axis=1))


def assert_naive_matches_tutorial(got, n_params):
    """``got`` = [naive cost, tutorial cost, naive grads..., tutorial grads...]: the costs are
    equal and finite, and each naive gradient is finite and equals the tutorial form's."""
    assert np.isfinite(got[0]) and got[0] == got[1]
    for a, b in zip(got[2:2 + n_params], got[2 + n_params:]):
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def saturated_rbm(seed=0, n_visible=6, n_hidden=4, **kw):
    """Saturated units: weights +-100 * 2**k (k distinct) and biases +-50, so every
    pre-activation (a bias plus a signed sum of distinct powers of two) is at least 50
    away from 0. Every sigmoid of the chain is within 2e-22 of 0 or 1 (1 rounds to
    exactly 1.0), so the samples are certain and the naive cost hits log(0)."""
    rng = np.random.RandomState(seed)
    powers = 2.0 ** np.arange(n_visible * n_hidden).reshape(n_hidden, n_visible).T
    W = rng.choice([-100.0, 100.0], size=(n_visible, n_hidden)) * powers
    hbias = rng.choice([-50.0, 50.0], size=n_hidden)
    vbias = rng.choice([-50.0, 50.0], size=n_visible)
    data = (rng.rand(6, n_visible) > 0.5).astype("float64")
    return RBM(n_visible, n_hidden, W, hbias, vbias, **kw), data


def reference_cost(rbm, data, k):
    """The chain and the stable cross-entropy in NumPy (the samples are certain)."""
    W, hb, vb = (p.get_value() for p in rbm.params)
    h = (data @ W + hb > 0).astype(float)
    for _ in range(k):
        pre_v = h @ W.T + vb
        v = (pre_v > 0).astype(float)
        h = (v @ W + hb > 0).astype(float)
    z = pre_v
    ll = data * z - (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))))
    return ll.sum(axis=1).mean()


@pytest.mark.parametrize("k", [1, 3])
def test_naive_rbm_reconstruction_cost_is_finite_and_equals_the_tutorial_form(k):
    rbm, data = saturated_rbm()
    outs, updates = rbm.chain(k)
    naive = rbm.naive_reconstruction_cost(outs["nv_means"][-1])
    tutorial = rbm.reconstruction_cost(outs["pre_sigmoid_nvs"][-1])
    want = reference_cost(rbm, data, k)
    assert np.isfinite(want)
    # one function (the same draws), and each form compiled on its own
    both = function([rbm.input], [naive, tutorial], updates=updates)
    a, b = both(data)
    assert np.isfinite(a) and np.isfinite(b)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(a, want, rtol=1e-12)
    f_naive = function([rbm.input], naive, updates=updates)
    f_tutorial = function([rbm.input], tutorial, updates=updates)
    np.testing.assert_allclose(f_naive(data), f_tutorial(data), rtol=1e-12)
    np.testing.assert_allclose(f_naive(data), want, rtol=1e-12)
    # without the rewrite the sigmoid is inside the loop and the log outside: log(0) (a one-step
    # loop is kept as a loop here: inlined, its sigmoid meets the log outside and is stabilised too)
    with np.errstate(all="ignore"):
        assert not np.isfinite(function([rbm.input], naive, updates=updates, mode="FAST_COMPILE")(data))
        assert not np.isfinite(function([rbm.input], naive, updates=updates,
                                        mode=without(NAME, "scan_inline_one_step"))(data))
    if k == 1:  # inlined, the outer stabilisation alone makes it finite and equal
        inlined = function([rbm.input], naive, updates=updates, mode=without(NAME))
        np.testing.assert_allclose(inlined(data), want, rtol=1e-12)


def test_naive_cost_when_the_body_never_returns_the_pre_sigmoid_activation():
    rbm, data = saturated_rbm(seed=3)
    outs, updates = rbm.chain(2, means_only=True)
    naive = rbm.naive_reconstruction_cost(outs["nv_means"][-1])
    f = function([rbm.input], naive, updates=updates)
    got = f(data)
    assert np.isfinite(got)
    np.testing.assert_allclose(got, reference_cost(rbm, data, 2), rtol=1e-12)
    (node,) = scan_nodes(f)
    assert not inner_ends(node, "sigmoid")
    # the loop now outputs the pre-activation (dot + vbias, pushed out in turn), one step kept
    assert all(kp == 1 for kp in node.op.keep[node.op.n_rec:])
    assert "sigmoid_xent" in op_names(f)  # the cross-entropy, from the logits
    with np.errstate(all="ignore"):
        assert not np.isfinite(function([rbm.input], naive, updates=updates, mode="FAST_COMPILE")(data))


def test_graph_after_the_rewrite_and_excluding_it():
    rbm, data = saturated_rbm(seed=1)
    outs, updates = rbm.chain(1, means_only=True)
    naive = rbm.naive_reconstruction_cost(outs["nv_means"][-1])
    loop = Mode("fast_run", excluding=["scan_inline_one_step"])  # the one-step loop kept as a loop
    f = function([rbm.input], naive, updates=updates, mode=loop)
    (node,) = scan_nodes(f)
    assert not inner_ends(node, "sigmoid")
    assert f.maker.report.fired[NAME] >= 1
    assert f.maker.report.stage_of[NAME] == "scan_pushout"
    order = list(f.maker.report.stage_seconds)
    assert order.index("scan_pushout") < order.index("stabilize")
    off = function([rbm.input], naive, updates=updates, mode=Mode("fast_run", excluding=[NAME, "scan_inline_one_step"]))
    (node_off,) = scan_nodes(off)
    assert inner_ends(node_off, "sigmoid")
    assert off.maker.report.fired[NAME] == 0
    # also off by the scan tag, and not part of FAST_COMPILE
    assert inner_ends(scan_nodes(function([rbm.input], naive, updates=updates,
                                          mode=Mode("fast_run", excluding=["scan"])))[0], "sigmoid")
    fc = function([rbm.input], naive, updates=updates, mode="FAST_COMPILE")
    assert inner_ends(scan_nodes(fc)[0], "sigmoid")


def test_rbm_training_step_gives_the_same_values_with_and_without_the_rewrite():
    """The tutorial's CD-k step with the naive monitoring cost: gradients are taken
    before compiling, so the rewrite may only change how the values are computed."""
    W0 = np.random.RandomState(7).uniform(-0.5, 0.5, size=(7, 4))
    data = (np.random.RandomState(3).rand(5, 7) > 0.5).astype("float64")
    results = []
    for mode in (None, without(NAME)):
        rbm = RBM(7, 4, W0.copy(), seed=99)
        outs, updates = rbm.chain(2)
        chain_end = outs["nv_samples"][-1]
        cost = T.mean(rbm.free_energy(rbm.input)) - T.mean(rbm.free_energy(chain_end))
        gparams = T.grad(cost, rbm.params, consider_constant=[chain_end])
        for g, p in zip(gparams, rbm.params):
            updates[p] = p - 0.1 * g
        monitor = rbm.naive_reconstruction_cost(outs["nv_means"][-1])
        f = function([rbm.input], [monitor] + gparams, updates=updates, mode=mode)
        assert inner_ends(scan_nodes(f)[0], "sigmoid") == (mode is not None)
        vals = [f(data) for _ in range(3)]
        results.append((vals, [p.get_value() for p in rbm.params]))
    (a_vals, a_params), (b_vals, b_params) = results
    for va, vb in zip(a_vals, b_vals):
        assert_same(va, vb, rtol=1e-10, atol=1e-12)
    assert_same(a_params, b_params, rtol=1e-10, atol=1e-12)


# --- equal values with and without the rewrite --------------------------------------------------

def both(inputs, outputs, updates=None, fires=True):
    """The function compiled with and without the rewrite (checking whether it fired)."""
    f = function(inputs, outputs, updates=updates)
    g = function(inputs, outputs, updates=updates, mode=without(NAME))
    assert (f.maker.report.fired[NAME] > 0) == fires
    assert g.maker.report.fired[NAME] == 0
    return f, g


def check(f, g, values, rtol=1e-12):
    assert_same(f(*values), g(*values), rtol=rtol, atol=1e-12)


SHAPES = [(1, 1, 1), (4, 3, 2), (7, 5, 3)]  # (steps, n, m)


@pytest.mark.parametrize("steps,n,m", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_map_output_last_steps(steps, n, m, seed):
    rng = np.random.RandomState(seed)
    X = T.dtensor3("X")
    W = T.dmatrix("W")
    b = T.dvector("b")
    y, _ = framework.scan(lambda x_t, W, b: T.nnet.sigmoid(T.dot(x_t, W) + b), sequences=X, non_sequences=[W, b])
    k = min(2, steps)
    outs = [y[-1], y[-k:], y[-1, 0], y[-1, :, 1:], y[-k:, 0, None], T.log(y[-1]).sum(), T.log(1 - y[-1]).sum()]
    f, g = both([X, W, b], outs)
    assert not inner_ends(scan_nodes(f)[0], "sigmoid")
    assert inner_ends(scan_nodes(g)[0], "sigmoid")
    check(f, g, [rng.randn(steps, n, m), rng.randn(m, 3), rng.randn(3)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_output_used_at_its_last_step_and_elsewhere(seed):
    rng = np.random.RandomState(seed)
    X = T.dmatrix("X")
    w = T.dvector("w")
    y, _ = framework.scan(lambda x_t, w: T.tanh(x_t * w), sequences=X, non_sequences=w)
    f, g = both([X, w], [T.log(1 + y[-1]), y.sum(axis=0), y[1:].mean(), y[-2:]])
    check(f, g, [rng.randn(5, 4), rng.randn(4)])
    (node,) = scan_nodes(f)
    # the history is still there for the other readers, the new output keeps two steps
    assert None in node.op.keep


def test_several_readers_of_the_last_steps():
    rng = np.random.RandomState(4)
    X = T.dmatrix("X")
    y, _ = framework.scan(lambda x_t: T.exp(T.sin(x_t)), sequences=X)
    f, g = both([X], [y[-1] * 2, y[-1].sum(), y[-3], y[-3:].max(axis=0)])
    check(f, g, [rng.randn(6, 3)])
    (node,) = scan_nodes(f)
    assert not inner_ends(node, "exp")
    assert max(k for k in node.op.keep if k is not None) == 3


@pytest.mark.parametrize("steps", [1, 2, 6])
def test_fed_back_output(steps):
    """h_t = tanh(h_{t-1} W + x_t) is fed back: the loop computes it anyway, so h[-1] is
    left alone; sigmoid(h_t), not fed back, moves out reading the fed-back h's last step."""
    rng = np.random.RandomState(steps)
    X = T.dmatrix("X")
    h0 = T.dvector("h0")
    W = T.dmatrix("W")

    def step(x_t, h_prev, W):
        h = T.tanh(T.dot(h_prev, W) + x_t)
        return [h, T.nnet.sigmoid(h)]

    (h, y), _ = framework.scan(step, sequences=X, outputs_info=[h0, None], non_sequences=W)
    cost = T.sum(h[-1] ** 2)
    gW, gh0, gX = T.grad(cost, [W, h0, X])
    f, g = both([X, h0, W], [h[-1], cost, gW, gh0, gX], fires=False)
    check(f, g, [rng.randn(steps, 3), rng.randn(3), rng.randn(3, 3) * 0.5], rtol=1e-11)
    assert inner_ends(scan_nodes(f)[0], "tanh")
    cost2 = T.log(y[-1]).sum() + cost
    gW2 = T.grad(cost2, W)
    f, g = both([X, h0, W], [y[-1], cost2, gW2])
    check(f, g, [rng.randn(steps, 3), rng.randn(3), rng.randn(3, 3) * 0.5], rtol=1e-11)
    # no output was added: sigmoid is applied to the fed-back output's last step
    (node,) = [n for n in scan_nodes(f) if not n.op.label.startswith("grad_of")]
    assert node.op.n_rec == 1 and node.op.n_nonrec <= 1


def test_gradients_through_the_pushed_out_step():
    rng = np.random.RandomState(5)
    X = T.dmatrix("X")
    W = T.dmatrix("W")
    y, _ = framework.scan(lambda x_t, W: T.nnet.sigmoid(T.dot(x_t, W)), sequences=X, non_sequences=W)
    cost = -T.log(y[-1]).sum() + T.log(1 - y[-2:]).sum()
    gW, gX = T.grad(cost, [W, X])
    f, g = both([X, W], [cost, gW, gX])
    check(f, g, [rng.randn(4, 3), rng.randn(3, 2)], rtol=1e-11)
    framework.gradient.verify_grad(lambda W: -T.log(framework.scan(
        lambda x_t, W: T.nnet.sigmoid(T.dot(x_t, W)), sequences=T.constant(rng.randn(3, 3)),
        non_sequences=W)[0][-1]).sum(), [rng.randn(3, 2)], rng=rng)


def test_two_per_step_inputs_loop_constants_and_constants():
    """f(a, b, w, exp(w), 2) with a, b computed each step, w a non-sequence, exp(w)
    computed in the body from w alone (computed outside once), 2 a constant."""
    rng = np.random.RandomState(6)
    X = T.fmatrix("X")
    w = T.fvector("w")

    def step(x_t, w):
        a = T.sin(x_t)
        b = T.cos(x_t * w)
        return a * b + T.exp(w) * 2 - w

    y, _ = framework.scan(step, sequences=X, non_sequences=w)
    f, g = both([X, w], [y[-1], y[-2:]])
    vals = [rng.randn(5, 4).astype("float32"), rng.randn(4).astype("float32")]
    check(f, g, vals, rtol=1e-6)
    assert f(*vals)[0].dtype == np.float32


def test_broadcasting_inside_the_body_with_last_k_steps():
    """A per-step scalar against a vector: y[-k:] must keep the step axis first."""
    rng = np.random.RandomState(8)
    x = T.dvector("x")
    v = T.dvector("v")
    y, _ = framework.scan(lambda x_t, v: T.nnet.sigmoid(x_t.sum() * 2 + v), sequences=T.stack([x, x * 2, x + 1]),
                          non_sequences=v)
    f, g = both([x, v], [y[-2:], y[-1]])
    check(f, g, [rng.randn(3), rng.randn(5)])
    assert f(rng.randn(3), rng.randn(5))[0].shape == (2, 5)
    # static sizes: every y[-k:] reader may move out, zero steps included
    xs = T.TensorType("float64", (None, 3))("xs")
    vs = T.TensorType("float64", (4,))("vs")
    y, _ = framework.scan(lambda x_t, v: T.nnet.sigmoid(x_t.sum() * 2 + v), sequences=xs, non_sequences=vs)
    f, g = both([xs, vs], [y[-2:]])
    assert not inner_ends(scan_nodes(f)[0], "add")
    for steps in (0, 1, 5):
        check(f, g, [rng.randn(steps, 3), rng.randn(4)])


def test_zero_steps():
    """A loop of zero steps: y[-1] fails either way; y[-k:] is empty either way (a loop
    constant that could broadcast the empty steps' unknown sizes keeps y[-k:] in the loop)."""
    X = T.dmatrix("X")
    w = T.dvector("w")
    y, _ = framework.scan(lambda x_t, w: [T.nnet.sigmoid(x_t * 2), T.nnet.sigmoid(x_t) + w], sequences=X,
                          non_sequences=w)
    f, g = both([X, w], [y[0][-2:], y[1][-2:]])
    empty, ones = np.zeros((0, 3)), np.ones(3)
    check(f, g, [empty, ones])
    x = T.dvector("x")
    z, _ = framework.scan(lambda x_t, w: T.nnet.sigmoid(x_t.sum() + w), sequences=x, non_sequences=w)
    f2, g2 = both([x, w], z[-3:])
    check(f2, g2, [np.zeros(0), ones])
    check(f2, g2, [np.ones(5), ones])
    check(f, g, [np.ones((4, 3)), ones])
    f1, g1 = both([X, w], [y[0][-1], y[1][-1]])
    for fn in (f1, g1):
        with pytest.raises(IndexError):
            fn(empty, ones)


def test_does_not_fire_on_a_sequence_row_or_a_loop_constant():
    rng = np.random.RandomState(9)
    X = T.dmatrix("X")
    w = T.dvector("w")
    y, _ = framework.scan(lambda x_t, w: [T.nnet.sigmoid(x_t), T.exp(w)], sequences=X, non_sequences=w)
    f, g = both([X, w], [y[0][-1], y[1][-1]], fires=False)
    check(f, g, [rng.randn(4, 3), rng.randn(2)])


def test_does_not_fire_on_a_previous_value():
    rng = np.random.RandomState(10)
    h0 = T.dvector("h0")
    outs, _ = framework.scan(lambda h: [h * 0.5 + 1, T.tanh(h)], outputs_info=[h0, None], n_steps=4)
    f, g = both([h0], [outs[1][-1], outs[0][-1]], fires=False)
    # tanh(h_{t-1}) reads the previous value: left alone; h*0.5 + 1 is fed back
    assert inner_ends(scan_nodes(f)[0], "tanh")
    check(f, g, [rng.randn(3)])


def test_early_stop_and_symbolic_steps():
    rng = np.random.RandomState(11)
    x0 = T.dvector("x0")
    n = T.iscalar("n")
    lim = T.dscalar("lim")

    def step(prev, lim):
        nxt = prev * 1.5 + 0.1
        return [nxt, T.nnet.sigmoid(nxt)], until(nxt.sum() > lim)

    outs, _ = framework.scan(step, outputs_info=[x0, None], non_sequences=lim, n_steps=n)
    f, g = both([x0, n, lim], [T.log(outs[1][-1]), outs[1][-2:], outs[0][-1]])
    for steps, limit in [(3, 1e9), (20, 5.0), (2, -1.0)]:
        check(f, g, [np.abs(rng.randn(3)), steps, limit])


def test_random_draws_in_the_body_are_unchanged():
    rng = np.random.RandomState(12)
    X = T.dmatrix("X")
    results = []
    for mode in (None, without(NAME)):
        srng = RandomStreams(5)
        y, updates = framework.scan(lambda x_t: T.nnet.sigmoid(x_t + srng.normal(size=x_t.shape)), sequences=X)
        f = function([X], [T.log(y[-1]), y[-1]], updates=updates, mode=mode)
        data = rng.randn(4, 3) if not results else data
        results.append([f(data) for _ in range(2)])
    assert_same(results[0], results[1])


def test_nested_scan_body():
    """A scan inside a scan body is rewritten when the body is compiled (with the
    outer scan's mode)."""
    rng = np.random.RandomState(13)
    X = T.dtensor3("X")

    def build(mode):
        def outer(x_t):
            y, _ = framework.scan(lambda r: T.nnet.sigmoid(r * 3), sequences=x_t)
            return T.log(y[-1])

        z, _ = framework.scan(outer, sequences=X, mode=mode)
        return function([X], z, mode=mode)

    f, g = build(Mode("fast_run")), build(without(NAME))
    check(f, g, [rng.randn(3, 4, 2)])
    big = np.full((2, 3, 2), -400.0)
    with np.errstate(all="ignore"):
        assert np.isfinite(f(big)).all()
        assert not np.isfinite(g(big)).all()
