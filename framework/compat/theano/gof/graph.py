"""``theano.gof.graph``: Theano's ``Apply(op, inputs, outputs)``, and the graph helpers.

Theano builds a node from output *variables* (``Apply(self, [x], [x.type()])``); framework's
:class:`~framework.core.graph.Apply` takes output *types*. The layer's ``Apply`` takes either,
so an op written for Theano 1.0 runs unchanged, and the node it builds is an ordinary framework
node (``isinstance(node, theano.Apply)`` holds for every node, native ones included).
"""
from __future__ import annotations

from typing import Any, Sequence

from ....config import config as _config
from ....core.errors import Trace, format_trace, user_trace
from ....core.graph import Apply as _CoreApply
from ....core.graph import Constant, Tag, Variable, ancestors, clone_replace, inputs_of, io_toposort, toposort

__all__ = ["Apply", "Variable", "Constant", "ancestors", "toposort", "io_toposort", "inputs_of", "clone_replace"]


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
