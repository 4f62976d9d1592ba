"""The CuPy backend checks random draws' parameters as the NumPy backend does (issue #10), without
reading the device at each draw. Run by tests/backend_cupy/test_random_params.py in a subprocess
whose ``sys.path`` starts with this folder, so ``import cupy`` is the CPU stand-in."""
from __future__ import annotations

import numpy as np
import pytest

import cupy
import framework.tensor as T
from framework import Mode, config, function, shared
from framework.core.backend import clear_backends
from framework.tensor.shared_randomstreams import RandomStreams

assert getattr(cupy, "_FAKE", False), "these checks must run on the CPU stand-in for CuPy"

MODES = ["FAST_RUN", "FAST_COMPILE"]  # FAST_RUN draws binomial(1, p) as bernoulli(p)


@pytest.fixture(autouse=True)
def on_cuda():
    clear_backends()
    with config.change_flags(device="cuda", floatX="float32"):
        yield
    from framework_backend_cupy.random import raise_pending

    raise_pending()  # nothing left over for the next check
    clear_backends()


def _bernoulli(mode, n=1):
    p = T.fmatrix("p")
    s = RandomStreams(7).binomial(size=p.shape, n=n, p=p, dtype="float32")
    return p, function([p], s, mode=mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bad", [1.5, -0.25, np.nan])
def test_binomial_p_out_of_range_or_nan_is_an_error(mode, bad):
    _, f = _bernoulli(mode)
    good = np.full((4, 3), 0.5, "float32")
    assert f(good).shape == (4, 3)
    p = good.copy()
    p[2, 1] = bad
    with pytest.raises(ValueError, match=r"^p < 0, p > 1 or p contains NaNs"):
        f(p)
    s = f(good)  # the error is reported once: the next draw from good parameters works
    assert set(np.unique(s)) <= {0.0, 1.0}


@pytest.mark.parametrize("mode", MODES)
def test_binomial_with_more_trials_checks_p_and_n(mode):
    p = T.fvector("p")
    n = T.lvector("n")
    f = function([n, p], RandomStreams(3).binomial(n=n, p=p, dtype="int64"), mode=mode)
    assert f(np.array([3, 4]), np.array([0.5, 0.25], "float32")).shape == (2,)
    with pytest.raises(ValueError, match=r"^p < 0, p > 1 or p contains NaNs"):
        f(np.array([3, 4]), np.array([0.5, np.nan], "float32"))
    with pytest.raises(ValueError, match=r"^n < 0 \(a random draw on cuda:0 since results"):
        f(np.array([3, -1]), np.array([0.5, 0.25], "float32"))


def test_a_constant_p_is_checked_when_drawing():
    f = function([], RandomStreams(1).binomial(size=(3,), n=1, p=1.5, dtype="float32"), mode="FAST_COMPILE")
    with pytest.raises(ValueError, match=r"random_binomial.*: ValueError: p < 0, p > 1 or p is NaN\n"):
        f()


@pytest.mark.parametrize("mode", MODES)
def test_multinomial_probabilities_are_checked(mode):
    pv = T.fmatrix("pv")
    f = function([pv], RandomStreams(5).multinomial(n=4, pvals=pv, dtype="int64"), mode=mode)
    ok = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], "float32")
    assert f(ok).sum(axis=1).tolist() == [4, 4]
    rounding = ok.copy()
    rounding[0] += np.float32(1e-7)  # float32 rounding above 1 is accepted, as on the CPU
    f(rounding)
    too_much = ok.copy()
    too_much[1] = [0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match=r"^multinomial: the probabilities sum to 1.5, more than 1 \(they must be "
                                         r"a distribution along the last axis\) \(a random draw on cuda:0"):
        f(too_much)
    worst = ok.copy()
    worst[0], worst[1] = [0.5, 0.5, 0.25], [1.0, 1.0, 0.5]
    with pytest.raises(ValueError, match=r"sum to 2.5, more than 1"):  # the largest sum is named
        f(worst)
    nan = ok.copy()
    nan[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"^pvals < 0, pvals > 1 or pvals contains NaNs"):
        f(nan)
    assert f(ok).sum(axis=1).tolist() == [4, 4]


def test_multinomial_negative_trials():
    n = T.lvector("n")
    f = function([n], RandomStreams(5).multinomial(n=n, pvals=[0.5, 0.5], dtype="int64"))
    with pytest.raises(ValueError, match=r"^n < 0 \(a random draw on cuda:0 since results"):
        f(np.array([2, -3]))


def test_checks_never_read_the_device_per_draw():
    p = T.fmatrix("p")
    srng = RandomStreams(11)
    draws = [srng.binomial(size=p.shape, n=1, p=p * (1.0 / (k + 1)), dtype="float32") for k in range(6)]
    f = function([p], draws, outputs_on_device=True)
    g = function([p], T.sum(T.stack(draws)))
    good = cupy.asarray(np.full((5, 4), 0.5, "float32"))
    f(good)
    g(good)
    cupy.SYNCS[0] = 0
    f(good)
    assert cupy.SYNCS[0] == 0, "six checked draws, outputs kept on the device: no read"
    cupy.SYNCS[0] = 0
    g(good)
    assert cupy.SYNCS[0] <= 2, f"six checked draws, one result to the host: {cupy.SYNCS[0]} reads"


def test_the_error_comes_before_the_updates_are_stored():
    p = T.fmatrix("p")
    count = shared(np.float32(0), name="count")
    s = RandomStreams(2).binomial(size=p.shape, n=1, p=p, dtype="float32")
    f = function([p], s.sum(), updates=[(count, count + 1)])
    f(np.full((2, 2), 0.5, "float32"))
    with pytest.raises(ValueError, match="p < 0, p > 1"):
        f(np.full((2, 2), 2.0, "float32"))
    assert count.get_value() == 1


def test_outputs_kept_on_the_device_report_at_the_next_read_back():
    _, f = _bernoulli("FAST_RUN")
    p = T.fmatrix("p")
    g = function([p], RandomStreams(9).binomial(size=p.shape, n=1, p=p, dtype="float32"), outputs_on_device=True)
    g(np.full((2, 2), 7.0, "float32"))  # no read back: nothing raised yet
    with pytest.raises(ValueError, match="p < 0, p > 1"):
        f(np.full((2, 2), 0.5, "float32"))
