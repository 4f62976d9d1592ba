"""Theano 1.0's element-wise functions beyond framework's own names: ``arcsin``, ``arccos``,
``arcsinh``, ``arccosh``, ``arctanh``, ``arctan2`` (framework's element-wise rows, integers in
Theano's float dtype), the special functions framework's table lacks -- ``erf``, ``erfc``, ``erfinv``,
``erfcinv``, ``gamma``, ``gammaln``, ``psi``, ``chi2sf``, the Bessel functions ``j0``, ``j1``, ``jv``,
``i0``, ``i1``, ``iv`` -- and those that are compositions of existing
ops: ``inv``, ``deg2rad``, ``rad2deg``, ``floor_div``, ``isclose``, ``allclose``.

The special functions are one op, :class:`TheanoMath`, driven by the table :data:`FUNCTIONS`: per
function its kernel over the array namespace (NumPy's or CuPy's, and SciPy's ``special`` or
CuPy's for the special functions) and its gradient rule, written once. Integer inputs compute
in Theano's float dtype (``upgrade_to_float``: 8- and 16-bit integers float32, wider float64).
These ops do not fuse with their neighbours (they are not rows of framework's element-wise
table); values and gradients are Theano's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ....core import reduce as R
from .... import tensor as E  # framework's element-wise functions (sqrt, abs_, switch...)
from ....core.grad import grad_not_implemented
from ....core.graph import Apply, Variable
from ....core.op import Op
from ....core.types import TensorType
from ....core.variable import TensorVariable, as_tensor_variable

__all__ = ["arcsin", "arccos", "arcsinh", "arccosh", "arctanh", "arctan2", "erf", "erfc", "erfinv", "erfcinv",
           "gamma", "gammaln", "psi", "chi2sf", "j0", "j1", "jv", "i0", "i1", "iv", "inv", "deg2rad", "rad2deg", "floor_div", "isclose", "allclose", "TheanoMath"]


def _special(xp: Any) -> Any:
    """The special-function module matching the array namespace (SciPy's for NumPy, CuPy's for CuPy)."""
    if xp.__name__.startswith("cupy"):
        import cupyx.scipy.special as special
    else:
        import scipy.special as special
    return special


@dataclass(frozen=True)
class MathFunction:
    """One row: how many inputs, the kernel ``kernel(xp)(*values)``, and the gradient
    ``grad(inputs, output, g)`` (one term per input; None: Theano has none). ``holomorphic``: the
    function is complex-analytic and the rule ``g * f'(x)`` holds for complex values, so a complex
    gradient is ``g * conj(f'(z))``; the other rows refuse complex gradients."""
    arity: int
    kernel: Callable[[Any], Callable[..., Any]]
    grad: Optional[Callable[[Sequence[Variable], Variable, Variable], List[Variable]]]
    holomorphic: bool = False


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0

FUNCTIONS = {
    "erf": MathFunction(1, lambda xp: _special(xp).erf,
                        lambda i, o, g: [g * _TWO_OVER_SQRT_PI * E.exp(-E.sqr(i[0]))], holomorphic=True),
    "erfc": MathFunction(1, lambda xp: _special(xp).erfc,
                         lambda i, o, g: [-g * _TWO_OVER_SQRT_PI * E.exp(-E.sqr(i[0]))], holomorphic=True),
    "erfinv": MathFunction(1, lambda xp: _special(xp).erfinv,
                           lambda i, o, g: [g * _SQRT_PI_OVER_TWO * E.exp(E.sqr(o))]),
    "erfcinv": MathFunction(1, lambda xp: _special(xp).erfcinv,
                            lambda i, o, g: [-g * _SQRT_PI_OVER_TWO * E.exp(E.sqr(o))]),
    "gamma": MathFunction(1, lambda xp: _special(xp).gamma, lambda i, o, g: [g * o * psi(i[0])], holomorphic=True),
    "gammaln": MathFunction(1, lambda xp: _special(xp).gammaln, lambda i, o, g: [g * psi(i[0])]),
    "psi": MathFunction(1, lambda xp: _special(xp).digamma, None),  # Theano 1.0's Psi has no gradient
    # the chi-square survival function of x with k degrees of freedom (Theano's Chi2SF, no gradient)
    "chi2sf": MathFunction(2, lambda xp: lambda x, k: _special(xp).chdtrc(k, x), None),
    # Bessel functions of the first kind (j) and modified ones (i), Theano's J0/J1/Jv/I0/I1/Iv with their
    # gradients in x: d j0 = -j1, d j1 = (j0 - j2) / 2, d jv = (jv(v-1) - jv(v+1)) / 2, d i0 = i1,
    # d i1 = (i0 + i2) / 2, d iv = (iv(v-1) + iv(v+1)) / 2; none in the order v, as in Theano
    "j0": MathFunction(1, lambda xp: _special(xp).j0, lambda i, o, g: [-g * j1(i[0])]),
    "j1": MathFunction(1, lambda xp: _special(xp).j1, lambda i, o, g: [g * (j0(i[0]) - jv(2, i[0])) / 2]),
    "jv": MathFunction(2, lambda xp: _special(xp).jv, lambda i, o, g: [
        grad_not_implemented(TheanoMath("jv"), 0, i[0]), g * (jv(i[0] - 1, i[1]) - jv(i[0] + 1, i[1])) / 2]),
    "i0": MathFunction(1, lambda xp: _special(xp).i0, lambda i, o, g: [g * i1(i[0])]),
    "i1": MathFunction(1, lambda xp: _special(xp).i1, lambda i, o, g: [g * (i0(i[0]) + iv(2, i[0])) / 2]),
    "iv": MathFunction(2, lambda xp: _special(xp).iv, lambda i, o, g: [
        grad_not_implemented(TheanoMath("iv"), 0, i[0]), g * (iv(i[0] - 1, i[1]) + iv(i[0] + 1, i[1])) / 2]),
}


def _upgrade_to_float(dtype: str) -> str:
    if dtype.startswith(("float", "complex")):
        return dtype
    return "float32" if dtype in ("bool", "int8", "uint8", "int16", "uint16") else "float64"


class TableOp(Op):
    """An op per row of a table of functions (``TABLE``, name -> row): ``TableOp(name)(*inputs)``.
    The Theano layer's functions that framework's element-wise table lacks are such ops."""

    TABLE: Dict[str, Any] = {}
    __props__ = ("name",)
    fresh_storage = True

    def __init__(self, name: str) -> None:
        self.name = name
        self.row = self.TABLE[name]

    def __str__(self) -> str:
        return self.name


class TheanoMath(TableOp):
    """``TheanoMath(name)(*inputs)``: the function ``name`` of :data:`FUNCTIONS`, element by element
    on inputs of one shape (the functions below broadcast them first)."""

    TABLE = FUNCTIONS

    def make_node(self, *inputs: Any) -> Apply:
        inputs = [as_tensor_variable(x) for x in inputs]
        dtype = _upgrade_to_float(inputs[0].dtype)
        return Apply(self, inputs, [TensorType(dtype, inputs[0].type.shape)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [tuple(input_shapes[0])]

    def shape_constraints(self, node: Apply) -> list:
        return [("equal", (0, k), (j, k)) for j in range(1, len(node.inputs)) for k in range(node.inputs[0].ndim)]

    def impl(self, xp: Any, *values: Any) -> Any:
        out = self.row.kernel(xp)(*values)
        dtype = _upgrade_to_float(str(values[0].dtype))
        return xp.asarray(out).astype(dtype, copy=False)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        g = output_grads[0]
        if g is None:
            return [None] * len(node.inputs)
        if self.row.grad is None:
            return [grad_not_implemented(self, k, x) for k, x in enumerate(node.inputs)]
        if str(node.outputs[0].dtype).startswith("complex"):  # holomorphic (complex_grad): g * conj(f'(z))
            derivs = self.row.grad(node.inputs, node.outputs[0], 1)
            return [None if d is None else g * E.conj(d) for d in derivs]
        return list(self.row.grad(node.inputs, node.outputs[0], g))

    @property
    def complex_grad(self) -> bool:  # type: ignore[override]
        """Whether the row's gradient holds for complex values (see :class:`MathFunction`)."""
        return self.row.holomorphic or self.row.grad is None  # no gradient at all: null, as for reals


def _as_float(x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    wanted = _upgrade_to_float(x.dtype)
    return x if wanted == x.dtype else E.cast(x, wanted)


def _apply(name: str, *inputs: Any) -> TensorVariable:
    xs = [_as_float(x) for x in inputs]
    if len(xs) == 2:  # broadcast to one shape and one dtype, values unchanged (second keeps -0.0)
        common = (xs[0] * xs[1]).dtype
        xs = [E.cast(E.second(xs[1], xs[0]), common), E.cast(E.second(xs[0], xs[1]), common)]
    return TheanoMath(name)(*xs)


def _make(name: str) -> Callable[..., TensorVariable]:
    def function(*inputs: Any) -> TensorVariable:
        return _apply(name, *inputs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"Theano's ``{name}``, element by element (integers computed in Theano's float dtype; "
                        "see :mod:`framework.compat.theano.tensor.math_extras`).")
    return function


def _from_row(name: str) -> Callable[..., TensorVariable]:
    """Theano's function over framework's element-wise row ``name`` (it fuses with its neighbours):
    integer inputs first become Theano's float dtype."""
    row = getattr(E, name)

    def function(*inputs: Any) -> TensorVariable:
        return row(*[_as_float(x) for x in inputs])

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"Theano's ``{name}``: framework's element-wise ``{name}``, integers in Theano's float dtype."
    return function


arcsin = _from_row("arcsin")
arccos = _from_row("arccos")
arcsinh = _from_row("arcsinh")
arccosh = _from_row("arccosh")
arctanh = _from_row("arctanh")
arctan2 = _from_row("arctan2")
erf = _make("erf")
erfc = _make("erfc")
erfinv = _make("erfinv")
erfcinv = _make("erfcinv")
gamma = _make("gamma")
gammaln = _make("gammaln")
psi = _make("psi")
chi2sf = _make("chi2sf")
j0 = _make("j0")
j1 = _make("j1")
jv = _make("jv")
i0 = _make("i0")
i1 = _make("i1")
iv = _make("iv")


def inv(x: Any) -> TensorVariable:
    """Theano's ``inv``: ``1 / x`` (integers in Theano's float dtype)."""
    return 1.0 / _as_float(x)


def deg2rad(x: Any) -> TensorVariable:
    """Theano's ``deg2rad``: ``x * (pi / 180)``."""
    return _as_float(x) * (math.pi / 180.0)


def rad2deg(x: Any) -> TensorVariable:
    """Theano's ``rad2deg``: ``x * (180 / pi)``."""
    return _as_float(x) * (180.0 / math.pi)


def floor_div(a: Any, b: Any) -> TensorVariable:
    """Theano's ``floor_div`` (``a // b``): ``int_div``."""
    return E.int_div(a, b)


def isclose(a: Any, b: Any, rtol: float = 1.0e-5, atol: float = 1.0e-8, equal_nan: bool = False) -> TensorVariable:
    """Theano's ``isclose``: ``|a - b| <= atol + rtol * |b|`` element by element (NumPy's rule);
    infinities are close only to themselves; NaNs to each other only with ``equal_nan``."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    diff = E.abs_(a - b)
    tolerance = atol + rtol * E.abs_(b)
    close = E.le(diff, tolerance)
    both_inf = E.and_(E.isinf(a), E.isinf(b))
    close = E.switch(E.or_(E.isinf(a), E.isinf(b)), E.and_(both_inf, E.eq(a, b)), close)
    if equal_nan:
        close = E.or_(close, E.and_(E.isnan(a), E.isnan(b)))
    return close


def allclose(a: Any, b: Any, rtol: float = 1.0e-5, atol: float = 1.0e-8, equal_nan: bool = False) -> TensorVariable:
    """Theano's ``allclose``: whether every element pair is :func:`isclose`."""
    return R.all(isclose(a, b, rtol, atol, equal_nan))
