"""``scan_merge_forward`` (plugins/rewrites/scan_merge.py): the gradient of a scan that draws, or
whose carries are not traced, replays the forward loop to collect values (framework/core/
scan_grad.py); the compiled function runs that loop once. Every case is checked bit for bit
against the two-loop function (the rewrite excluded): cost, gradients, and the generator states
and shared values after each of several calls."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import config, function, shared
from framework.core.graph import Constant, clone_replace, toposort
from framework.core.random_ops import RandomVariable
from framework.core.scan import InnerGraph, Scan
from framework.random import RandomStreams
from framework.scan_module import scan, until
from framework.testing.streams import assert_same_state

from .conftest import same_bits_without

REWRITE = "scan_merge_forward"


@pytest.fixture(autouse=True)
def float64():
    with config.change_flags(floatX="float64"):
        yield


def check(ins, outs, updates, arg_sets, excluding=(), **kw):
    return same_bits_without(REWRITE, ins, outs, arg_sets, excluding, updates=updates, **kw)


def scans(f):
    """(forward, backward) scan nodes of the compiled function."""
    nodes = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    back = [n for n in nodes if n.op.label.startswith("grad_of_")]
    return [n for n in nodes if n not in back], back


def outer_draws(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, RandomVariable)]


def noisy_step(srng, scale=0.1):
    def step(h):
        return T.tanh(h + srng.normal(h.shape) * scale)
    return step


# --- the example ---------------------------------------------------------------------------

def test_the_example_runs_one_forward_loop():
    srng = RandomStreams(1)
    x0 = T.dvector("x0")
    hs, upd = scan(noisy_step(srng), outputs_info=[x0], n_steps=50)
    cost = (hs[-1] ** 2).sum()
    f, g = check([x0], [cost, T.grad(cost, x0)], upd, [(np.linspace(-1, 1, 5),)] * 3)
    assert [len(s) for s in scans(g)] == [2, 1]
    assert [len(s) for s in scans(f)] == [1, 1]
    (fwd,), _ = scans(f)
    assert fwd.op.rng_inplace == (True,)  # its one reader now: advanced once, in place
    # the replay alone kept one step of hs, the loop every step (the gradient reads them): merged, all
    assert [n.op.keep for n in scans(g)[0]] == [(None,), (1, None)] and fwd.op.keep == (None, None)
    assert f.maker.report.fired[REWRITE] == 2  # the stacked output and the state


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("last", [False, True])
def test_random_shapes_and_numbers_of_steps(seed, last):
    """Symbolic n_steps (0 and 1 included: not inlined); with ``hs[-1]`` zero steps fail alike."""
    rng = np.random.RandomState(seed)
    srng = RandomStreams(seed)
    x0, n = T.dvector("x0"), T.iscalar("n")
    hs, upd = scan(noisy_step(srng, 0.3), outputs_info=[x0], n_steps=n)
    cost = (hs[-1] ** 2).sum() if last else (hs ** 2).sum() + hs.sum() * 0.5
    args = [(rng.randn(rng.randint(1, 7)), k) for k in (0, 1, 2, rng.randint(3, 60), 1, 0)]
    f, g = check([x0, n], [cost, T.grad(cost, x0)], upd, args)
    assert [len(s) for s in scans(g)] == [2, 1]
    assert [len(s) for s in scans(f)] == [1, 1]


@pytest.mark.parametrize("steps", [0, 1, 2, 50])
def test_constant_numbers_of_steps(steps):
    srng = RandomStreams(3)
    x0 = T.dvector("x0")
    hs, upd = scan(noisy_step(srng), outputs_info=[x0], n_steps=steps)
    cost = (hs ** 2).sum()
    f, g = check([x0], [cost, T.grad(cost, x0)], upd, [(np.arange(4.0),)] * 3)
    if steps == 1:
        # grad differentiates the loop inlined (its copy of the cost went through canonicalize):
        # no replay to merge, and the compiled function is the same
        assert REWRITE not in f.maker.report.fired
        assert [str(n.op) for n in f.maker.fgraph.toposort()] == [str(n.op) for n in g.maker.fgraph.toposort()]
    else:
        assert [len(s) for s in scans(g)] == [2, 1]
        assert [len(s) for s in scans(f)] == [1, 1]


def test_a_one_step_pair_is_merged_before_it_is_inlined():
    """n_steps is 1 only when compiling (``givens``): the loop and its replay are one loop before
    ``scan_inline_one_step`` runs, so one body is inlined and draws once (in place)."""
    srng = RandomStreams(3)
    x0, n = T.dvector("x0"), T.iscalar("n")
    hs, upd = scan(noisy_step(srng), outputs_info=[x0], n_steps=n)
    cost = (hs ** 2).sum()
    f, g = check([x0], [cost, T.grad(cost, x0)], upd, [(np.arange(4.0),)] * 3,
                 givens={n: np.int32(1)})
    assert (len(scans(f)[0]), len(scans(g)[0])) == (0, 0)
    # without the rewrite both inlined bodies draw from the same state: merge (which now merges
    # equal draws on the same state) makes them one draw too, bit for bit the same (check above)
    assert (len(outer_draws(f)), len(outer_draws(g))) == (1, 1)
    (draw,) = outer_draws(f)
    assert draw.op.inplace


# --- the loop's other forms ------------------------------------------------------------------------

def test_until():
    srng = RandomStreams(4)
    x0 = T.dvector("x0")

    def step(h):
        new = h * (1.2 + srng.uniform(h.shape))  # the gradient needs the samples
        return new, until(new.sum() > 40.0)

    hs, upd = scan(step, outputs_info=[x0], n_steps=100)
    cost = (T.sin(hs) ** 2).sum()
    args = [(np.full(3, v),) for v in (0.1, 0.5, 50.0, 0.1)]  # 50: stops after the first step
    f, g = check([x0], [cost, T.grad(cost, x0)], upd, args)
    assert [len(s) for s in scans(g)] == [2, 1]
    assert [len(s) for s in scans(f)] == [1, 1]


@pytest.mark.parametrize("truncate", [-1, 1, 3])
def test_sequences_non_sequences_and_truncate_gradient(truncate):
    rng = np.random.RandomState(5)
    srng = RandomStreams(5)
    X, h0, W = T.dmatrix("X"), T.dvector("h0"), T.dmatrix("W")

    def step(x_t, h, W):
        return T.tanh(T.dot(h, W) + x_t + srng.normal(h.shape) * 0.2)

    hs, upd = scan(step, sequences=X, outputs_info=h0, non_sequences=W, truncate_gradient=truncate)
    cost = (hs ** 2).sum() + hs[-1].sum()
    args = [(rng.randn(t, 4), rng.randn(4), rng.randn(4, 4) * 0.5) for t in (6, 1, 2, 6)]
    f, g = check([X, h0, W], [cost] + T.grad(cost, [X, h0, W]), upd, args)
    assert [len(s) for s in scans(g)] == [2, 1]
    assert [len(s) for s in scans(f)] == [1, 1]


@pytest.mark.parametrize("noise", [False, True])
def test_several_taps_and_a_shared_update(noise):
    """Past-value carries and a shared update are untraced carries: the gradient replays the loop
    for them even with no draws."""
    srng = RandomStreams(6)
    x0, w = T.dmatrix("x0"), T.dvector("w")
    acc = shared(np.zeros(3), name="acc")

    def step(a, b, w):
        new = T.tanh(a * w + 0.6 * b) + (srng.normal(b.shape) * 0.1 if noise else 0)
        return new, {acc: acc + new}

    r, upd = scan(step, outputs_info=dict(initial=x0, taps=[-2, -1]), non_sequences=w, n_steps=7)
    cost = (r ** 2).sum() + (acc + r[-1]).sum()
    rng = np.random.RandomState(6)
    args = [(rng.randn(2, 3), rng.randn(3)) for _ in range(3)]
    f, g = check([x0, w], [cost] + T.grad(cost, [x0, w]), upd, args)
    assert [len(s) for s in scans(g)] == [2, 1]
    assert [len(s) for s in scans(f)] == [1, 1]
    assert acc.get_value().any()


def test_a_scan_without_draws_untraced_carries_or_products_is_unchanged():
    """Its gradient reads the traced carry's rows: no replay, nothing to merge."""
    h0, w = T.dvector("h0"), T.dvector("w")
    hs, upd = scan(lambda h, w: T.tanh(h * w), outputs_info=h0, non_sequences=w, n_steps=9)
    cost = (hs ** 2).sum()
    rng = np.random.RandomState(7)
    f, g = check([h0, w], [cost] + T.grad(cost, [h0, w]), upd, [(rng.randn(3), rng.randn(3))] * 2)
    assert [str(n.op) for n in f.maker.fgraph.toposort()] == [str(n.op) for n in g.maker.fgraph.toposort()]
    assert REWRITE not in f.maker.report.fired


