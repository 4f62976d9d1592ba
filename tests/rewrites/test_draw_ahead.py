"""draw_ahead: a Bernoulli draw's uniforms drawn as soon as the shape is known
(on the NumPy backend's helper thread), ``p`` checked and compared where the
draw was. Nothing observable may change: the samples, the generator states
after every call, the error for a bad ``p`` and the state after any failed
call are those of the one-node draw (random shapes, scans, float32/float64)."""
from __future__ import annotations

import types

import numpy as np
import pytest

import framework.tensor as T
from framework import Mode, function
from framework.core.backend import get_backend
from framework.random import RandomStreams
from framework.scan_module import scan
from framework.testing.streams import assert_same_state

import framework_backend_numpy.threads as threads
import framework_rewrites.draw_ahead as draw_ahead

from .conftest import op_names

PLAIN = Mode(excluding=["draw_ahead"])


@pytest.fixture(params=["helper thread", "no helper thread"])
def enabled(request, monkeypatch):
    """The rewrite on; the draws on the helper thread or (a machine with one core) made in place."""
    monkeypatch.setattr(draw_ahead, "ENABLED", True)
    old = threads.set_enabled(request.param == "helper thread")
    yield request.param
    threads.set_enabled(old)


@pytest.fixture(autouse=True, params=["PCG64", "MT19937"])
def bit_generator(request, monkeypatch):
    """Every test on the native streams' PCG64 and on MT19937 (the Theano layer's streams, NumPy's
    own RandomState): the helper thread saves and restores either's state."""
    monkeypatch.setattr(RandomStreams, "bit_generator", request.param)
    return request.param


def states(srng: RandomStreams):
    """Copies of the states of every variable ``srng`` made."""
    return [rng.get_value() for rng, _ in srng.state_updates]


def assert_same_states(a, b):
    assert len(a) == len(b)
    for sa, sb in zip(a, b):
        assert_same_state(sa, sb)


def gibbs(dtype: str, k: int, seed: int, size_kind: str = "p.shape"):
    h0, W = T.matrix("h", dtype=dtype), T.matrix("W", dtype=dtype)
    vb, hb = T.vector("vb", dtype=dtype), T.vector("hb", dtype=dtype)
    srng = RandomStreams(seed)
    h, outs = h0, []
    for _ in range(k):
        pv = T.nnet.sigmoid(T.dot(h, W.T) + vb)
        size = pv.shape if size_kind == "p.shape" else (h.shape[0], W.shape[0])
        v = srng.binomial(size=size, n=1, p=pv, dtype=dtype)
        ph = T.nnet.sigmoid(T.dot(v, W) + hb)
        h = srng.binomial(size=ph.shape, n=1, p=ph, dtype=dtype)
        outs += [v, h]
    return [h0, W, vb, hb], outs + [ph], srng


def run_both(ins, outs, srng, args_list, seed=5):
    """Each call's outputs and the states after it, with and without the rewrite."""
    fa, fb = function(ins, outs), function(ins, outs, mode=PLAIN)
    assert "uniforms_ahead" in op_names(fa) and "uniforms_ahead" not in op_names(fb)
    got = []
    for f in (fa, fb):
        srng.seed(seed)
        got.append([(f(*args), states(srng)) for args in args_list])
    return got


def gibbs_args(rng, dtype, rows, vis, hid):
    return (rng.binomial(1, 0.5, (rows, hid)).astype(dtype), (rng.randn(vis, hid) * 0.5).astype(dtype),
            (rng.randn(vis) * 0.1).astype(dtype), (rng.randn(hid) * 0.1).astype(dtype))


@pytest.mark.parametrize("seed", range(6))
def test_same_samples_and_states_on_random_shapes(enabled, seed):
    rng = np.random.RandomState(seed)
    dtype = "float32" if seed % 2 == 0 else "float64"
    ins, outs, srng = gibbs(dtype, 2, seed, "p.shape" if seed < 4 else "explicit")
    args = [gibbs_args(rng, dtype, *rng.randint(1, 40, size=3)) for _ in range(3)]
    a, b = run_both(ins, outs, srng, args)
    for (ra, sa), (rb, sb) in zip(a, b):
        for x, y in zip(ra, rb):
            assert x.dtype == y.dtype and x.shape == y.shape
            np.testing.assert_array_equal(x, y)
        assert_same_states(sa, sb)


