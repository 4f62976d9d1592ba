"""Theano 1.0's complex-number functions: ``real``, ``imag``, ``conj``, ``angle``, ``complex``,
``complex_from_polar``.

``real``, ``imag``, ``conj`` and ``complex`` are framework's element-wise rows (complex gradients
use them; tensors have ``x.real``, ``x.imag``, ``x.conj()``); ``angle`` is an op of the table
:data:`FUNCTIONS` (:class:`ComplexPart`): its kernel over the array namespace (NumPy's or CuPy's),
its result dtype and its gradient, written once. Gradients follow the convention of
framework's (and Theano's) complex gradients: the gradient of a real cost with respect to
``z = x + iy`` is ``dC/dx + i dC/dy`` -- so ``real``'s is ``complex(g, 0)``, ``imag``'s
``complex(0, g)``, ``conj``'s ``conj(g)``. On real inputs ``real`` and ``conj`` are the input
itself and ``imag`` its zeros, as NumPy's. ``complex_from_polar(r, theta)`` is
``complex(r cos(theta), r sin(theta))``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple


from .... import tensor as E
from ....core.errors import format_trace, user_trace
from ....core.graph import Apply, Variable
from ....core.types import TensorType, broadcast_shapes
from ....core.variable import TensorVariable, as_tensor_variable
from .math_extras import TableOp

__all__ = ["angle", "complex", "complex_from_polar", "conj", "imag", "real", "ComplexPart"]

_REAL_OF = {"complex64": "float32", "complex128": "float64"}


def _is_complex(dtype: str) -> bool:
    return dtype in _REAL_OF


def _float_of(dtype: str) -> str:
    """A real input's float dtype (integers as Theano upgrades them: 8/16 bits float32, wider float64)."""
    if dtype.startswith("float"):
        return dtype
    return "float32" if dtype in ("bool", "int8", "uint8", "int16", "uint16") else "float64"


@dataclass(frozen=True)
class ComplexFunction:
    """One row: arity, kernel ``kernel(xp)(*values)`` given the result dtype, the result dtype from
    the input dtypes, and the gradient ``grad(inputs, output, g)`` (one term per input)."""
    arity: int
    kernel: Callable[[Any, str], Callable[..., Any]]
    dtype: Callable[..., str]
    grad: Callable[[Sequence[Variable], Variable, Variable], List[Variable]]


def _angle_grad(i: Sequence[Variable], o: Variable, g: Variable) -> List[Variable]:
    x, y = real(i[0]), imag(i[0])
    r2 = E.sqr(x) + E.sqr(y)
    return [complex(-g * y / r2, g * x / r2)]


FUNCTIONS = {
    "angle": ComplexFunction(1, lambda xp, dt: xp.angle, lambda d: _REAL_OF.get(d, _float_of(d)), _angle_grad),
}


class ComplexPart(TableOp):
    """``ComplexPart(name)(*inputs)``: the function ``name`` of :data:`FUNCTIONS`, element by
    element (``complex`` broadcasts its two inputs)."""
    complex_grad = True  # written for complex values (module docstring)

    TABLE = FUNCTIONS

    def make_node(self, *inputs: Any) -> Apply:
        inputs = [as_tensor_variable(x) for x in inputs]
        shape = broadcast_shapes([x.type.shape for x in inputs])
        if shape is None:
            shapes = ", ".join(str(x.type.shape) for x in inputs)
            raise ValueError(f"{self.name}(): input shapes {shapes} cannot be broadcast together "
                             f"(at {format_trace(user_trace())})")
        return Apply(self, inputs, [TensorType(self.row.dtype(*[x.dtype for x in inputs]), shape)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        from ....core.shape_infer import broadcast_dim

        nd = node.outputs[0].ndim
        shape = []
        for axis, static in enumerate(node.outputs[0].type.shape):
            sizes = [s[axis - (nd - x.ndim)] for x, s in zip(node.inputs, input_shapes)
                     if axis - (nd - x.ndim) >= 0 and x.type.shape[axis - (nd - x.ndim)] != 1]
            shape.append(static if static is not None else 1 if not sizes else sizes[0] if len(sizes) == 1
                         else broadcast_dim(*sizes))
        return [tuple(shape)]

    def shape_constraints(self, node: Apply) -> list:
        return []

    def impl(self, xp: Any, *values: Any) -> Any:
        dtype = self.row.dtype(*[str(v.dtype) for v in values])
        out = self.row.kernel(xp, dtype)(*values)
        return xp.asarray(out).astype(dtype, copy=False)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        g = output_grads[0]
        if g is None:
            return [None] * len(node.inputs)
        from ....core.elemwise import reduce_to

        return [reduce_to(t, x) for t, x in zip(self.row.grad(node.inputs, node.outputs[0], g), node.inputs)]


def real(z: Any) -> TensorVariable:
    """The real part (a real input itself, as NumPy's): framework's element-wise ``real``."""
    z = as_tensor_variable(z)
    return E.real(z) if _is_complex(z.dtype) else z


def imag(z: Any) -> TensorVariable:
    """The imaginary part (zeros of a real input's float dtype)."""
    z = as_tensor_variable(z)
    return E.imag(z) if _is_complex(z.dtype) else E.zeros_like(z, dtype=_float_of(z.dtype))


def conj(z: Any) -> TensorVariable:
    """The complex conjugate (a real input itself): framework's element-wise ``conj``."""
    z = as_tensor_variable(z)
    return E.conj(z) if _is_complex(z.dtype) else z


def angle(z: Any) -> TensorVariable:
    """The argument of ``z`` in radians, in ``(-pi, pi]`` (NumPy's ``angle``: 0 or pi for reals)."""
    return ComplexPart("angle")(as_tensor_variable(z))


def complex(real: Any, imag: Any) -> TensorVariable:  # noqa: A001 -- Theano's name
    """``real + i imag`` (float32 parts give complex64, float64 parts complex128; broadcast)."""
    a, b = as_tensor_variable(real), as_tensor_variable(imag)
    for part in (a, b):
        if _is_complex(part.dtype):
            raise TypeError(f"complex(real, imag): both parts must be real, got {part.type} "
                            f"(at {format_trace(user_trace())})")
    return E.complex(a, b)


def complex_from_polar(abs: Any, angle: Any) -> TensorVariable:  # noqa: A002 -- Theano's names
    """``abs * exp(i angle)``, as ``complex(abs cos(angle), abs sin(angle))``."""
    r, theta = as_tensor_variable(abs), as_tensor_variable(angle)
    return complex(r * E.cos(theta), r * E.sin(theta))
