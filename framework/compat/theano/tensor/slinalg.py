"""``theano.tensor.slinalg``: ``cholesky``, ``solve`` (with gradients), and Theano's
``solve_lower_triangular``, ``solve_upper_triangular``, ``solve_symmetric`` and ``kron``
built from them and from framework's ops; ``expm`` and ``eigvalsh`` (SciPy's, with Theano's
gradients: :mod:`.slinalg_extras`)."""
from __future__ import annotations

from typing import Any

from ....core.linalg import Cholesky, CholeskyGrad, Solve, cholesky, solve
from ....core.variable import TensorVariable, as_tensor_variable
from .slinalg_extras import Eigvalsh, EigvalshGrad, Expm, ExpmGrad, eigvalsh, expm

__all__ = ["cholesky", "solve", "Cholesky", "CholeskyGrad", "Solve", "solve_lower_triangular",
           "solve_upper_triangular", "solve_symmetric", "kron", "expm", "Expm", "ExpmGrad", "eigvalsh", "Eigvalsh",
           "EigvalshGrad"]


def _triangle(a: TensorVariable, lower: bool) -> TensorVariable:
    """``a`` with the entries outside its lower (upper) triangle set to zero, diagonal kept."""
    from .... import tensor as _T

    rows = _T.arange(a.shape[0]).dimshuffle(0, "x")
    cols = _T.arange(a.shape[1]).dimshuffle("x", 0)
    keep = _T.ge(rows, cols) if lower else _T.le(rows, cols)
    return _T.switch(keep, a, 0)


def solve_lower_triangular(a: Any, b: Any) -> TensorVariable:
    """Theano's ``solve_lower_triangular(A, b)``: ``x`` with ``A x = b``, reading only the lower
    triangle of ``A`` (as ``scipy.linalg.solve_triangular(lower=True)``); the gradient of ``A``
    is lower triangular too."""
    a = as_tensor_variable(a)
    return solve(_triangle(a, True), b)


def solve_upper_triangular(a: Any, b: Any) -> TensorVariable:
    """Theano's ``solve_upper_triangular(A, b)``: as :func:`solve_lower_triangular`, upper triangle."""
    a = as_tensor_variable(a)
    return solve(_triangle(a, False), b)


def solve_symmetric(a: Any, b: Any) -> TensorVariable:
    """Theano's ``solve_symmetric(A, b)``: ``solve`` (Theano computes it with the general solver too)."""
    return solve(a, b)


def kron(a: Any, b: Any) -> TensorVariable:
    """Theano's ``kron(a, b)``: the Kronecker product -- ``numpy.kron`` for two matrices. As in
    Theano, the outer product of the two, reshaped to ``a.shape + b.shape``, has its axes 1 and
    2 swapped and is merged to ``(a0*b0, a1*b1, ...)`` (three axes in all: flattened after
    swapping axes 0 and 1); the dimensions must add up to at least 3."""
    from .... import tensor as _T

    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim + b.ndim <= 2:
        raise TypeError(f"kron: the dimensions of a and b must add up to 3 or more (got {a.type} and {b.type}); "
                        "use outer() for two vectors")
    o = _T.outer(a.flatten(), b.flatten())
    o = o.reshape(_T.concatenate([a.shape, b.shape]), ndim=a.ndim + b.ndim)
    if o.ndim == 3:
        return o.dimshuffle(1, 0, 2).flatten()
    swapped = o.dimshuffle(0, 2, 1, *range(3, o.ndim))
    sizes = [o.shape[0] * o.shape[2], o.shape[1] * o.shape[3]] + [o.shape[k] for k in range(4, o.ndim)]
    return swapped.reshape(_T.stack(sizes), ndim=len(sizes))


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
