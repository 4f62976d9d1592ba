"""Theano 1.0's API on framework: ``import theano`` after :func:`install`.

``framework.compat.theano.install()`` (or running a script with
``framework theano script.py``) makes ``import theano``, ``import
theano.tensor as T`` & co. resolve to this package. Names map to framework's
own objects; where Theano 1.0's documented behaviour differs from framework's
native API (softmax of a vector, comparison dtypes, ``function``'s argument
order...) this layer gives Theano's. docs/theano.md lists every difference.
"""
from __future__ import annotations

import importlib
from typing import Any

from ...config import config
from ...core.graph import Constant, Variable
from ...core.shared import SharedVariable
from ...printing import debugprint, pp
from ._alias import install, real_theano, run_script, uninstall
from .compile import FAST_COMPILE, FAST_RUN, In, Mode, OpFromGraph, Out, Param, as_op, function, shared
from .gof import Apply, FunctionGraph, Generic, Op, Type, generic
from .misc.safe_asarray import _asarray
from .gradient import Lop, Rop, grad, subgraph_grad
from .scan_module import clone, foldl, foldr, map, reduce, scan, scan_checkpoints

__version__ = "1.0.5+framework"
version = __version__

_SUBMODULES = ("tensor", "scalar", "gradient", "printing", "ifelse", "sandbox", "misc", "compile", "scan_module",
               "gof", "updates", "compat", "tests")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        mod = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'theano' has no attribute {name!r} in framework's Theano compatibility layer "
                         "(docs/theano.md lists what it provides)")


def dot(l: Any, r: Any) -> Any:  # noqa: E741 -- Theano's names
    """``theano.dot``: the matrix product (``theano.tensor.dot``)."""
    from .tensor import dot as _dot

    return _dot(l, r)


from . import tensor  # noqa: E402 -- Theano imports theano.tensor with theano
from . import scalar  # noqa: E402

__all__ = ["config", "function", "shared", "grad", "scan", "map", "reduce", "foldl", "foldr", "clone", "pp",
           "debugprint", "dot", "In", "Out", "Param", "Mode", "Op", "Apply", "Variable", "Constant", "SharedVariable",
           "scan_checkpoints", "tensor", "scalar", "install", "uninstall", "run_script", "real_theano", "Rop", "Lop", "subgraph_grad",
           "as_op", "FunctionGraph", "_asarray", "Type", "Generic", "generic", "OpFromGraph"]
