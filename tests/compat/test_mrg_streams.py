"""``MRG_RandomStreams`` as a Theano program uses it: state in shared variables, ``seed()``,
replay, ``no_default_updates``, scan bodies, pickling, gradients, and clear errors."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from . import mrg_reference as ref


def _theano():
    import theano
    import theano.tensor as T
    from theano.sandbox import rng_mrg

    return theano, T, rng_mrg


def test_the_state_is_an_int32_matrix_in_a_shared_variable_with_a_default_update():
    theano, _, rng_mrg = _theano()
    rng = rng_mrg.MRG_RandomStreams(seed=42)
    u = rng.uniform((20, 3))
    ((state, new, size, nstreams),) = rng.state_updates
    assert (size, nstreams) == ((20, 3), None) and state.default_update is new
    value = state.get_value()
    assert value.dtype == np.int32 and value.shape == (10, 6)
    np.testing.assert_array_equal(value, ref.Streams(42).new(10))
    assert rng.updates() == [(state, new)]
    f = theano.function([], u)
    first = f()
    assert not np.array_equal(state.get_value(), value)        # the call stored the advanced state
    state.set_value(value)                                     # replay
    np.testing.assert_array_equal(f(), first)


def test_seed_replays_every_draw_as_theano_does():
    """Theano's test_seed_fn: seed(234) and seed(None) give the first numbers again, seed(23) others."""
    theano, T, rng_mrg = _theano()
    idx = T.ivector()
    for new_seed, same in [(234, True), (None, True), (23, False)]:
        random = rng_mrg.MRG_RandomStreams(234)
        fn1 = theano.function([], random.uniform((2, 2), dtype="float32"))
        fn2 = theano.function([], random.uniform((3, 3), nstreams=2, dtype="float32"))
        fn3 = theano.function([idx], random.uniform(idx, nstreams=3, ndim=1, dtype="float32"))
        before = [fn1(), fn1(), fn2(), fn2(), fn3([4]), fn3([4])]
        assert not np.array_equal(before[0], before[1]) and before[2].size == 9
        random.seed(new_seed)
        after = [fn1(), fn1(), fn2(), fn2(), fn3([4]), fn3([4])]
        assert all(np.array_equal(a, b) == same for a, b in zip(before, after))
    random.seed(23)
    r = ref.Streams(23)
    np.testing.assert_array_equal(fn1(), ref.Streams.draw(r.new(4), 4, "float32").reshape(2, 2))


def test_the_state_transfers_between_graphs():
    """Theano's test_random_state_transfer."""
    theano, _, rng_mrg = _theano()
    g1, g2 = rng_mrg.MRG_RandomStreams(123), rng_mrg.MRG_RandomStreams(987)
    f1, f2 = theano.function([], g1.uniform((1,))), theano.function([], g2.uniform((1,)))
    g2.rstate = g1.rstate
    for su1, su2 in zip(g1.state_updates, g2.state_updates):
        su2[0].set_value(su1[0].get_value())
    np.testing.assert_array_equal(f1(), f2())


def test_no_default_updates_leaves_the_state_alone():
    theano, _, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=9), ref.Streams(9)
    n = rng.normal((3, 2))
    u = rng.uniform((5,))
    g = theano.function([], [n, u], no_default_updates=True)
    f = theano.function([], [n, u])
    rows_n, rows_u = r.new(60 * 256), r.new(5)
    first = [ref.normal_draw(rows_n, None, (3, 2)), ref.Streams.draw(rows_u, 5)]
    for _ in range(2):
        for got, want in zip(g(), first):
            np.testing.assert_array_equal(got, want)
    for got, want in zip(f(), first):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(f(), [ref.normal_draw(rows_n, None, (3, 2)), ref.Streams.draw(rows_u, 5)]):
        np.testing.assert_array_equal(got, want)
    h = theano.function([], u, no_default_updates=[rng.state_updates[1][0]])
    np.testing.assert_array_equal(h(), h())


