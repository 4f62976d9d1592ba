"""Helpers for rewrite tests: compile with and without a rewrite, list the ops
of the rewritten graph, and compare values on random inputs."""
from __future__ import annotations

from typing import Any, Callable, List, Sequence

import numpy as np

from framework import Mode, function
from framework.core.fusion import Fused
from framework.core.types import TensorType

RNG = np.random.RandomState(1234)


def op_names(f: Any) -> List[str]:
    """Names of the ops in a compiled function's rewritten graph, fused steps included."""
    names = []
    for node in f.maker.fgraph.toposort():
        names.append(node.op.name)
        if isinstance(node.op, Fused):
            names.extend(s.op for s in node.op.program.steps)
    return names


def top_ops(f: Any) -> List[str]:
    """Names of the graph's nodes (a fused node counts once, as 'fused')."""
    return [node.op.name for node in f.maker.fgraph.toposort()]


def without(*names: str) -> Mode:
    """FAST_RUN without the named rewrites (or tags)."""
    return Mode("fast_run", excluding=names)


def sym(shape: Sequence[Any], dtype: str = "float64", name: str = "x", static: bool = False):
    """A symbolic tensor of ``dtype``: its static shape is ``shape`` or all unknown."""
    return TensorType(dtype, tuple(shape) if static else (None,) * len(shape))(name)


def rand(shape: Sequence[int], dtype: str = "float64", low: float = -3.0, high: float = 3.0) -> np.ndarray:
    if np.dtype(dtype).kind in "iu":
        return RNG.randint(int(low), int(high) + 1, size=shape).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return RNG.rand(*shape) > 0.5
    return RNG.uniform(low, high, size=shape).astype(dtype)


def assert_same(a: Any, b: Any, rtol: float = 1e-12, atol: float = 1e-12) -> None:
    """Equal values (as close as the rounding of reordered float operations allows) and dtypes."""
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y, rtol, atol)
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def compare(inputs: Sequence[Any], outputs: Any, values_fn: Callable[[], Sequence[Any]], rewrite: str,
            runs: int = 5, **tol: float) -> Any:
    """Compile ``outputs`` in FAST_RUN with and without ``rewrite``; check equal
    results on ``runs`` random draws of ``values_fn()``. Returns the FAST_RUN function."""
    f = function(list(inputs), outputs)
    g = function(list(inputs), outputs, mode=without(rewrite))
    for _ in range(runs):
        vals = values_fn()
        assert_same(f(*vals), g(*vals), **tol)
    return f
