"""Second derivatives: Hessian-vector products ``grad(sum(grad(cost, x) * v), x)`` against central
finite differences of the gradient along ``v``.

A gradient graph is differentiated again: the gradient ops' own gradients (``sum_to_shape``,
``broadcast_like``, the sigmoid's and softplus' derivative rows, ``dot``'s transposes, the
subtensor writes, ``scan``'s backward loop) are exercised nowhere else. Two families: the random
graphs of :func:`generators.random_graph` (float64, finite inputs, away from the kinks of
``maximum``/``abs``; cost ``sum(out * w) + 0.1 sum(out**2 * w)``), and ``test_scan``'s loops
(taps, non-sequences, ``until``; not through ``max``; cost a weighted sum of squares of the
outputs). Both clean when added (fourteenth session: ~1,260 graphs and ~320 loops).
"""
from __future__ import annotations

from typing import Any, List

import numpy as np

import framework.tensor as T
from framework import function

from . import test_scan
from .generators import fuzz_tests
from .test_gradients import finite_float64_graph, near_kink

EPS = 1e-5


def _hessian_vector(ins: List[Any], vals: List[np.ndarray], cost: Any, seed: int, updates: Any = None) -> str | None:
    rs = np.random.RandomState(seed + 1)
    grads = T.grad(cost, ins, disconnected_inputs="ignore")
    vs = [rs.randn(*np.shape(v)) for v in vals]
    along = sum((g * T.constant(v)).sum() for g, v in zip(grads, vs))
    hv = T.grad(along, ins, disconnected_inputs="ignore")
    first = function(ins, grads, on_unused_input="ignore", updates=updates)
    got = function(ins, hv, on_unused_input="ignore", updates=updates)(*vals)
    plus = first(*[v + EPS * d for v, d in zip(vals, vs)])
    minus = first(*[v - EPS * d for v, d in zip(vals, vs)])
    for k, (h, p, m) in enumerate(zip(got, plus, minus)):
        num = (p - m) / (2 * EPS)
        if not np.allclose(h, num, rtol=1e-4, atol=1e-4):
            return f"input {k}: Hessian-vector product {np.ravel(h)[:4]}, finite differences {np.ravel(num)[:4]}"
    return None


def hessian_of_random_graph(seed: int) -> str | None:
    found = finite_float64_graph(seed)
    if found is None:
        return None
    g, out = found
    try:
        y0 = function(g.inputs, out, on_unused_input="ignore")(*g.values)
    except Exception:
        return None  # shapes that do not fit: test_graphs compares the errors
    if near_kink(g):
        return None
    w = np.random.RandomState(seed).randn(*np.shape(y0))
    return _hessian_vector(g.inputs, g.values, (out * w).sum() + 0.1 * (out * out * w).sum(), seed)


def hessian_of_scan(seed: int) -> str | None:
    case = test_scan.make_case(seed)
    if case["T"] == 0 or "max" in case["ops"]:
        return None
    ins, vals, res, updates = test_scan.build(case)
    rs = np.random.RandomState(seed)
    cost = sum(((r ** 2) * float(rs.randn())).sum() for r in res)
    msg = _hessian_vector(ins, vals, cost, seed, updates)
    return None if msg is None else f"{test_scan.describe(case)}: {msg}"


test_hessian_smoke, test_hessian = fuzz_tests(hessian_of_random_graph, range(40), 3000, block=500)
test_hessian_scan_smoke, test_hessian_scan = fuzz_tests(hessian_of_scan, range(8), 800, block=200)
