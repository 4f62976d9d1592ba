"""2-d pooling over the last two axes: the ops, their shape rules and gradients.

``pool_2d`` reduces each window of the last two axes (any leading axes) by
its maximum, sum or average (counting the padding or not), as Theano 1.0's
``theano.tensor.signal.pool.pool_2d``. The gradient of max pooling sends the
output gradient to every element equal to its window's maximum (Theano's
rule); the gradient of the sums and averages spreads it over the window.
Each gradient op has its own gradient, so second derivatives work too.
"""
from __future__ import annotations

import warnings
from typing import Any, List, Optional, Sequence, Tuple

from framework.core.errors import ShapeError, format_trace, user_trace
from framework.core.graph import Apply, Variable
from framework.core.op import Op
from framework.core.types import TensorType, is_int
from framework.core.variable import TensorVariable, as_tensor_variable

from . import reference
from .geometry import PoolParams


def _input(opname: str, x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim < 2:
        raise ShapeError(f"{opname}: the input must have at least 2 dimensions (pooling runs over the last "
                         f"two), got {x.type} (at {format_trace(user_trace())})")
    return x


class _PoolOp(Op):
    __props__ = ("params",)

    def __init__(self, params: PoolParams) -> None:
        self.params = params

    def __str__(self) -> str:
        return f"{self.name}{{{self.params.describe()}}}"


class Pool2d(_PoolOp):
    """Max, sum or average over windows of the last two axes."""

    name = "pool_2d"

    def make_node(self, x: Any) -> Apply:
        x = _input(self.name, x)
        if self.params.mode.startswith("average") and not x.dtype.startswith("float"):
            raise TypeError(f"pool_2d: mode {self.params.mode!r} needs a float input, got {x.type} "
                            f"(at {format_trace(user_trace())})")
        ho, wo = self.params.out_hw(x.type.shape[-2:])
        return Apply(self, [x], [TensorType(x.dtype, tuple(x.type.shape[:-2]) + (ho, wo))])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Any]]) -> List[Tuple[Any, ...]]:
        (xs,) = input_shapes
        return [tuple(xs[:-2]) + tuple(self.params.out_hw(xs[-2:]))]

    def impl(self, xp: Any, x: Any) -> Any:
        return reference.pool2d(xp, x, self.params)

    @property
    def complex_grad(self) -> bool:  # type: ignore[override]
        """The sum and average modes are linear (their rules hold for complex values); max pooling
        selects by NumPy's lexicographic order of complex numbers, no function with a gradient."""
        return self.params.mode != "max"

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (x,), (out,), gz = node.inputs, node.outputs, output_grads[0]
        if is_int(x.dtype):
            return [None]
        if self.params.mode == "max":
            return [MaxPool2dGrad(self.params)(x, out, gz)]
        return [AveragePool2dGrad(self.params)(x, gz)]


class MaxPool2dGrad(_PoolOp):
    """``(x, pool_2d(x), gz) -> gx``: ``gz`` sent to each window's maxima."""
    complex_grad = False  # max pooling's rule is for real values

    name = "max_pool_2d_grad"

    def make_node(self, x: Any, out: Any, gz: Any) -> Apply:
        x, out, gz = _input(self.name, x), as_tensor_variable(out), as_tensor_variable(gz)
        if out.ndim != x.ndim or gz.ndim != x.ndim:
            raise ShapeError(f"{self.name}: the input {x.type}, the pooled output {out.type} and its gradient "
                             f"{gz.type} must have the same number of dimensions")
        return Apply(self, [x, out, gz], [TensorType(gz.dtype, x.type.shape)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Any]]) -> List[Tuple[Any, ...]]:
        return [tuple(input_shapes[0])]

    def impl(self, xp: Any, x: Any, out: Any, gz: Any) -> Any:
        return reference.pool2d_grad(xp, x, out, gz, self.params)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (x, out, _), ggx = node.inputs, output_grads[0]
        return [None, None, MaxPool2dGradGrad(self.params)(x, out, ggx)]


