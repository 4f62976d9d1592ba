"""RandomStreams: the Theano tutorial "Using Random Numbers", as written there,
plus every distribution against NumPy drawing from the same seeds."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import function
from framework.core.random_ops import RandomVariable
from framework.random import RandomStreams as RandomStreamsDirect
from framework.tensor.shared_randomstreams import RandomStreams
from framework.testing.streams import assert_same_state


# binomial(n=1, p) draws the same numbers whether or not ``binomial_to_uniform`` made it a
# bernoulli node (``streams.bernoulli`` says which: docs/random.md); tests that spell out the
# binomial node keep that rewrite off, which must not change a number
EXACT = framework.Mode("fast_run", excluding=["binomial_to_uniform"])


def draw_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, RandomVariable)]


# --- the tutorial, exactly as written --------------------------------------------------

def test_tutorial_brief_example(streams):
    srng = streams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u)
    g = function([], rv_n, no_default_updates=True)  # Not updating rv_n.rng
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)

    ref_u, ref_n = streams.reference_states(234, 2)
    f_val0 = f()
    f_val1 = f()  # different numbers from f_val0
    if streams.theano:  # the numbers Theano 1.0 printed for this program
        np.testing.assert_allclose(f_val0, [[0.12672381, 0.97091597], [0.13989098, 0.88754825]], rtol=1e-7)
    np.testing.assert_array_equal(f_val0, ref_u.uniform(0.0, 1.0, (2, 2)))
    np.testing.assert_array_equal(f_val1, ref_u.uniform(0.0, 1.0, (2, 2)))
    assert not np.allclose(f_val0, f_val1)

    g_val0 = g()  # different numbers from f_val0 and f_val1
    g_val1 = g()  # same numbers as g_val0!
    np.testing.assert_array_equal(g_val0, g_val1)
    np.testing.assert_array_equal(g_val0, ref_n.normal(0.0, 1.0, (2, 2)))

    # a random variable is drawn at most once per call
    np.testing.assert_allclose(nearly_zeros(), np.zeros((2, 2)), atol=1e-15)
    assert f.maker.fgraph.outputs[0].dtype == framework.config.floatX


def test_tutorial_seeding_streams(streams):
    srng = streams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = function([], rv_u)
    rng_val = rv_u.rng.get_value(borrow=True)  # Get the rng for rv_u
    rng_val.seed(89234)  # seeds the generator
    rv_u.rng.set_value(rng_val, borrow=True)  # Assign back seeded rng
    np.testing.assert_array_equal(f(), streams.reference(89234).uniform(size=(2, 2)))

    srng.seed(902340)  # seeds rv_u and rv_n with different seeds each
    (ref,) = streams.reference_states(902340, 1)
    np.testing.assert_array_equal(f(), ref.uniform(size=(2, 2)))


def test_tutorial_sharing_streams_between_functions(streams):
    srng = streams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = function([], rv_u)
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)

    state_after_v0 = rv_u.rng.get_value().get_state()
    nearly_zeros()  # this affects rv_u's generator
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)
    v2 = f()  # v2 != v1
    v3 = f()  # v3 == v1
    assert not np.allclose(v1, v2)
    np.testing.assert_array_equal(v1, v3)


def test_tutorial_copying_random_state_between_graphs(streams):
    class Graph:
        def __init__(self, seed=123):
            self.rng = streams(seed)
            self.y = self.rng.uniform(size=(1,))

    g1 = Graph(seed=123)
    f1 = function([], g1.y)
    g2 = Graph(seed=987)
    f2 = function([], g2.y)
    assert f1() != f2()  # by default, the two functions are out of sync

    def copy_random_state(g1, g2):
        for (su1, su2) in zip(g1.rng.state_updates, g2.rng.state_updates):
            su2[0].set_value(su1[0].get_value())

    copy_random_state(g1, g2)
    np.testing.assert_array_equal(f1(), f2())


def test_both_import_paths_give_the_same_class():
    assert RandomStreams is RandomStreamsDirect
    assert framework.random.RandomStreams is RandomStreams


# --- state handling ------------------------------------------------------------------

def test_rng_is_a_shared_random_state_with_its_default_update(streams):
    srng = streams(1)
    rv = srng.uniform((3,))
    assert isinstance(rv.rng.get_value(borrow=True), np.random.RandomState)
    assert rv.rng.default_update is rv.owner.outputs[0]
    assert rv.update == (rv.rng, rv.owner.outputs[0])
    assert srng.updates() == [(rv.rng, rv.owner.outputs[0])]
    assert srng[rv.rng] is rv.rng.get_value(borrow=True)


def test_explicit_update_wins_over_the_default_one(streams):
    srng = streams(5)
    rv = srng.uniform((2,))
    (ref,) = streams.reference_states(5, 1)
    f = function([], rv, updates=[(rv.rng, rv.rng)])  # keep the state: same numbers every call
    first = ref.uniform(size=(2,))
    np.testing.assert_array_equal(f(), first)
    np.testing.assert_array_equal(f(), first)


def test_no_default_updates_with_a_list(streams):
    srng = streams(7)
    a = srng.uniform((2,))
    b = srng.normal((2,))
    f = function([], [a, b], no_default_updates=[a.rng])
    ref_a, ref_b = streams.reference_states(7, 2)
    a0, b0 = f()
    a1, b1 = f()
    np.testing.assert_array_equal(a0, a1)
    np.testing.assert_array_equal(a0, ref_a.uniform(size=(2,)))
    np.testing.assert_array_equal(b0, ref_b.normal(size=(2,)))
    np.testing.assert_array_equal(b1, ref_b.normal(size=(2,)))


def test_in_place_draw_only_when_nothing_else_sees_the_old_state(streams):
    srng = streams(11)
    rv = srng.uniform((4,))
    f = function([], rv)
    assert [n.op.inplace for n in draw_nodes(f)] == [True]
    g = function([], rv, no_default_updates=True)
    assert [n.op.inplace for n in draw_nodes(g)] == [False]
    # the in-place function advances exactly like NumPy; the other never does
    (ref,) = streams.reference_states(11, 1)
    first = ref.uniform(size=(4,))
    np.testing.assert_array_equal(g(), first)
    np.testing.assert_array_equal(g(), first)
    np.testing.assert_array_equal(f(), first)
    np.testing.assert_array_equal(f(), ref.uniform(size=(4,)))


def test_function_without_the_in_place_rewrite_draws_the_same_numbers(streams):
    def run(mode):
        srng = streams(3)
        rv = srng.normal((3,))
        f = function([], rv, mode=mode)
        return [f() for _ in range(3)]

    fast = run(None)
    plain = run(framework.Mode("fast_run", excluding=["random_inplace"]))
    debug = run("DEBUG")
    np.testing.assert_array_equal(fast, plain)
    np.testing.assert_array_equal(fast, debug)


def test_draw_does_not_touch_a_state_someone_else_holds(streams):
    srng = streams(2)
    rv = srng.uniform((2,))
    held = rv.rng.get_value(borrow=True)
    before = copy.deepcopy(held)
    g = function([], rv, no_default_updates=True)
    g()
    assert_same_state(held, before)


# --- distributions ---------------------------------------------------------------------

def test_uniform_and_normal_parameters_and_dtypes(streams):
    srng = streams(21)
    u = srng.uniform((3, 2), low=-2.0, high=5.0)
    n = srng.normal((4,), avg=10.0, std=0.5, dtype="float32")
    ru, rn = streams.reference_states(21, 2)
    uv, nv = function([], [u, n])()
    np.testing.assert_array_equal(uv, ru.uniform(-2.0, 5.0, (3, 2)))
    np.testing.assert_array_equal(nv, rn.normal(10.0, 0.5, (4,)).astype("float32"))
    assert uv.dtype == np.float64 and nv.dtype == np.float32


def test_binomial_with_symbolic_p_of_any_broadcastable_shape(streams):
    srng = streams(8)
    p = T.matrix("p")
    row = T.vector("row")
    full = srng.binomial(size=p.shape, n=1, p=p, dtype="float32")
    bcast = srng.binomial(size=(3, 4), n=3, p=row)  # p broadcasts along the rows
    from_p = srng.binomial(p=p)  # no size: the shape of p
    pv = np.linspace(0.05, 0.95, 12).reshape(3, 4)
    rv = np.array([0.1, 0.5, 0.9, 0.3])
    r1, r2, r3 = streams.reference_states(8, 3)
    a, b, c = function([p, row], [full, bcast, from_p], mode=EXACT)(pv, rv)
    np.testing.assert_array_equal(a, streams.bernoulli(r1, pv).astype("float32"))
    np.testing.assert_array_equal(b, r2.binomial(3, rv, (3, 4)))
    np.testing.assert_array_equal(c, streams.bernoulli(r3, pv))
    assert a.dtype == np.float32 and b.dtype == np.int64 and b.max() <= 3
    assert full.type.shape == (None, None) and bcast.type.shape == (3, 4)


def test_binomial_p_that_does_not_broadcast_to_size_is_refused(streams):
    srng = streams(0)
    with pytest.raises(ValueError, match="do not broadcast to size"):
        srng.binomial(size=(3, 4), p=np.full(5, 0.5))


def test_random_integers_permutation_multinomial(streams):
    srng = streams(99)
    ri = srng.random_integers((2, 5), low=-1, high=1)
    perm = srng.permutation((2,), n=6)
    one_perm = srng.permutation(n=5)
    mult = srng.multinomial((3,), n=10, pvals=[0.2, 0.3, 0.5])
    batch = srng.multinomial(n=np.array([5, 50]), pvals=np.array([[0.5, 0.5], [0.1, 0.9]]))
    r1, r2, r3, r4, r5 = streams.reference_states(99, 5)
    a, b, c, d, e = function([], [ri, perm, one_perm, mult, batch])()
    np.testing.assert_array_equal(a, r1.randint(-1, 2, (2, 5)))
    assert set(np.unique(a)) <= {-1, 0, 1}
    np.testing.assert_array_equal(b, [r2.permutation(6), r2.permutation(6)])
    np.testing.assert_array_equal(c, r3.permutation(5))
    np.testing.assert_array_equal(d, r4.multinomial(10, [0.2, 0.3, 0.5], size=(3,)))
    np.testing.assert_array_equal(d.sum(axis=1), [10, 10, 10])
    np.testing.assert_array_equal(e, [r5.multinomial(5, [0.5, 0.5]), r5.multinomial(50, [0.1, 0.9])])
    assert perm.type.shape == (2, 6) and mult.type.shape == (3, 3) and batch.ndim == 2


def test_symbolic_size(streams):
    srng = streams(4)
    n = T.lscalar("n")
    x = T.matrix("x")
    a = srng.uniform((n, 2))
    b = srng.normal(size=x.shape)
    r1, r2 = streams.reference_states(4, 2)
    av, bv = function([n, x], [a, b])(3, np.zeros((2, 5)))
    np.testing.assert_array_equal(av, r1.uniform(size=(3, 2)))
    np.testing.assert_array_equal(bv, r2.normal(size=(2, 5)))


def test_ndim_argument_is_checked(streams):
    srng = streams(0)
    assert srng.uniform((2, 3), ndim=2).ndim == 2
    with pytest.raises(ValueError, match="ndim"):
        srng.uniform((2, 3), ndim=1)


def test_samples_have_no_gradient_wrt_parameters(streams):
    srng = streams(0)
    p = T.vector("p")
    s = srng.binomial(size=p.shape, p=p, dtype="float64")
    cost = (s * p).sum()
    g = T.grad(cost, p)
    pv = np.array([0.2, 0.8, 0.5])
    (ref,) = streams.reference_states(0, 1)
    np.testing.assert_array_equal(function([p], g, mode=EXACT)(pv), streams.bernoulli(ref, pv))


def test_draws_go_through_the_backend(streams):
    calls = []
    from framework.core.backend import get_backend

    be = get_backend("cpu")
    original = type(be).draw

    def spy(self, rng, dist, size, params, dtype):
        calls.append((dist, size, dtype))
        return original(self, rng, dist, size, params, dtype)

    srng = streams(1)
    type(be).draw = spy
    try:
        f = function([], srng.uniform((2, 3)))
        f()
    finally:
        type(be).draw = original
    assert calls == [("uniform", (2, 3), framework.config.floatX)]
