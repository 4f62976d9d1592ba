"""``theano.gof``: the graph classes (``Op``, ``Apply``, ``Variable``, ``Constant``, ``Type``) and ``graph`` helpers.

``Op`` is Theano 1.0's op contract (``make_node``, ``perform``, ``grad(inputs, output_grads)``...,
see :mod:`.op`); framework's own ops subclass :class:`framework.core.op.Op` instead.
``Apply(op, inputs, outputs)`` takes output variables, as in Theano (:mod:`.graph`).
"""
from ....core.function import MissingInputError
from ....core.types import Type
from . import graph, op, utils
from .graph import Apply, Constant, Variable, ancestors, toposort
from .op import Op, PureOp
from .utils import MethodNotDefined

__all__ = ["Op", "PureOp", "Apply", "Variable", "Constant", "Type", "ancestors", "toposort", "MissingInputError",
           "MethodNotDefined", "graph", "op", "utils"]
