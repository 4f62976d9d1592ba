"""``poisson`` and ``choice`` draw on the CuPy backend (Philox streams, docs/random.md) with NumPy's
semantics and messages: shapes, dtypes, the distributions, sampling without replacement, replay
from a saved state, and the parameter checks. Run by tests/backend_cupy/test_random_params.py in a
subprocess whose ``sys.path`` starts with this folder, so ``import cupy`` is the CPU stand-in."""
from __future__ import annotations

import numpy as np
import pytest

import cupy
import framework.tensor as T
from framework import config, function
from framework.core.backend import clear_backends
from framework.random import RandomStreams as NativeStreams
from framework.tensor.shared_randomstreams import RandomStreams as TheanoStreams

assert getattr(cupy, "_FAKE", False), "these checks must run on the CPU stand-in for CuPy"

MODES = ["FAST_RUN", "FAST_COMPILE"]
STREAMS = [NativeStreams, TheanoStreams]


@pytest.fixture(autouse=True)
def on_cuda():
    clear_backends()
    with config.change_flags(device="cuda", floatX="float32"):
        yield
    from framework_backend_cupy.random import raise_pending

    raise_pending()
    clear_backends()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("streams", STREAMS)
def test_poisson_counts(mode, streams):
    lam = T.dvector("lam")
    srng = streams(3)
    f = function([lam], srng.poisson(size=(4000, 3), lam=lam), mode=mode)
    means = np.array([0.5, 7.0, 250.0])
    out = f(means)
    assert out.shape == (4000, 3) and out.dtype == np.int64 and out.min() >= 0
    np.testing.assert_allclose(out.mean(axis=0), means, rtol=0.06)
    np.testing.assert_allclose(out.var(axis=0), means, rtol=0.12)
    assert not np.array_equal(out, f(means))  # the stream moves on


@pytest.mark.parametrize("streams", STREAMS)
def test_poisson_replays_from_a_saved_state(streams):
    srng = streams(5)
    rv = srng.poisson(size=(50,), lam=3.0)
    f = function([], rv)
    state = rv.rng.get_value()
    first = f()
    rv.rng.set_value(state)
    np.testing.assert_array_equal(f(), first)


def test_poisson_shape_from_lam_and_float_samples():
    lam = T.dmatrix("lam")
    f = function([lam], NativeStreams(1).poisson(lam=lam, dtype="float32"))
    out = f(np.full((3, 2), 4.0))
    assert out.shape == (3, 2) and out.dtype == np.float32 and np.all(out == np.round(out))


@pytest.mark.parametrize("mode", MODES)
def test_poisson_refuses_a_negative_or_nan_mean(mode):
    lam = T.dvector("lam")
    f = function([lam], NativeStreams(2).poisson(lam=lam), mode=mode)
    assert f(np.array([1.0, 2.0])).shape == (2,)
    for bad in (-1.0, np.nan):
        with pytest.raises(ValueError, match=r"^lam < 0 or lam is NaN \(a random draw on cuda:0"):
            f(np.array([1.0, bad]))
    with pytest.raises(ValueError, match=r"^lam value too large"):
        f(np.array([1.0, 1e19]))
    assert f(np.array([0.0, 0.0])).tolist() == [0, 0]  # the error was reported once


def test_poisson_refuses_a_constant_negative_mean_when_drawing():
    f = function([], NativeStreams(2).poisson(size=(3,), lam=-2.0), mode="FAST_COMPILE")
    with pytest.raises(ValueError, match=r"lam < 0 or lam is NaN"):
        f()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("streams", STREAMS)
def test_choice_with_replacement(mode, streams):
    srng = streams(7)
    f = function([], [srng.choice(size=(3000,), a=5), srng.choice(size=(20, 30), a=4, p=[0.5, 0.0, 0.2, 0.3])],
                 mode=mode)
    flat, weighted = f()
    assert flat.shape == (3000,) and flat.dtype == np.int64 and set(np.unique(flat)) == set(range(5))
    np.testing.assert_allclose(np.bincount(flat) / 3000, 0.2, atol=0.03)
    assert weighted.shape == (20, 30) and set(np.unique(weighted)) == {0, 2, 3}  # never probability 0
    np.testing.assert_allclose(np.bincount(weighted.ravel(), minlength=4) / 600, [0.5, 0.0, 0.2, 0.3], atol=0.06)


@pytest.mark.parametrize("streams", STREAMS)
def test_choice_without_replacement(streams):
    srng = streams(8)
    a = T.dvector("a")
    f = function([a], [srng.choice(size=(2, 5), a=a, replace=False),
                       srng.choice(size=(3,), a=6, replace=False, p=[0.2, 0.2, 0.0, 0.3, 0.0, 0.3])])
    pop = np.arange(10.0) * 1.5
    for _ in range(20):
        taken, weighted = f(pop)
        assert taken.shape == (2, 5) and len(set(taken.ravel().tolist())) == 10
        assert set(taken.ravel().tolist()) == set(pop.astype(np.int64).tolist())  # a's values, as int64
        assert weighted.shape == (3,) and len(set(weighted.tolist())) == 3 and not {2, 4} & set(weighted.tolist())


def test_choice_without_replacement_follows_the_probabilities():
    # the first member drawn is a draw with the probabilities; the second, one among those left
    f = function([], NativeStreams(9).choice(size=(2,), a=3, replace=False, p=[0.6, 0.3, 0.1]))
    firsts = np.array([f()[0] for _ in range(3000)])
    np.testing.assert_allclose(np.bincount(firsts, minlength=3) / 3000, [0.6, 0.3, 0.1], atol=0.035)


def test_choice_replays_from_a_saved_state():
    srng = NativeStreams(4)
    rv = srng.choice(size=(40,), a=50, replace=False)
    f = function([], rv)
    state = rv.rng.get_value()
    first = f()
    rv.rng.set_value(state)
    np.testing.assert_array_equal(f(), first)


@pytest.mark.parametrize("kwargs,message", [
    (dict(size=(3,), a=0), r"a must be greater than 0 unless no samples are taken"),
    (dict(size=(4,), a=3, replace=False), r"Cannot take a larger sample than population when 'replace=False'"),
    (dict(size=(2,), a=3, p=[0.5, 0.6, 0.1]), r"probabilities do not sum to 1"),
    (dict(size=(2,), a=3, p=[1.5, -0.5, 0.0]), r"probabilities are not non-negative"),
    (dict(size=(2,), a=3, p=[np.nan, 0.5, 0.5]), r"probabilities contain NaN"),
    (dict(size=(3,), a=3, replace=False, p=[0.5, 0.5, 0.0]), r"Fewer non-zero entries in p than size"),
    (dict(size=(2,), a=3, p=[0.5, 0.5]), r"'a' and 'p' must have same size"),
    (dict(size=(2,), a=2.5), r"a must be 1-dimensional or an integer"),
])
def test_choice_refuses_what_numpy_refuses(kwargs, message):
    f = function([], NativeStreams(1).choice(**kwargs))
    with pytest.raises(ValueError, match=message):
        f()
    with pytest.raises(ValueError, match=message):  # NumPy's own message, the same words
        np.random.RandomState(0).choice(kwargs.pop("a"), kwargs.pop("size"), **kwargs)


def test_choice_of_no_samples_from_an_empty_population():
    f = function([], NativeStreams(1).choice(size=(0,), a=0))
    out = f()
    assert out.shape == (0,) and out.dtype == np.int64
