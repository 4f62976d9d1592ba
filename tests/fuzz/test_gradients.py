"""Gradients of random graphs against central finite differences.

For each float64 graph with finite inputs, the symbolic gradient of ``sum(out * w)`` (``w`` a
fixed random weighting of the last output) must match central differences (eps 1e-6) of the
compiled forward function to rtol 1e-5, atol 1e-6. Finite differences are meaningless across a
kink, so a case is skipped where a ``maximum`` or ``abs`` in the graph sits within 1e-4 of its
kink (``maximum(a, a)`` is a tie everywhere) -- skipped, not compared more loosely.
"""
from __future__ import annotations

import numpy as np

import framework.tensor as T
from framework import function

from .generators import fd_grad, fuzz_tests, random_graph

SMOKE = range(0, 40)
KINK_MARGIN = 1e-4


def near_kink(graph) -> bool:
    """Whether a kink of the graph is within KINK_MARGIN. A kink whose part of the graph fails
    on these shapes cannot feed the output (whose forward call succeeded) and is ignored."""
    for kink in graph.kinks:
        try:
            gap = function(graph.inputs, abs(kink).min(), mode="FAST_COMPILE", on_unused_input="ignore")(*graph.values)
        except Exception:
            continue
        if float(gap) < KINK_MARGIN:
            return True
    return False


def finite_float64_graph(seed: int):
    """``(graph, out)``: the random graph of ``seed`` when it is float64 with finite inputs and its
    last output is computed (not an input), else None -- what a finite-difference check can use."""
    graph = random_graph(seed)
    if graph is None or graph.dtype != "float64" or not all(np.all(np.isfinite(v)) for v in graph.values):
        return None
    out = graph.outputs[-1]
    return None if any(out is i for i in graph.inputs) else (graph, out)


def gradient_matches(seed: int) -> str | None:
    found = finite_float64_graph(seed)
    if found is None:
        return None
    graph, out = found
    ins, vals = graph.inputs, graph.values
    try:
        forward = function(ins, out, mode="FAST_RUN", on_unused_input="ignore")
        y0 = forward(*vals)
    except Exception:
        return None  # shapes that do not fit: test_graphs checks the error
    if near_kink(graph):
        return None
    w = np.random.RandomState(seed).randn(*np.shape(y0))
    grads = function(ins, T.grad((out * w).sum(), ins, disconnected_inputs="ignore"),
                     mode="FAST_RUN", on_unused_input="ignore")(*vals)
    problems = []
    for k, value in enumerate(vals):
        def cost(v, k=k):
            args = list(vals)
            args[k] = v
            return float((forward(*args) * w).sum())
        num = fd_grad(cost, value)
        if not np.allclose(grads[k], num, rtol=1e-5, atol=1e-6):
            problems.append(f"input {k} {value.shape}: max error {np.max(np.abs(grads[k] - num)):.3g}")
    return f"{graph.describe()}: " + "; ".join(problems) if problems else None


test_gradients_smoke, test_gradients = fuzz_tests(gradient_matches, SMOKE, slow_count=3000)
