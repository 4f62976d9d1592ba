"""Constant folding leaves alone what it cannot compute exactly as the run would: a scan over
constants (no reference implementation: it runs through its kernel) and a node that raises on its
constants (the run-time error, with its message, not a compile-time rewrite failure)."""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import function
from framework.core.graph import Apply
from framework.core.op import Op
from framework.core.types import TensorType
from framework.core.variable import as_tensor_variable


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_a_scan_over_constants_compiles_and_runs(mode):
    total, _ = framework.scan(lambda i, acc: acc + i, sequences=T.arange(5),
                              outputs_info=T.constant(np.int64(0)))
    f = function([], total[-1], mode=mode)
    assert int(f()) == 10
    np.testing.assert_array_equal(function([], total, mode=mode)(), [0, 1, 3, 6, 10])


class _Positive(Op):
    """Checks its input's values when it runs (like a plugin's op that validates data)."""

    name = "positive"

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)])

    def impl(self, xp, x):
        if (x <= 0).any():
            raise ValueError("positive: the input holds a value <= 0")
        return x


def test_a_node_that_raises_on_its_constants_raises_when_the_function_runs():
    """Before: FAST_RUN failed to compile (RewriteError from constant_folding); FAST_COMPILE
    compiled and raised when called. Now both compile and raise the op's own error when called."""
    node = _Positive()(T.constant(np.array([1.0, -2.0]))) * 2.0
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        f = function([], node, mode=mode)
        with pytest.raises(ValueError, match="positive: the input holds a value <= 0"):
            f()
    ok = function([], _Positive()(T.constant(np.array([1.0, 2.0]))) * 2.0)
    np.testing.assert_array_equal(ok(), [2.0, 4.0])
    assert all(not isinstance(n.op, _Positive) for n in ok.maker.fgraph.toposort())  # still folded
