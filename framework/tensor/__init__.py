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

# element-wise
add, sub, mul, true_div, int_div, mod, pow = _ew.add, _ew.sub, _ew.mul, _ew.true_div, _ew.int_div, _ew.mod, _ew.pow
true_divide, floor_divide = _ew.true_div, _ew.int_div
neg, exp, exp2, expm1, log, log2, log10, log1p = _ew.neg, _ew.exp, _ew.exp2, _ew.expm1, _ew.log, _ew.log2, _ew.log10, _ew.log1p
sqrt, sqr, tanh, sin, cos, tan, arctan, sinh, cosh = _ew.sqrt, _ew.sqr, _ew.tanh, _ew.sin, _ew.cos, _ew.tan, _ew.arctan, _ew.sinh, _ew.cosh
abs_, sgn, floor, ceil, clip, maximum, minimum = _ew.abs_, _ew.sgn, _ew.floor, _ew.ceil, _ew.clip, _ew.maximum, _ew.minimum
round = _ew.round_
switch, where = _ew.switch, _ew.switch
eq, neq, lt, gt, le, ge = _ew.eq, _ew.neq, _ew.lt, _ew.gt, _ew.le, _ew.ge
and_, or_, xor, invert, isnan, isinf = _ew.and_, _ew.or_, _ew.xor, _ew.invert, _ew.isnan, _ew.isinf
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = _ew.and_, _ew.or_, _ew.xor, _ew.invert
cast, fill, second, identity = _ew.cast, _ew.fill, _ew.second, _ew.identity
ones_like, zeros_like = _ew.ones_like, _ew.zeros_like
sigmoid, softplus, relu = _ew.sigmoid, _ew.softplus, _ew.relu
sigmoid_binary_crossentropy = _ew.sigmoid_binary_crossentropy
from ..core.xlogx import xlogx, xlogy0  # noqa: E402 -- x*log(x) and x*log(y), 0 where x is 0
from ..core.extra_ops import bincount, cumprod, cumsum, repeat, to_one_hot  # noqa: E402
from ..core import linalg  # noqa: E402 -- T.linalg.matrix_inverse, det, cholesky, solve, trace
from ..core.ifelse import ifelse  # noqa: E402 -- lazy: only the branch taken runs
# reductions
sum, prod, mean, max, min = _red.sum, _red.prod, _red.mean, _red.max, _red.min
argmax, argmin, var, std, all, any = _red.argmax, _red.argmin, _red.var, _red.std, _red.all, _red.any
# shapes and assembly
shape, reshape, flatten, transpose, dimshuffle = _shp.shape, _shp.reshape, _shp.flatten, _shp.transpose, _shp.dimshuffle
shape_padleft, shape_padright, shape_padaxis, squeeze = _shp.shape_padleft, _shp.shape_padright, _shp.shape_padaxis, _shp.squeeze
concatenate, join, stack, arange, alloc = _shp.concatenate, _shp.join, _shp.stack, _shp.arange, _shp.alloc
ones, zeros, make_vector, broadcast_like = _shp.ones, _shp.zeros, _shp.make_vector, _shp.broadcast_like
# indexing
set_subtensor, inc_subtensor = _sub.set_subtensor, _sub.inc_subtensor
# products
dot, tensordot, batched_dot, outer, einsum = _blas.dot, _blas.tensordot, _blas.batched_dot, _blas.outer, _blas.einsum


def sum_(x, axis=None, keepdims=False):
    return _red.sum(x, axis=axis, keepdims=keepdims)


__all__ = sorted(
    [k for k in list(globals()) if not k.startswith("_") and k not in ("annotations",)]
)