def test_uniforms_start_before_the_product_that_computes_p(enabled):
    ins, outs, srng = gibbs("float32", 1, 3)
    f = function(ins, outs)
    scheduled = [e.op.name for _, e in sorted(f._linked.lines.items()) if hasattr(e, "op")]
    first_dot = scheduled.index("dot")
    assert scheduled.index("uniforms_ahead") < first_dot  # the first draw overlaps the first GEMM
    assert scheduled.count("uniforms_ahead") == 2


@pytest.mark.parametrize("bad", [np.nan, 1.5, -0.5])
def test_a_bad_p_raises_the_same_error_and_leaves_the_same_state(enabled, bad):
    p = T.matrix("p")
    x = T.matrix("x")
    srng = RandomStreams(11)
    s1 = srng.binomial(size=p.shape, n=1, p=T.nnet.sigmoid(T.dot(x, x.T)), dtype="float64")
    s2 = srng.binomial(size=p.shape, n=1, p=p * 1.0, dtype="float64")
    ins, outs = [p, x], [s1, s2]
    fa, fb = function(ins, outs), function(ins, outs, mode=PLAIN)
    assert op_names(fa).count("uniforms_ahead") == 2
    good, xv = np.full((4, 4), 0.5), np.random.RandomState(0).randn(4, 3)
    bad_p = good.copy()
    bad_p[1, 2] = bad
    after = []
    for f in (fa, fb):
        srng.seed(2)
        f(good, xv)
        with pytest.raises(ValueError, match="p < 0, p > 1 or p (is|contains) NaN"):
            f(bad_p, xv)
        after.append(states(srng))
        f(good, xv)  # and the draws go on from there
        after.append(states(srng))
    assert_same_states(after[0], after[2])
    assert_same_states(after[1], after[3])


def test_a_failure_elsewhere_puts_back_the_draws_already_started(enabled):
    """The uniforms start before the GEMM; when the GEMM fails, the one-node
    draw had not drawn yet: neither has the state."""
    h, W = T.matrix("h"), T.matrix("W")
    srng = RandomStreams(4)
    first = srng.binomial(size=h.shape, n=1, p=T.nnet.sigmoid(h), dtype="float64")
    pv = T.nnet.sigmoid(T.dot(first, W))
    v = srng.binomial(size=pv.shape, n=1, p=pv, dtype="float64")
    fa, fb = function([h, W], v), function([h, W], v, mode=PLAIN)
    after = []
    for f in (fa, fb):
        srng.seed(9)
        f(np.zeros((3, 4)), np.zeros((4, 5)))
        with pytest.raises(ValueError):
            f(np.zeros((3, 4)), np.zeros((6, 5)))  # dot: 4 columns against 6 rows
        after.append(states(srng))
    assert_same_states(after[0], after[1])


def test_a_wrong_guess_of_the_shape_draws_again_the_one_node_way(enabled):
    """p = sigmoid(a + b): the shape is guessed from a, which broadcasts at run time."""
    a, b = T.matrix("a"), T.matrix("b")
    p = T.nnet.sigmoid(a + b)
    srng = RandomStreams(8)
    s = srng.binomial(size=p.shape, n=1, p=p, dtype="float64")
    rng = np.random.RandomState(0)
    args = [(rng.randn(1, 5), rng.randn(4, 5)), (rng.randn(4, 5), rng.randn(4, 5)), (rng.randn(3, 1), rng.randn(3, 6))]
    r_a, r_b = run_both([a, b], [s, p], srng, args)
    for (ra, sa), (rb, sb) in zip(r_a, r_b):
        np.testing.assert_array_equal(ra[0], rb[0])
        assert ra[0].shape == rb[0].shape
        assert_same_states(sa, sb)


