"""``theano.tensor.get_scalar_constant_value``: the number a symbolic scalar is known to be while
the graph is built, or :class:`NotScalarConstantError`.

Programs use it to branch on sizes known statically (``get_scalar_constant_value(x.shape[0])``)
and on constant arguments. Followed, as in Theano: constants (a tensor constant whose entries
are all equal counts as that one value), sizes of axes whose length the type knows, element-wise
ops of such values (``elemwise=True``), and ops that pass their input through
(``specify_shape``, ``Assert``, ``rebroadcast``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ....core.elemwise import Elemwise
from ....core.graph import Constant, Variable
from ....core.shape_ops import Rebroadcast, Shape, Shape_i
from ....core.subtensor import Subtensor
from .checks import Assert, SpecifyShape

__all__ = ["NotScalarConstantError", "get_scalar_constant_value"]

_PASS_THROUGH = (SpecifyShape, Assert, Rebroadcast)


class NotScalarConstantError(Exception):
    """The variable is not known to be one scalar value while the graph is built."""


def _unique(data: Any) -> np.ndarray:
    arr = np.asarray(data)
    if arr.dtype == object or arr.size == 0:
        raise NotScalarConstantError(f"{type(data).__name__} is not a numeric scalar constant")
    flat = arr.reshape(-1)
    if arr.size > 1 and not (flat == flat[0]).all():
        raise NotScalarConstantError(f"the constant has {arr.size} different entries, not one value")
    return np.asarray(flat[0])


def _shape_entry(node: Any) -> Any:
    """``x.shape[k]`` built as ``subtensor(shape(x))`` with a constant ``k``: the static size, if any."""
    base, template = node.inputs[0], getattr(node.op, "template", ())
    if base.owner is None or not isinstance(base.owner.op, Shape) or len(node.inputs) != 1 or len(template) != 1:
        return None
    k = template[0]
    if not isinstance(k, (int, np.integer)):
        return None
    size = base.owner.inputs[0].type.shape[int(k)]
    return None if size is None else np.asarray(size, dtype="int64")


def get_scalar_constant_value(orig_v: Any, elemwise: bool = True, only_process_constants: bool = False,
                              max_recur: int = 10) -> np.ndarray:
    """The 0-d array ``orig_v`` is known to hold (a number, an array of one value, or a symbolic
    scalar); raises :class:`NotScalarConstantError` where it is not known."""
    v = orig_v
    for _ in range(max(int(max_recur), 0) + 1):
        if not isinstance(v, Variable):
            return _unique(v)
        if isinstance(v, Constant):
            return _unique(v.data)
        node = v.owner
        if only_process_constants or node is None:
            break
        op = node.op
        if isinstance(op, _PASS_THROUGH):
            v = node.inputs[0]
            continue
        if isinstance(op, Shape_i):
            size = node.inputs[0].type.shape[op.i]
            if size is not None:
                return np.asarray(size, dtype="int64")
            break
        if isinstance(op, Subtensor):
            size = _shape_entry(node)
            if size is not None:
                return size
            break
        if elemwise and isinstance(op, Elemwise) and all(i.ndim == 0 for i in node.inputs):
            values = [get_scalar_constant_value(i, elemwise, only_process_constants, max_recur - 1)
                      for i in node.inputs]
            with np.errstate(all="ignore"):
                out = op.impl(np, *values)
            outs = out if len(node.outputs) > 1 else [out]
            return np.asarray(outs[v.index], dtype=v.type.dtype)
        break
    raise NotScalarConstantError(f"{orig_v} is not a constant scalar while the graph is built")