class MaxPool2dGradGrad(_PoolOp):
    """``(x, pool_2d(x), ggx) -> ggz``: the sum of ``ggx`` over each window's maxima
    (the adjoint of :class:`MaxPool2dGrad` in its last input)."""
    complex_grad = False  # max pooling's rule is for real values

    name = "max_pool_2d_grad_grad"

    def make_node(self, x: Any, out: Any, ggx: Any) -> Apply:
        x, out, ggx = _input(self.name, x), as_tensor_variable(out), as_tensor_variable(ggx)
        return Apply(self, [x, out, ggx], [TensorType(ggx.dtype, out.type.shape)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Any]]) -> List[Tuple[Any, ...]]:
        return [tuple(input_shapes[1])]

    def impl(self, xp: Any, x: Any, out: Any, ggx: Any) -> Any:
        return reference.pool2d_grad_grad(xp, x, out, ggx, self.params)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (x, out, _), g = node.inputs, output_grads[0]
        return [None, None, MaxPool2dGrad(self.params)(x, out, g)]


class AveragePool2dGrad(_PoolOp):
    """``(x, gz) -> gx`` for the modes 'sum', 'average_inc_pad' and 'average_exc_pad';
    only ``x``'s shape is read."""
    complex_grad = True  # linear

    name = "average_pool_2d_grad"

    def make_node(self, x: Any, gz: Any) -> Apply:
        x, gz = _input(self.name, x), as_tensor_variable(gz)
        if gz.ndim != x.ndim:
            raise ShapeError(f"{self.name}: the input {x.type} and the gradient {gz.type} must have the same "
                             "number of dimensions")
        return Apply(self, [x, gz], [TensorType(gz.dtype, x.type.shape)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Any]]) -> List[Tuple[Any, ...]]:
        return [tuple(input_shapes[0])]

    def impl(self, xp: Any, x: Any, gz: Any) -> Any:
        return reference.pool2d_grad(xp, x, None, gz, self.params)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        # gx is linear in gz, and its adjoint is the pooling itself
        return [None, Pool2d(self.params)(output_grads[0])]


def pool_2d(input: Any, ws: Any = None, ignore_border: Optional[bool] = True, stride: Any = None,
            pad: Any = (0, 0), mode: str = "max", ds: Any = None, st: Any = None,
            padding: Any = None) -> TensorVariable:
    """Pool the last two axes of ``input`` over windows of ``ws`` (Theano 1.0's ``pool_2d``).

    ``stride`` defaults to ``ws`` (windows side by side). ``ignore_border=True``
    drops windows that would run past the border; ``False`` keeps them,
    partial (``None`` means ``False``, Theano's old default). ``pad`` adds
    that many rows/columns on both sides (with ``ignore_border=True`` only,
    and smaller than the window). ``mode``: ``'max'``, ``'sum'``,
    ``'average_inc_pad'`` (the padding counts in the average) or
    ``'average_exc_pad'`` (it does not). ``ds``, ``st`` and ``padding`` are
    the old names of ``ws``, ``stride`` and ``pad`` (deprecated, as in Theano).
    """
    renamed = []
    for old, new, old_value in (("ds", "ws", ds), ("st", "stride", st), ("padding", "pad", padding)):
        if old_value is None:
            continue
        current = {"ws": ws, "stride": stride, "pad": pad}[new]
        if current is not None and not (new == "pad" and tuple(current) == (0, 0)):
            raise ValueError(f"pool_2d: give {new}= or its old name {old}=, not both")
        renamed.append((old, new))
        ws, stride, pad = (old_value if new == "ws" else ws, old_value if new == "stride" else stride,
                           old_value if new == "pad" else pad)
    if renamed:
        warnings.warn(f"pool_2d: the keywords {', '.join(o + '=' for o, _ in renamed)} are deprecated, use "
                      f"{', '.join(n + '=' for _, n in renamed)}", DeprecationWarning, stacklevel=2)
    if ws is None:
        raise ValueError("pool_2d: the window ws= (or its old name ds=) is required")
    params = PoolParams.make(ws, bool(ignore_border), stride, pad, mode)
    return Pool2d(params)(input)


def max_pool_2d_same_size(input: Any, patch_size: Any) -> TensorVariable:
    """Theano 1.0's ``max_pool_2d_same_size``: ``input`` with every element that is not the
    maximum of its (side-by-side) ``patch_size`` window set to zero; same shape as ``input``.
    (Built, as in Theano, as the max-pooling gradient with the pooled values as the
    gradient, so it is differentiable too.)"""
    params = PoolParams.make(patch_size, True, None, (0, 0), "max")
    x = _input("max_pool_2d_same_size", input)
    return MaxPool2dGrad(params)(x, Pool2d(params)(x), Pool2d(params)(x))