def test_an_explicit_size_that_p_broadcasts_to(enabled):
    p = T.vector("p")
    srng = RandomStreams(3)
    s = srng.binomial(size=(50, 3), n=1, p=p, dtype="float32")
    r_a, r_b = run_both([p], [s], srng, [(np.array([0.0, 1.0, 0.5]),)] * 3)
    for (ra, sa), (rb, sb) in zip(r_a, r_b):
        np.testing.assert_array_equal(ra[0], rb[0])
        assert ra[0].dtype == np.float32
        assert_same_states(sa, sb)


def gibbs_scan(seed: int, k: int, dtype: str = "float32"):
    h0, W = T.matrix("h", dtype=dtype), T.matrix("W", dtype=dtype)
    srng = RandomStreams(seed)

    def step(h):
        pv = T.nnet.sigmoid(T.dot(h, W.T))
        v = srng.binomial(size=pv.shape, n=1, p=pv, dtype=dtype)
        ph = T.nnet.sigmoid(T.dot(v, W))
        return [v, srng.binomial(size=ph.shape, n=1, p=ph, dtype=dtype)]

    (vs, hs), updates = scan(step, outputs_info=[None, h0], n_steps=k)
    return function([h0, W], [vs[-1], hs[-1]], updates=updates), srng


@pytest.mark.parametrize("seed", range(3))
def test_inside_a_scan_the_gibbs_chain_is_unchanged(monkeypatch, seed):
    """Scan bodies are compiled with the default mode: compare two graphs built alike."""
    rng = np.random.RandomState(seed)
    rows, vis, hid = rng.randint(1, 30, size=3)
    h0 = rng.binomial(1, 0.5, (rows, hid)).astype("float32")
    W = (rng.randn(vis, hid) * 0.5).astype("float32")
    results = []
    for on in (True, False):
        monkeypatch.setattr(draw_ahead, "ENABLED", on)
        f, srng = gibbs_scan(seed, 4)
        results.append([(f(h0, W), states(srng)) for _ in range(3)])
    for (ra, sa), (rb, sb) in zip(*results):
        for x, y in zip(ra, rb):
            np.testing.assert_array_equal(x, y)
        assert_same_states(sa, sb)


def test_a_backend_without_draw_ahead_draws_in_the_second_node():
    """UniformsAhead's kernel on a backend with no helper thread (the CuPy backend today)."""
    numpy_backend = get_backend("cpu")
    plain = types.SimpleNamespace(draw=numpy_backend.draw, copy_rng=numpy_backend.copy_rng)
    h = T.matrix("h")
    srng = RandomStreams(1)
    s = srng.binomial(size=h.shape, n=1, p=h, dtype="float64")
    rng_var = s.owner.inputs[0]
    op = draw_ahead.UniformsAhead("float64", 2, inplace=False, inferred=True)
    node = op.make_node(rng_var, h.shape[0], h.shape[1])
    kernel = op.make_kernel(node, plain)
    state = srng.new_state(42)
    p = np.random.RandomState(0).rand(6, 7)
    new_state, later = kernel(state, np.int64(6), np.int64(7))
    assert new_state is not state  # not in place: the caller's state is untouched
    sample = draw_ahead.BernoulliFromAhead("float64", (None, None)).make_kernel(None, plain)(later, p)
    ref_state = srng.new_state(42)
    _, ref = numpy_backend.draw(ref_state, "bernoulli", None, (p,), "float64")
    np.testing.assert_array_equal(sample, ref)
    assert_same_states([new_state], [ref_state])
    assert_same_states([state], [srng.new_state(42)])


def test_off_unless_enabled(monkeypatch):
    monkeypatch.setattr(draw_ahead, "ENABLED", False)
    ins, outs, _ = gibbs("float32", 1, 3)
    assert "uniforms_ahead" not in op_names(function(ins, outs))


