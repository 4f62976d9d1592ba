"""scan_contiguous_transpose: a scan body's product with W.T of a non-sequence W
reads a C-contiguous copy made before the loop; values unchanged."""
from __future__ import annotations

import numpy as np

import framework
import framework.tensor as T
from framework import function, scan
from framework.core.scan import Scan

from .conftest import without


def loop(n_steps, use_in_dot=True):
    W = T.dmatrix("W")
    h0 = T.dmatrix("h0")

    def step(h):
        t = W.T
        return T.tanh(T.dot(T.dot(h, t), W)) if use_in_dot else T.tanh(h + t.sum())

    out, _ = scan(step, outputs_info=h0, n_steps=n_steps)
    return [W, h0], out[-1]


def scan_nonseq_ops(f):
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    *_, ns = node.op.outer_parts(node.inputs)
    return [v.owner.op.name if v.owner is not None else "input" for v in ns]


def test_fires_and_keeps_the_values():
    ins, out = loop(6)
    f = function(ins, out)
    assert "as_contiguous" in scan_nonseq_ops(f)
    g = function(ins, out, mode=without("scan_contiguous_transpose"))
    assert "as_contiguous" not in scan_nonseq_ops(g)
    rng = np.random.RandomState(0)
    for shape in ((3, 4), (1, 7), (5, 2)):
        Wv, hv = rng.randn(*shape) * 0.5, rng.randn(2, shape[1])
        np.testing.assert_allclose(f(Wv, hv), g(Wv, hv), rtol=1e-12)
        np.testing.assert_allclose(f(Wv, hv), function(ins, out, mode="FAST_COMPILE")(Wv, hv), rtol=1e-12)


def test_not_fired_for_short_loops_or_other_readers():
    ins, out = loop(2)
    assert "as_contiguous" not in scan_nonseq_ops(function(ins, out))
    ins, out = loop(6, use_in_dot=False)
    assert "as_contiguous" not in scan_nonseq_ops(function(ins, out))


def test_the_rbm_gibbs_chain_gets_a_contiguous_transpose():
    from framework.models import RBM
    from framework.random import RandomStreams

    x = T.matrix("x")
    chain = framework.shared(np.zeros((4, 6), dtype=framework.config.floatX))
    rbm = RBM(input=x, n_visible=9, n_hidden=6, numpy_rng=np.random.RandomState(1), theano_rng=RandomStreams(2))
    cost, updates = rbm.get_cost_updates(lr=0.1, persistent=chain, k=5)
    f = function([x], cost, updates=updates)
    assert "as_contiguous" in scan_nonseq_ops(f)
