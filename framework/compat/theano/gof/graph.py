"""``theano.gof.graph``: Theano's ``Apply(op, inputs, outputs)``, and the graph helpers.

Theano builds a node from output *variables* (``Apply(self, [x], [x.type()])``); framework's
:class:`~framework.core.graph.Apply` takes output *types*. The layer's ``Apply`` takes either,
so an op written for Theano 1.0 runs unchanged, and the node it builds is an ordinary framework
node (``isinstance(node, theano.Apply)`` holds for every node, native ones included).
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ....config import config as _config
from ....core.errors import Trace, format_trace, user_trace
from ....core.graph import Apply as _CoreApply
from ....core.graph import Constant, Tag, Variable, clone_replace, inputs_of, io_toposort, toposort
from ....core.graph import ancestors as _ancestors

__all__ = ["Apply", "Variable", "Constant", "ancestors", "toposort", "io_toposort", "inputs_of", "clone_replace",
           "inputs", "variables", "orphans", "ops", "clone", "is_same_graph"]


class _ApplyMeta(type):
    """``isinstance(node, theano.Apply)`` is true of every framework node."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _CoreApply)


class Apply(_CoreApply, metaclass=_ApplyMeta):
    """``Apply(op, inputs, outputs)``: ``outputs`` are new variables (``x.type()``, with no
    owner yet) or types; the node becomes their owner, as in Theano."""

    __slots__ = ()

    def __init__(self, op: Any, inputs: Sequence[Any], outputs: Sequence[Any], trace: Trace = None) -> None:
        self.op = op
        self.inputs = list(inputs)
        self.trace = trace if trace is not None else user_trace()
        self.tag = Tag()
        self.outputs = []
        for k, i in enumerate(self.inputs):
            if not isinstance(i, Variable):
                raise TypeError(f"Apply of op '{op}': input {k} must be a symbolic variable (use "
                                f"theano.tensor.as_tensor_variable), got {type(i).__name__} {i!r:.60} "
                                f"(at {format_trace(self.trace)})")
        for k, o in enumerate(outputs):
            if not isinstance(o, Variable):
                if not hasattr(o, "make_variable"):
                    raise TypeError(f"Apply of op '{op}': output {k} must be a new variable (such as x.type()) "
                                    f"or a type, got {type(o).__name__} {o!r:.60} (at {format_trace(self.trace)})")
                o = o.make_variable()
            elif o.owner is not None and not (o.owner is self and o.index == k):
                raise ValueError(f"Apply of op '{op}': output {k} ({o}) is already the output of another node; "
                                 f"make a new one with x.type() (at {format_trace(self.trace)})")
            o.owner = self
            o.index = k
            self.outputs.append(o)
        test_values = _config.compute_test_value
        if test_values != "off":  # as the native Apply: run the node on its inputs' test values
            from ....core.test_value import compute_test_values

            compute_test_values(self, test_values)


# --- Theano's graph walks -------------------------------------------------------------------
# Theano lists variables in the order of its depth-first search from the *last* output, each
# node's inputs visited first to last; programs and tests compare these lists, so the order is
# Theano's (framework's ``ancestors(..., inputs_in_order=True)``).

def ancestors(variable_list: Iterable[Variable], blockers: Optional[Iterable[Variable]] = None) -> List[Variable]:
    """Every variable the given ones depend on (themselves included), stopping at ``blockers``."""
    return _ancestors(variable_list, blockers, inputs_in_order=True)


def inputs(variable_list: Iterable[Variable], blockers: Optional[Iterable[Variable]] = None) -> List[Variable]:
    """Theano's ``graph.inputs``: the variables without an owner (or in ``blockers``) that the given
    ones depend on -- symbolic inputs, shared variables and constants."""
    blocked = set(blockers or ())
    return [v for v in ancestors(variable_list, blocked) if v.owner is None or v in blocked]


def variables(i: Sequence[Variable], o: Sequence[Variable]) -> List[Variable]:
    """Theano's ``graph.variables(i, o)``: the variables of the graph from inputs ``i`` to outputs ``o``."""
    return ancestors(o, i)


def orphans(i: Sequence[Variable], o: Sequence[Variable]) -> List[Variable]:
    """Theano's ``graph.orphans(i, o)``: the variables ``o`` depends on that have no owner and are
    not in ``i`` (constants, and inputs missing from ``i``)."""
    given = set(i)
    return [v for v in ancestors(o, given) if v.owner is None and v not in given]


def ops(i: Sequence[Variable], o: Sequence[Variable]) -> Set[Any]:
    """Theano's ``graph.ops(i, o)``: the set of Apply nodes between inputs ``i`` and outputs ``o``."""
    given = set(i)
    return {v.owner for v in ancestors(o, given) if v.owner is not None and v not in given}


def clone(i: Sequence[Variable], o: Sequence[Variable], copy_inputs: bool = True,
          copy_orphans: Optional[bool] = None) -> Tuple[List[Variable], List[Variable]]:
    """Theano's ``graph.clone(i, o, copy_inputs=True)``: copies of the inputs (or the inputs
    themselves) and of the outputs, computed from them through copied nodes."""
    new_inputs = [v.clone() for v in i] if copy_inputs else list(i)
    outs = clone_replace(list(o), dict(zip(i, new_inputs))) if o else []
    return new_inputs, outs


def is_same_graph(var1: Variable, var2: Variable, givens: Optional[Dict[Variable, Variable]] = None) -> bool:
    """Theano's ``is_same_graph``: whether ``var1`` and ``var2`` compute the same thing -- equal
    ops applied to inputs that are the same graphs, the same output of their node, and, at the
    roots, the very same variables (or constants of equal type and value), where ``givens``
    maps roots of ``var1`` to the roots of ``var2`` they stand for (either direction)."""
    pairs: Dict[Variable, Variable] = {}
    for a, b in (givens or {}).items():
        pairs[a] = b
        pairs.setdefault(b, a)
    memo: Dict[Tuple[int, int], bool] = {}

    def same(a: Variable, b: Variable) -> bool:
        key = (id(a), id(b))
        if key in memo:
            return memo[key]
        memo[key] = False  # a cycle is not the same graph
        if a is b or pairs.get(a) is b or pairs.get(b) is a:
            result = True
        elif a.owner is None or b.owner is None:
            result = (isinstance(a, Constant) and isinstance(b, Constant) and a.type == b.type
                      and a.signature() == b.signature())
        else:
            na, nb = a.owner, b.owner
            result = (a.index == b.index and na.op == nb.op and len(na.inputs) == len(nb.inputs)
                      and all(same(x, y) for x, y in zip(na.inputs, nb.inputs)))
        memo[key] = result
        return result

    return same(var1, var2)


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
