"""framework.random.RandomState: the native streams' state, a numpy.random.RandomState on PCG64.

The tutorial's contract holds (it is a RandomState; get_state/set_state/seed replay
draws exactly), plus what NumPy's class refuses on PCG64: seed(), a get_state() that
set_state() takes back, set_state() of an MT19937 state (old checkpoints, Theano-era
scripts: the object then replays MT19937), pickling and copying that keep the class."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import framework
from framework import function
from framework.compat.theano.tensor.shared_randomstreams import RandomStreams as TheanoRandomStreams
from framework.random import RandomState, RandomStreams
from framework.testing.streams import assert_same_state
from framework.training.checkpoint import (CheckpointError, load_checkpoint, rng_state_from_arrays,
                                           rng_state_to_arrays, save_checkpoint)


def used(seed: int = 3) -> RandomState:
    """A state part-way through its stream: a cached Gaussian, half a 64-bit word buffered."""
    rng = RandomState(seed)
    rng.random_sample(5)
    rng.standard_normal()
    np.random.Generator(rng._bit_generator).random(3, dtype=np.float32)
    return rng


def draws(rng: np.random.RandomState) -> list:
    """Draws of every kind that reads the state (and the cached Gaussian, and the buffered word)."""
    return [rng.standard_normal(), rng.random_sample(4), rng.randint(0, 1000, 3), rng.binomial(5, 0.3, 2),
            np.random.Generator(rng._bit_generator).random(3, dtype=np.float32)]


def assert_same_draws(a: list, b: list) -> None:
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_the_native_state_is_a_randomstate_on_pcg64():
    srng = RandomStreams(4)
    rv = srng.uniform((2, 3))
    value = rv.rng.get_value()
    assert isinstance(value, np.random.RandomState) and type(value) is RandomState
    assert isinstance(value._bit_generator, np.random.PCG64)
    seed = int(np.random.RandomState(4).randint(2 ** 30))  # Theano's seeding scheme, per variable
    assert_same_state(value, np.random.RandomState(np.random.PCG64(seed)))
    np.testing.assert_array_equal(function([], rv)(), np.random.Generator(np.random.PCG64(seed)).random((2, 3)))
    assert repr(value).startswith("RandomState(PCG64)")


def test_get_state_is_the_dict_state_and_set_state_replays_exactly():
    rng = used()
    state = rng.get_state()  # NumPy's legacy default raises (or warns) on PCG64
    assert isinstance(state, dict) and state["bit_generator"] == "PCG64" and state["has_gauss"] == 1
    first = draws(rng)
    rng.set_state(state)
    assert_same_draws(draws(rng), first)
    assert rng.get_state(legacy=False)["bit_generator"] == "PCG64"


def test_seed_reseeds_as_pcg64_of_the_seed():
    rng = used()
    rng.seed(89234)  # NumPy's class raises TypeError on anything but MT19937
    assert_same_state(rng, np.random.RandomState(np.random.PCG64(89234)))
    a = draws(rng)
    rng.seed(89234)
    assert_same_draws(draws(rng), a)
    rng.seed()  # fresh entropy
    assert isinstance(rng._bit_generator, np.random.PCG64)
    with pytest.raises((TypeError, ValueError)):
        rng.seed(-1)


@pytest.mark.parametrize("form", ["legacy tuple", "dict", "list"])
def test_set_state_of_an_mt19937_state_replays_mt19937_on_the_same_object(form):
    """An old checkpoint's or a Theano-era script's state: the very object continues MT19937."""
    mt = np.random.RandomState(2024)
    mt.random_sample(7)
    mt.standard_normal()
    state = {"legacy tuple": mt.get_state(), "dict": mt.get_state(legacy=False),
             "list": list(mt.get_state())}[form]
    expected = draws(copy.deepcopy(mt))
    rng = used()
    rng.set_state(state)
    assert type(rng) is RandomState and isinstance(rng._bit_generator, np.random.MT19937)
    assert_same_draws(draws(rng), expected)
    # on MT19937 it behaves as NumPy's own: a legacy tuple, legacy seeding
    assert isinstance(rng.get_state(), tuple) and rng.get_state()[0] == "MT19937"
    rng.seed(5)
    assert_same_draws(draws(rng), draws(np.random.RandomState(5)))
    # and a PCG64 state takes it back to PCG64
    back = used(8)
    rng.set_state(back.get_state())
    assert isinstance(rng._bit_generator, np.random.PCG64)
    assert_same_draws(draws(rng), draws(back))


def test_a_state_set_in_place_is_what_the_compiled_function_draws_from():
    """The Theano tutorial's replay recipe with a legacy MT19937 tuple on a native stream."""
    srng = RandomStreams(234)
    rv = srng.uniform((2, 2))
    f = function([], rv)
    rng = rv.rng.get_value(borrow=True)
    rng.set_state(np.random.RandomState(11).get_state())
    rv.rng.set_value(rng, borrow=True)
    ref = np.random.RandomState(11)
    np.testing.assert_array_equal(f(), ref.uniform(0.0, 1.0, (2, 2)))
    np.testing.assert_array_equal(f(), ref.uniform(0.0, 1.0, (2, 2)))