def test_a_product_the_gradient_keeps_is_stacked_by_the_one_forward_loop():
    """``tanh(h @ W)``: the gradient keeps the forward loop's ``h @ W`` rows instead of computing the
    product again (scan_grad.py); the copy that stacks them and the cost's loop run as one loop,
    with the same bits as two loops, and the backward loop computes no ``h @ W`` of its own."""
    h0, W = T.dvector("h0"), T.dmatrix("W")
    hs, upd = scan(lambda h, W: T.tanh(T.dot(h, W)), outputs_info=h0, non_sequences=W, n_steps=9)
    cost = (hs ** 2).sum()
    rng = np.random.RandomState(7)
    f, g = check([h0, W], [cost] + T.grad(cost, [h0, W]), upd, [(rng.randn(3), rng.randn(3, 3))] * 2)
    assert [len(s) for s in scans(g)] == [2, 1]
    assert [len(s) for s in scans(f)] == [1, 1]
    (forward,), (backward,) = scans(f)
    assert len(forward.outputs) == 2  # the carry's rows and the product's
    body = [type(n.op).__name__ for n in toposort(backward.op.inner.outputs)]
    assert body.count("Dot") == 2  # the two products of the gradient itself (of h and of W), no third


# --- what must stay two loops ----------------------------------------------------------------------

