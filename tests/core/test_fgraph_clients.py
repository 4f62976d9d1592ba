"""FunctionGraph keeps its client lists up to date through ``replace``: they
must always equal the lists computed from scratch (a stale duplicate made a
scan look read twice, so its rng states were copied on every call). And the
copy ``function`` makes with ``givens`` computes its shape signatures afresh
(copied ones named the replaced variables)."""
from __future__ import annotations

import numpy as np

import framework.tensor as T
from framework import Mode, function
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
    # the one-step loop kept as a loop (FAST_RUN otherwise inlines it: scan_inline_one_step)
    f = function([x], cost, updates=updates, mode=Mode("fast_run", excluding=["scan_inline_one_step"]))
    scans = [n for n in f.maker.fgraph.toposort() if n.op.name == "scan"]
    assert scans and all(all(n.op.rng_inplace) for n in scans)
    assert np.isfinite(f(rng.binomial(1, 0.5, (5, 6)).astype("float64")))


def test_givens_leave_no_shape_memo_naming_the_replaced_variable():
    """clone_replace copies tags; after givens the copied shape signatures would name ``x``."""
    from framework import shared
    from framework.core.graph import ancestors
    from framework.core.shape_sig import shape_signature

    data = shared(np.arange(24.0).reshape(6, 4))
    i = T.lscalar("i")
    x = T.dmatrix("x")
    b = T.dvector("b")
    y = T.nnet.sigmoid(x + b)
    for v in ancestors([y]):
        shape_signature(v)  # memoised on the user's graph, as grad does
    f = function([i, b], y.sum(), givens={x: data[i:i + 2]}, mode="FAST_COMPILE")  # the copy, unrewritten
    for v in ancestors(f.maker.fgraph.outputs):
        sig = v.tag.get("_shape_sig")
        assert sig is None or all(not (isinstance(t, tuple) and t and t[0] is x) for t in sig)
    bv = np.array([0.5, -1.0, 2.0, 0.0])
    ref = (1 / (1 + np.exp(-(np.arange(24.0).reshape(6, 4)[1:3] + bv)))).sum()
    np.testing.assert_allclose(f(1, bv), ref)


def _loss_with_shape_memos():
    """A loss reading ``x``'s sizes, with shape signatures memoised on it (as grad does)."""
    from framework.core.graph import ancestors
    from framework.core.shape_sig import shape_signature

    x = T.dmatrix("x")
    c = T.dvector("c")
    z = x * 2.0
    loss = (z.sum(axis=1) * c[: z.shape[0]]).sum() + x.shape[0]
    for v in ancestors([loss]):
        shape_signature(v)
    return x, c, z, loss


def test_givens_that_read_the_replaced_variable_keep_the_sizes_apart():
    """givens={x: x[1:]}: the copy's sizes are x[1:]'s, not x's."""
    x, c, z, loss = _loss_with_shape_memos()
    g = T.grad((z * z).sum(), x)
    f = function([x, c], [loss, g], givens={x: x[1:]}, on_unused_input="ignore")
    xv = np.arange(12.0).reshape(4, 3)
    got = f(xv, np.ones(4))
    sub = xv[1:]
    np.testing.assert_allclose(got[0], (sub * 2).sum(axis=1).sum() + 3)
    np.testing.assert_allclose(got[1], 8 * sub)


def test_clone_replace_itself_keeps_no_shape_memo_of_the_replaced_variable():
    """The memos are dropped where the copy is made, so every caller of clone_replace (scan's
    front end, theano.clone, function's givens) computes sizes from the copy."""
    from framework.core.graph import ancestors, clone_replace

    x, c, z, loss = _loss_with_shape_memos()
    (copy,) = clone_replace([loss], {x: x[1:]})
    for v in ancestors([copy]):
        if v.owner is not None:
            assert "_shape_sig" not in v.tag and "_shape_i" not in v.tag
    f = function([x, c], copy)
    xv = np.arange(12.0).reshape(4, 3)
    np.testing.assert_allclose(f(xv, np.ones(4)), (xv[1:] * 2).sum() + 3)
    (same,) = clone_replace([loss])  # without replacements the memos still hold: kept
    assert same.owner is not loss.owner


def test_the_cd1_step_broadcasts_the_mean_gradient_inside_one_fused_node():
    """With right signatures through givens, the CD-1 positive phase's 1/n reaches its
    fused node as a column, not a materialised (batch, hidden) broadcast."""
    import framework
    from framework.models import RBM
    from framework.random import RandomStreams

    data = framework.shared(np.random.RandomState(0).binomial(1, 0.3, (40, 6)).astype("float64"))
    index, x = T.lscalar(), T.matrix("x", dtype="float64")
    rbm = RBM(input=x, n_visible=6, n_hidden=4, numpy_rng=np.random.RandomState(1), theano_rng=RandomStreams(2))
    cost, updates = rbm.get_cost_updates(lr=0.1, persistent=None, k=1)
    f = function([index], cost, updates=updates, givens={x: data[index * 5:(index + 1) * 5]})
    two_d = [n for n in f.maker.fgraph.toposort() if n.op.name == "broadcast_like" and n.outputs[0].ndim == 2]
    assert not two_d
    assert np.isfinite(f(0)) and np.isfinite(f(1))