@pytest.mark.parametrize("bad, error", [
    ({"bit_generator": "Xoshiro", "state": {}}, ValueError),
    ({"bit_generator": "MT19937", "state": {"key": np.zeros(3, np.uint32), "pos": 0}}, (ValueError, IndexError)),
    ({"bit_generator": "MT19937"}, ValueError),
    (("PCG64", 1, 2), ValueError),
    ({"state": {}}, ValueError),
    (3, TypeError),
])
def test_a_malformed_state_is_refused_and_leaves_the_state_as_it_was(bad, error):
    rng = used()
    before = copy.deepcopy(rng)
    with pytest.raises(error):
        rng.set_state(bad)
    assert isinstance(rng._bit_generator, np.random.PCG64)
    assert_same_draws(draws(rng), draws(before))


@pytest.mark.parametrize("on", ["PCG64", "MT19937"])
@pytest.mark.parametrize("how", ["pickle", "copy", "deepcopy"])
def test_pickling_and_copying_keep_the_class_and_the_state(on, how):
    rng = used()
    if on == "MT19937":
        rng.set_state(np.random.RandomState(6).get_state())
        rng.standard_normal()
    dup = {"pickle": lambda r: pickle.loads(pickle.dumps(r)), "copy": copy.copy, "deepcopy": copy.deepcopy}[how](rng)
    assert type(dup) is RandomState and dup is not rng
    assert type(dup._bit_generator) is type(rng._bit_generator)
    assert dup._bit_generator is not rng._bit_generator
    assert_same_draws(draws(dup), draws(rng))
    dup.seed(12)  # seed() works on the copy (NumPy's __reduce__ would give a plain RandomState)
    rng.seed(12)
    assert_same_draws(draws(dup), draws(rng))


def test_the_shared_variable_copies_keep_the_class():
    rv = RandomStreams(1).normal((3,))
    held = rv.rng.get_value()
    assert type(held) is RandomState
    rv.rng.set_value(held)  # copied in
    assert type(rv.rng.get_value(borrow=True)) is RandomState and rv.rng.get_value(borrow=True) is not held


def test_streams_seed_reseeds_every_variable_reproducibly():
    srng = RandomStreams(10)
    rvs = [srng.uniform((3,)), srng.normal((2,)), srng.binomial((4,), p=0.5)]
    f = function([], rvs)
    srng.seed(77)
    a = [f() for _ in range(2)]
    srng.seed(77)
    b = [f() for _ in range(2)]
    for x, y in zip(a, b):
        assert_same_draws(x, y)
    gen = np.random.RandomState(77)
    for rng, _ in srng.state_updates:
        assert type(rng.get_value()) is RandomState
    srng.seed(77)
    for rng, _ in srng.state_updates:
        assert_same_state(rng.get_value(), np.random.RandomState(np.random.PCG64(int(gen.randint(2 ** 30)))))