def test_two_scan_calls_on_one_stream_draw_apart_and_are_not_merged():
    """The same step twice, by two ``scan`` calls: two shared generator states, two loops (each
    merged with its own gradient's replay only)."""
    srng = RandomStreams(8)
    x0 = T.dvector("x0")
    step = noisy_step(srng)
    h1, u1 = scan(step, outputs_info=[x0], n_steps=10)
    h2, u2 = scan(step, outputs_info=[x0], n_steps=10)
    upd = {**u1, **u2}
    cost = (h1 ** 2).sum() + (h2[-1] ** 2).sum()
    f, g = check([x0], [cost, T.grad(cost, x0), h1, h2], upd, [(np.ones(3),)] * 3)
    assert len(scans(g)[0]) >= 4
    fwd, back = scans(f)
    assert (len(fwd), len(back)) == (2, 2)
    assert fwd[0].inputs[-1] is not fwd[1].inputs[-1]  # each its own generator state
    _, _, a, b = f(np.ones(3))
    assert not np.array_equal(a, b)


def hand_built_pair(change=None, extra=True):
    """The example's scan node and another over the same inputs whose body is a fresh copy of
    the first's (``change``: replacements in it), also stacking the sample when ``extra``."""
    srng = RandomStreams(9)
    x0 = T.dvector("x0")
    hs, _ = scan(noisy_step(srng), outputs_info=[x0], n_steps=6)
    node = hs.owner
    op = node.op
    (h_new, state_new) = op.inner.outputs
    sample = next(n for n in toposort([h_new]) if isinstance(n.op, RandomVariable)).outputs[1]
    copy = clone_replace([h_new, sample, state_new], change(op) if change else None)
    inner = InnerGraph(op.inner.inputs, copy if extra else copy[::2])
    other = op.clone(inner=inner, n_nonrec=int(extra), keep=None).make_node(*node.inputs)
    return x0, node, other


