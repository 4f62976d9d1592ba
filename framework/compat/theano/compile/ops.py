"""``theano.compile.ops``: ``as_op``, the decorator that makes an op of a Python function.

``@as_op(itypes, otypes, infer_shape=None)`` turns ``fn(*arrays) -> array or list of arrays``
into a :class:`FromFunctionOp` (a :class:`theano.Op <framework.compat.theano.gof.op.Op>`):
calling it on variables of ``itypes`` builds a node with outputs of ``otypes``, and ``fn``
runs as its ``perform``. It has no gradient (``grad`` raises, naming it). Two such ops are
equal when they wrap the same function. It pickles by reference: the decorated name must be
importable where the pickle is loaded (``module.name`` must be the op itself), as in Theano.
"""
from __future__ import annotations

import importlib
import pickle
from typing import Any, Callable, Optional, Sequence

from ..gof.op import Op, _as_type, checked_shapes

__all__ = ["as_op", "FromFunctionOp", "load_back"]


def load_back(mod: str, name: str) -> Any:
    """The object called ``name`` in module ``mod`` (how an ``as_op`` op is unpickled)."""
    return getattr(importlib.import_module(mod), name)


class FromFunctionOp(Op):
    """An op whose ``perform`` calls a Python function (made by :func:`as_op`)."""

    def __init__(self, fn: Callable[..., Any], itypes: Sequence[Any], otypes: Sequence[Any],
                 infer_shape: Optional[Callable[..., Any]]) -> None:
        self._fn = fn
        self.itypes = list(itypes)
        self.otypes = list(otypes)
        self._infer_shape_fn = infer_shape
        self.name = f"FromFunctionOp{{{getattr(fn, '__name__', 'fn')}}}"

    def __eq__(self, other: Any) -> bool:
        return type(self) is type(other) and self._fn == other._fn

    def __hash__(self) -> int:
        return hash((type(self), self._fn))

    def __str__(self) -> str:
        return self.name

    __repr__ = __str__

    def perform(self, node: Any, inputs: Sequence[Any], output_storage: Any) -> None:
        outs = self._fn(*inputs)
        if not isinstance(outs, (list, tuple)):
            outs = (outs,)
        if len(outs) != len(output_storage):
            raise ValueError(f"{self}: the function returned {len(outs)} value(s) for {len(output_storage)} declared "
                             f"output(s) (otypes)")
        for cell, value in zip(output_storage, outs):
            cell[0] = value

    def _infers_shape(self) -> bool:
        return self._infer_shape_fn is not None

    def infer_shape(self, node: Any, input_shapes: Sequence[Any]) -> Any:
        """The ``infer_shape`` given to ``as_op`` (``fn(node, input_shapes)``), or None: without
        one, the shapes come from running the function."""
        if self._infer_shape_fn is None:
            return None
        return checked_shapes(self, node, self._infer_shape_fn(node, [tuple(s) for s in input_shapes]))

    infer_shape._checked = True  # type: ignore[attr-defined]  # (checked here: the base class need not wrap it)

    def __reduce__(self) -> Any:
        mod, name = getattr(self._fn, "__module__", None), getattr(self._fn, "__name__", None)
        try:
            obj = load_back(mod, name)
        except (ImportError, AttributeError, TypeError, ValueError):
            raise pickle.PicklingError(f"can't pickle {self}: as_op ops pickle by name, and {mod}.{name} cannot be "
                                       "imported (decorate a module-level function)") from None
        if obj is not self:
            raise pickle.PicklingError(f"can't pickle {self}: {mod}.{name} is not this op (decorate a module-level "
                                       "function and keep the decorated name)")
        return load_back, (mod, name)


def as_op(itypes: Any, otypes: Any, infer_shape: Optional[Callable[..., Any]] = None) -> Callable[[Callable[..., Any]], FromFunctionOp]:
    """Decorator: the Python function it decorates becomes an op with inputs of ``itypes`` and
    outputs of ``otypes`` (a type or a list of types; the layer's constructors such as
    ``theano.tensor.dmatrix`` count as their types). ``infer_shape(node, input_shapes)``, when
    given, returns one shape tuple per output, so reading an output's shape does not run the
    function (and, when it runs, the shapes it returns are checked against it)."""
    itypes = list(itypes) if isinstance(itypes, (list, tuple)) else [itypes]
    otypes = list(otypes) if isinstance(otypes, (list, tuple)) else [otypes]
    itypes = [_as_type(t, "as_op: itypes") for t in itypes]
    otypes = [_as_type(t, "as_op: otypes") for t in otypes]
    if infer_shape is not None and not callable(infer_shape):
        raise TypeError(f"as_op: infer_shape must be a callable infer_shape(node, input_shapes), got "
                        f"{type(infer_shape).__name__}")

    def make_op(fn: Callable[..., Any]) -> FromFunctionOp:
        if not callable(fn):
            raise TypeError(f"as_op decorates a function, got {type(fn).__name__} {fn!r:.60}")
        return FromFunctionOp(fn, itypes, otypes, infer_shape)

    return make_op

