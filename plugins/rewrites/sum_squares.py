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
reassociation). The factored form can disagree with the product's in both
directions where values are not finite or overflow: an inf or NaN in a factor
(``inf * 0`` is NaN in the product but not always in the factored sums), a
partial sum that overflows in one form only, or, right at the edge of the
range, a total that rounds to ``inf`` in one order and to the largest float in
the other. Every term is a square, so no cancellation can hide an overflow:
the kernel keeps the factored result only when it is finite and at most
``max / (4 (1 + eps) ** (2 n + 5))`` (``n`` terms), which proves the product's
own sum finite too; otherwise it computes the product's sum as written. The
check reads the (small) result once. The general form (:class:`FactoredSum`,
signed terms) needs a bound on its factors instead: see there.
"""
from __future__ import annotations

import math
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Variable
from framework.core.op import Op
from framework.core.reduce import Reduce
from framework.core.types import TensorType
from framework.plugins import RewriteSpec

from .finite_guard import guard_norm, limit, norm, on_host
from .patterns import ew, is_const

Result = Optional[List[Variable]]


class FactoredSumOfSquares(Op):
    """``sum((A * B) ** 2, axis)`` (or ``mean``) from the factors, reducing each where the other is broadcast.

    ``axes_a``: summed axes reduced in ``A ** 2`` alone (``B`` has size 1 there);
    ``axes_b``: the same for ``B``; ``axes_both``: summed axes reduced after
    multiplying. ``keepdims`` and ``mean`` as the replaced reduction.
    """
    complex_grad = False  # real factorisations (built after grad)

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
        count = 1
        for k in self.summed:
            count *= max(a.shape[k], b.shape[k])
        terms = 1
        for k in range(a.ndim):
            terms *= max(a.shape[k], b.shape[k])
        # sums of squares: finite and clear of the edge of the range here proves the product's sum finite
        bound = limit(out.dtype, 2 * terms + 5)
        if not (out.size == 0 or float(out.max()) <= bound):  # also False for inf and nan
            out = self._direct(xp, a, b)
        else:
            if self.mean:
                out = out / out.dtype.type(count)
            if not self.keepdims:
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


# --- the general form: any sum of a product of broadcast factors ---------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_FLOATS = ("float16", "float32", "float64")


def _factors(v: Variable, out: List[Variable], budget: List[int]) -> Optional[tuple]:
    """Collect the factors of the product ``v`` (through ``mul``, ``sqr`` and ``** 2``) into ``out``;
    return the product's expression tree over them (None when it is not such a product), so that
    the kernel can compute the product exactly as written when it has to: ``("in", i)`` is factor
    ``i``, ``("mul", dtype, t, ...)``, ``("sqr", dtype, t)`` and ``("cast", dtype, t)`` are computed
    in ``dtype`` (the node's)."""
    budget[0] -= 1
    if budget[0] < 0:
        return None
    node = ew(v, "mul")
    if node is not None:
        parts = [_factors(x, out, budget) for x in node.inputs]
        return None if any(t is None for t in parts) else ("mul", v.dtype, *parts)
    base = _squared(v) if ew(v, "sqr", "pow") is not None else None
    if base is not None:
        first = _factors(base, out, budget)
        if first is None or _factors(base, out, budget) is None:
            return None
        return ("sqr", v.dtype, first)
    power = ew(v, "pow")
    if power is not None and is_const(power.inputs[1], 1) and power.inputs[0].dtype in _FLOATS \
            and v.dtype in _FLOATS and power.inputs[0].ndim == v.ndim:
        # x ** 1 (as the gradient of x ** 2 writes it): x, perhaps cast to another float type
        inner = _factors(power.inputs[0], out, budget)
        return None if inner is None else ("cast", v.dtype, inner)
    cast = ew(v)
    if cast is not None and cast.op.scalar.name.startswith("cast_") and v.dtype in _FLOATS \
            and cast.inputs[0].dtype in _FLOATS:
        # a cast between float types: the contraction multiplies the factors in the sum's dtype
        inner = _factors(cast.inputs[0], out, budget)
        return None if inner is None else ("cast", v.dtype, inner)
    out.append(v)
    return ("in", len(out) - 1)


def _evaluate(xp: Any, tree: tuple, factors: Sequence[Any]) -> Any:
    """The product as the user wrote it: the same operations, in the same order and dtypes."""
    if tree[0] == "in":
        return factors[tree[1]]
    kind, dtype, *parts = tree
    values = [xp.asarray(_evaluate(xp, t, factors), dtype=dtype) for t in parts]
    if kind == "mul":
        out = values[0]
        for value in values[1:]:
            out = xp.multiply(out, value)
        return out
    if kind == "sqr":
        return xp.multiply(values[0], values[0])
    return values[0]  # cast


class FactoredSum(Op):
    """``sum(f_1 * ... * f_n, axis)`` (or ``mean``) of broadcast factors as a contraction.

    ``subs[i]`` are the letters of factor ``i``'s axes that are not statically
    1 (one letter per axis of the product); the kernel contracts them with
    :func:`framework_backend_numpy.einsum_plan.run_einsum` (opt_einsum's order: the
    product's full array is never built when a cheaper order exists) and
    reshapes to ``out_shape`` (a letter, or 1). ``tree`` is the product as the
    user wrote it (see :func:`_factors`). The terms may have any sign, so a
    result alone cannot show that the user's order would not have overflowed
    (a partial sum may cancel): the kernel contracts only when the factors'
    norms prove that no sub-product or partial sum of either form can overflow
    (which also proves every factor finite); otherwise, and when the factors'
    run-time sizes broadcast, it computes the product as written and its sum,
    so ``inf`` and ``nan`` are exactly the product's. The norms read each
    distinct factor once, as the contraction does (on a device they are
    combined there and read back once per call).

    ``norm_of``: where the factors' norms come from. Empty (the default): the
    kernel computes them. Else one entry per factor: ``-1`` (computed here: a
    scalar factor) or ``k``, the node's input ``len(subs) + k``, a
    :class:`~.finite_guard.GuardNorm` of that factor. The rewrite builds those
    nodes so that ``merge`` shares them: two contractions reading the same
    ``W`` take its norm once per call.
    """
    complex_grad = False  # real factorisations (built after grad)

    __props__ = ("subs", "out_letters", "out_shape", "axes", "keepdims", "mean", "dtype", "tree", "norm_of")
    norm_of: Tuple[int, ...] = ()  # (ops pickled before it existed compute their norms themselves)

    def __init__(self, subs: Tuple[str, ...], out_letters: str, out_shape: Tuple[str, ...],
                 axes: Tuple[int, ...], keepdims: bool, mean: bool, dtype: str,
                 tree: Optional[tuple] = None, norm_of: Tuple[int, ...] = ()) -> None:
        self.subs, self.out_letters, self.out_shape = tuple(subs), str(out_letters), tuple(out_shape)
        self.axes, self.keepdims, self.mean, self.dtype = tuple(axes), bool(keepdims), bool(mean), str(dtype)
        self.tree = tree
        self.norm_of = tuple(int(k) for k in norm_of)
        if self.norm_of and len(self.norm_of) != len(self.subs):
            raise ValueError(f"factored_sum: norm_of names {len(self.norm_of)} factors' norms, "
                             f"the op has {len(self.subs)} factors")
        self.name = "factored_sum"
        self._dtypes_seen: dict = {}

    def __str__(self) -> str:
        red = "mean" if self.mean else "sum"
        return f"factored_{red}{{{','.join(s or '()' for s in self.subs)}->{self.out_letters}}}"

    def make_node(self, *inputs: Variable) -> Apply:
        factors = inputs[:len(self.subs)]
        norms = max(self.norm_of, default=-1) + 1
        if len(factors) != len(self.subs) or len(inputs) != len(self.subs) + norms:
            raise TypeError(f"{self}: expected {len(self.subs)} factors and {norms} norms, got {len(inputs)} inputs")
        sizes: dict = {}
        for f, letters in zip(factors, self.subs):
            kept = [d for d in f.type.shape if d != 1] if letters else []
            for c, d in zip(letters, kept):
                if d is not None:
                    sizes[c] = d
        shape = tuple(1 if c == "1" else sizes.get(c) for c in self.out_shape)
        return Apply(self, list(inputs), [TensorType(self.dtype, shape)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        where = {}
        for shp, letters, f in zip(input_shapes, self.subs, node.inputs):
            kept = [d for d, s in zip(shp, f.type.shape) if s != 1]
            for c, d in zip(letters, kept):
                where.setdefault(c, d)
        return [tuple(1 if c == "1" else where[c] for c in self.out_shape)]

    def _direct(self, xp: Any, factors: Sequence[Any]) -> Any:
        """The product as written (its tree: same operations, order and dtypes) and its sum."""
        if self.tree is None:
            prod = factors[0]
            for f in factors[1:]:
                prod = xp.multiply(prod, f)
        else:
            prod = _evaluate(xp, self.tree, factors)
        red = xp.mean if self.mean else xp.sum
        return red(prod, axis=self.axes, keepdims=self.keepdims)

    def _bounded(self, xp: Any, factors: Sequence[Any], norms: Sequence[Any] = ()) -> bool:
        """Whether no sub-product or partial sum, of the product as written or of the contraction,
        can overflow: ``n * prod(max(1, ||f_i||))`` (each distinct factor once) ``<= limit``, with
        ``n`` the product's size (every term, every sub-product, is at most the product of the
        norms; a sum has at most ``n`` terms). A factor holding ``inf`` or ``nan`` fails it.
        ``norms`` are the :class:`~.finite_guard.GuardNorm` inputs ``norm_of`` names (computed
        once per call for all the nodes reading the same factor)."""
        key = tuple((f.shape, f.dtype) for f in factors)
        bounds = self.__dict__.setdefault("_bounds", {})
        known = bounds.get(key)
        if known is None:  # the product's size and the limit, worked out once per shapes and dtypes
            nd = max(f.ndim for f in factors)
            n = 1
            for k in range(nd):
                n *= max(f.shape[k] if f.ndim else 1 for f in factors)
            known = (n, min(limit(dt, n + len(factors)) for dt in self.dtypes(factors)))
            if len(bounds) > 64:
                bounds.clear()
            bounds[key] = known
        n, bound = known
        norm_of = self.norm_of if norms else (-1,) * len(factors)
        if not on_host(xp):  # on a device: the same bound computed there, read back once
            device_total = xp.asarray(float(n), dtype="float64")
            seen = set()
            for f, k in zip(factors, norm_of):
                key = ("n", k) if k >= 0 else ("f", id(f))
                if key in seen or (k < 0 and not f.size):
                    continue
                seen.add(key)
                if k >= 0:
                    value = xp.asarray(norms[k], dtype="float64")
                else:
                    f = f if f.dtype.kind in "fc" else f.astype("float64")
                    value = xp.sqrt(xp.abs(xp.vdot(f, f)).astype("float64"))
                device_total = device_total * xp.maximum(1.0, value)
            return bool(device_total <= bound)
        total, seen = float(n), {}
        for f, k in zip(factors, norm_of):
            key = k if k >= 0 else id(f)
            if key not in seen:
                seen[key] = float(norms[k]) if k >= 0 else norm(xp, f)
                value = seen[key]
                total *= max(1.0, value) if value == value else math.nan
        return total <= bound

    def dtypes(self, factors: Sequence[Any]) -> set:
        """The float types the product's steps and the contraction compute in."""
        key = tuple(f.dtype for f in factors)
        cache = self.__dict__.setdefault("_dtypes_seen", {})
        found = cache.get(key)
        if found is not None:
            return found
        out = {np.dtype(self.dtype)} | {np.dtype(f.dtype) for f in factors if np.dtype(f.dtype).kind == "f"}
        stack = [self.tree] if self.tree is not None else []
        while stack:
            t = stack.pop()
            if t[0] != "in":
                out.add(np.dtype(t[1]))
                stack.extend(t[2:])
        cache[key] = out
        return out

    def impl(self, xp: Any, *inputs: Any) -> Any:
        dt = np.dtype(self.dtype)
        norms = inputs[len(self.subs):]
        factors = [xp.asarray(f) for f in inputs[:len(self.subs)]]  # a backend may pass constants as numbers
        ops = []
        for f, letters in zip(factors, self.subs):
            f = xp.asarray(f, dtype=dt)
            ops.append(xp.reshape(f, [d for d in f.shape if d != 1]) if letters else xp.reshape(f, ()))
        out = None
        if all(len(o.shape) == len(s) for o, s in zip(ops, self.subs)) and self._bounded(xp, factors, norms):
            subs, ops = _group(self.subs, ops, xp)
            try:
                out = _contract(xp, subs, self.out_letters, ops)
            except ValueError:  # sizes that broadcast at run time
                out = None
        if out is not None:
            shape = []
            for c in self.out_shape:
                shape.append(1 if c == "1" else out.shape[self.out_letters.index(c)])
            out = xp.reshape(out, shape)
            if self.mean:
                count = 1
                for k in self.axes:
                    count *= max(f.shape[k] if f.ndim else 1 for f in factors)
                out = out / dt.type(count)
        if out is None:
            out = self._direct(xp, factors)
        return xp.asarray(out, dtype=dt)

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        impl, xp = self.impl, backend.xp
        return lambda *inputs: impl(xp, *inputs)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        """The gradient of the sum of the product it stands for."""
        from framework import tensor as T

        g = output_grads[0]
        factors = node.inputs[:len(self.subs)]
        norms = [None] * (len(node.inputs) - len(factors))  # the guard's inputs: no gradient flows to them
        if g is None:
            return [None] * len(node.inputs)
        nd = max(f.ndim for f in factors)
        if not self.keepdims:
            g = _pad(g, self.axes)
        if self.mean:
            g = g / T.cast(_count_many(factors, self.axes), g.dtype)
        grads = []
        for i, f in enumerate(factors):
            rest = g
            for j, o in enumerate(factors):
                if j != i:
                    rest = rest * o
            if f.ndim == 0:
                grads.append(T.sum(rest))
                continue
            axes = [k for k in range(nd) if f.type.shape[k] == 1 and rest.type.shape[k] != 1]
            grads.append(T.sum(rest, axis=axes, keepdims=True) if axes else rest)
        return grads + norms


def _group(subs: Sequence[str], ops: List[Any], xp: Any) -> Tuple[Tuple[str, ...], List[List[Any]]]:
    """The operands grouped by the axes they span (operands of one group are multiplied together
    before anything else: element-wise products cost less than any contraction order that would
    pair them with a larger operand first), and the scalars multiplied into the smallest operand."""
    merged: dict = {}
    for letters, op in zip(subs, ops):
        merged.setdefault(letters, []).append(op)
    scalars = merged.pop("", None)
    if scalars is not None:
        scalar = scalars[0]
        for other in scalars[1:]:
            scalar = xp.multiply(scalar, other)
        if not merged:
            return ("",), [[scalar]]
        smallest = min(merged, key=lambda k: merged[k][0].size)
        merged[smallest][0] = xp.multiply(merged[smallest][0], scalar)
    return tuple(merged), list(merged.values())


def _contract(xp: Any, subs: Sequence[str], output: str, groups: List[List[Any]]) -> Any:
    """The einsum ``subs -> output`` of the groups' products: letters only one group has (and the
    output lacks) are summed in that group first -- one pass for a product of several operands
    (``sum_i W_ij * W_ij`` without the temporary ``W * W``); when what is left is a broadcast
    product onto the output's letters, it is one (cheap) product, else
    :func:`framework_backend_numpy.einsum_plan.run_einsum` finishes."""
    from framework_backend_numpy.einsum_plan import run_einsum

    new_subs, new_ops = [], []
    for i, (letters, group) in enumerate(zip(subs, groups)):
        others = set(output).union(*(set(t) for j, t in enumerate(subs) if j != i))
        alone = tuple(k for k, c in enumerate(letters) if c not in others)
        kept = "".join(c for c in letters if c in others)
        if alone and len(group) > 1:
            op = xp.einsum(",".join([letters] * len(group)) + "->" + kept, *group)
            letters = kept
        else:
            op = group[0]
            for other in group[1:]:
                op = xp.multiply(op, other)
            if alone:
                op = op.sum(axis=alone)
                letters = kept
        new_subs.append(letters)
        new_ops.append(op)
    if all(set(t) <= set(output) for t in new_subs):
        out = None
        for letters, op in zip(new_subs, new_ops):
            order = sorted(letters, key=output.index)
            if list(letters) != order:
                op = xp.transpose(op, [letters.index(c) for c in order])
            shape = [op.shape[order.index(c)] if c in order else 1 for c in output]
            op = xp.reshape(op, shape)
            out = op if out is None else xp.multiply(out, op)
        return out
    if len(new_ops) == 1:
        return xp.einsum(new_subs[0] + "->" + output, new_ops[0])
    return run_einsum(xp, tuple(new_subs), output, None, new_ops)


def _count_many(factors: Sequence[Variable], axes: Sequence[int]) -> Variable:
    from framework import tensor as T

    n = 1
    for k in axes:
        size = 1
        for f in factors:
            if f.ndim:
                size = T.maximum(size, f.shape[k])
        n = n * size
    return n


def sum_of_broadcast_product(fgraph: FunctionGraph, node: Apply) -> Result:
    """``sum(f_1 * ... * f_n, axis)`` → :class:`FactoredSum` when the product is larger than
    every factor (some factor is broadcast along an axis another one spans)."""
    op = node.op
    if not isinstance(op, Reduce) or op.kind not in ("sum", "mean"):
        return None
    prod = node.inputs[0]
    if ew(prod, "mul", "sqr", "pow") is None or prod.dtype not in ("float32", "float64"):
        return None
    factors: List[Variable] = []
    tree = _factors(prod, factors, [64])
    if tree is None or len(factors) < 2:
        return None
    nd = prod.ndim
    if nd > len(_LETTERS) or any(f.ndim not in (0, nd) for f in factors):
        return None
    if any(not np.can_cast(f.dtype, prod.dtype, "same_kind") for f in factors):
        return None
    spans = [tuple(k for k in range(nd) if f.type.shape[k] != 1) if f.ndim else () for f in factors]
    union = set().union(*spans)
    if max(len(s) for s in spans) >= len(union):  # some factor is as large as the product: no gain
        return None
    axes = tuple(range(nd)) if op.axis is None else tuple(sorted(k % nd for k in op.axis))
    if not axes:
        return None
    subs = tuple("".join(_LETTERS[k] for k in s) for s in spans)
    out_shape, out_letters = [], ""
    for k in range(nd):
        if k in axes:
            if op.keepdims:
                out_shape.append("1")
        elif k in union:
            out_shape.append(_LETTERS[k])
            out_letters += _LETTERS[k]
        else:
            out_shape.append("1")
    out = node.outputs[0]
    # the guard's norms as nodes of their own, one per distinct factor that is not a scalar (merge
    # shares them between the contractions that read the same operand; scalars cost nothing here)
    norm_of, norms, index = [], [], {}
    for f in factors:
        if f.ndim == 0 or all(d == 1 for d in f.type.shape):
            norm_of.append(-1)
            continue
        if id(f) not in index:
            index[id(f)] = len(norms)
            norms.append(guard_norm(fgraph, f))
        norm_of.append(index[id(f)])
    new_op = FactoredSum(subs, out_letters, tuple(out_shape), axes, op.keepdims, op.kind == "mean", out.dtype,
                         tree, tuple(norm_of))
    new = new_op.make_node(*factors, *norms).outputs[0]
    if new.type.ndim != out.type.ndim:
        return None
    return [new]


REWRITES = [
    RewriteSpec("sum_squares_of_product", sum_squares_of_product, stage="factor", before="specialize",
                tracks=("sum", "mean"), tags=("specialize",),
                doc="sum((A * B) ** 2) over axes where A or B is broadcast -> sums of A**2 and B**2 apart "
                    "(the product is never built; computed as written unless the result proves both forms finite)"),
    RewriteSpec("sum_of_broadcast_product", sum_of_broadcast_product, stage="factor", before="specialize",
                tracks=("sum", "mean"), tags=("specialize",),
                doc="sum(f1 * ... * fn) of broadcast factors -> one contraction in opt_einsum's order (the "
                    "product is never built; computed as written unless the factors' norms prove both forms finite)"),
]
