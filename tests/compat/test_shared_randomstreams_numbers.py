"""``theano.tensor.shared_randomstreams.RandomStreams`` draws Theano 1.0's numbers.

Theano's own tests of this module (theano/tensor/tests/test_shared_randomstreams.py)
are the specification: the k-th random variable of ``RandomStreams(seed)`` is
``numpy.random.RandomState(s_k)`` with ``s_k`` the k-th ``randint(2**30)`` of
``numpy.random.RandomState(seed)``, and each draw is that RandomState's own method,
cast to the variable's dtype. Here that is checked in every mode (FAST_RUN rewrites
``binomial(n=1, p)`` into a Bernoulli node, which must not change a number) and in
float32 as well as float64 (Theano drew doubles and cast them).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE"]
SEED = 4321


def numpy_states(n, seed=SEED):
    """What Theano seeded its first ``n`` random variables with."""
    gen = np.random.RandomState(seed)
    return [np.random.RandomState(int(gen.randint(2 ** 30))) for _ in range(n)]


@pytest.fixture(params=MODES)
def mode(request):
    return request.param


@pytest.fixture
def th():
    """``theano``, ``theano.tensor`` and the streams class, imported as a Theano program would."""
    import theano
    import theano.tensor as T
    from theano.tensor.shared_randomstreams import RandomStreams

    return SimpleNamespace(theano=theano, T=T, RandomStreams=RandomStreams)


@pytest.mark.parametrize("floatX", ["float64", "float32"])
def test_uniform_normal_binomial_are_numpys_randomstate_numbers(th, mode, floatX):
    theano, T, RandomStreams = th.theano, th.T, th.RandomStreams
    with theano.config.change_flags(floatX=floatX):
        srng = RandomStreams(SEED)
        p = T.matrix("p")
        outs = [srng.uniform((2, 3)), srng.uniform((4,), -1, 3), srng.normal((2, 2), -1, 2),
                srng.binomial((4, 4), 1, 0.5), srng.binomial(size=p.shape, n=1, p=p, dtype=floatX),
                srng.binomial(size=(3, 2), n=5, p=0.3)]
        f = theano.function([p], outs, mode=mode)
    pv = np.linspace(0.05, 0.95, 6).reshape(2, 3).astype(floatX)
    refs = numpy_states(len(outs))
    for _ in range(2):  # the second call checks that each state advanced as NumPy's did
        got = f(pv)
        want = [refs[0].uniform(size=(2, 3)).astype(floatX), refs[1].uniform(-1, 3, size=(4,)).astype(floatX),
                refs[2].normal(-1, 2, size=(2, 2)).astype(floatX), refs[3].binomial(1, 0.5, size=(4, 4)),
                refs[4].binomial(1, pv, size=(2, 3)).astype(floatX), refs[5].binomial(5, 0.3, size=(3, 2))]
        for g, w in zip(got, want):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)


def test_random_integers_permutation_multinomial(th, mode):
    theano, RandomStreams = th.theano, th.RandomStreams
    srng = RandomStreams(SEED)
    f = theano.function([], [srng.random_integers((20, 20), -5, 5), srng.permutation((20,), 10),
                             srng.multinomial((4, 4), 1, [0.1] * 10)], mode=mode)
    r1, r2, r3 = numpy_states(3)
    for _ in range(2):
        a, b, c = f()
        np.testing.assert_array_equal(a, r1.randint(-5, 5 + 1, size=(20, 20)))  # random_integers(-5, 5)
        np.testing.assert_array_equal(b, np.asarray([r2.permutation(10) for _ in range(20)]))
        np.testing.assert_array_equal(c, r3.multinomial(1, [0.1] * 10, size=(4, 4)))


def test_the_tutorials_gibbs_step_draws_theanos_numbers(th, mode):
    theano, T, RandomStreams = th.theano, th.T, th.RandomStreams
    """A float32 RBM-like Gibbs step (the deeplearning.net tutorial's sampling), inside scan."""
    with theano.config.change_flags(floatX="float32"):
        rs = np.random.RandomState(0)
        W = theano.shared((rs.randn(6, 4) * 0.5).astype("float32"))
        srng = RandomStreams(SEED)

        def gibbs(v):
            h = srng.binomial(size=(4,), n=1, p=T.nnet.sigmoid(T.dot(v, W)), dtype="float32")
            return srng.binomial(size=(6,), n=1, p=T.nnet.sigmoid(T.dot(h, W.T)), dtype="float32")

        v0 = T.vector("v0")
        chain, updates = theano.scan(gibbs, outputs_info=v0, n_steps=5)
        f = theano.function([v0], chain[-1], updates=updates, mode=mode)
    rh, rv = numpy_states(2)
    Wv = W.get_value()
    v = np.zeros(6, dtype="float32")
    out = f(v)
    for _ in range(5):
        ph = 1 / (1 + np.exp(-(v @ Wv)))
        h = rh.binomial(1, ph, size=(4,)).astype("float32")
        pv = 1 / (1 + np.exp(-(h @ Wv.T)))
        v = rv.binomial(1, pv, size=(6,)).astype("float32")
    np.testing.assert_array_equal(out, v)


def test_a_bad_p_raises_numpys_error(th, mode):
    theano, T, RandomStreams = th.theano, th.T, th.RandomStreams
    srng = RandomStreams(SEED)
    p = T.dvector("p")
    f = theano.function([p], srng.binomial(size=p.shape, n=1, p=p), mode=mode)
    with pytest.raises(ValueError, match="p < 0, p > 1 or p (is|contains) NaN"):
        f(np.array([0.5, np.nan]))


def test_choice_poisson_and_shuffled_rows_are_numpys_randomstate_numbers(th, mode):
    """Theano 1.0's ``RandomStreams.choice``, ``poisson`` and ``shuffle_row_elements`` (the last
    permutes each row by a ``permutation`` draw, available as ``.permutation``)."""
    theano, T, RandomStreams = th.theano, th.T, th.RandomStreams
    srng = RandomStreams(SEED)
    x = T.dmatrix("x")
    shuffled = srng.shuffle_row_elements(x)
    outs = [srng.choice((3, 4), 10), srng.choice((2,), np.array([10, 20, 30]), replace=False, p=[0.2, 0.3, 0.5]),
            srng.choice(), srng.poisson((2, 3), 4.0), shuffled, shuffled.permutation]
    f = theano.function([x], outs, mode=mode)
    xv = np.arange(12.0).reshape(3, 4)
    r = numpy_states(5)
    for _ in range(2):
        got = f(xv)
        perm = np.asarray([r[0].permutation(4) for _ in range(3)])  # the first variable made: state 0
        want = [r[1].choice(10, (3, 4)), r[2].choice([10, 20, 30], (2,), False, [0.2, 0.3, 0.5]),
                np.int64(r[3].choice(2)), r[4].poisson(4.0, (2, 3)), np.take_along_axis(xv, perm, axis=-1), perm]
        for g, w in zip(got, want):
            assert np.asarray(g).dtype == np.asarray(w).dtype and np.shape(g) == np.shape(w)
            np.testing.assert_array_equal(g, w)


def test_ndim_means_the_dimensions_of_size_as_in_theano(th):
    """Theano's ``ndim`` is ``len(size)``: a permutation or multinomial sample has one axis more."""
    T, RandomStreams = th.T, th.RandomStreams
    srng = RandomStreams(SEED)
    assert srng.permutation((2, 3), 5, ndim=2).ndim == 3
    assert srng.multinomial((4,), 3, [0.5, 0.5], ndim=1).ndim == 2
    assert srng.permutation(None, 5, ndim=1).ndim == 1
    assert srng.uniform((2, 3), ndim=2).ndim == 2
    with pytest.raises(TypeError, match="just one permutation"):
        srng.permutation(None, 5, ndim=2)
    with pytest.raises(ValueError, match="ndim"):
        srng.permutation((2,), 5, ndim=2)
