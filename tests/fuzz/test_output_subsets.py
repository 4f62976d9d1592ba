"""Asking for more outputs changes nothing about each one: a function of outputs ``[A, B, C]``
gives what the functions of ``[A]``, ``[B]`` and ``[C]`` give alone.

Rewrites see the whole set of outputs: common subexpressions merge across them, the in-place
stage must not overwrite a value another output still needs (or returns), a shape lift applies
only when a node's value is not otherwise read, fusion builds nodes with several outputs. Each
seed builds a random graph (:func:`generators._step`, the ops of ``test_graphs``, and the shape
operations of ``test_shape_of``) and compiles 2-4 of its intermediate values together and one by
one, in FAST_RUN: where every single function succeeds the joint one must give the same values
(to the tolerance of the dtype: each function may sum in its own order) and the same shapes and
dtypes, and where the joint one fails, some single one must fail with an error of the same kind.
Outputs of the joint function must not share memory with each other unless they are the same
output twice.
"""
from __future__ import annotations

import random
from typing import Any

import numpy as np

from framework import function

from .generators import _builtin_bases, _allclose_nonfinite, _random_value, _step, fuzz_tests, tolerance
from .test_shape_of import _shape_ops_graph


def _run(inputs: list, outputs: list, values: list) -> Any:
    try:
        f = function(inputs, outputs, mode="FAST_RUN", on_unused_input="ignore")
        with np.errstate(all="ignore"):
            got = f(*[np.copy(v) for v in values])
    except Exception as exc:
        return ("error", exc)
    return ("ok", [np.asarray(g) for g in got])


def _check(inputs: list, outputs: list, values: list, tol: float) -> str | None:
    joint = _run(inputs, outputs, values)
    alone = [_run(inputs, [o], values) for o in outputs]
    if joint[0] == "error":
        kinds = [_builtin_bases(a[1]) for a in alone if a[0] == "error"]
        if not kinds:
            return f"together: {type(joint[1]).__name__} ({joint[1]!s:.200}); each alone succeeds"
        if not any(k & _builtin_bases(joint[1]) for k in kinds):
            return f"together: {type(joint[1]).__name__}; alone: {[type(a[1]).__name__ for a in alone]}"
        return None
    for k, a in enumerate(alone):
        if a[0] == "error":
            return f"output {k} alone raised {type(a[1]).__name__} ({a[1]!s:.200}); together it gave a value"
        x, y = joint[1][k], a[1][0]
        if x.shape != y.shape or x.dtype != y.dtype:
            return f"output {k}: together {x.shape} {x.dtype}, alone {y.shape} {y.dtype}"
        if not _allclose_nonfinite(x, y, tol):
            return f"output {k}: together {x.ravel()[:6]}, alone {y.ravel()[:6]}"
    vals = joint[1]
    for i in range(len(vals)):
        for j in range(i + 1, len(vals)):
            if outputs[i] is not outputs[j] and vals[i].size and np.shares_memory(vals[i], vals[j]):
                return f"outputs {i} and {j} share memory"
    return None


def subsets_of_random_graph(seed: int) -> str | None:
    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    dtype = R.choice(["float64", "float32"])
    inputs, values, pool, kinks = [], [], [], []
    for k in range(R.randint(1, 3)):
        nd = R.choice([1, 2, 2, 0])
        var = __import__("framework.core.types", fromlist=["TensorType"]).TensorType(dtype, (None,) * nd)(f"x{k}")
        inputs.append(var)
        values.append(_random_value(rng, tuple(R.randint(1, 4) for _ in range(nd)), dtype, R.random() < .2))
        pool.append(var)
    for _ in range(R.randint(2, 8)):
        try:
            out = _step(R, pool, kinks)
        except Exception:
            continue
        if out is not None:
            pool.append(out)
    made = [v for v in pool if v not in inputs]
    if len(made) < 2:
        return None
    outputs = [R.choice(made) for _ in range(R.randint(2, 4))]
    return _check(inputs, outputs, values, tolerance(dtype))


def subsets_of_shape_ops(seed: int) -> str | None:
    built = _shape_ops_graph(seed)
    if built is None:
        return None
    inputs, outputs, values = built
    R = random.Random(seed + 3)
    extra = [o for o in outputs if o not in inputs]
    more = [o.owner.inputs[0] for o in extra if o.owner is not None and o.owner.inputs and o.owner.inputs[0] not in inputs
            and getattr(o.owner.inputs[0].type, "ndim", None) is not None]
    outs = extra + more[:R.randint(0, 2)]
    if len(outs) < 2:
        return None
    return _check(inputs, outs, values, 1e-9)


test_subsets_smoke, test_subsets = fuzz_tests(subsets_of_random_graph, range(60), 2000, block=250)
test_subsets_shape_ops_smoke, test_subsets_shape_ops = fuzz_tests(subsets_of_shape_ops, range(60), 2000, block=250)