def scale_constant(op, value):
    (c,) = [v for n in toposort(op.inner.outputs) for v in n.inputs
            if isinstance(v, Constant) and np.ndim(v.data) == 0 and float(v.data) == 0.1]
    return {c: T.constant(value)}


@pytest.mark.parametrize("value, merged", [(0.1, True), (0.2, False)])
def test_bodies_are_compared_by_structure(value, merged):
    """A fresh copy of the body (new variables, an equal constant) is the same loop; another scale
    on the sample is not, even over the very same generator state."""
    x0, node, other = hand_built_pair(lambda op: scale_constant(op, value))
    outs = [node.outputs[0], other.outputs[0], other.outputs[1]]
    f, g = check([x0], outs, None, [(np.ones(3),)] * 2)
    assert len(scans(g)[0]) == 2
    assert len(scans(f)[0]) == (1 if merged else 2)
    if merged:  # the node with fewer outputs is the one replaced
        assert scans(f)[0][0].op.n_nonrec == 1
    first, second, _ = f(np.ones(3))
    assert np.array_equal(first, second) == merged


# --- the in-place stages ---------------------------------------------------------------------------

@pytest.mark.parametrize("excluding", [("scan_rng_inplace",), ("inplace",), ("scan_inline_one_step",)])
@pytest.mark.parametrize("steps", [1, 5])
def test_with_and_without_the_in_place_and_inlining_rewrites(excluding, steps):
    srng = RandomStreams(10)
    x0 = T.dvector("x0")
    hs, upd = scan(noisy_step(srng), outputs_info=[x0], n_steps=steps)
    cost = (hs[-1] ** 2).sum()
    f, g = check([x0], [cost, T.grad(cost, x0)], upd, [(np.ones(4),)] * 3, excluding)
    if steps > 1:  # (one step: grad differentiated the body inlined, there is no replay)
        assert len(scans(f)[0]) == len(scans(g)[0]) - 1 == 1


def test_the_state_advances_once_per_call():
    """After the merged call the stream is where one loop of draws leaves it: NumPy's own
    generator drawing the same numbers gives the same state."""
    srng = RandomStreams(11)
    x0 = T.dvector("x0")
    hs, upd = scan(noisy_step(srng), outputs_info=[x0], n_steps=7)
    (state,) = upd
    ref = state.get_value()
    cost = (hs ** 2).sum()
    f = function([x0], [cost, T.grad(cost, x0)], updates=upd)
    for _ in range(3):
        f(np.ones(2))
        for _ in range(7):
            ref.normal(size=(2,))
        assert_same_state(state.get_value(), ref)


def test_two_gradients_of_one_loop_share_it():
    """Two ``T.grad`` calls make two replays: all three forward loops are one; the two backward loops,
    then over the same inputs (the second merge pass, before ``merge_before_fusion``), are one too."""
    srng = RandomStreams(12)
    x0, W = T.dvector("x0"), T.dmatrix("W")
    hs, upd = scan(lambda h, W: T.tanh(T.dot(h, W) + srng.normal(h.shape)), outputs_info=[x0],
                   non_sequences=W, n_steps=8)
    cost = (hs ** 2).sum()
    rng = np.random.RandomState(12)
    f, g = check([x0, W], [cost, T.grad(cost, x0), T.grad(cost, W)], upd, [(rng.randn(3), rng.randn(3, 3))] * 2)
    assert [len(s) for s in scans(g)] == [3, 2]
    assert [len(s) for s in scans(f)] == [1, 1]