@pytest.mark.parametrize("pass_updates", [True, False])
def test_draws_inside_scan_advance_a_carried_state(pass_updates):
    theano, T, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=21), ref.Streams(21)
    x = T.dvector("x")
    out, updates = theano.scan(lambda xt: xt + rng.uniform((3,)), sequences=x)
    ((state, final),) = list(updates.items())
    assert state.get_value().dtype == np.int32 and state.default_update is final
    f = theano.function([x], out, updates=updates if pass_updates else None)
    rows = r.new(3)
    xs = np.array([1.0, 2.0, 3.0, 4.0])
    for _ in range(2):   # the next call goes on where the loop stopped
        np.testing.assert_array_equal(f(xs), xs[:, None] + np.array([ref.Streams.draw(rows, 3) for _ in xs]))
    np.testing.assert_array_equal(state.get_value(), rows)


def test_normal_and_binomial_inside_scan_match_the_reference():
    theano, T, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=4), ref.Streams(4)

    def body():
        return rng.normal((2, 3), dtype="float32"), rng.binomial((5,), p=0.25, dtype="int8")

    (zs, bs), updates = theano.scan(body, n_steps=3)
    f = theano.function([], [zs, bs], updates=updates)
    rows_n, rows_b = r.new(60 * 256), r.new(5)
    z, b = f()
    np.testing.assert_array_equal(z, [ref.normal_draw(rows_n, None, (2, 3), "float32") for _ in range(3)])
    np.testing.assert_array_equal(b, [(ref.Streams.draw(rows_b, 5) < 0.25).astype("int8") for _ in range(3)])
    assert z.dtype == np.float32 and b.dtype == np.int8


def test_gradient_through_a_scan_that_draws():
    """Theano's test_gradient_scan: the draw is a constant for the gradient."""
    theano, T, rng_mrg = _theano()
    rng = rng_mrg.MRG_RandomStreams(10)
    w = theano.shared(np.ones(1, dtype="float32"))
    x = T.vector(dtype="float32")
    values, updates = theano.scan(lambda xt: xt + rng.uniform((1,), dtype="float32") * w, outputs_info=x,
                                  n_steps=10)
    gw = theano.grad(T.sum(values[-1]), w)
    state = rng.state_updates[0][0]
    start = state.get_value()
    g = theano.function([x], gw, no_default_updates=True)
    got = g(np.zeros(1, dtype="float32"))
    state.set_value(start)
    draws = theano.function([x], values, updates=updates)(np.zeros(1, dtype="float32"))
    np.testing.assert_allclose(got, draws[-1], rtol=1e-6)   # d/dw sum_t u_t w = sum_t u_t = values[-1]


def test_a_compiled_function_pickles_with_its_streams():
    theano, _, rng_mrg = _theano()
    rng = rng_mrg.MRG_RandomStreams(seed=55)
    f = theano.function([], [rng.uniform((4,)), rng.normal((3,), truncate=True), rng.binomial((2,), p=0.5)])
    f()
    loaded = pickle.loads(pickle.dumps(f, protocol=pickle.HIGHEST_PROTOCOL))
    for _ in range(2):
        for a, b in zip(f(), loaded()):
            np.testing.assert_array_equal(a, b)
    rng2 = pickle.loads(pickle.dumps(rng))
    np.testing.assert_array_equal(rng2.rstate, rng.rstate)
    assert len(rng2.state_updates) == len(rng.state_updates)


