"""``xlogx(x) = x * log(x)`` and ``xlogy0(x, y) = x * log(y)``, both defined as 0 where ``x`` is 0.

Entropies and KL divergences need ``0 * log(0) = 0``; written naively the
product is NaN. Two rows of the element-wise table (so they fuse, run on
every backend and have gradients); Theano's ``theano.tensor.xlogx`` names and
gradients (``1 + log(x)``: -inf at 0, as in Theano).
"""
from __future__ import annotations

from typing import Any

from .elemwise import API, SCALAR_OPS, declare, log


def _xlogx(xp: Any, x: Any) -> Any:
    zero = x == 0  # log of a 1 of x's own dtype there: the result dtype is log's (float16 for bool/int8)
    return xp.where(zero, 0, x * xp.log(xp.where(zero, xp.ones((), dtype=x.dtype), x)))


def _xlogy0(xp: Any, x: Any, y: Any) -> Any:
    zero = x == 0
    return xp.where(zero, 0, x * xp.log(xp.where(zero, xp.ones((), dtype=y.dtype), y)))


if "xlogx" not in SCALAR_OPS:
    declare("xlogx", 1, _xlogx, lambda i, z, g: [g * (1 + log(i[0]))], doc="x * log(x), 0 where x is 0")
    declare("xlogy0", 2, _xlogy0, lambda i, z, g: [g * log(i[1]), g * i[0] / i[1]],
            doc="``x * log(y)``, 0 where ``x`` is 0 (whatever ``y`` is).")

xlogx, xlogy0 = API["xlogx"], API["xlogy0"]
