"""The sum of squares of a broadcast product, without the product.

A contractive autoencoder's Jacobian penalty is ``sum(J ** 2)`` with
``J = (h * (1 - h))[:, None, :] * W[None, :, :]``: a batch x visible x hidden
tensor (7.8 million elements for 20 x 784 x 500) built only to be squared
and summed. Since ``(a * b) ** 2 == a ** 2 * b ** 2``, every summed axis along
which one factor is broadcast can be summed in the other factor alone::

    sum_{b,i,j} (a_bj W_ij)^2 == sum_j (sum_b a_bj^2) (sum_i W_ij^2)

:func:`sum_squares_of_product` finds ``sum(sqr(A * B), axis)`` (also written
``(A * B) ** 2`` or ``(A * B) * (A * B)``, and ``mean`` in place of ``sum``)
where some summed axis has size 1 in ``A`` or in ``B``, and replaces it with
one :class:`FactoredSumOfSquares` node, whose kernel reduces ``A ** 2`` and
``B ** 2`` separately and multiplies what is left: O(size of A + size of B)
instead of O(size of the product).

Results: the same sum taken in another order (rounding differs, as with any
reassociation). When the factored result is not finite -- an inf or NaN in a
factor (``inf * 0`` is NaN in the product but not always in the factored
sums), or an overflow in a partial sum that the product would not have -- the
kernel computes the product's sum directly, so non-finite inputs give exactly
what they gave before.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Variable
from framework.core.op import Op
from framework.core.reduce import Reduce
from framework.core.types import TensorType
from framework.plugins import RewriteSpec

from .patterns import ew, is_const

Result = Optional[List[Variable]]


class FactoredSumOfSquares(Op):
    """``sum((A * B) ** 2, axis)`` (or ``mean``) from the factors, reducing each where the other is broadcast.

    ``axes_a``: summed axes reduced in ``A ** 2`` alone (``B`` has size 1 there);
    ``axes_b``: the same for ``B``; ``axes_both``: summed axes reduced after
    multiplying. ``keepdims`` and ``mean`` as the replaced reduction.
    """

    __props__ = ("axes_a", "axes_b", "axes_both", "keepdims", "mean", "dtype")

    def __init__(self, axes_a: Tuple[int, ...], axes_b: Tuple[int, ...], axes_both: Tuple[int, ...],
                 keepdims: bool, mean: bool, dtype: str) -> None:
        self.axes_a, self.axes_b, self.axes_both = tuple(axes_a), tuple(axes_b), tuple(axes_both)
        self.keepdims, self.mean, self.dtype = bool(keepdims), bool(mean), str(dtype)
        self.name = "factored_sum_of_squares"

    @property
    def summed(self) -> Tuple[int, ...]:
        return tuple(sorted(self.axes_a + self.axes_b + self.axes_both))

    def make_node(self, a: Variable, b: Variable) -> Apply:
        shape: List[Optional[int]] = []
        for k, (x, y) in enumerate(zip(a.type.shape, b.type.shape)):
            if k in self.summed:
                if self.keepdims:
                    shape.append(1)
            elif x == 1 or y == 1:
                shape.append(y if x == 1 else x)
            else:
                shape.append(x if x is not None else y)
        return Apply(self, [a, b], [TensorType(self.dtype, tuple(shape))])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        from framework.core import elemwise as E

        sa, sb = input_shapes
        out = []
        for k, (x, y) in enumerate(zip(sa, sb)):
            if k in self.summed:
                if self.keepdims:
                    out.append(1)
                continue
            out.append(E.maximum(x, y))  # broadcast size: the one that is not 1
        return [tuple(out)]

    def _direct(self, xp: Any, a: Any, b: Any) -> Any:
        p = xp.multiply(a, b)
        xp.multiply(p, p, out=p)
        red = xp.mean if self.mean else xp.sum
        return red(p, axis=self.summed, keepdims=self.keepdims)

    def impl(self, xp: Any, a: Any, b: Any) -> Any:
        a2 = xp.square(a)
        if self.axes_a:
            a2 = a2.sum(axis=self.axes_a, keepdims=True)
        b2 = xp.square(b)
        if self.axes_b:
            b2 = b2.sum(axis=self.axes_b, keepdims=True)
        out = xp.multiply(a2, b2)
        if self.axes_both:
            out = out.sum(axis=self.axes_both, keepdims=True)
        if self.mean:
            count = 1
            for k in self.summed:
                count *= max(a.shape[k], b.shape[k])
            out = out / out.dtype.type(count)
        if not bool(xp.isfinite(out).all()):
            out = self._direct(xp, a, b)
        elif not self.keepdims:
            out = out.reshape(tuple(d for k, d in enumerate(out.shape) if k not in self.summed))
        return xp.asarray(out, dtype=self.dtype)

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        impl, xp = self.impl, backend.xp
        return lambda a, b: impl(xp, a, b)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        """The gradient of ``sum((A * B) ** 2)``: ``2 A B^2 g`` for ``A`` (summed where ``A`` broadcasts), and
        symmetrically for ``B``."""
        from framework import tensor as T

        a, b = node.inputs
        g = output_grads[0]
        if g is None:
            return [None, None]
        if not self.keepdims:
            g = _pad(g, self.summed)
        if self.mean:
            g = g / T.cast(_count(a, b, self.summed), g.dtype)

        def one(x: Variable, other: Variable) -> Variable:
            full = 2 * x * T.sqr(other) * g
            axes = [k for k in range(x.ndim) if x.type.shape[k] == 1 and full.type.shape[k] != 1]
            return T.sum(full, axis=axes, keepdims=True) if axes else full

        return [one(a, b), one(b, a)]


def _pad(g: Variable, axes: Sequence[int]) -> Variable:
    from framework.core.shape_ops import dimshuffle

    pattern: List[Any] = []
    it = iter(range(g.ndim))
    for k in range(g.ndim + len(axes)):
        pattern.append("x" if k in axes else next(it))
    return dimshuffle(g, pattern)


def _count(a: Variable, b: Variable, axes: Sequence[int]) -> Variable:
    from framework import tensor as T

    n = 1
    for k in axes:
        n = n * T.maximum(a.shape[k], b.shape[k])
    return n


def _squared(v: Variable) -> Optional[Variable]:
    """``x`` when ``v`` is ``sqr(x)``, ``x ** 2`` or ``x * x``."""
    node = ew(v, "sqr")
    if node is not None:
        return node.inputs[0]
    node = ew(v, "pow")
    if node is not None and is_const(node.inputs[1], 2):
        return node.inputs[0]
    node = ew(v, "mul")
    if node is not None and len(node.inputs) == 2 and node.inputs[0] is node.inputs[1]:
        return node.inputs[0]
    return None


def sum_squares_of_product(fgraph: FunctionGraph, node: Apply) -> Result:
    """``sum(sqr(A * B), axis)`` → :class:`FactoredSumOfSquares` when some summed
    axis is broadcast (size 1) in exactly one of ``A`` and ``B``."""
    op = node.op
    if not isinstance(op, Reduce) or op.kind not in ("sum", "mean"):
        return None
    inner = _squared(node.inputs[0])
    if inner is None:
        return None
    prod = ew(inner, "mul")
    if prod is None or len(prod.inputs) != 2:
        return None
    a, b = prod.inputs
    ndim = inner.ndim
    if a.ndim != ndim or b.ndim != ndim or a.dtype != inner.dtype or b.dtype != inner.dtype:
        return None
    if inner.dtype not in ("float32", "float64"):
        return None
    summed = tuple(range(ndim)) if op.axis is None else tuple(sorted(k % ndim for k in op.axis))
    axes_a, axes_b, axes_both = [], [], []
    for k in summed:
        one_a, one_b = a.type.shape[k] == 1, b.type.shape[k] == 1
        if one_b and not one_a:
            axes_a.append(k)
        elif one_a and not one_b:
            axes_b.append(k)
        else:
            axes_both.append(k)
    if not axes_a and not axes_b:
        return None
    out = node.outputs[0]
    new_op = FactoredSumOfSquares(tuple(axes_a), tuple(axes_b), tuple(axes_both), op.keepdims, op.kind == "mean",
                                  out.dtype)
    new = new_op.make_node(a, b).outputs[0]
    if new.type.ndim != out.type.ndim:
        return None
    return [new]


REWRITES = [
    RewriteSpec("sum_squares_of_product", sum_squares_of_product, stage="factor", before="specialize",
                tracks=("sum", "mean"), tags=("specialize",),
                doc="sum((A * B) ** 2) over axes where A or B is broadcast -> sums of A**2 and B**2 apart "
                    "(the product is never built; exact fallback for non-finite results)"),
]