@pytest.mark.parametrize("dtype", ["int64", "int8", "float32"])
def test_integer_samples_and_float64_p(enabled, dtype):
    """The tutorial's default binomial dtype is int64: the sample is cast from the comparison."""
    x, W = T.matrix("x"), T.matrix("W")
    srng = RandomStreams(3)
    p = T.nnet.sigmoid(T.dot(x, W))
    s = srng.binomial(size=p.shape, n=1, p=p, dtype=dtype)
    rng = np.random.RandomState(1)
    r_a, r_b = run_both([x, W], [s], srng, [(rng.rand(5, 4), rng.rand(4, 3)) for _ in range(3)])
    for (ra, sa), (rb, sb) in zip(r_a, r_b):
        assert ra[0].dtype == rb[0].dtype == np.dtype(dtype)
        np.testing.assert_array_equal(ra[0], rb[0])
        assert_same_states(sa, sb)


@pytest.mark.parametrize("value, expected", [("", False), ("0", False), ("off", False), ("1", True),
                                             ("TRUE", True), (" yes ", True)])
def test_the_environment_switch_reads_the_usual_spellings(monkeypatch, value, expected):
    from framework_rewrites import draw_ahead as module

    monkeypatch.setenv("FRAMEWORK_DRAW_AHEAD", value)
    assert module._from_environment() is expected


def test_a_garbled_environment_switch_is_reported_and_leaves_it_off(monkeypatch):
    from framework_rewrites import draw_ahead as module

    monkeypatch.setenv("FRAMEWORK_DRAW_AHEAD", "banana")
    with pytest.warns(RuntimeWarning, match="FRAMEWORK_DRAW_AHEAD='banana'.*stays off"):
        assert module._from_environment() is False


def test_an_error_of_a_drawn_ahead_bernoulli_lists_its_uniforms_readably():
    from framework_backend_numpy.random_draws import AheadUniforms

    ahead = AheadUniforms.__new__(AheadUniforms)
    ahead.shape, ahead.udt = (3,), np.dtype("float32")
    assert repr(ahead) == "uniforms drawn ahead for this draw (shape (3,), float32)"


@pytest.mark.parametrize("consumed", [True, False])
def test_the_helper_thread_draws_on_both_bit_generators_and_puts_the_state_back(bit_generator, consumed):
    """PCG64 (the native streams) is drawn on the helper thread -- not quietly made the one-node
    way -- and its saved state restores exactly. NumPy's own RandomState (MT19937 here, the Theano
    layer's states) draws ``binomial``'s numbers, not uniforms compared with ``p``: it is never
    drawn ahead, and the one-node draw gives the same sample and state."""
    import framework_backend_numpy.random_draws as random_draws

    old = threads.set_enabled(True)
    try:
        backend = get_backend("cpu")
        rng = RandomStreams(1).new_state(5)
        rng.random_sample(3)
        rng.standard_normal()  # a cached Gaussian, and (PCG64) half a 64-bit word buffered:
        rng.randint(0, 2 ** 31, size=1, dtype=np.uint32)
        before = backend.copy_rng(rng)
        ahead = backend.draw_ahead(rng, (7, 9), "float32", True)
        p = np.full((7, 9), 0.5, dtype=np.float32)
        if bit_generator == "MT19937":
            assert ahead.job is None  # nothing drawn ahead: the draw is made when p is known
            numpy_rng = backend.copy_rng(before)
            sample = ahead.bernoulli(p, np.dtype(np.float32))
            np.testing.assert_array_equal(sample, numpy_rng.binomial(1, p).astype(np.float32))
            assert_same_state(rng, numpy_rng)
            return
        assert ahead.job is not None  # drawn on the helper thread
        if consumed:
            p[3, 4] = np.nan  # refused: the state goes back as if never drawn
            with pytest.raises(ValueError, match="NaN"):
                ahead.bernoulli(p, np.dtype(np.float32))
            assert_same_state(rng, before)
            p[3, 4] = 0.5
            ahead = backend.draw_ahead(rng, (7, 9), "float32", True)
            sample = ahead.bernoulli(p, np.dtype(np.float32))
            _, ref = backend.draw(before, "bernoulli", None, (p,), "float32")
            np.testing.assert_array_equal(sample, ref)
        else:
            random_draws.settle_after_failure()  # a call failed before the draw was used
        assert_same_state(rng, before)
    finally:
        threads.set_enabled(old)
