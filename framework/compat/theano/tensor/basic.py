"""``theano.tensor.basic``: the same names as ``theano.tensor``, Theano's comparison helper
``_allclose`` with its default tolerances (``float32_atol`` & co.), which test suites use, and
the op classes ``Dot``, ``Join``, ``Alloc``, ``Reshape``, ``Argmax``, ``MaxAndArgmax`` for ``isinstance`` (also ``T.Dot``
& co.; ``MaxAndArgmax(axis)(x)`` builds, as Theano's)."""
from typing import Any, Optional

import numpy as np

from . import *  # noqa: F401,F403
from . import __all__  # noqa: F401

float32_atol = 1e-5
float32_rtol = 1e-5
float64_atol = 1e-8
float64_rtol = 1e-5
_NARROW = ("float16", "float32", "complex64")


def _tolerances(a: np.ndarray, b: np.ndarray, rtol: Optional[float], atol: Optional[float]) -> tuple:
    """``(rtol, atol)``: those given, else Theano's defaults for the narrower of the two dtypes."""
    narrow = str(a.dtype) in _NARROW or str(b.dtype) in _NARROW
    rtol_, atol_ = (float32_rtol, float32_atol) if narrow else (float64_rtol, float64_atol)
    return (rtol_ if rtol is None else rtol), (atol_ if atol is None else atol)


def _allclose(a: Any, b: Any, rtol: Optional[float] = None, atol: Optional[float] = None) -> bool:
    """Theano's ``_allclose``: ``numpy.allclose`` with tolerances chosen by dtype (above)."""
    a, b = np.asarray(a), np.asarray(b)
    rtol_, atol_ = _tolerances(a, b, rtol, atol)
    return bool(np.allclose(a, b, rtol=rtol_, atol=atol_))


# Theano's op classes of this module, for ``isinstance(node.op, T.basic.Dot)`` on a compiled graph
# (as those of ``theano.tensor.elemwise``: asked of framework's op, never built through them)
from ....core.blas import Dot as _Dot  # noqa: E402
from ....core.reduce import Reduce as _Reduce  # noqa: E402
from ....core.shape_ops import Alloc as _Alloc, Join as _Join, Reshape as _Reshape  # noqa: E402
from .elemwise import _TheanoOpClass, op_class  # noqa: E402


class Dot(metaclass=_TheanoOpClass):
    """A matrix or vector product as written (a product the rewrites made part of a larger GEMM --
    a stacked sum, a scaled update -- is another op, as Theano's ``Gemm``/``Dot22`` were)."""

    _is = staticmethod(lambda op: isinstance(op, _Dot))
    _build_with = "T.dot(x, y)"


class Join(metaclass=_TheanoOpClass):
    """A concatenation along an axis."""

    _is = staticmethod(lambda op: isinstance(op, _Join))
    _build_with = "T.join(axis, *tensors) or T.concatenate"


class Alloc(metaclass=_TheanoOpClass):
    """A value broadcast to a shape (``T.alloc``, ``T.zeros``, ``T.ones``)."""

    _is = staticmethod(lambda op: isinstance(op, _Alloc))
    _build_with = "T.alloc(value, *shape)"


class Reshape(metaclass=_TheanoOpClass):
    """A reshape (also ``flatten``)."""

    _is = staticmethod(lambda op: isinstance(op, _Reshape))
    _build_with = "x.reshape(shape) or T.reshape"


Argmax = op_class("Argmax", "The positions of the maxima along axes (``T.argmax``; ``max_and_argmax`` builds one beside "
                  "a ``max``, there is no combined op).", lambda op: isinstance(op, _Reduce) and op.kind == "argmax",
                  "T.argmax(x, axis)", "theano.tensor.basic")


class _MaxAndArgmaxOp:
    """What ``MaxAndArgmax(axis)`` gives: called on a tensor, Theano's two outputs ``[max, argmax]``
    (framework builds them as its two reduction nodes, through ``max_and_argmax``)."""

    def __init__(self, axis: Any = None) -> None:
        self.axis = axis

    def __call__(self, x: Any) -> list:
        from .basic_extras import max_and_argmax

        return list(max_and_argmax(x, self.axis))

    def __eq__(self, other: Any) -> bool:
        return type(other) is _MaxAndArgmaxOp and other.axis == self.axis

    def __hash__(self) -> int:
        return hash((_MaxAndArgmaxOp, repr(self.axis)))

    def __repr__(self) -> str:
        return f"MaxAndArgmax{{axis={self.axis!r}}}"


class _MaxAndArgmaxClass(_TheanoOpClass):
    """``MaxAndArgmax(axis)`` builds (Theano's call), unlike the other op classes."""

    def __call__(cls, axis: Any = None) -> _MaxAndArgmaxOp:  # type: ignore[override]
        return _MaxAndArgmaxOp(axis)


class MaxAndArgmax(metaclass=_MaxAndArgmaxClass):
    """Theano 1.0's op behind ``T.max`` and ``T.argmax`` (both built ``max_and_argmax(x, axis)[k]``
    before compiling): ``isinstance(node.op, MaxAndArgmax)`` holds for framework's ``max`` and
    ``argmax`` nodes, and ``MaxAndArgmax(axis)(x)`` is ``[max(x, axis), argmax(x, axis)]``."""

    _is = staticmethod(lambda op: isinstance(op, _MaxAndArgmaxOp)
                       or isinstance(op, _Reduce) and op.kind in ("max", "argmax"))
    _build_with = "T.max_and_argmax(x, axis)"
    _module = "theano.tensor.basic"


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