def test_the_op_follows_the_op_contract():
    theano, T, rng_mrg = _theano()
    from framework.core.shape_infer import infer_shapes

    state = theano.shared(np.array(ref.Streams(3).new(2), dtype="int32"))
    n = T.lscalar("n")
    new, sample = rng_mrg.mrg_uniform.new(state, ndim=2, dtype="float32", size=(n, 3))
    assert sample.type.shape == (None, 3) and new.type == state.type
    shapes = infer_shapes(sample.owner)
    assert shapes[1][1] == 3
    f = theano.function([n], [sample, sample.shape])
    a, shp = f(5)
    assert a.shape == (5, 3) and tuple(shp) == (5, 3)
    assert rng_mrg.mrg_uniform("float32", 1) == rng_mrg.mrg_uniform("float32", 1)
    assert rng_mrg.mrg_uniform("float32", 1) != rng_mrg.mrg_uniform("float64", 1)
    with pytest.raises(TypeError, match="int32 matrix"):
        rng_mrg.mrg_uniform.new(theano.shared(np.zeros((2, 6))), ndim=1, dtype="float32", size=(3,))
    with pytest.raises(TypeError, match="float16, float32 or float64"):
        rng_mrg.mrg_uniform("int32", 1)
    assert sample.owner.op.grad(sample.owner, [None, None]) == [None, None]
    with pytest.raises(ValueError, match="negative"):
        f(-1)


def test_float16_follows_theanos_rule():
    theano, _, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=8), ref.Streams(8)
    got = theano.function([], rng.uniform((50,), dtype="float16"))()
    assert got.dtype == np.float16 and 0 < got.min() and got.max() < 1
    np.testing.assert_array_equal(got, ref.Streams.draw(r.new(8), 50, "float16"))


# --- errors -------------------------------------------------------------------------------------

def test_bad_seeds_are_refused_as_theano_refuses_them():
    _, _, rng_mrg = _theano()
    S = rng_mrg.MRG_RandomStreams
    for seed in (0, -5, rng_mrg.M2):
        with pytest.raises(ValueError, match="integer seed"):
            S(seed)
    with pytest.raises(ValueError, match="not all be 0"):
        S([0, 0, 0, 1, 2, 3])
    with pytest.raises(ValueError, match="must lie in"):
        S([1, 2, 3, 4, 5, rng_mrg.M2])
    with pytest.raises(TypeError, match="6 integers"):
        S([1, 2, 3])
    with pytest.raises(TypeError, match="6 integers"):
        S(None)
    assert S(np.int64(7)).rstate.tolist() == [7] * 6


def test_bad_arguments_name_the_problem():
    theano, T, rng_mrg = _theano()
    rng = rng_mrg.MRG_RandomStreams(1)
    for size in [(0, 100), (-1, 100), (1, 0)]:
        for method in (rng.uniform, rng.binomial, rng.normal, rng.truncated_normal):
            with pytest.raises(ValueError, match="dimension <= 0"):
                method(size)
    with pytest.raises(TypeError, match="unexpected keyword"):
        rng.uniform((2,), broadcastable=(False,))
    rng.uniform((2,), target="cpu")   # Theano's device hint is accepted
    with pytest.raises(NotImplementedError, match="n=1"):
        rng.binomial((2,), n=3)
    with pytest.raises(ValueError, match="size must be None"):
        rng.multinomial((2,), pvals=[[0.5, 0.5]])
    with pytest.raises(NotImplementedError, match="matrix"):
        rng.multinomial(pvals=[0.5, 0.5])
    with pytest.raises(TypeError, match="pvals must be given"):
        rng.multinomial()
    with pytest.raises(NotImplementedError, match="replace=False"):
        rng.choice(p=[[0.5, 0.5]])
    with pytest.raises(ValueError, match="length of size"):
        rng.uniform(T.lvector())
    with pytest.raises(NotImplementedError, match="broadcast"):
        rng.uniform((3, 1), low=np.zeros((3, 4)))
    c = rng.choice(size=3, p=[[0.5, 0.5]], replace=False)
    with pytest.raises(ValueError, match="without replacement"):
        theano.function([], c)()


def test_a_corrupted_state_is_refused_with_a_clear_error():
    theano, _, rng_mrg = _theano()
    rng = rng_mrg.MRG_RandomStreams(1)
    u = rng.uniform((4,))
    f = theano.function([], u)
    state = rng.state_updates[0][0]
    state.set_value(np.full((4, 6), -1, dtype="int32"))
    with pytest.raises(ValueError, match="out of range"):
        f()
    state.set_value(np.ones((4, 5), dtype="int32"))
    with pytest.raises(ValueError, match="6 integers per stream"):
        f()
