"""``theano.gof.fg``: :class:`FunctionGraph` with Theano's signature, ``MissingInputError`` and
``InconsistencyError``.

A Theano ``FunctionGraph(inputs, outputs)`` copies the graph by default (``clone=True``), so that
rewriting it never touches the user's variables, and refuses outputs that depend on a variable
that is neither one of ``inputs`` nor a constant or shared variable. framework's rewrites and
``compiled.maker.fgraph`` use the same class, :class:`framework.core.fgraph.FunctionGraph`.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from ....core.fgraph import FunctionGraph as _CoreFunctionGraph
from ....core.function import MissingInputError
from ....core.graph import Constant, Variable
from ....core.shared import SharedVariable
from .graph import clone, inputs as _graph_inputs

__all__ = ["FunctionGraph", "MissingInputError", "InconsistencyError"]


class InconsistencyError(Exception):
    """Theano's error for a graph change that would break an invariant a feature keeps (here:
    what a program's ``except`` clause may name; framework's rewrites raise their own errors)."""


class FunctionGraph(_CoreFunctionGraph):
    """``FunctionGraph(inputs, outputs, features=None, clone=True)``: the graph from ``inputs`` to
    ``outputs`` (copied unless ``clone=False``), with ``toposort()``, ``apply_nodes``,
    ``variables``, ``clients``, ``replace(old, new)``. Theano's ``features`` (optimiser
    bookkeeping such as ``DestroyHandler``) have no counterpart: a non-empty list is a
    ``TypeError`` saying so."""

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable], features: Optional[Sequence[Any]] = None,
                 clone: bool = True, update_mapping: Any = None) -> None:
        if features:
            raise TypeError("FunctionGraph: Theano's features (DestroyHandler, ReplaceValidate...) are optimiser "
                            "internals that framework's rewrite engine does not use; build the graph without them")
        inputs, outputs = list(inputs), list(outputs)
        if clone:
            inputs, outputs = _clone(inputs, outputs)
        given = set(inputs)
        for v in _graph_inputs(outputs, given):
            if v not in given and not isinstance(v, (Constant, SharedVariable)):
                raise MissingInputError(f"FunctionGraph: the outputs depend on {v}, which is not one of the inputs "
                                        f"({', '.join(map(str, inputs)) or 'none'}); add it to the inputs")
        super().__init__(inputs, outputs)
        self.update_mapping = update_mapping


def _clone(inputs: Sequence[Variable], outputs: Sequence[Variable]) -> Any:
    return clone(inputs, outputs, copy_inputs=True)


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
