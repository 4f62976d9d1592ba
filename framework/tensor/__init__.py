"""The user namespace, conventionally imported as ``T``: constructors and op functions."""
from __future__ import annotations

from ..core import blas as _blas
from ..core import elemwise as _ew
from ..core import reduce as _red
from ..core import shape_ops as _shp
from ..core import subtensor as _sub
from ..core.grad import grad
from ..core.graph import Constant, Variable
from ..core.shared import SharedVariable, shared
from ..core.types import TensorType
from ..core.variable import TensorConstant, TensorVariable, as_tensor_variable, constant
from . import nnet
from .basic import CONSTRUCTORS, PLURALS, tensor

globals().update(CONSTRUCTORS)
globals().update(PLURALS)

# element-wise: every function of the element-wise table's API (framework.core.elemwise.API),
# generated from its rows (T.exp, T.add, T.switch/T.where, ...) -- none listed by hand here
from ..core import xlogx as _xlogx  # noqa: E402,F401 -- declares the xlogx / xlogy0 rows
globals().update(_ew.API)
from ..core.extra_ops import (bincount, cumprod, cumsum, permute_row_elements, ravel_multi_index, repeat,  # noqa: E402
                              searchsorted, to_one_hot, unique, unravel_index)
from ..core.sort import argsort, argtopk, sort, topk, topk_and_argtopk  # noqa: E402
from ..core import linalg  # noqa: E402 -- T.linalg.matrix_inverse, det, cholesky, solve, trace
from ..core.ifelse import ifelse  # noqa: E402 -- lazy: only the branch taken runs
# reductions
sum, prod, mean, max, min = _red.sum, _red.prod, _red.mean, _red.max, _red.min
argmax, argmin, var, std, all, any = _red.argmax, _red.argmin, _red.var, _red.std, _red.all, _red.any
logsumexp = _red.logsumexp
# shapes and assembly
shape, reshape, flatten, transpose, dimshuffle = _shp.shape, _shp.reshape, _shp.flatten, _shp.transpose, _shp.dimshuffle
shape_padleft, shape_padright, shape_padaxis, squeeze = _shp.shape_padleft, _shp.shape_padright, _shp.shape_padaxis, _shp.squeeze
concatenate, join, stack, arange, alloc = _shp.concatenate, _shp.join, _shp.stack, _shp.arange, _shp.alloc
ones, zeros, make_vector, broadcast_like = _shp.ones, _shp.zeros, _shp.make_vector, _shp.broadcast_like
# indexing
set_subtensor, inc_subtensor, take = _sub.set_subtensor, _sub.inc_subtensor, _sub.take
from ..core.nonzero import flatnonzero, nonzero, nonzero_values  # noqa: E402
# products
dot, tensordot, batched_dot, outer, einsum = _blas.dot, _blas.tensordot, _blas.batched_dot, _blas.outer, _blas.einsum


def sum_(x, axis=None, keepdims=False):
    return _red.sum(x, axis=axis, keepdims=keepdims)


__all__ = sorted(
    [k for k in list(globals()) if not k.startswith("_") and k not in ("annotations",)]
)
