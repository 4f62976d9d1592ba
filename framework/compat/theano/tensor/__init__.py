"""``theano.tensor`` (``T``): framework's tensor namespace with Theano 1.0's signatures.

Differences from :mod:`framework.tensor` are Theano's documented behaviour:
reductions take ``dtype``/``acc_dtype``, ``nnet.softmax`` of a vector is a
1xn row, ``row``/``col`` constructors are broadcastable... (docs/theano.md).
"""
from __future__ import annotations

from typing import Any, Optional

from ....core import reduce as _red
from ....core import elemwise as _ew
from ....core.shared import TensorSharedVariable
from ....core.types import TensorType, as_dtype
from ....core.variable import TensorConstant, TensorVariable, as_tensor_variable, constant
from ....tensor import *  # noqa: F401,F403 -- Theano's T namespace starts from framework's
from ....tensor import __all__ as _native_all
from ....tensor.basic import tensor as _tensor
import importlib as _importlib

# The submodules Theano imported with theano.tensor, bound by their full names: ``from . import
# nnet`` would return the attribute the star import above bound first -- framework.tensor's own
# ``nnet`` (whose softmax keeps a vector a vector, whose relu takes no alpha) -- so ``T.nnet`` was
# Theano's only after something imported ``theano.tensor.nnet`` explicitly.
nnet = _importlib.import_module(f"{__name__}.nnet")
shared_randomstreams = _importlib.import_module(f"{__name__}.shared_randomstreams")
from .basic_extras import (as_tensor, argmax, argmin, col, cols, dcol, dcols, drow,  # noqa: F401
                           drows, fcol, fcols, frow, frows, icol, icols, irow, irows, largest, lcol, lrow, max,
                           max_and_argmax, mean, min, prod, row, rows, smallest, std, sum, var, zcol, zrow, ccol, crow,
                           stack, flatten, round, iround, round_half_to_even, round_half_away_from_zero, ptp,
                           roll, diag, tile, addbroadcast, unbroadcast, patternbroadcast, tensor, eye,
                           identity_like, arange, mgrid, ogrid, constant)
from .basic_extras import TheanoTensorType as TensorType  # noqa: F401 -- TensorType(dtype, broadcastable)
from .basic_extras import PLURALS as _PLURALS
globals().update(_PLURALS)  # T.scalars('xy') & co.: Theano's naming rule, not framework's
# theano.tensor.grad & co. are theano.gradient's (Theano's keywords: add_names, return_disconnected...)
from ..gradient import Lop, Rop, consider_constant, grad, hessian, jacobian, verify_grad  # noqa: E402,F401
from .extra_ops import bincount, cumprod, cumsum, repeat, squeeze, to_one_hot  # noqa: F401
from .extra_ops import DiffOp, bartlett, fill_diagonal, fill_diagonal_offset  # noqa: E402,F401 -- Theano's T names
from ..gradient import numeric_grad  # noqa: E402,F401
from ....core.errors import AsTensorError  # noqa: E402,F401
# Theano's inc_subtensor/set_subtensor keywords (inplace, set_instead_of_inc...) and take
subtensor = _importlib.import_module(f"{__name__}.subtensor")
from .subtensor import choose, inc_subtensor, set_subtensor, take  # noqa: E402,F401
from .subtensor import flatnonzero, nonzero, nonzero_values  # noqa: E402,F401 -- 0-d refused, as Theano
# theano.tensor.sort is both a module (topk & co.) and, as in Theano, the function: import the module
# first (which binds the name to it), then bind the function (the module is callable as well)
_importlib.import_module(f"{__name__}.sort")
from ....core.sort import argsort, sort  # noqa: E402,F401
from .checks import SpecifyShape, specify_shape  # noqa: E402,F401
_tensor_py_operators = TensorVariable  # Theano's operator mixin: every tensor variable, constant and shared one
from .math_extras import (allclose, arccos, arccosh, arcsin, arcsinh, arctan2, arctanh, deg2rad, erf,  # noqa: E402,F401
                          erfc, erfcinv, erfinv, floor_div, gamma, gammaln, inv, isclose, psi, rad2deg, chi2sf,
                          i0, i1, iv, j0, j1, jv)
from .compose import (batched_tensordot, get_vector_length, horizontal_stack, numpy_scalar,  # noqa: E402,F401
                      stacklists, trace, vertical_stack)
