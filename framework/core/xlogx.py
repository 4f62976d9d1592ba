"""``xlogx(x) = x * log(x)`` and ``xlogy0(x, y) = x * log(y)``, both defined as 0 where ``x`` is 0.

Entropies and KL divergences need ``0 * log(0) = 0``; written naively the
product is NaN. Two rows of the element-wise table (so they fuse, run on
every backend and have gradients); Theano's ``theano.tensor.xlogx`` names and
gradients (``1 + log(x)``: -inf at 0, as in Theano).
"""
from __future__ import annotations

from typing import Any

from .elemwise import API, SCALAR_OPS, declare, in_float, log


def _xlogx(xp: Any, x: Any) -> Any:
    (x,) = in_float(xp, x)  # computed in the float type of x, as log(x) is
    zero = x == 0
    return xp.where(zero, 0, x * xp.log(xp.where(zero, 1, x)))


def _xlogy0(xp: Any, x: Any, y: Any) -> Any:
    # both in the float type of their promotion (int32 x, int8 y: float64; float64 x,
    # float32 y: float64), so the logarithm is never taken in a narrower float than
    # the result's (log of an int8 alone would be float16: 3 digits in a float64 result)
    x, y = in_float(xp, x, y)
    dt = xp.result_type(x, y)  # float64 x, float32 y: the log in float64 too
    # Python scalars too: ``where(zero, 1, 2**64 - 1)`` would wrap the int to -1 (a NaN log)
    # (not ``getattr(a, "dtype", None) == dt``: a dtype equals None, NumPy's default float64)
    x, y = (a if hasattr(a, "dtype") and a.dtype == dt else xp.asarray(a, dtype=dt) for a in (x, y))
    zero = x == 0
    return xp.where(zero, 0, x * xp.log(xp.where(zero, 1, y)))


if "xlogx" not in SCALAR_OPS:
    declare("xlogx", 1, _xlogx, lambda i, z, g: [g * (1 + log(i[0]))], doc="x * log(x), 0 where x is 0")
    declare("xlogy0", 2, _xlogy0, lambda i, z, g: [g * log(i[1]), g * i[0] / i[1]],
            doc="``x * log(y)``, 0 where ``x`` is 0 (whatever ``y`` is).")

xlogx, xlogy0 = API["xlogx"], API["xlogy0"]
