"""NumPy's ``nonzero`` family: the positions of a tensor's non-zero entries.

``nonzero(a)`` is one int64 vector per axis of ``a`` (NumPy's tuple), each as
long as ``a`` has non-zero entries (NaN counts as non-zero, as in NumPy). That
length depends on ``a``'s *values*, not its shape, so the op's shape rule says
so symbolically: the length is ``sum(a != 0)``, computed from ``a``. ``y.shape``,
the shape rewrites and scan's shape walk read it from there without running
``nonzero`` itself (no reader may take an output size for a function of the
input shapes alone; the rule's graph reads ``a``'s values, which is correct
wherever ``a`` is).

A boolean mask in an index (``x[mask]``, :mod:`framework.core.subtensor`) is the
same op given the indexed tensor too (``Nonzero(axis)(mask, x)``): before it
gives positions it checks that the mask's shape is the shape of the axes of
``x`` it indexes from ``axis`` on, and raises NumPy's ``IndexError`` otherwise
-- so a mask shorter than its axis never just picks the first entries. That
check reads only ``x``'s shape; the op tells the shape rewrites that it checks
something they cannot keep (``shape_constraints`` is unknown), so no rewrite
stops running it: the error is the same in every mode.

``flatnonzero`` and ``nonzero_values`` are built from the op, ``flatten`` and
indexing, so their gradients and shape rules are those ops'.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from . import elemwise as E
from . import reduce as R
from . import shape_ops as S
from .errors import format_trace, user_trace
from .graph import Apply, Constant, Variable
from .op import Op
from .types import TensorType
from .variable import TensorVariable, as_tensor_variable


def _fmt(shape: Sequence[Any]) -> str:
    return str(tuple(shape)).replace("None", "?")


def mask_mismatch(mask_shape: Sequence[Any], x_shape: Sequence[Any], axis: int) -> Optional[str]:
    """NumPy's complaint about a boolean mask of ``mask_shape`` indexing the axes of a
    tensor of ``x_shape`` from ``axis`` on (sizes None are not known: never a mismatch),
    or None when it fits. As in NumPy, a mask axis of size 0 fits any axis (it selects
    nothing: ``ones((2, 4))[zeros(0, bool)]`` has shape ``(0, 4)``)."""
    for i, m in enumerate(mask_shape):
        n = x_shape[axis + i]
        if m is not None and n is not None and int(m) != int(n) and int(m) != 0:
            axes = f"axis {axis}" if len(mask_shape) == 1 else f"axes {axis}..{axis + len(mask_shape) - 1}"
            return (f"boolean index did not match the indexed tensor along axis {axis + i}: the axis has "
                    f"size {int(n)} but the mask's axis {i} has size {int(m)} (a mask of shape "
                    f"{_fmt(mask_shape)} for {axes} of a tensor of shape {_fmt(x_shape)})")
    return None


class Nonzero(Op):
    """``xp.nonzero(a)`` as int64 vectors, one per axis of ``a`` (``a`` of rank >= 1).

    ``axis`` None: inputs ``(a,)``. ``axis`` an int: inputs ``(a, x)``, ``a`` a
    boolean mask indexing ``x`` from axis ``axis``; the kernel first checks the
    mask's shape against those axes (only ``x``'s shape is read).
    """
    complex_grad = True  # integer outputs

    __props__ = ("axis",)
    fresh_storage = True  # outputs are new arrays
    name = "nonzero"

    def __init__(self, axis: Optional[int] = None) -> None:
        self.axis = None if axis is None else int(axis)

    def __str__(self) -> str:
        return "nonzero" if self.axis is None else f"nonzero{{boolean index from axis {self.axis}}}"

    def make_node(self, a: Any, *x: Any) -> Apply:
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise ValueError(
                f"nonzero of the 0-d tensor {a}: a 0-d value has no positions to give (NumPy 2 refuses "
                f"numpy.nonzero of a 0-d array too); use flatnonzero(a), or nonzero of a.flatten() "
                f"(at {format_trace(user_trace())})")
        if (self.axis is None) != (len(x) == 0) or len(x) > 1:
            raise TypeError(f"{self}: takes {'(a,)' if self.axis is None else '(mask, x)'}, got {1 + len(x)} inputs")
        ins = [a] + [as_tensor_variable(v) for v in x]
        if self.axis is not None:
            if a.dtype != "bool":
                raise TypeError(f"{self}: the mask must be boolean, got {a} of dtype {a.dtype}")
            xs = ins[1].type.shape
            if self.axis + a.ndim > len(xs):
                raise IndexError(f"{self}: a {a.ndim}-d mask from axis {self.axis} does not fit a "
                                 f"{len(xs)}-d tensor (at {format_trace(user_trace())})")
            bad = mask_mismatch(a.type.shape, xs, self.axis)
            if bad is not None:
                raise IndexError(f"{bad} (at {format_trace(user_trace())})")
        return Apply(self, ins, [TensorType("int64", (_static_count(a),)) for _ in range(a.ndim)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        count = R.sum(E.neq(node.inputs[0], 0))  # the number of non-zero entries: a function of values
        return [(count,)] * len(node.outputs)

    def shape_constraints(self, node: Apply) -> Optional[list]:
        # a mask's check raises NumPy's IndexError, which a kept check_shapes node could not: unknown
        return [] if self.axis is None else None

    def impl(self, xp: Any, a: Any, *x: Any) -> Any:
        a = xp.asarray(a)
        if x:
            bad = mask_mismatch(a.shape, x[0].shape, self.axis)
            if bad is not None:
                raise IndexError(bad)
        out = tuple(i.astype("int64", copy=False) for i in xp.nonzero(a))
        return out[0] if len(out) == 1 else out

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [None] * len(node.inputs)  # integer positions: piecewise constant, no gradient flows

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        return f"nonzero({args[0]})", 0


def _static_count(a: Variable) -> Optional[int]:
    """The number of non-zero entries when known while building (a constant, or an empty shape)."""
    if isinstance(a, Constant):
        return int(np.count_nonzero(a.data))
    return 0 if 0 in a.type.shape else None


def nonzero(a: Any, return_matrix: bool = False) -> Any:
    """NumPy's ``nonzero(a)``: a tuple of int64 vectors, the positions of ``a``'s non-zero
    entries along each axis (C order; NaN counts as non-zero). With ``return_matrix``
    (Theano's option), one int64 matrix of shape ``(a.ndim, count)`` instead. A 0-d ``a`` is
    a ValueError, as in NumPy 2 and Theano."""
    a = as_tensor_variable(a)
    outs = Nonzero().make_node(a).outputs
    if return_matrix:
        return S.stack(list(outs))
    return tuple(outs)


def flatnonzero(a: Any) -> TensorVariable:
    """NumPy's ``flatnonzero(a)``: the positions of the non-zero entries of ``a.flatten()``
    (int64). A 0-d ``a`` counts as one entry, as in NumPy."""
    a = as_tensor_variable(a)
    return Nonzero()(S.flatten(a, 1))


def nonzero_values(a: Any) -> TensorVariable:
    """Theano's ``nonzero_values(a)``: the non-zero entries of ``a``, flattened in C order
    (``a.flatten()[flatnonzero(a)]``); the gradient flows back to those entries."""
    a = as_tensor_variable(a)
    flat = S.flatten(a, 1)
    return flat[Nonzero()(flat)]


__all__ = ["Nonzero", "nonzero", "flatnonzero", "nonzero_values"]
