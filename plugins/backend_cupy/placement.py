"""Which values of a graph live on the host when it runs on a GPU.

Shapes are host data. On a GPU, computing ``x.shape[0] * 2`` on the device
and then reading it back to reshape, slice or allocate would force a
device-to-host copy -- a full synchronisation -- at every use. So, as in
Theano's GPU backend, the CuPy backend keeps *small integer bookkeeping* on
the host:

* integer and bool scalars given to a function or held in shared variables
  (``T.iscalar()`` minibatch indices, counters);
* ``shape`` / ``shape_i`` results (metadata of device arrays, free to read);
* small integer constants;
* the results of cheap ops (element-wise, ``make_vector``, indexing,
  reductions, dimshuffle, join, reshape, fused element-wise) whose inputs all
  live on the host and whose results are scalars or short integer vectors.

Everything else lives on the device. This module decides placement from the
graph alone (types and ops, no values), so it is tested without a GPU.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from framework.core.graph import Apply, Constant, Variable
from framework.core.types import TensorType, is_int

HOST_CONSTANT_SIZE = 64
"""Integer constants up to this many elements are kept on the host."""


def is_small_type(t: Any) -> bool:
    """Whether a value of type ``t`` may live on the host: a scalar, or an
    integer/bool vector."""
    if not isinstance(t, TensorType):
        return False
    return t.ndim == 0 or (t.ndim == 1 and is_int(t.dtype))


def is_host_root(v: Variable) -> bool:
    """Whether an input, shared variable or constant lives on the host."""
    t = v.type
    if not isinstance(t, TensorType):
        return False
    if isinstance(v, Constant):
        if getattr(v, "weak", False):
            return True
        import numpy as np

        return is_int(t.dtype) and t.ndim <= 1 and np.size(v.data) <= HOST_CONSTANT_SIZE
    return t.ndim == 0 and is_int(t.dtype)


def _op_hostable(node: Apply) -> bool:
    """The op's own fact (``Op.host_bookkeeping``): cheap enough to run on the host."""
    return bool(getattr(node.op, "host_bookkeeping", False))


def _reads_metadata(node: Apply) -> bool:
    return bool(getattr(node.op, "reads_only_metadata", False))


class Placement:
    """Decides, and remembers, where each variable lives (``'host'`` / ``'device'``)."""

    def __init__(self, limit: int = 200_000) -> None:
        self._memo: Dict[Variable, bool] = {}
        self._limit = limit

    def on_host(self, v: Variable) -> bool:
        """Whether ``v``'s run-time value is a host (NumPy) value."""
        memo = self._memo
        hit = memo.get(v)
        if hit is not None:
            return hit
        if len(memo) > self._limit:
            memo.clear()
        result = self._decide(v)
        memo[v] = result
        return result

    def node_on_host(self, node: Apply) -> bool:
        """Whether ``node`` runs on the host (then all its outputs are host values)."""
        if _reads_metadata(node):
            return True
        if not all(is_small_type(o.type) for o in node.outputs):
            return False
        if not _op_hostable(node):
            return False
        if not all(is_small_type(i.type) for i in node.inputs):
            return False
        return all(self.on_host(i) for i in node.inputs)

    def _decide(self, v: Variable) -> bool:
        if v.owner is None:
            return is_host_root(v)
        # iterative over chains of host candidates, to avoid deep recursion
        stack = [v.owner]
        order = []
        seen = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            order.append(node)
            if _reads_metadata(node):
                continue
            if not (_op_hostable(node) and all(is_small_type(o.type) for o in node.outputs)
                    and all(is_small_type(i.type) for i in node.inputs)):
                continue
            for i in node.inputs:
                if i.owner is not None and i not in self._memo:
                    stack.append(i.owner)
        for node in reversed(order):
            verdict = self.node_on_host(node)
            for o in node.outputs:
                self._memo[o] = verdict
        return self._memo[v]


def host_inputs(node: Apply, placement: Placement) -> Dict[int, bool]:
    """{input index: whether that input is a host value} for ``node``."""
    return {k: placement.on_host(i) for k, i in enumerate(node.inputs)}


def int_positions(node: Apply) -> Optional[frozenset]:
    """Input positions where an op takes host values as they are: the op's own
    ``host_int_inputs`` (shapes, sizes and basic indices it reads as Python
    ints, the parameters of random draws): a method ``host_int_inputs(node)``
    (the Op contract) or a tuple of positions (as the conv plugin's gradient
    ops give). Host values there are never copied to the device. None when
    there are none."""
    declared = getattr(node.op, "host_int_inputs", None)
    if declared is None:
        return None
    out = frozenset(declared(node) if callable(declared) else declared)
    return out or None
