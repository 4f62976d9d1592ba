"""``theano.tensor.raw_random``: draws on a state the program holds (Theano 1.0's functions). Each
returns ``(new_state, sample)``; the numbers are the ``numpy.random.RandomState``'s own methods',
the state given is never changed (the new one is an output), and ``ndim`` is ``len(size)``."""
from __future__ import annotations

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE"]


@pytest.mark.parametrize("mode", MODES)
def test_each_function_draws_the_randomstates_numbers_and_returns_the_new_state(mode):
    import theano
    import theano.tensor as T
    from theano.tensor import raw_random as rr

    r = rr.random_state_type("r")
    draws = [rr.uniform(r, (2, 3), -2.0, 2.0), rr.normal(r, (4,), 1.0, 3.0), rr.binomial(r, (3, 3), 5, 0.25),
             rr.binomial(r, (5,), 1, 0.5), rr.random_integers(r, (6,), -3, 3), rr.choice(r, (2, 2), 7),
             rr.choice(r, (2,), [4, 5, 6], False, [0.5, 0.25, 0.25]), rr.poisson(r, (3,), 2.5),
             rr.permutation(r, (2,), 5), rr.multinomial(r, (3,), 4, [0.25, 0.75])]
    calls = [lambda s: s.uniform(-2.0, 2.0, (2, 3)), lambda s: s.normal(1.0, 3.0, (4,)),
             lambda s: s.binomial(5, 0.25, (3, 3)), lambda s: s.binomial(1, 0.5, (5,)),
             lambda s: s.randint(-3, 4, (6,)), lambda s: s.choice(7, (2, 2)),
             lambda s: s.choice([4, 5, 6], (2,), False, [0.5, 0.25, 0.25]), lambda s: s.poisson(2.5, (3,)),
             lambda s: np.asarray([s.permutation(5) for _ in range(2)]),
             lambda s: s.multinomial(4, [0.25, 0.75], (3,))]
    for (new_state, sample), call in zip(draws, calls):
        f = theano.function([r], [new_state, sample], mode=mode)
        given = np.random.RandomState(77)
        before = given.get_state()[1].copy()
        state, got = f(given)
        np.testing.assert_array_equal(given.get_state()[1], before)  # the input state is left as it was
        ref = np.random.RandomState(77)
        np.testing.assert_array_equal(got, np.asarray(call(ref)).astype(got.dtype))
        _, again = f(state)  # the new state continues the stream
        np.testing.assert_array_equal(again, np.asarray(call(ref)).astype(again.dtype))
    assert draws[0][1].dtype == theano.config.floatX and draws[2][1].dtype == "int64"
    assert T.raw_random is rr


def test_a_shared_state_advances_through_updates():
    import theano
    from theano.tensor import raw_random as rr

    state = theano.shared(np.random.RandomState(3))
    new_state, sample = rr.poisson(state, (4,), 3.0)
    f = theano.function([], sample, updates=[(state, new_state)])
    got = np.concatenate([f(), f()])
    np.testing.assert_array_equal(got, np.random.RandomState(3).poisson(3.0, (8,)))
    g = theano.function([], sample)  # without the update the state stays
    np.testing.assert_array_equal(g(), g())


def test_ndim_is_the_dimensions_of_size_and_bad_calls_say_so():
    import theano.tensor as T
    from theano.tensor import raw_random as rr

    r = rr.random_state_type()
    assert rr.permutation(r, (2, 3), 4, ndim=2)[1].ndim == 3
    assert rr.permutation(r, None, 4, ndim=1)[1].ndim == 1
    assert rr.multinomial(r, (2,), 3, [0.5, 0.5], ndim=1)[1].ndim == 2
    assert rr.uniform(r, (2, 3), ndim=2)[1].ndim == 2
    assert rr.choice(r)[1].ndim == 0
    with pytest.raises(TypeError, match="just one permutation"):
        rr.permutation(r, None, 4, ndim=2)
    with pytest.raises(ValueError, match="ndim"):
        rr.uniform(r, (2, 3), ndim=3)
    with pytest.raises(TypeError, match="a must be a scalar or a vector"):
        rr.choice(r, (2,), T.dmatrix())
    with pytest.raises(TypeError, match="random state"):
        rr.uniform(T.dvector(), (2,))
    sample = rr.uniform(r, (2,))[1]
    assert isinstance(sample.owner.op, rr.RandomFunction) and not isinstance(T.exp(sample).owner.op, rr.RandomFunction)
    with pytest.raises(TypeError, match="theano.tensor.raw_random.RandomFunction"):
        rr.RandomFunction("uniform", T.dvector)


@pytest.mark.parametrize("mode", MODES)
def test_choice_without_replacement_beyond_the_population_is_numpys_error(mode):
    import theano
    from theano.tensor import raw_random as rr

    r = rr.random_state_type()
    f = theano.function([r], rr.choice(r, (4,), 3, replace=False)[1], mode=mode)
    with pytest.raises(ValueError, match="larger sample than population"):
        f(np.random.RandomState(0))


def test_random_streams_base_and_gen_with_a_raw_random_function():
    """``RandomStreamsBase``'s methods draw through ``self.gen(function, ...)`` (a subclass of one's own
    says where the state lives); Theano's ``RandomStreams`` is one, and its ``gen`` takes a
    ``raw_random`` function, seeding the new state as every variable's."""
    import theano
    from theano.tensor import raw_random as rr
    from theano.tensor.shared_randomstreams import RandomStreams

    srng = RandomStreams(4321)
    assert isinstance(srng, rr.RandomStreamsBase)
    drawn = srng.gen(rr.poisson, (4,), 2.0)
    f = theano.function([], drawn)
    seeds = np.random.RandomState(4321)
    state = np.random.RandomState(int(seeds.randint(2 ** 30)))
    np.testing.assert_array_equal(np.concatenate([f(), f()]), np.concatenate([state.poisson(2.0, (4,)),
                                                                              state.poisson(2.0, (4,))]))

    class Numbered(rr.RandomStreamsBase):
        """The k-th draw on ``RandomState(k)``."""

        def __init__(self):
            self.updates = []

        def gen(self, op, *args, **kwargs):
            state = theano.shared(np.random.RandomState(len(self.updates)))
            new_state, sample = op(state, *args, **kwargs)
            self.updates.append((state, new_state))
            return sample

    streams = Numbered()
    draws = [streams.normal((2,)), streams.choice((3,), 5), streams.permutation((2,), 4, ndim=1)]
    got = theano.function([], draws, updates=streams.updates)()
    np.testing.assert_array_equal(got[0], np.random.RandomState(0).normal(0.0, 1.0, (2,)))
    np.testing.assert_array_equal(got[1], np.random.RandomState(1).choice(5, (3,)))
    assert got[2].shape == (2, 4)
    x = theano.tensor.dmatrix("x")
    shuffled = streams.shuffle_row_elements(x)  # a subclass's shuffle has .permutation too, as Theano's
    out, perm = theano.function([x], [shuffled, shuffled.permutation], updates=streams.updates[3:])(
        np.arange(8.0).reshape(2, 4))
    np.testing.assert_array_equal(out, np.take_along_axis(np.arange(8.0).reshape(2, 4), perm, axis=-1))
    with pytest.raises(TypeError, match="subclass"):
        rr.RandomStreamsBase().uniform((2,))
