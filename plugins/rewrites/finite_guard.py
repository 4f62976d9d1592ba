"""Run-time guards for rewrites that compute a result in another order than the user wrote.

A rewrite that changes which products and sums are formed (a stacked GEMM for
``A @ B + C @ D``, a rank-1 update for a product with a matrix that differs in
one column, a sum of squares from its factors' sums) only moves rounding when
every value is finite and nothing overflows. Where an intermediate overflows in
one order and not the other, or an input is ``inf`` or ``nan``, the two orders
can disagree: ``nan`` against ``inf``, ``inf`` against a finite value, in either
direction. The ops these rewrites build therefore take their fast path only when
a bound *proves* that the user's order cannot overflow, and compute as written
otherwise (see docs/rewrites.md, "Order of operations and overflow").

The bound used is the Frobenius norm: every partial sum of a product ``A @ B``,
in any order of summation, is at most ``sum_k |A_ik| |B_kj| <= ||A|| ||B||``
(Cauchy-Schwarz), times the rounding growth ``(1 + eps) ** terms``. A norm is
one BLAS dot over the operand (``vdot``: no temporary), and an ``inf`` or ``nan``
anywhere in it makes the norm non-finite, so one comparison also covers
non-finite inputs.

Reading a norm back is free on the host and a synchronisation on a device: see :func:`on_host`.

A norm that several guarded nodes need is computed once per call: the rewrites give each
large operand a :class:`GuardNorm` node of its own, and ``merge`` keeps one of equal ones
(the contractive autoencoder's two gradient contractions both read the 784 x 500 ``W``).
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from framework.core.graph import Apply, Variable
from framework.core.op import Op
from framework.core.types import TensorType


def on_host(xp: Any) -> bool:
    """Whether ``xp`` computes on the host (NumPy), where reading a norm back costs nothing. On a
    device, that read would wait for the device at every call (and CUDA graphs cannot record it):
    the ops whose fast path saves less than a synchronisation costs compute as written there."""
    return xp is np or getattr(xp, "__name__", None) == "numpy"


def norm(xp: Any, a: Any) -> float:
    """``||a||`` (Frobenius) as a Python float: ``inf`` or ``nan`` when ``a`` holds one or the sum of
    squares overflows; 0 for an empty array."""
    if a.size == 0:
        return 0.0
    if a.size == 1:  # a scalar factor: its magnitude, without a BLAS call
        try:
            value = abs(complex(a.reshape(-1)[0].item()))
        except OverflowError:  # |z| of a complex beyond the float range
            return math.inf
        return value if value == value else math.nan
    if a.dtype.kind not in "fc":  # integers and bools: square in floats, not in wrapping integers
        a = a.astype("float64")
    elif a.ndim == 2 and a.flags.f_contiguous and not a.flags.c_contiguous:
        a = a.T  # a transpose (x.T in a weight gradient): the same norm, read without a copy
    # vdot is no ufunc: NumPy checks no floating-point flags after it, so an overflow or a
    # nan warns and raises under no error state (no errstate needed around it, which cost
    # ~1 us per norm; tests/rewrites/test_guard_sharing.py pins this under all='raise')
    ssq = float(abs(xp.vdot(a, a)))
    return math.sqrt(ssq) if ssq == ssq else math.nan


@functools.lru_cache(maxsize=256)
def limit(dtype: Any, terms: int) -> Optional[float]:
    """A magnitude below which a sum of at most ``terms`` terms, each no larger, cannot overflow in
    ``dtype`` whatever the order of summation: ``max / (4 (1 + eps) ** terms)``. None for types that
    are not floating: integer products wrap identically in any order, no guard is needed."""
    dt = np.dtype(dtype)
    if dt.kind not in "fc":
        return None
    info = np.finfo(dt)
    exponent = max(int(terms), 1) * math.log1p(float(info.eps))
    if exponent > 700.0:  # the rounding bound says nothing: never take the fast path
        return 0.0
    return float(info.max) / (4.0 * math.exp(exponent))


class GuardNorm(Op):
    """``||x||`` (Frobenius) of one operand of a guarded op, as a ``float64`` scalar: :func:`norm`'s
    value (``inf`` or ``nan`` when ``x`` holds one or its sum of squares overflows).

    A node of its own so that equal ones merge: the guarded ops that read the same operand in one
    call share one norm. On a device the value stays there (no synchronisation): the op that
    reads it combines its bound on the device and reads that back once. Only the rewrites build
    it; it never changes what a graph computes, so it has no gradient of its own (the guarded ops
    give none to their norm inputs).
    """

    __props__ = ()
    name = "guard_norm"

    def make_node(self, x: Variable) -> Apply:
        return Apply(self, [x], [TensorType("float64", ())])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        return [()]

    def shape_constraints(self, node: Apply) -> list:
        return []

    def impl(self, xp: Any, x: Any) -> Any:
        if on_host(xp):
            return np.asarray(norm(np, np.asarray(x)), dtype="float64")
        x = xp.asarray(x)
        if x.size == 0:
            return xp.zeros((), dtype="float64")
        x = x if x.dtype.kind in "fc" else x.astype("float64")
        return xp.sqrt(xp.abs(xp.vdot(x, x)).astype("float64"))

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        impl, xp = self.impl, backend.xp
        return lambda x: impl(xp, x)


def guard_norm(fgraph: Any, x: Variable) -> Variable:
    """The output of a :class:`GuardNorm` of ``x``: the one already in ``fgraph`` when a node
    built it earlier (so a rewrite firing twice on the same operand adds one), else a new one
    (``merge`` joins those that other passes build)."""
    clients = getattr(fgraph, "clients", None) or {}
    for client, _ in clients.get(x, ()):
        if isinstance(client, Apply) and isinstance(client.op, GuardNorm):
            return client.outputs[0]
    return GuardNorm()(x)
