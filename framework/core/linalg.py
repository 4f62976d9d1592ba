"""Linear algebra on matrices: inverse, determinant, Cholesky factor, solve, trace.

Theano keeps these in ``theano.tensor.nlinalg`` / ``slinalg``. Each op has its
gradient (checked against finite differences in tests/compat) and a reference
kernel over ``xp.linalg`` (NumPy's or CuPy's).
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

from .blas import dot
from .errors import format_trace, user_trace
from .graph import Apply, Variable
from .op import Op
from .types import TensorType
from .variable import TensorVariable, as_tensor_variable


def _float(x: Variable) -> str:
    return x.dtype if x.dtype.startswith(("float", "complex")) else "float64"


def _matrix(opname: str, x: Any, square: bool = True) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"{opname}: expected a matrix, got {x.type} (at {format_trace(user_trace())})")
    n, m = x.type.shape
    if square and n is not None and m is not None and n != m:
        raise ValueError(f"{opname}: expected a square matrix, got shape ({n}, {m}) (at {format_trace(user_trace())})")
    return x


class MatrixInverse(Op):
    """``inv(X)``; gradient ``-inv(X)^T . g . inv(X)^T``."""
    complex_grad = False  # rules for real matrices (no conjugate transposes)

    name = "matrix_inverse"

    def make_node(self, x: Any) -> Apply:
        x = _matrix(self.name, x)
        return Apply(self, [x], [TensorType(_float(x), x.type.shape)])

    def impl(self, xp: Any, x: Any) -> Any:
        return xp.linalg.inv(x).astype(_np_dtype(x))

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        zt = node.outputs[0].T
        return [-dot(dot(zt, output_grads[0]), zt)]


class Det(Op):
    """``det(X)``; gradient ``g * det(X) * inv(X)^T``."""
    complex_grad = False  # rules for real matrices (no conjugate transposes)

    name = "det"

    def make_node(self, x: Any) -> Apply:
        x = _matrix(self.name, x)
        return Apply(self, [x], [TensorType(_float(x), ())])

    def impl(self, xp: Any, x: Any) -> Any:
        return xp.asarray(xp.linalg.det(x), dtype=_np_dtype(x))

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (x,), (d,), g = node.inputs, node.outputs, output_grads[0]
        return [g * d * matrix_inverse(x).T]


class Cholesky(Op):
    """The Cholesky factor of a symmetric positive-definite matrix: lower (``L L^T = X``) or upper."""
    complex_grad = False  # rules for real matrices (no conjugate transposes)

    __props__ = ("lower",)
    name = "cholesky"

    def __init__(self, lower: bool = True) -> None:
        self.lower = bool(lower)

    def make_node(self, x: Any) -> Apply:
        x = _matrix(self.name, x)
        return Apply(self, [x], [TensorType(_float(x), x.type.shape)])

    def impl(self, xp: Any, x: Any) -> Any:
        try:
            low = xp.linalg.cholesky(x)
        except Exception as exc:  # LinAlgError: name what the user gave
            raise ValueError(f"cholesky: the matrix is not positive definite ({exc})") from None
        return (low if self.lower else low.T.copy()).astype(_np_dtype(x))

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (x,), (c,), g = node.inputs, node.outputs, output_grads[0]
        low, g_low = (c, g) if self.lower else (c.T, g.T)
        return [CholeskyGrad()(low, g_low)]


class CholeskyGrad(Op):
    """The gradient of ``X -> cholesky(X)`` (Murray 2016: ``Phi(L^T gL)`` conjugated by ``L^{-1}``,
    symmetrised, since only the symmetric part of X matters)."""

    name = "cholesky_grad"

    def make_node(self, low: Any, g: Any) -> Apply:
        low, g = as_tensor_variable(low), as_tensor_variable(g)
        return Apply(self, [low, g], [TensorType(low.dtype, low.type.shape)])

    def impl(self, xp: Any, low: Any, g: Any) -> Any:
        n = low.shape[0]
        phi = xp.tril(low.T @ g)
        phi[xp.arange(n), xp.arange(n)] *= 0.5
        inv_low = xp.linalg.inv(low)
        s = inv_low.T @ phi @ inv_low
        return (0.5 * (s + s.T)).astype(low.dtype)


class Solve(Op):
    """``solve(A, b)``: ``x`` with ``A x = b`` (``b`` a vector or a matrix of right-hand sides)."""
    complex_grad = False  # rules for real matrices (no conjugate transposes)

    name = "solve"

    def make_node(self, a: Any, b: Any) -> Apply:
        a = _matrix(self.name, a)
        b = as_tensor_variable(b)
        if b.ndim not in (1, 2):
            raise TypeError(f"solve: b must be a vector or a matrix, got {b.type} (at {format_trace(user_trace())})")
        n = a.type.shape[0]
        if n is not None and b.type.shape[0] is not None and b.type.shape[0] != n:
            raise ValueError(f"solve: A is {a.type.shape} but b has {b.type.shape[0]} rows "
                             f"(at {format_trace(user_trace())})")
        import numpy as np

        dtype = np.result_type(_float(a), _float(b)).name
        return Apply(self, [a, b], [TensorType(dtype, (a.type.shape[1],) + tuple(b.type.shape[1:]))])

    def impl(self, xp: Any, a: Any, b: Any) -> Any:
        import numpy as np

        return xp.linalg.solve(a, b).astype(np.result_type(_np_dtype(a), _np_dtype(b)))

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from .blas import outer

        (a, b), (x,), g = node.inputs, node.outputs, output_grads[0]
        gb = solve(a.T, g)
        ga = -outer(gb, x) if x.ndim == 1 else -dot(gb, x.T)
        return [ga, gb]


class ExtractDiag(Op):
    """The main diagonal of a matrix, as a vector."""
    complex_grad = True  # structural

    name = "extract_diag"

    def make_node(self, x: Any) -> Apply:
        x = _matrix(self.name, x, square=False)
        n, m = x.type.shape
        size = None if n is None or m is None else min(n, m)
        return Apply(self, [x], [TensorType(x.dtype, (size,))])

    def impl(self, xp: Any, x: Any) -> Any:
        return xp.diagonal(x).copy()

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [AllocDiag()(output_grads[0], node.inputs[0])]


class AllocDiag(Op):
    """A matrix shaped like ``like`` (or square) with ``v`` on its diagonal."""
    complex_grad = True  # structural

    name = "alloc_diag"

    def make_node(self, v: Any, *like: Any) -> Apply:
        v = as_tensor_variable(v)
        ins = [v] + [as_tensor_variable(x) for x in like]
        shape = tuple(ins[1].type.shape) if like else (v.type.shape[0], v.type.shape[0])
        return Apply(self, ins, [TensorType(v.dtype, shape)])

    def impl(self, xp: Any, v: Any, *like: Any) -> Any:
        shape = like[0].shape if like else (v.shape[0], v.shape[0])
        out = xp.zeros(shape, dtype=v.dtype)
        k = min(shape)
        out[xp.arange(k), xp.arange(k)] = v[:k]
        return out

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [ExtractDiag()(output_grads[0])] + [None] * (len(node.inputs) - 1)


def _np_dtype(x: Any) -> str:
    d = str(x.dtype)
    return d if d.startswith(("float", "complex")) else "float64"


def matrix_inverse(x: Any) -> TensorVariable:
    """The inverse of the square matrix ``x``."""
    return MatrixInverse()(x)


def det(x: Any) -> TensorVariable:
    """The determinant of the square matrix ``x``."""
    return Det()(x)


def cholesky(x: Any, lower: bool = True) -> TensorVariable:
    """The Cholesky factor of the symmetric positive-definite ``x`` (lower triangular by default)."""
    return Cholesky(lower)(x)


def solve(a: Any, b: Any) -> TensorVariable:
    """``x`` such that ``a . x = b``."""
    return Solve()(a, b)


def extract_diag(x: Any) -> TensorVariable:
    return ExtractDiag()(x)


def alloc_diag(v: Any) -> TensorVariable:
    return AllocDiag()(v)


def trace(x: Any) -> TensorVariable:
    """The sum of the diagonal of the matrix ``x``."""
    from .reduce import sum as sum_

    return sum_(extract_diag(x))
