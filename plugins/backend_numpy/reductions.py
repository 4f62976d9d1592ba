"""Reductions the NumPy backend runs without NumPy's Python-level wrappers.

``numpy.mean`` and ``ndarray.sum`` are Python functions around the ufunc
``add.reduce`` (about 3 us of wrapping on a 20-element mean, 2 us on the
bias gradients' ``sum_to_shape``, per call, in a training step that runs a
few of them). These kernels make the very same ufunc calls with the same
dtypes -- so the same digits -- and leave the rest (integer inputs, empty
reductions, non-arrays) to the op's own kernel.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import numpy as np

from framework.core.backend import lowering_for
from framework.core.elemwise import SumToShape
from framework.core.reduce import Reduce

_NDARRAY = np.ndarray
_ADD_REDUCE = np.add.reduce
_FLOATS = ("float32", "float64")


@lowering_for(Reduce)
def lower_mean(node: Any, backend: Any) -> Optional[Callable[..., Any]]:
    """``mean`` of float32/float64: ``numpy.mean``'s own steps (``add.reduce``, then a true
    division by the count as an ``intp``, in place for arrays), without its wrapper."""
    op = node.op
    if type(op) is not Reduce or op.kind != "mean" or op.dtype is not None \
            or node.inputs[0].type.dtype not in _FLOATS:
        return None
    axis, keepdims = op.axis, op.keepdims
    general = op.make_kernel(node, backend)
    intp, true_divide = np.intp, np.true_divide

    def kernel(x: Any) -> Any:
        if type(x) is _NDARRAY:
            if axis is None:
                n = x.size
            else:
                n = 1
                for a in axis:
                    n *= x.shape[a]
            if n:
                count = intp(n)
                s = _ADD_REDUCE(x, axis=axis, keepdims=keepdims)
                if type(s) is _NDARRAY:
                    return true_divide(s, count, out=s, casting="unsafe")
                return s.dtype.type(s / count)
        return general(x)  # an empty mean warns as numpy.mean does

    return kernel


@lowering_for(SumToShape)
def lower_sum_to_shape(node: Any, backend: Any) -> Optional[Callable[..., Any]]:
    """``sum_to_shape``: ``add.reduce`` over the axes to remove, as ``ndarray.sum`` would call
    it; without ``keepdims`` and a reshape when only leading axes go (the bias gradients)."""
    if type(node.op) is not SumToShape:
        return None
    general = node.op.make_kernel(node, backend)

    def kernel(g: Any, *dims: Any) -> Any:
        if type(g) is not _NDARRAY:
            return general(g, *dims)
        gshape = g.shape
        if gshape == dims:  # sizes compare equal whether ints, NumPy integers or 0-d arrays
            return g
        xshape = tuple(map(int, dims))
        lead = len(gshape) - len(xshape)
        if lead > 0 and gshape[lead:] == xshape:
            return _ADD_REDUCE(g, axis=tuple(range(lead)))
        return general(g, *dims)

    return kernel


LOWERINGS: Dict[str, Callable[[Any, Any], Optional[Callable[..., Any]]]] = {
    "mean": lower_mean,
    "sum_to_shape": lower_sum_to_shape,
}

__all__ = ["LOWERINGS", "lower_mean", "lower_sum_to_shape"]
