"""Specialisation: replace general operations by faster special cases.

``x**2`` → ``sqr(x)`` and a few other constant powers that give ``power``'s own
bits (with ``fast_math`` also ``x**0.5`` → ``sqrt(x)`` and the forms that round
differently); a sum of products that is an inner or matrix-vector product → one
``dot`` (one BLAS call, no temporary); with ``fast_math``, chains of ``dot``
re-associated in the cheapest order found by ``opt_einsum``'s path search.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np

from framework.core import elemwise as E
from framework.core.blas import Dot, Einsum, dot
from framework.core.fgraph import FunctionGraph
from framework.core.grad import GRADIENT_ONLY_OPS
from framework.core.graph import Apply, Variable
from framework.core.reduce import Reduce
from framework.core.shape_ops import DimShuffle, reshape
from framework.core.types import is_float
from framework.plugins import RewriteSpec

from .patterns import all_equal, as_type, cannot_enlarge, const_value, ew, is_const, single_client

Result = Optional[List[Variable]]


def gradient_only_identity(fgraph: FunctionGraph, node: Apply) -> Result:
    """``zero_grad(x)``, ``disconnected_grad(x)``, ``grad_clip(x, lo, hi)``, ``grad_scale(x, m)``
    → ``x``: they are the identity in the forward pass and only shape gradients, which are built
    before compiling. Run in ``specialize``, a stage ``grad`` never runs on the cost it
    differentiates (it runs canonicalize and stabilize), so a gradient still sees them."""
    if getattr(node.op, "gradient_only", False):
        return [node.inputs[0]]
    return None


def _keep(new: Variable, old: Variable) -> Result:
    out = as_type(new, old)
    return None if out is None else [out]


# --- constant powers ----------------------------------------------------------------------

def pow_specialize(fgraph: FunctionGraph, node: Apply, fast_math: bool = False) -> Result:
    """``x**2`` → ``sqr(x)``, ``x**1`` → ``x``; for floats ``x**-1`` → ``1/x``; for integers
    ``x**3`` → ``sqr(x)*x``. The exponent must be a constant that does not broadcast ``x``.
    ``x`` is first cast to the result's dtype, so the computation happens in the same precision
    as ``power``. Each of these gives ``power``'s own bits: one rounding of an exact product or
    quotient (and integer products wrap as ``power``'s do).

    With ``fast_math`` (the rewrite ``pow_sqrt``, off unless included) also the forms that round
    differently: ``x**0.5`` → ``sqrt(x)`` and ``x**-0.5`` → ``1/sqrt(x)`` (which differ at
    ``x = -inf`` too: ``power`` gives inf, ``sqrt`` nan), and for floats ``x**3`` →
    ``sqr(x)*x`` and ``x**-2`` → ``1/sqr(x)`` (two roundings where ``power`` has one: about a
    quarter of random values differ in the last bit, and ``1/sqr(x)`` is 0 where ``x**-2`` is a
    subnormal number)."""
    x, p = node.inputs
    out = node.outputs[0]
    data = const_value(p)
    if data is None or data.size == 0 or not cannot_enlarge(p, x):
        return None
    e = float(data.flat[0])
    if not all_equal(data, e):
        return None
    if x.type.dtype != out.type.dtype:
        if not is_float(out.type.dtype):
            return None
        x = E.cast(x, out.type.dtype)
    floating = is_float(out.type.dtype)
    if e == 1:
        new = x
    elif e == 2:
        new = E.sqr(x)
    elif e == 3 and (fast_math or not floating):
        new = E.mul(E.sqr(x), x)
    elif e == 0.5 and floating and fast_math:
        new = E.sqrt(x)
    elif e == -1 and floating:
        new = E.true_div(1, x)
    elif e == -2 and floating and fast_math:
        new = E.true_div(1, E.sqr(x))
    elif e == -0.5 and floating and fast_math:
        new = E.true_div(1, E.sqrt(x))
    else:
        return None
    return _keep(new, out)


# --- sums of products as dot --------------------------------------------------------------

def _flat(x: Variable) -> Variable:
    return x if x.type.ndim == 1 else reshape(x, [-1], ndim=1)


def _row(v: Variable) -> Optional[Variable]:
    """``u`` when ``v`` is the vector ``u`` broadcast as a row (``u[None, :]``)."""
    n = v.owner
    if n is not None and isinstance(n.op, DimShuffle) and n.op.pattern == ("x", 0):
        return n.inputs[0]
    if v.type.ndim == 1:
        return v
    return None


def _col(v: Variable) -> Optional[Variable]:
    """``u`` when ``v`` is the vector ``u`` broadcast as a column (``u[:, None]``)."""
    n = v.owner
    if n is not None and isinstance(n.op, DimShuffle) and n.op.pattern == (0, "x"):
        return n.inputs[0]
    return None


def _same_size(a: Optional[int], b: Optional[int]) -> bool:
    return a is not None and a == b


def sum_to_dot(fgraph: FunctionGraph, node: Apply) -> Result:
    """``sum(x*x)`` / ``sum(sqr(x))`` → ``dot(x.ravel(), x.ravel())``;
    ``sum(a*b)`` of vectors → ``dot(a, b)``; ``sum(M * v[None, :], axis=1)`` →
    ``dot(M, v)``; ``sum(M * v[:, None], axis=0)`` → ``dot(v, M)``.
    Float dtypes only; where shapes matter they must be statically equal
    (so that no broadcasting is lost)."""
    op: Reduce = node.op
    if not isinstance(op, Reduce) or op.kind != "sum" or op.dtype is not None or op.keepdims:
        return None
    prod_var = node.inputs[0]
    out = node.outputs[0]
    if not is_float(out.type.dtype) or not single_client(fgraph, prod_var):
        return None
    nd = prod_var.type.ndim
    full = op.axis is None or tuple(op.axis) == tuple(range(nd))
    sq = ew(prod_var, "sqr")
    if sq is not None and full:
        f = _flat(sq.inputs[0])
        return _keep(dot(f, f), out)
    mul = ew(prod_var, "mul")
    if mul is None:
        return None
    a, b = mul.inputs
    if a.type.dtype != out.type.dtype or b.type.dtype != out.type.dtype:
        return None
    if full and a is b:
        f = _flat(a)
        return _keep(dot(f, f), out)
    if full and a.type.ndim == 1 and b.type.ndim == 1 and _same_size(a.type.shape[0], b.type.shape[0]):
        return _keep(dot(a, b), out)
    if nd == 2 and op.axis is not None and len(op.axis) == 1:
        for m, v in ((a, b), (b, a)):
            if m.type.ndim != 2:
                continue
            if op.axis[0] == 1:
                u = _row(v)
                if u is not None and _same_size(m.type.shape[1], u.type.shape[0]):
                    return _keep(dot(m, u), out)
            else:
                u = _col(v)
                if u is not None and _same_size(m.type.shape[0], u.type.shape[0]):
                    return _keep(dot(u, m), out)
    return None


# --- chains of dot --------------------------------------------------------------------------

def _chain(fgraph: FunctionGraph, v: Variable, top: bool, acc: List[Variable]) -> None:
    n = v.owner
    if n is not None and isinstance(n.op, Dot) and (top or single_client(fgraph, v)):
        _chain(fgraph, n.inputs[0], False, acc)
        _chain(fgraph, n.inputs[1], False, acc)
    else:
        acc.append(v)


def _tree_cost(v: Variable, leaves: set) -> Optional[int]:
    """Multiply-adds of the dot tree computing ``v`` (None if a size is unknown)."""
    if v in leaves:
        return 0
    a, b = v.owner.inputs
    ca, cb = _tree_cost(a, leaves), _tree_cost(b, leaves)
    dims = list(a.type.shape) + list(b.type.shape[1:] if b.type.ndim == 2 else [])
    if ca is None or cb is None or None in dims:
        return None
    return ca + cb + int(np.prod(dims, dtype=np.int64))


def dot_chain(fgraph: FunctionGraph, node: Apply) -> Result:
    """A product of three or more matrices (the ends may be vectors) computed in
    the cheapest order. With every size known when compiling, the order comes
    from ``opt_einsum.contract_path`` and the tree is rebuilt from ``dot``s
    (only when strictly cheaper than the user's order); otherwise the chain
    becomes one ``einsum``, which plans at the first call (cached per shapes).

    A *fast-math* rewrite, off unless the user opts in with
    ``Mode(including=["fast_math"])``: ``(x @ M) @ v`` forms ``x @ M``, which
    may overflow (``x = [1e200]``, ``M = [[1e200, -1e200]]``: ``[inf, -inf]``,
    then ``nan``) where ``x @ (M @ v)`` stays finite (0), and the reverse. The
    order of the products is the user's to choose; a guard would have to bound
    every intermediate of both orders."""
    out = node.outputs[0]
    clients = fgraph.clients.get(out, [])
    if len(clients) == 1 and clients[0][0] != "output" and isinstance(clients[0][0].op, Dot):
        return None  # the outer dot of the chain handles it
    ops: List[Variable] = []
    _chain(fgraph, out, True, ops)
    n = len(ops)
    if n < 3 or any(v.type.ndim != 2 for v in ops[1:-1]) or any(v.type.ndim not in (1, 2) for v in ops):
        return None
    letters = "abcdefghijklmnopqrstuvwxyz"
    if n + 1 > len(letters):
        return None
    subs = []
    for i, v in enumerate(ops):
        if v.type.ndim == 2:
            subs.append(letters[i] + letters[i + 1])
        else:
            subs.append(letters[1] if i == 0 else letters[n - 1])
    output = (letters[0] if ops[0].type.ndim == 2 else "") + (letters[n] if ops[-1].type.ndim == 2 else "")
    shapes = [v.type.shape for v in ops]
    if any(None in s for s in shapes):
        new = Einsum(tuple(subs), output, display=None)(*ops)
        return _keep(new, out)
    import opt_einsum

    path, _ = opt_einsum.contract_path(",".join(subs) + "->" + output, *shapes, shapes=True, optimize="optimal")
    segments: List[Tuple[Variable, int, int]] = [(v, i, i) for i, v in enumerate(ops)]
    for pair in path:
        if len(pair) != 2:
            return None
        i, j = sorted(pair)
        (x, lo_x, hi_x), (y, lo_y, hi_y) = segments[i], segments[j]
        if hi_x + 1 != lo_y:  # not neighbours: keep the user's order
            return None
        del segments[j], segments[i]
        segments.append((dot(x, y), lo_x, hi_y))  # as opt_einsum: the result goes last
    (new, _, _), = segments
    leaves = set(ops)
    old_cost, new_cost = _tree_cost(out, leaves), _tree_cost(new, leaves)
    if old_cost is None or new_cost is None or new_cost >= old_cost:
        return None
    return _keep(new, out)


# --- Bernoulli draws -------------------------------------------------------------------------

def _is_shape_of(size: Variable, p: Variable) -> bool:
    from framework.core.shape_ops import Shape

    owner = size.owner
    return owner is not None and isinstance(owner.op, Shape) and owner.inputs[0] is p and size.dtype == "int64"


def binomial_to_uniform(fgraph: FunctionGraph, node: Apply) -> Result:
    """``binomial(n=1, p)`` → ``bernoulli(p)``: the node the NumPy backend lowers to one
    function in the Gibbs step (``random_draws.lower_bernoulli``). ``p`` is still checked (< 0,
    > 1 or NaN raises, as for ``binomial``). No number changes: the backend draws a Bernoulli
    ``binomial`` exactly as a ``bernoulli`` -- ``uniform < p`` in ``p``'s precision on the native
    streams' states, ``RandomState.binomial(1, p)`` on NumPy's own (the Theano layer's) -- so
    FAST_COMPILE and FAST_RUN draw the same samples (docs/random.md)."""
    from framework.core.random_ops import RandomVariable, make_random

    op = node.op
    if not isinstance(op, RandomVariable) or op.dist != "binomial":
        return None
    rng, size, n, p = node.inputs
    if not is_const(n, 1) or not cannot_enlarge(n, p):
        return None
    sample = node.outputs[1]
    if size.type.shape[0] and not _is_shape_of(size, p):
        draw_size = size
    else:
        # size=p.shape (the tutorial's form) is p's own shape: no shape node to run per draw
        draw_size = None
    new_state, s = make_random("bernoulli", rng, draw_size, [p], sample.type.dtype, ndim=sample.type.ndim)
    return [new_state, s]


REWRITES = [
    RewriteSpec("gradient_only_identity", gradient_only_identity, stage="specialize", tracks=GRADIENT_ONLY_OPS,
                tags=("specialize",), doc="zero_grad/disconnected_grad/grad_clip/grad_scale(x) -> x"),
    RewriteSpec("pow_specialize", pow_specialize, stage="specialize", tracks=("pow",),
                tags=("specialize",), doc="x**2 -> sqr(x), x**-1 -> 1/x, ... (the same bits as power)"),
    RewriteSpec("pow_sqrt", lambda fgraph, node: pow_specialize(fgraph, node, fast_math=True), stage="specialize",
                tracks=("pow",), tags=("specialize", "fast_math", "off_by_default"),
                doc="x**0.5 -> sqrt(x), x**-0.5 -> 1/sqrt(x), float x**3 -> sqr(x)*x, x**-2 -> 1/sqr(x) (fast math: "
                    "other last bits, wrong for x = -inf; off unless included)"),
    RewriteSpec("sum_to_dot", sum_to_dot, stage="specialize", tracks=("sum",),
                tags=("specialize",), doc="sums of products -> dot"),
    RewriteSpec("dot_chain", dot_chain, stage="specialize", tracks=("dot",),
                tags=("specialize", "fast_math", "off_by_default"),
                doc="chains of dot in the cheapest order (opt_einsum); fast math: an intermediate the user's "
                    "order forms may overflow where the new order's does not, or the reverse"),
    RewriteSpec("binomial_to_uniform", binomial_to_uniform, stage="specialize", tracks=("random_binomial",),
                tags=("specialize",), doc="binomial(1, p) -> bernoulli(p): one-function kernel, the same numbers"),
]
