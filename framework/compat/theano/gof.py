"""``theano.gof``: the graph classes (``Op``, ``Apply``, ``Variable``, ``Constant``) and ``graph`` helpers."""
from ...core.graph import Apply, Constant, Variable, ancestors, toposort
from ...core.function import MissingInputError
from ...core.op import Op

__all__ = ["Op", "Apply", "Variable", "Constant", "ancestors", "toposort", "MissingInputError"]
