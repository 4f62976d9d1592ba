"""scan_reuse_last_step: an expression of a scan's last steps that its body already
outputs is read from the loop (the RBM's F(chain_end) reuses the loop's last
pre-sigmoid activation) -- same values, one GEMM fewer."""
from __future__ import annotations

import numpy as np

import framework
import framework.tensor as T
from framework import function, scan

from .conftest import op_names, top_ops, without

PLAIN = without("scan_reuse_last_step")




def test_reuses_what_the_body_outputs():
    W, x0 = T.dmatrix("W"), T.dmatrix("x0")

    def step(x):
        pre = T.dot(x, W) + 1.0
        return [pre, T.tanh(pre)]

    (pres, xs), _ = scan(step, outputs_info=[None, x0], n_steps=4)
    # the body's last pre is dot(x_in_last, W) + 1 where x_in is the previous x; outside we
    # recompute from xs[-1]: that is the *next* step's pre, not in the loop
    nxt = T.dot(xs[-1], W) + 1.0
    outs = [nxt, pres[-1]]
    f = function([W, x0], outs)
    g = function([W, x0], outs, mode=PLAIN)
    rng = np.random.RandomState(0)
    args = (rng.randn(3, 3) * 0.5, rng.randn(2, 3))
    for a, b in zip(f(*args), g(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def rbm_step(mode, k):
    from framework.models import RBM
    from framework.random import RandomStreams

    x = T.matrix("x")
    rbm = RBM(input=x, n_visible=9, n_hidden=6, numpy_rng=np.random.RandomState(1), theano_rng=RandomStreams(2))
    chain = framework.shared(np.zeros((4, 6), dtype=framework.config.floatX)) if k > 1 else None
    cost, updates = rbm.get_cost_updates(lr=0.1, persistent=chain, k=k)
    return function([x], cost, updates=updates, mode=mode), rbm


def test_the_rbm_free_energy_of_the_chain_end_reuses_the_loop():
    for k in (1, 3):
        # the loop kept as a loop (a one-step loop is otherwise inlined, and merging does the reuse)
        f, rbm_f = rbm_step(without("scan_inline_one_step"), k)
        g, rbm_g = rbm_step(without("scan_reuse_last_step", "scan_inline_one_step"), k)
        assert top_ops(f).count("dot") < top_ops(g).count("dot")
        data = (np.random.RandomState(3).rand(4, 9) < 0.5).astype(framework.config.floatX)
        for _ in range(3):
            np.testing.assert_allclose(f(data), g(data), rtol=1e-12)
        for p, q in zip(rbm_f.params, rbm_g.params):
            np.testing.assert_allclose(p.get_value(), q.get_value(), rtol=1e-12, atol=1e-14)


def test_matching_expression_is_replaced_and_others_are_not():
    W, V, x0 = T.dmatrix("W"), T.dmatrix("V"), T.dmatrix("x0")

    def step(x):
        y = T.tanh(T.dot(x, W))
        return [y, T.dot(y, W) + 2.0]

    (ys, zs), _ = scan(step, outputs_info=[x0, None], n_steps=3)
    same = T.dot(ys[-1], W) + 2.0  # exactly the body's second output at the last step
    other = T.dot(ys[-1], V) + 2.0  # another matrix: must be computed
    f = function([W, V, x0], [same, other])
    g = function([W, V, x0], [same, other], mode=PLAIN)
    assert top_ops(f).count("dot") == top_ops(g).count("dot") - 1
    rng = np.random.RandomState(1)
    args = (rng.randn(3, 3), rng.randn(3, 3), rng.randn(2, 3))
    for a, b in zip(f(*args), g(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
