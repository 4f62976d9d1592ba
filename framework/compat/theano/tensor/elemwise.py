"""``theano.tensor.elemwise``: Theano 1.0's op classes, for programs that inspect graphs.

Scripts and test suites of the Theano era walk a compiled graph and ask what each node is:
``isinstance(node.op, T.Elemwise)``, ``[n for n in f.maker.fgraph.toposort() if
isinstance(n.op, T.elemwise.Sum)]``. framework's ops are other classes (one ``Reduce`` for
every reduction, one ``Fused`` for a fused element-wise program), so each name here is a
class whose ``isinstance`` asks what Theano's would have answered of framework's op:

* ``Elemwise``: an element-wise node, fused or not (Theano's fused node was an
  ``Elemwise{Composite}``);
* ``DimShuffle``: a transpose / broadcast / drop of axes;
* ``CAReduce``: any reduction along axes (sum, prod, max, min, all, any); ``Sum``, ``Prod``,
  ``All``, ``Any``: that reduction (``Sum`` is also ``CAReduce``, as in Theano);
  ``CAReduceDtype``: ``Sum`` or ``Prod``.

Building nodes with these classes (``Elemwise(scalar.add)(x, y)``) is Theano's internal API and
has no counterpart: build them with the tensor functions (``T.add``, ``T.sum``,
``x.dimshuffle``). The classes say so when called.
"""
from __future__ import annotations

from typing import Any as _Value, Callable, Tuple

from ....core.elemwise import Elemwise as _Elemwise
from ....core.fusion import Fused as _Fused
from ....core.reduce import Reduce as _Reduce
from ....core.shape_ops import DimShuffle as _DimShuffle

__all__ = ["All", "Any", "CAReduce", "CAReduceDtype", "DimShuffle", "Elemwise", "Prod", "Sum"]


class _TheanoOpClass(type):
    """The metaclass of the names above: ``isinstance(op, cls)`` is ``cls._is(op)``."""

    _is: Callable[[_Value], bool]
    _build_with: str

    def __instancecheck__(cls, op: _Value) -> bool:
        try:
            return bool(cls._is(op))
        except Exception:  # an object of any kind may be asked about: never fail the check itself
            return False

    def __call__(cls, *args: _Value, **kwargs: _Value) -> _Value:
        module = getattr(cls, "_module", "theano.tensor.elemwise")
        raise TypeError(f"{module}.{cls.__name__}(...) builds ops through Theano's internal API, which "
                        f"framework's Theano layer does not have; build the node with {cls._build_with} instead. "
                        f"The class is here so that isinstance(node.op, {cls.__name__}) answers as in Theano "
                        "(docs/theano.md)")


def _reduction(*kinds: str) -> Callable[[_Value], bool]:
    return lambda op: isinstance(op, _Reduce) and op.kind in kinds


_REDUCTIONS: Tuple[str, ...] = ("sum", "prod", "max", "min", "all", "any")


class Elemwise(metaclass=_TheanoOpClass):
    """An element-wise node (framework's ``Elemwise``, or a fused element-wise program)."""

    _is = staticmethod(lambda op: isinstance(op, (_Elemwise, _Fused)))
    _build_with = "the tensor functions (T.add, T.exp, ...)"


class DimShuffle(metaclass=_TheanoOpClass):
    """A transpose, a broadcastable axis added ('x') or a size-1 axis dropped."""

    _is = staticmethod(lambda op: isinstance(op, _DimShuffle))
    _build_with = "x.dimshuffle(...)"


class CAReduce(metaclass=_TheanoOpClass):
    """A reduction along axes: sum, prod, max, min, all or any."""

    _is = staticmethod(_reduction(*_REDUCTIONS))
    _build_with = "T.sum, T.prod, T.max, T.min, T.all or T.any"


class CAReduceDtype(metaclass=_TheanoOpClass):
    """A reduction with an accumulator dtype: sum or prod."""

    _is = staticmethod(_reduction("sum", "prod"))
    _build_with = "T.sum or T.prod"


def op_class(name: str, doc: str, is_: Callable[[_Value], bool], build: str,
             module: str = "theano.tensor.elemwise") -> type:
    """One of Theano's op classes as an ``isinstance`` predicate: ``isinstance(op, cls)`` is
    ``is_(op)``; calling the class says to build the node with ``build`` (``module``: where Theano
    had the class, for that message)."""
    return _TheanoOpClass(name, (), {"__doc__": doc, "__module__": __name__, "_is": staticmethod(is_),
                                     "_build_with": build, "_module": module})


def _one_reduction(name: str, kind: str, doc: str, build: str) -> type:
    """The class answering ``isinstance`` for one reduction ``kind`` (Theano's ``Sum``, ``Prod``...)."""
    return op_class(name, doc, _reduction(kind), build)


Sum = _one_reduction("Sum", "sum", "A sum along axes.", "T.sum(x, axis, dtype, acc_dtype)")
Prod = _one_reduction("Prod", "prod", "A product along axes.", "T.prod(x, axis, dtype, acc_dtype)")
All = _one_reduction("All", "all", "A logical and along axes.", "T.all(x, axis)")
Any = _one_reduction("Any", "any", "A logical or along axes.", "T.any(x, axis)")


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
