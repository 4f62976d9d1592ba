"""FunctionGraph keeps its client lists up to date through ``replace``: they
must always equal the lists computed from scratch (a stale duplicate made a
scan look read twice, so its rng states were copied on every call)."""
from __future__ import annotations

import numpy as np

import framework.tensor as T
from framework import function
from framework.core.fgraph import FunctionGraph
from framework.core.random_ops import make_random
from framework.core.shared import RandomStateType


def fresh_clients(fg: FunctionGraph):
    fg2 = FunctionGraph(fg.inputs, fg.outputs)
    return {v: sorted((id(c), i) for c, i in lst) for v, lst in fg2.clients.items()}


def cached_clients(fg: FunctionGraph):
    return {v: sorted((id(c), i) for c, i in lst) for v, lst in fg.clients.items() if lst}


def test_replacing_a_node_whose_first_output_is_unused_registers_the_new_node_once():
    rng = RandomStateType().make_variable("rng")
    p = T.dvector("p")
    _, sample = make_random("uniform", rng, (3,), [0.0, p], "float64")
    old = sample.owner
    fg = FunctionGraph([rng, p], [sample * 2])
    fg.clients  # the cache the rewrites keep up to date
    new = old.op.make_node(*old.inputs)
    for o, n in zip(old.outputs, new.outputs):  # output 0 (the state) has no client
        fg.replace(o, n, reason="test")
    assert [c for c, _ in fg.clients[rng]] == [new]
    assert cached_clients(fg) == fresh_clients(fg)


def test_the_compiled_cd1_step_draws_in_place_inside_its_scan():
    """The RBM's CD-1 step: the Gibbs scan's states are updated only by it (rng_inplace)."""
    from framework.models import RBM
    from framework.random import RandomStreams

    x = T.matrix("x", dtype="float64")
    rng = np.random.RandomState(1)
    rbm = RBM(input=x, n_visible=6, n_hidden=4, numpy_rng=rng, theano_rng=RandomStreams(2))
    cost, updates = rbm.get_cost_updates(lr=0.1, persistent=None, k=1)
    f = function([x], cost, updates=updates)
    scans = [n for n in f.maker.fgraph.toposort() if n.op.name == "scan"]
    assert scans and all(all(n.op.rng_inplace) for n in scans)
    assert np.isfinite(f(rng.binomial(1, 0.5, (5, 6)).astype("float64")))
