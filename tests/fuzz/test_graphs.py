"""Random graphs compiled in FAST_RUN and in FAST_COMPILE give the same outputs.

FAST_COMPILE runs (nearly) no rewrites, so it is the reference for what the rewrites of
FAST_RUN may do: the same values (float32 to 1e-4, float64 to 1e-9), the same shapes and
dtypes, non-finite values at the same places, and the same class of error where one is
raised. The gradient variant compiles the gradients of each graph with respect to every input,
which exercises the gradient rewrites. Graphs come from ``generators.random_graph``.
"""
from __future__ import annotations

import numpy as np
import pytest

from .generators import MODES, check_seeds, outcome_difference, random_graph, run_graph, seed_blocks, tolerance

SMOKE = range(0, 25)


def modes_agree(seed: int, grad: bool) -> str | None:
    graph = random_graph(seed, grad=grad)
    if graph is None:
        return None
    with np.errstate(all="ignore"):  # exp of inf, inf - inf: planted on purpose
        fast_run, fast_compile = (run_graph(graph.inputs, graph.values, graph.outputs, mode) for mode in MODES)
    if fast_run.status == fast_compile.status == "compile-error":
        return None  # refused in both modes
    diff = outcome_difference(fast_run, fast_compile, tolerance(graph.dtype))
    return None if diff is None else f"{graph.describe()}: {diff}"


@pytest.mark.parametrize("grad", [False, True], ids=["values", "gradients"])
def test_modes_agree_smoke(grad):
    check_seeds(SMOKE, lambda seed: modes_agree(seed, grad))


@pytest.mark.slow
@pytest.mark.parametrize("seeds", seed_blocks(3000, block=100))
@pytest.mark.parametrize("grad", [False, True], ids=["values", "gradients"])
def test_modes_agree(seeds, grad):
    check_seeds(seeds, lambda seed: modes_agree(seed, grad))
