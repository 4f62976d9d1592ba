"""Calling a compiled function never writes into the caller's arrays or into earlier results.

For each random graph, compiled in FAST_RUN with a shared accumulator updated from the first
output and a second output that is a copy-like ``outputs[0] * 1`` (which rewrites may reduce
to the same variable): a call leaves the input arrays as they were, a second call with other
inputs leaves the first call's results as they were, and no output shares memory with an
input. The reference is a copy taken before the call (``np.array_equal`` with nans equal).
"""
from __future__ import annotations

import numpy as np

import framework
from framework import function

from .generators import fuzz_tests, random_graph

SMOKE = range(0, 40)


def no_aliasing(seed: int) -> str | None:
    graph = random_graph(seed)
    if graph is None:
        return None
    ins, outs, dtype = graph.inputs, graph.outputs, graph.dtype
    rng = np.random.RandomState(seed + 99)
    try:
        acc = framework.shared(np.asarray(rng.uniform(-1, 1, size=()), dtype=dtype), name="acc")
        f = function(ins, outs + [outs[0] * 1], updates=[(acc, acc + outs[0].sum().astype(dtype))],
                     mode="FAST_RUN", on_unused_input="ignore")
    except Exception:
        return None  # a first output that cannot feed the update (checked by test_graphs)
    args = [v.copy() for v in graph.values]
    before = [v.copy() for v in args]
    with np.errstate(all="ignore"):
        try:
            first = f(*args)
        except Exception:
            return None
        kept = [np.array(r, copy=True) for r in first]
        problems = [f"input {k} was written into" for k, (a, b) in enumerate(zip(args, before))
                    if not np.array_equal(a, b, equal_nan=True)]
        try:
            f(*[(v * 0.5 + 0.25).astype(v.dtype) for v in graph.values])
        except Exception:
            pass  # the second call may fail; it still must not touch the first results
    problems += [f"result {i} of the first call changed by the second" for i, (a, b) in enumerate(zip(first, kept))
                 if not np.array_equal(a, b, equal_nan=True)]
    problems += [f"output {i} shares memory with input {k}" for i, r in enumerate(first) for k, v in enumerate(args)
                 if isinstance(r, np.ndarray) and r.size and np.shares_memory(r, v)]
    return f"{graph.describe()}: " + "; ".join(problems) if problems else None


test_no_aliasing_smoke, test_no_aliasing = fuzz_tests(no_aliasing, SMOKE, slow_count=3000)