from .basic_extras import _made as _constructors  # noqa: E402
globals().update({k: v for k, v in _constructors.items() if "tensor5" in k})  # tensor5, dtensor5s...
from .constants import NotScalarConstantError, get_scalar_constant_value  # noqa: E402,F401
from .shape_extras import diagonal, split, swapaxes, tri, tril, triu  # noqa: E402,F401
from .complex_parts import angle, complex, complex_from_polar, conj, imag, real  # noqa: E402,F401
elemwise = _importlib.import_module(f"{__name__}.elemwise")  # Theano's op classes, for isinstance
from .elemwise import CAReduce, DimShuffle, Elemwise  # noqa: E402,F401
xlogx = _importlib.import_module(f"{__name__}.xlogx")  # the module, as in Theano (not framework's function)

TensorSharedVariable = TensorSharedVariable
_tensor_type = TensorType

__all__ = sorted(set(_native_all) | {
    "as_tensor", "row", "col", "rows", "cols", "frow", "fcol", "drow", "dcol", "irow", "icol", "lrow", "lcol",
    "frows", "fcols", "drows", "dcols", "irows", "icols", "crow", "ccol", "zrow", "zcol",
    "max_and_argmax", "largest", "smallest", "cumsum", "cumprod", "repeat", "bincount", "to_one_hot", "squeeze",
    "xlogx", "nnet", "shared_randomstreams", "TensorSharedVariable", "grad", "Rop", "Lop", "jacobian", "hessian",
    "consider_constant", "verify_grad", "iround", "round_half_to_even", "round_half_away_from_zero", "ptp", "roll",
    "diag", "tile", "sort", "argsort", "subtensor", "inc_subtensor", "set_subtensor", "take",
    "nonzero", "flatnonzero", "nonzero_values",
    "addbroadcast", "unbroadcast", "patternbroadcast", "TensorType", "tensor", "eye", "identity_like", "arange", "mgrid",
    "ogrid", "constant", "specify_shape", "get_scalar_constant_value", "NotScalarConstantError",
    "arcsin", "arccos", "arcsinh", "arccosh", "arctanh", "arctan2", "erf", "erfc", "erfinv", "erfcinv", "gamma",
    "gammaln", "psi", "inv", "deg2rad", "rad2deg", "floor_div", "isclose", "allclose", "chi2sf", "batched_tensordot",
    "get_vector_length", "horizontal_stack", "vertical_stack", "stacklists", "trace", "numpy_scalar",
    "diagonal", "split", "swapaxes", "tri", "tril", "triu", "elemwise", "CAReduce", "DimShuffle", "Elemwise",
    "choose", "j0", "j1", "jv", "i0", "i1", "iv", "real", "imag", "conj", "angle", "complex",
    "complex_from_polar", "DiffOp", "bartlett", "fill_diagonal", "fill_diagonal_offset", "numeric_grad",
    "AsTensorError", "SpecifyShape"} | {
    k for k in _constructors if "tensor5" in k})


def __getattr__(name: str) -> Any:
    import importlib

    if name in ("extra_ops", "nlinalg", "sort", "subtensor", "slinalg", "xlogx", "signal", "basic", "var", "sharedvar", "type",
                "shared_randomstreams", "opt", "elemwise", "fft", "raw_random"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'theano.tensor' has no attribute {name!r} in framework's Theano compatibility "
                         "layer (docs/theano.md lists what it provides)")


# ``T.basic`` is this layer's module (the star import above bound framework.tensor's own ``basic``);
# imported last, since it re-exports every name bound above.
basic = _importlib.import_module(f"{__name__}.basic")
opt = _importlib.import_module(f"{__name__}.opt")
from .basic import Alloc, Argmax, Dot, Join, MaxAndArgmax, Reshape  # noqa: E402,F401 -- Theano's op classes, for isinstance
__all__ = sorted(set(__all__) | {"Alloc", "Argmax", "Dot", "Join", "MaxAndArgmax", "Reshape"})  # after basic's star import of T


from types import ModuleType as _ModuleType  # noqa: E402 -- ``type`` is a submodule's name here


class _FunctionsKeepTheirNames(_ModuleType):
    """``theano.tensor`` as a module whose functions named like one of its submodules (``var``,
    ``sort``) stay functions: importing the submodule (``from theano.tensor.var import
    TensorVariable``, common in Theano-era code) binds it on its package, which would turn ``T.var``
    into a module. In Theano 1.0 the submodule was imported before the function was bound, so the
    function won; here submodules load lazily, so the binding of a submodule over a name that is not
    a module is skipped (``import theano.tensor.var as m`` and ``sys.modules`` still give the module)."""

    def __setattr__(self, name: str, value: Any) -> None:
        current = self.__dict__.get(name)
        if isinstance(value, _ModuleType) and current is not None and not isinstance(current, _ModuleType):
            return
        super().__setattr__(name, value)


import sys as _sys  # noqa: E402

_sys.modules[__name__].__class__ = _FunctionsKeepTheirNames
