"""A pickled compiled function computes what the original does and keeps its own state.

Each random graph is compiled (FAST_RUN) with an extra output that adds a random draw scaled by
a shared variable, which an update shrinks each call. After one call the function is pickled
and unpickled: the copy's next call must equal the original's next call (same draws, same
shared value, same shapes), and so must the call after, which shows that calling the copy did
not advance the original's random state or shared value, nor the reverse.
"""
from __future__ import annotations

import pickle

import numpy as np

import framework
from framework import function
from framework.random import RandomStreams

from .generators import fuzz_tests, random_graph

SMOKE = range(0, 25)


def pickle_round_trip(seed: int) -> str | None:
    graph = random_graph(seed)
    if graph is None:
        return None
    ins, outs, dtype = graph.inputs, graph.outputs, graph.dtype
    srng = RandomStreams(seed)

    def args() -> list:
        return [v.copy() for v in graph.values]

    with np.errstate(all="ignore"):
        try:
            noise = srng.uniform(outs[0].shape, dtype=dtype) if outs[0].ndim else srng.normal((), dtype=dtype)
            scale = framework.shared(np.asarray(1.5, dtype=dtype), name="s")
            f = function(ins, outs + [outs[0] + noise * scale], updates=[(scale, scale * 0.9)],
                         mode="FAST_RUN", on_unused_input="ignore")
            f(*args())
        except Exception:
            return None  # a graph that fails on its own: test_graphs checks it
        g = pickle.loads(pickle.dumps(f))
        for call in ("first", "second"):
            a, b = f(*args()), g(*args())
            for i, (x, y) in enumerate(zip(a, b)):
                if np.shape(x) != np.shape(y) or not np.allclose(x, y, equal_nan=True):
                    return (f"{graph.describe()}: {call} call after unpickling, output {i}: "
                            f"original {np.ravel(x)[:6]} {np.shape(x)}, copy {np.ravel(y)[:6]} {np.shape(y)}")
    return None


test_pickle_round_trip_smoke, test_pickle_round_trip = fuzz_tests(pickle_round_trip, SMOKE, slow_count=2000)
