"""``theano.tensor.nlinalg``: matrix_inverse, det, trace, extract_diag, alloc_diag, matrix_dot, norm, and
the decompositions pinv, eig, eigh, qr, svd, tensorinv, tensorsolve (:mod:`.linalg_extras`)."""
from __future__ import annotations

from functools import reduce as _reduce
from typing import Any

from ....core.blas import dot
from .linalg_extras import eig, eigh, pinv, qr, svd, tensorinv, tensorsolve  # noqa: F401
from ....core.linalg import (AllocDiag, Det, ExtractDiag, MatrixInverse, alloc_diag, det, extract_diag,
                             matrix_inverse, trace)

__all__ = ["matrix_inverse", "det", "trace", "extract_diag", "alloc_diag", "matrix_dot", "MatrixInverse", "Det",
           "ExtractDiag", "AllocDiag", "norm", "pinv", "eig", "eigh", "qr", "svd", "tensorinv", "tensorsolve"]


def matrix_dot(*args: Any) -> Any:
    """``dot(dot(a, b), c)...``: the product of several matrices, left to right."""
    return _reduce(dot, args)


def _order(ord: Any) -> Any:  # noqa: A002 -- Theano's name
    """Theano spells the infinite orders 'inf' and '-inf'; NumPy's floats mean the same."""
    if isinstance(ord, float) and ord in (float("inf"), float("-inf")):
        return "inf" if ord > 0 else "-inf"
    return ord


def norm(x: Any, ord: Any) -> Any:  # noqa: A002 -- Theano's name
    """Theano's ``norm(x, ord)`` of a vector (``ord`` None: 2-norm; 'inf'/'-inf': largest/smallest
    absolute value; 0: the number of non-zero entries; p: ``sum(|x|**p)**(1/p)``) or a matrix
    (None/'fro': Frobenius; 'inf'/'-inf': largest/smallest row sum of absolute values; 1/-1:
    largest/smallest column sum). Other orders, and more dimensions, are ValueErrors, as in Theano."""
    from .... import tensor as _T
    from ....core.variable import as_tensor_variable

    x = as_tensor_variable(x)
    ord = _order(ord)  # noqa: A001
    if x.ndim == 1:
        if ord is None:
            return _T.sum(x ** 2) ** 0.5
        if ord == "inf":
            return _T.max(abs(x))
        if ord == "-inf":
            return _T.min(abs(x))
        if ord == 0:
            return _T.sum(_T.neq(x, 0))
        if isinstance(ord, (int, float)) and not isinstance(ord, bool):
            return _T.sum(abs(x) ** ord) ** (1.0 / ord)
        raise ValueError(f"norm: invalid order {ord!r} for a vector")
    if x.ndim == 2:
        rules = {None: lambda: _T.sum(x ** 2) ** 0.5, "fro": lambda: _T.sum(x ** 2) ** 0.5,
                 "inf": lambda: _T.max(_T.sum(abs(x), axis=1)), "-inf": lambda: _T.min(_T.sum(abs(x), axis=1)),
                 1: lambda: _T.max(_T.sum(abs(x), axis=0)), -1: lambda: _T.min(_T.sum(abs(x), axis=0))}
        if ord in rules and not isinstance(ord, bool):
            return rules[ord]()
        raise ValueError(f"norm: order {ord!r} is not available for a matrix (None, 'fro', 'inf', '-inf', 1, -1)")
    raise ValueError(f"norm: x must be a vector or a matrix, got {x.type}")


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
