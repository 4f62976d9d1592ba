"""Ops that pass a value through unchanged and check something about it when the function runs:
Theano 1.0's ``specify_shape`` (``theano.tensor.specify_shape``) and ``Assert``
(``theano.tensor.opt.assert_``).

Both are framework ops (an ``impl`` over the array namespace, so they run on every backend and
in every mode) and views of their input. A failed check is an ``AssertionError``, as in
Theano; framework's linker adds the op, the values' shapes and the user's line to it.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from ....core.errors import format_trace, user_trace
from ....core.graph import Apply, Variable
from ....core.op import Op
from ....core.shape_ops import static_int
from ....core.types import TensorType, is_int
from ....core.variable import TensorVariable, as_tensor_variable
from ....core import elemwise as E

__all__ = ["SpecifyShape", "specify_shape", "Assert", "assert_op", "assert_"]


class SpecifyShape(Op):
    """``x`` unchanged; its shape must equal the sizes given as inputs 1.. (int64 scalars). Where a
    size is a constant it becomes part of the output's static type, so later shapes are known
    while building; every size is checked when the function runs. ``SpecifyShape()(x, shape)``
    with one list, tuple or integer vector (Theano's form) means ``specify_shape(x, shape)``."""
    complex_grad = True  # structural

    name = "specify_shape"
    view_map = {0: [0]}
    host_int_inputs = Op.inputs_after_first  # inputs 1.. are sizes

    def make_node(self, x: Any, *dims: Any) -> Apply:
        x = as_tensor_variable(x)
        if len(dims) == 1 and (isinstance(dims[0], (list, tuple)) or as_tensor_variable(dims[0]).ndim == 1):
            dims = tuple(_shape_entries(x, dims[0]))  # Theano's SpecifyShape()(x, shape)
        dims = [as_tensor_variable(d) for d in dims]
        if len(dims) != x.ndim:
            raise ValueError(f"specify_shape: {x.type} has {x.ndim} dimensions, but the shape given has {len(dims)} "
                             f"entries (at {format_trace(user_trace())})")
        shape = []
        for k, (d, known) in enumerate(zip(dims, x.type.shape)):
            if d.ndim != 0 or not is_int(d.dtype):
                raise TypeError(f"specify_shape: entry {k} of the shape must be an integer scalar, got {d.type} "
                                f"(at {format_trace(user_trace())})")
            given = static_int(d)
            if given is not None and known is not None and given != known:
                raise ValueError(f"specify_shape: axis {k} of {x.type} has size {known}, not {given} "
                                 f"(at {format_trace(user_trace())})")
            shape.append(given if given is not None else known)
        return Apply(self, [x] + dims, [TensorType(x.dtype, shape)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [tuple(node.inputs[1:])]

    def shape_constraints(self, node: Apply) -> list:
        return [("equal", (0, k), (1 + k, None)) for k in range(node.inputs[0].ndim)]

    def impl(self, xp: Any, x: Any, *dims: Any) -> Any:
        shape, want = tuple(xp.shape(x)), tuple(int(d) for d in dims)
        if shape != want:
            raise AssertionError(f"specify_shape: the value has shape {shape}, but the shape specified is {want}")
        return x

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        x, g = node.inputs[0], output_grads[0]
        if is_int(x.dtype) or g is None:
            return [None] * len(node.inputs)
        return [self(g, *node.inputs[1:])] + [None] * (len(node.inputs) - 1)

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        return f"specify_shape({args[0]}, ({', '.join(args[1:])}{',' if len(args) == 2 else ''}))", 100


_specify_shape = SpecifyShape()


def specify_shape(x: Any, shape: Any) -> TensorVariable:
    """Theano's ``specify_shape(x, shape)``: ``x``, with its shape declared as ``shape`` (a list or
    tuple of ints and integer scalars, or an integer vector with one entry per axis of ``x``).
    When the function runs, a value of another shape raises ``AssertionError``."""
    x = as_tensor_variable(x)
    return _specify_shape(x, *_shape_entries(x, shape))


def _shape_entries(x: TensorVariable, shape: Any) -> List[Any]:
    """``shape`` (a list or tuple of sizes, or an integer vector) as one int64 scalar per axis of ``x``."""
    if isinstance(shape, (list, tuple)):
        return [E.cast(as_tensor_variable(d), "int64") for d in shape]
    vec = as_tensor_variable(shape)
    if vec.ndim != 1 or not is_int(vec.dtype):
        raise TypeError(f"specify_shape: the shape must be a list of integers or an integer vector, got {vec.type} "
                        f"(at {format_trace(user_trace())})")
    length = vec.type.shape[0]
    if length is not None and length != x.ndim:
        raise ValueError(f"specify_shape: {x.type} has {x.ndim} dimensions, but the shape vector has {length} "
                         f"entries (at {format_trace(user_trace())})")
    return [E.cast(vec[k], "int64") for k in range(x.ndim)]


class Assert(Op):
    """Theano's ``Assert(msg='Theano Assert failed!')``: ``Assert(msg)(value, *conditions)`` is
    ``value``; when the function runs, a false condition (0-d tensors) raises
    ``AssertionError(msg)``. The gradient passes to ``value``; conditions get none."""
    complex_grad = True  # structural

    __props__ = ("msg",)
    view_map = {0: [0]}

    def __init__(self, msg: str = "Theano Assert failed!") -> None:
        self.msg = msg
        self.name = "assert"

    def __str__(self) -> str:
        return "Assert{msg=%r}" % (self.msg,)

    def make_node(self, value: Any, *conds: Any) -> Apply:
        value = as_tensor_variable(value)
        conds = [as_tensor_variable(c) for c in conds]
        for k, c in enumerate(conds):
            if c.ndim != 0:
                raise TypeError(f"Assert: condition {k} must be a 0-d tensor (a scalar), got {c.type} "
                                f"(at {format_trace(user_trace())})")
        return Apply(self, [value] + conds, [TensorType(value.dtype, value.type.shape)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [tuple(input_shapes[0])]

    def shape_constraints(self, node: Apply) -> list:
        return []

    def impl(self, xp: Any, value: Any, *conds: Any) -> Any:
        if not all(bool(c) for c in conds):
            raise AssertionError(self.msg)
        return value

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [output_grads[0]] + [None] * (len(node.inputs) - 1)


assert_op = Assert()
assert_ = assert_op
