"""``ifelse`` stays lazy and exact under FAST_RUN's rewrites.

Two random graphs built over the same inputs become the two branches of an ``ifelse`` (they
share inputs, so rewrites see shared subexpressions, and a branch may hold an operation whose
shapes cannot match). For both conditions the compiled function must give in FAST_RUN what it
gives in FAST_COMPILE: the same values, or the same kind of error -- FAST_COMPILE, with no
fusion and few rewrites, runs exactly the taken branch. This found fusion merging both
branches' work into one node (which raised the untaken branch's error) and a shape check lost
when the checking node stayed in the graph for the other branch.
"""
from __future__ import annotations

import numpy as np

import framework.tensor as T
from framework.core.graph import clone_replace
from framework.core.ifelse import ifelse

from .generators import MODES, fuzz_tests, outcome_difference, random_graph, run_graph, tolerance

SMOKE = range(0, 40)


def _branches(seed: int):
    """(inputs, values, then, else) or None: the second graph rebuilt on the first's inputs
    where the types match, cast and broadcast to the first's output."""
    first, second = random_graph(seed), random_graph(seed + 100000)
    if first is None or second is None:
        return None
    shared = {b: a for a, b in zip(first.inputs, second.inputs) if a.type == b.type}
    then = first.outputs[-1]
    other = clone_replace([second.outputs[-1]], shared)[0]
    if other.ndim > then.ndim:
        return None
    if other.type != then.type:
        try:
            other = T.cast(other, then.dtype) * T.ones_like(then)
        except Exception:
            return None
        if other.type.ndim != then.type.ndim:
            return None
    inputs = first.inputs + [v for v in second.inputs if v not in shared]
    values = first.values + [x for v, x in zip(second.inputs, second.values) if v not in shared]
    # the else branch may compute in a narrower float (float16) before its cast: its tolerance
    tol = max(tolerance(first.dtype), tolerance(second.dtype))
    return inputs, values, then, other, first, tol


def lazy_and_exact(seed: int) -> str | None:
    built = _branches(seed)
    if built is None:
        return None
    inputs, values, then, other, first, tol = built
    cond = T.iscalar("cond")
    try:
        out = ifelse(cond, then, other)
    except Exception:
        return None  # branch types the conditional refuses (checked by its own tests)
    for taken in (1, 0):
        with np.errstate(all="ignore"):
            outcomes = [run_graph(inputs + [cond], values + [np.int32(taken)], [out], mode) for mode in MODES]
        problem = outcome_difference(*outcomes, tol)
        if problem is not None:
            return f"{first.describe()}, cond={taken}: {problem}"
    return None


test_ifelse_smoke, test_ifelse = fuzz_tests(lazy_and_exact, SMOKE, slow_count=1500)
