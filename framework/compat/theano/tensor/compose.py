"""Theano 1.0 functions of ``theano.tensor`` built from framework's ops (no op of their own):
``trace(a, offset, axis1, axis2)``, ``batched_tensordot``, ``horizontal_stack``,
``vertical_stack``, ``stacklists``, ``get_vector_length`` and ``numpy_scalar``. Each has the
gradient of the ops it is built from."""
from __future__ import annotations

import string
from typing import Any, List, Sequence, Union

import numpy as np

from .... import tensor as _T
from ....core.graph import Constant
from ....core.shape_ops import MakeVector, Shape
from ....core.variable import TensorVariable, as_tensor_variable
from .constants import NotScalarConstantError

__all__ = ["trace", "batched_tensordot", "horizontal_stack", "vertical_stack", "stacklists", "get_vector_length",
           "numpy_scalar"]


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> TensorVariable:
    """Theano's ``trace``: the sums along the ``offset``-th diagonal of the 2-d sub-arrays spanned by
    ``axis1`` and ``axis2`` (NumPy's ``trace``); ``a`` needs at least two dimensions."""
    a = as_tensor_variable(a)
    if a.ndim < 2:
        raise ValueError(f"trace: needs a tensor of at least 2 dimensions, got {a.type}")
    ax1, ax2 = axis1 % a.ndim, axis2 % a.ndim
    if ax1 == ax2:
        raise ValueError(f"trace: axis1 and axis2 must differ, got {axis1} and {axis2}")
    rest = [k for k in range(a.ndim) if k not in (ax1, ax2)]
    moved = a.dimshuffle([ax1, ax2] + rest)
    offset = int(offset)
    skip_rows, skip_cols = max(0, -offset), max(0, offset)
    n = _T.maximum(_T.minimum(moved.shape[0] - skip_rows, moved.shape[1] - skip_cols), 0)
    steps = _T.arange(n)
    return moved[steps + skip_rows, steps + skip_cols].sum(axis=0)


def batched_tensordot(x: Any, y: Any, axes: Union[int, Sequence[Sequence[int]]] = 2) -> TensorVariable:
    """Theano's ``batched_tensordot``: for each index ``b`` of axis 0 (the batch), ``tensordot(x[b],
    y[b], axes)``. ``axes`` is an int (the last ``axes`` axes of ``x`` with the first ``axes``
    non-batch axes of ``y``) or two lists of axes of ``x`` and ``y`` (counted with the batch axis)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if isinstance(axes, (int, np.integer)):
        k = int(axes)
        if k < 0 or k >= min(x.ndim, y.ndim):
            raise ValueError(f"batched_tensordot: axes={k} does not fit {x.type} and {y.type} (the batch axis excluded)")
        xa, ya = list(range(x.ndim - k, x.ndim)), list(range(1, 1 + k))
    else:
        xa, ya = [int(v) % x.ndim for v in axes[0]], [int(v) % y.ndim for v in axes[1]]
    if len(xa) != len(ya) or 0 in xa or 0 in ya:
        raise ValueError(f"batched_tensordot: axes {axes!r} must pair as many axes of x as of y, none of them the "
                         "batch axis 0")
    letters = iter(string.ascii_letters[1:])
    xs = ["a"] + [next(letters) for _ in range(1, x.ndim)]
    ys = ["a"] + [next(letters) for _ in range(1, y.ndim)]
    for i, j in zip(xa, ya):
        ys[j] = xs[i]
    out = ["a"] + [c for k, c in enumerate(xs) if k and k not in xa] + [c for k, c in enumerate(ys) if k and k not in ya]
    return _T.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", x, y)


def horizontal_stack(*args: Any) -> TensorVariable:
    """Theano's ``horizontal_stack``: matrices joined along axis 1."""
    return _stack_matrices(args, 1, "horizontal_stack")


def vertical_stack(*args: Any) -> TensorVariable:
    """Theano's ``vertical_stack``: matrices joined along axis 0."""
    return _stack_matrices(args, 0, "vertical_stack")


def _stack_matrices(args: Sequence[Any], axis: int, label: str) -> TensorVariable:
    xs = [as_tensor_variable(a) for a in args]
    if len(xs) < 2:
        raise TypeError(f"{label}: needs at least two matrices, got {len(xs)}")
    for k, x in enumerate(xs):
        if x.ndim != 2:
            raise TypeError(f"{label}: argument {k} must be a matrix, got {x.type}")
    return _T.concatenate(xs, axis=axis)


def stacklists(arg: Any) -> Any:
    """Theano's ``stacklists``: nested lists of tensors (or numbers) stacked into one tensor, one
    axis per level of nesting (``stacklists([[a, b], [c, d]])`` is 2x2 for scalars)."""
    if isinstance(arg, (tuple, list)):
        from .basic_extras import stack

        return stack([stacklists(a) for a in arg])
    return arg


def get_vector_length(v: Any) -> int:
    """Theano's ``get_vector_length``: the length of the vector ``v`` where it is known while the
    graph is built (a static size, a constant, a vector made of scalars, the shape of a tensor);
    a ``ValueError`` otherwise."""
    v = as_tensor_variable(v)
    if v.ndim != 1:
        raise TypeError(f"get_vector_length: expected a vector, got {v.type}")
    if v.type.shape[0] is not None:
        return int(v.type.shape[0])
    if isinstance(v, Constant):
        return int(np.shape(v.data)[0])
    node = v.owner
    if node is not None and isinstance(node.op, MakeVector):
        return len(node.inputs)
    if node is not None and isinstance(node.op, Shape):
        return node.inputs[0].ndim
    raise ValueError(f"get_vector_length: the length of {v} is not known while the graph is built")


def numpy_scalar(data: Any) -> np.ndarray:
    """Theano's ``numpy_scalar``: ``data`` as a 0-d array; an array of one or more dimensions is a
    :class:`NotScalarConstantError`."""
    arr = np.asarray(data)
    if arr.ndim != 0:
        raise NotScalarConstantError(f"numpy_scalar: expected a 0-d value, got an array of shape {arr.shape}")
    return arr
