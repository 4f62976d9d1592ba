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


def assert_identical(a: Any, b: Any) -> None:
    """The same values bit for bit (dtypes and shapes too); generator states in the same state;
    errors ``(type, message)`` alike."""
    from framework.testing.streams import assert_same_state

    if isinstance(a, np.random.RandomState):
        assert_same_state(a, b)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_identical(x, y)
    elif isinstance(a, (str, type)):
        assert a == b
    else:
        a, b = np.asarray(a), np.asarray(b)
        assert (a.dtype, a.shape) == (b.dtype, b.shape)
        assert a.tobytes() == b.tobytes(), (a, b)


def same_bits_without(rewrite: str, inputs: Sequence[Any], outputs: Any, arg_sets: Sequence[Sequence[Any]],
                      excluding: Sequence[str] = (), **kw: Any) -> Any:
    """Compile in FAST_RUN with and without ``rewrite`` (both without ``excluding``; ``kw`` to
    ``function``, updates included). From the same values of every shared variable (generator
    states included), each call of ``arg_sets`` gives the same bits -- results, or the error
    raised -- and leaves the same shared values; the next call goes on from those. Returns
    (with, without)."""
    from framework.core.shared import SharedVariable

    f = function(list(inputs), outputs, mode=without(*excluding), **kw)
    g = function(list(inputs), outputs, mode=without(rewrite, *excluding), **kw)
    state = [v for v in dict.fromkeys(f.maker.fgraph.inputs + g.maker.fgraph.inputs) if isinstance(v, SharedVariable)]

    def call(fn: Any, args: Sequence[Any]) -> Any:
        try:
            out = fn(*args)
        except Exception as exc:  # both must fail alike
            out = (type(exc), str(exc))
        return out, [v.get_value() for v in state]

    for args in arg_sets:
        start = [v.get_value() for v in state]
        want = call(g, args)
        for v, s in zip(state, start):
            v.set_value(s)
        assert_identical(call(f, args), want)
    return f, g
