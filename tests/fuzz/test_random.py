"""Random draws do not depend on the compilation mode.

Random graphs of draws -- Bernoulli with ``p`` from the input (through a sigmoid or a dot, or
the raw input, nan included), binomial with n=3, uniform and normal of the input's shape or a
fixed one, combined with arithmetic -- are compiled in FAST_RUN and in FAST_COMPILE from the
same seed, for the native ``framework.random.RandomStreams`` and for the Theano layer's
``theano.tensor.shared_randomstreams.RandomStreams``. Two calls each must give bit-identical
numbers, the same shapes and dtypes, or the same kind of error: rewrites such as
``binomial_to_uniform`` once changed the numbers drawn. Some draws are *dead* (their sample
is not an output: only their state update is kept, as the tutorial's CD-k draws its last
hidden sample), so after the calls the states themselves are compared too, by the numbers
each would draw next (``dead_draw`` advances them without drawing).
"""
from __future__ import annotations

import random

import numpy as np
import pytest

import framework.compat.theano as compat_theano
import framework.tensor as T
from framework import config, function
from framework.random import RandomStreams as NativeStreams

from .generators import MODES, Outcome, check_seeds, outcome_difference, seed_blocks

SMOKE = range(0, 20)


def theano_streams(seed: int):
    compat_theano.install()
    from theano.tensor.shared_randomstreams import RandomStreams
    return RandomStreams(seed)


STREAMS = {"native": NativeStreams, "theano": theano_streams}


def draw_graph(seed: int, streams: str, mode: str):
    """The compiled graph of draws of ``seed`` and its dtype."""
    R = random.Random(seed)
    dtype = R.choice(["float32", "float64"])
    with config.change_flags(floatX=dtype):
        srng = STREAMS[streams](seed)
        x = T.matrix("x", dtype=dtype)
        outs = []
        for _ in range(R.randint(1, 4)):
            kind = R.choice(["bern", "unif", "norm", "bern_sig", "binom_n"])
            shape = x.shape if R.random() < .7 else (R.randint(1, 3), R.randint(1, 3))
            if kind == "bern":
                p = T.sigmoid(x) if R.random() < .5 else x
                out = srng.binomial(size=x.shape, n=1, p=p, dtype=dtype)
            elif kind == "bern_sig":
                out = srng.binomial(size=x.shape, n=1, p=T.nnet.sigmoid(T.dot(x, x.T)[:, :1] * x), dtype=dtype)
            elif kind == "unif":
                out = srng.uniform(size=shape, low=-1, high=R.choice([1, 2]), dtype=dtype) * 2
            elif kind == "norm":
                out = srng.normal(size=shape, avg=0.5, std=2.0, dtype=dtype) + x.sum()
            else:
                out = srng.binomial(size=x.shape, n=3, p=0.3)
            if R.random() < .75:
                outs.append(out)  # else a dead draw: only its state moves on
        outs = outs or [x.sum()]
        return function([x], outs, mode=mode, on_unused_input="ignore"), dtype, srng


def next_numbers(srng) -> list:
    """What each of the streams' states would draw next (the states after the calls)."""
    return [np.asarray(state.get_value().uniform(size=4)) for state, _ in srng.updates()]


def two_calls(seed: int, streams: str, mode: str) -> list[Outcome]:
    f, dtype, srng = draw_graph(seed, streams, mode)
    rng = np.random.RandomState(seed)
    xv = rng.uniform(-0.5, 1.5, size=(rng.randint(1, 5), rng.randint(1, 5))).astype(dtype)
    if rng.rand() < 0.2:
        xv.flat[0] = np.nan
    results = []
    for _ in range(2):
        try:
            results.append(Outcome("ok", [np.asarray(o) for o in f(xv)]))
        except Exception as e:
            results.append(Outcome("error", error=e))
    results.append(Outcome("ok", next_numbers(srng)))
    return results


def same_draws(seed: int, streams: str) -> str | None:
    fast_run, fast_compile = (two_calls(seed, streams, mode) for mode in MODES)
    for call, (a, b) in enumerate(zip(fast_run, fast_compile)):
        diff = outcome_difference(a, b, tol=0.0)  # bit-identical numbers
        if diff is not None:
            return f"{streams} streams, call {call}: {diff}"
    return None


@pytest.mark.parametrize("streams", sorted(STREAMS))
def test_same_draws_smoke(streams):
    check_seeds(SMOKE, lambda seed: same_draws(seed, streams))


@pytest.mark.slow
@pytest.mark.parametrize("seeds", seed_blocks(1500, block=100))
@pytest.mark.parametrize("streams", sorted(STREAMS))
def test_same_draws(seeds, streams):
    check_seeds(seeds, lambda seed: same_draws(seed, streams))