def test_the_theano_layer_keeps_mt19937_and_theanos_numbers():
    srng = TheanoRandomStreams(seed=234)
    assert isinstance(srng, RandomStreams) and srng.bit_generator == "MT19937"
    rv = srng.uniform((2, 2))
    assert type(rv.rng.get_value()) is np.random.RandomState  # NumPy's own class, as in Theano
    with framework.config.change_flags(floatX="float64"):
        out = function([], rv)()
    np.testing.assert_allclose(out, [[0.12672381, 0.97091597], [0.13989098, 0.88754825]], rtol=1e-7)


def test_the_bit_generator_keyword():
    srng = RandomStreams(234, bit_generator="MT19937")
    assert type(srng.uniform((2,)).rng.get_value()) is np.random.RandomState
    assert RandomStreams.bit_generator == "PCG64"  # the keyword sets it for this stream only
    with pytest.raises(ValueError, match="unknown bit generator 'pcg'"):
        RandomStreams(1, bit_generator="pcg")
    assert "PCG64" in repr(RandomStreams(1)) and "MT19937" in repr(TheanoRandomStreams(1))


# --- checkpoints -----------------------------------------------------------------------

def test_a_pcg64_state_round_trips_through_a_checkpoint(tmp_path):
    rng = used()
    path = tmp_path / "c.npz"
    save_checkpoint(path, {**rng_state_to_arrays(rng), **rng_state_to_arrays(np.random.RandomState(5), "mt")}, {})
    arrays, _ = load_checkpoint(path)
    assert arrays["rng_pcg64"].dtype == np.uint64 and "rng_keys" not in arrays
    restored = rng_state_from_arrays(arrays)
    assert type(restored) is RandomState
    assert_same_state(restored, rng)
    assert_same_draws(draws(restored), draws(rng))
    old = rng_state_from_arrays(arrays, "mt")  # an MT19937 state (every checkpoint written before)
    assert type(old) is np.random.RandomState
    assert_same_draws(draws(old), draws(np.random.RandomState(5)))


def test_a_malformed_pcg64_checkpoint_state_is_refused():
    arrays = rng_state_to_arrays(used())
    for broken in (arrays["rng_pcg64"][:5], arrays["rng_pcg64"].astype(np.int64),
                   np.concatenate([arrays["rng_pcg64"][:4], np.array([2, 0], np.uint64)])):
        with pytest.raises(CheckpointError, match="malformed"):
            rng_state_from_arrays({**arrays, "rng_pcg64": broken})
    with pytest.raises(CheckpointError, match="missing rng_has_gauss"):
        rng_state_from_arrays({"rng_pcg64": arrays["rng_pcg64"]})


def test_an_old_mt19937_checkpoint_loads_into_a_native_stream_and_replays(tmp_path):
    """A checkpoint saved before the native streams moved to PCG64 holds MT19937 states:
    set on a native stream's variable, the stream continues that MT19937 stream exactly."""
    from framework.training.run_state import rng_arrays, rng_from_arrays

    theano_rv = TheanoRandomStreams(42).uniform((3,))
    f_old = function([], theano_rv)
    f_old()
    path = tmp_path / "old.npz"
    save_checkpoint(path, rng_arrays("rng_u", theano_rv.rng.get_value()), {})
    expected = [f_old(), f_old()]
    arrays, _ = load_checkpoint(path)
    assert "rng_u_keys" in arrays
    native_rv = RandomStreams(42).uniform((3,))
    f_new = function([], native_rv)
    native_rv.rng.set_value(rng_from_arrays("rng_u", arrays, str(path)))
    for want in expected:
        np.testing.assert_array_equal(f_new(), want)


@pytest.mark.parametrize("bad", [("MT19937", [1, 2, 3], 0), {"bit_generator": "PCG64", "state": {}}])
def test_a_malformed_state_is_refused_readably_and_changes_nothing(bad):
    from framework.random import RandomState

    rng = RandomState(3)
    before = rng.get_state()
    with pytest.raises(ValueError, match="malformed .*state"):
        rng.set_state(bad)
    after = rng.get_state()
    assert after["bit_generator"] == before["bit_generator"] and after["state"] == before["state"]
