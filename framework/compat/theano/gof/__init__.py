"""``theano.gof``: the graph classes (``Op``, ``Apply``, ``Variable``, ``Constant``, ``Type``, ``Generic``) and ``graph`` helpers.

``Op`` is Theano 1.0's op contract (``make_node``, ``perform``, ``grad(inputs, output_grads)``...,
see :mod:`.op`); framework's own ops subclass :class:`framework.core.op.Op` instead.
``Apply(op, inputs, outputs)`` takes output variables, as in Theano (:mod:`.graph`).
"""
from ....core.function import MissingInputError
from . import fg, graph, op, type, utils
from .fg import FunctionGraph, InconsistencyError
from .graph import Apply, Constant, Variable, ancestors, toposort
from .op import Op, PureOp
from .type import Generic, Type, generic
from .utils import MethodNotDefined

__all__ = ["Op", "PureOp", "Apply", "Variable", "Constant", "Type", "ancestors", "toposort", "MissingInputError",
           "MethodNotDefined", "Generic", "generic", "graph", "op", "type", "utils", "fg", "FunctionGraph",
           "InconsistencyError"]


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__, "optimiser, C-code and profiler internals have no counterpart here")
