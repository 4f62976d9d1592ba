"""Neural-network functions: softmax, log_softmax and the usual losses.

``softmax`` and ``log_softmax`` are ops of their own so that they run in
the stable form (the maximum is subtracted before exponentiating) and have
compact gradients. The losses are compositions of element-wise ops,
reductions and indexing, so their gradients come from those ops.
``sigmoid``, ``softplus`` and ``relu`` live in the element-wise table and
are re-exported here (``T.nnet.*``).
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from .elemwise import infer_dtype, relu, sigmoid, softplus
from .errors import axis_int, format_trace, user_trace
from .graph import Apply, Variable
from .op import Op
from .types import TensorType, is_int
from .variable import TensorVariable, as_tensor_variable
from . import elemwise as E

def _normalize_axis(opname: str, axis: int, ndim: int) -> int:
    if ndim == 0:
        raise TypeError(f"{opname} needs at least one dimension, got a scalar (at {format_trace(user_trace())})")
    axis = axis_int(axis, opname)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{opname}: axis {axis} is out of range for a {ndim}-d input "
                         f"(at {format_trace(user_trace())})")
    return axis % ndim

class _AxisOp(Op):
    """An op computing along one axis of a float tensor, keeping its shape."""
    fresh_storage = True  # outputs are new arrays

    __props__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def __str__(self) -> str:
        return f"{self.name}{{axis={self.axis}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if not 0 <= self.axis < max(x.ndim, 1) or x.ndim == 0:
            raise ValueError(f"op '{self.name}': axis {self.axis} is out of range for {x.type}")
        # NumPy's dtype for exp(x): integers become floats
        dtype = infer_dtype(lambda xp, a: xp.exp(a), [x], "exp")
        return Apply(self, [x], [TensorType(dtype, x.type.shape)])

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        return f"{self.name}({args[0]}, axis={self.axis})", 0

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [input_shapes[0]]

    def shape_constraints(self, node: Apply) -> list:
        return []

class Softmax(_AxisOp):
    """``exp(x) / sum(exp(x), axis)``, computed as ``exp(x - max)`` so it never overflows."""
    complex_grad = False  # defined for real logits

    name = "softmax"

    def impl(self, xp: Any, x: Any) -> Any:
        x = xp.asarray(x)
        e = xp.exp(x - xp.max(x, axis=self.axis, keepdims=True))
        return e / xp.sum(e, axis=self.axis, keepdims=True)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from .reduce import sum as sum_

        (x,), (sm,), gz = node.inputs, node.outputs, output_grads[0]
        if is_int(x.dtype):
            return [None]
        # d softmax_i / d x_j = sm_i (delta_ij - sm_j)
        return [(gz - sum_(gz * sm, axis=self.axis, keepdims=True)) * sm]

class LogSoftmax(_AxisOp):
    """``x - log(sum(exp(x), axis))``, computed as ``(x - max) - log(sum(exp(x - max)))``."""
    complex_grad = False  # defined for real logits

    name = "log_softmax"

    def impl(self, xp: Any, x: Any) -> Any:
        x = xp.asarray(x)
        shifted = x - xp.max(x, axis=self.axis, keepdims=True)
        return shifted - xp.log(xp.sum(xp.exp(shifted), axis=self.axis, keepdims=True))

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from .reduce import sum as sum_

        (x,), (out,), gz = node.inputs, node.outputs, output_grads[0]
        if is_int(x.dtype):
            return [None]
        return [gz - E.exp(out) * sum_(gz, axis=self.axis, keepdims=True)]

def softmax(x: Any, axis: int = -1) -> TensorVariable:
    """The softmax of ``x`` along ``axis`` (the last by default)."""
    x = as_tensor_variable(x)
    return Softmax(_normalize_axis("softmax", axis, x.ndim))(x)

def log_softmax(x: Any, axis: int = -1) -> TensorVariable:
    """``log(softmax(x))`` along ``axis``, without the overflow or the log of 0."""
    x = as_tensor_variable(x)
    return LogSoftmax(_normalize_axis("log_softmax", axis, x.ndim))(x)

def binary_crossentropy(output: Any, target: Any) -> TensorVariable:
    """Element-wise ``-(t * log(o) + (1 - t) * log(1 - o))`` for predicted
    probabilities ``o`` and targets ``t`` (broadcast together)."""
    o, t = as_tensor_variable(output), as_tensor_variable(target)
    return -(t * E.log(o) + (1 - t) * E.log1p(-o))

def categorical_crossentropy(coding_dist: Any, true_dist: Any) -> TensorVariable:
    """The cross-entropy of each row of predicted probabilities ``coding_dist``.

    ``true_dist`` is either integer class indices (one per row):
    ``-log(coding_dist[arange(n), true_dist])``; or a distribution (one-hot
    or soft) of ``coding_dist``'s shape: ``-sum(true_dist * log(coding_dist), axis=-1)``.
    """
    from .reduce import sum as sum_

    coding, true = as_tensor_variable(coding_dist), as_tensor_variable(true_dist)
    if coding.ndim == 0:
        raise TypeError(f"categorical_crossentropy: coding_dist must have at least one dimension, got {coding.type}")
    if true.ndim == coding.ndim - 1:
        if not is_int(true.dtype) or true.dtype == "bool":
            raise TypeError(
                f"categorical_crossentropy: true_dist with one dimension fewer than coding_dist "
                f"({coding.type}) must hold integer class indices, got dtype {true.dtype}")
        if coding.ndim == 1:
            return -E.log(coding[true])
        if coding.ndim != 2:
            raise TypeError(f"categorical_crossentropy: class indices need a matrix coding_dist, got {coding.type}")
        from .shape_ops import arange, shape_i

        return -E.log(coding[arange(shape_i(coding, 0)), true])
    if true.ndim == coding.ndim:
        return -sum_(true * E.log(coding), axis=-1)
    raise TypeError(
        f"categorical_crossentropy: true_dist must be class indices ({coding.ndim - 1}-d) or a distribution "
        f"({coding.ndim}-d) for coding_dist {coding.type}, got {true.type} (at {format_trace(user_trace())})")

__all__ = ["Softmax", "LogSoftmax", "softmax", "log_softmax", "binary_crossentropy",
           "categorical_crossentropy", "sigmoid", "softplus", "relu"]
