"""A sum of two matrix products as one product of stacked operands.

A gradient of a weight matrix is often a sum (or difference) of two outer
products over the minibatch -- the RBM's ``x.T @ ph - nv.T @ nh``. Written as
two GEMMs and an addition, it writes two full weight-sized results and reads
them back; stacked, ::

    dot(A, B) + dot(C, D) == dot(join(1, A, C), join(0, B, D))

it is one GEMM over an inner dimension twice as long, writing one result
(when ``A = P.T`` and ``C = Q.T`` the stacked left operand is ``join(0, P,
Q).T``). :func:`dot_sum_stack` does this, as one :class:`StackedDotSum`
node, when the output is larger than the operands to copy (stacking copies
them, which is cheap when the inner dimension -- the minibatch -- is small
next to the output). ``a - b`` is ``a + (-b)``: the second right operand is
negated first. The node checks the shapes at run time and computes the two
products as written when they are not two equal matrices.

Finite inputs give the same sum of products taken in another order (rounding
differs, as between any two BLAS calls). But the user wrote two products and
a sum: ``A @ B`` may overflow to ``inf`` where the stacked sum, cancelling
against ``C @ D`` term by term, stays finite, and ``inf - inf`` is ``nan``
where the stacked sum gives ``inf``. So for floats the kernel stacks only when
``||A|| ||B|| + ||C|| ||D||`` (Frobenius norms, see :mod:`.finite_guard`)
proves that neither product nor their sum can overflow in any order -- which
also proves every operand finite; otherwise it computes the two products and
their sum as written. The bound is checked as ``||[A C]|| ||[B; D]||``
(Cauchy-Schwarz: no smaller), two BLAS dots over the stacked operands just
built (no more than reading what the stacking copied). On a device (CuPy) reading the norms
back would synchronise at every call, so there the kernel always computes the
two products as written.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from typing import Any, Callable, Sequence

from framework.core.blas import Dot
from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Variable
from framework.core.op import Op
from framework.core.shape_ops import transpose
from framework.plugins import RewriteSpec

from .finite_guard import limit, norm, on_host
from .patterns import ew, single_client

Result = Optional[List[Variable]]


def _matrix_dot(fgraph: FunctionGraph, v: Variable) -> Optional[Tuple[Variable, Variable]]:
    """``(a, b)`` when ``v`` is ``dot(a, b)`` of two matrices read only here."""
    node = v.owner
    if node is None or not isinstance(node.op, Dot) or not single_client(fgraph, v):
        return None
    a, b = node.inputs
    if a.ndim != 2 or b.ndim != 2:
        return None
    return a, b


def _worth_it(a: Variable, b: Variable, c: Variable, d: Variable) -> bool:
    """Stacking copies the four operands; it pays when the product is larger than they are."""
    m, k1 = a.type.shape
    k2 = c.type.shape[1]
    n = b.type.shape[1]
    if None in (m, n, k1, k2):
        return True  # unknown sizes: the usual case is a small minibatch against a weight matrix
    return m * n >= (m + n) * (k1 + k2)


class StackedDotSum(Op):
    """``dot(A, B) + dot(C, D)`` (``-`` with ``subtract``) as one product of stacked operands.

    The kernel checks the operands' run-time shapes and magnitudes: when both
    products are matrices of one shape and their norms prove that no order of
    summation can overflow, it stacks them (``[A C] @ [B; ±D]``); otherwise it
    computes the two products and their sum as written (so broadcasting,
    errors, ``inf`` and ``nan`` are the original's).
    """

    fresh_storage = True  # its output is a new array (the in-place stage may let a reader overwrite it)

    __props__ = ("subtract",)

    def __init__(self, subtract: bool) -> None:
        self.subtract = bool(subtract)
        self.name = "stacked_dot_sum"

    def make_node(self, a: Variable, b: Variable, c: Variable, d: Variable, like: Variable) -> Apply:
        return Apply(self, [a, b, c, d], [like.type])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        sa, sb, _, _ = input_shapes
        return [(sa[0], sb[1])]

    def impl(self, xp: Any, a: Any, b: Any, c: Any, d: Any) -> Any:
        bound = limit(a.dtype, a.shape[1] + c.shape[1] + 1)
        stackable = a.shape[0] == c.shape[0] and b.shape[1] == d.shape[1] and a.shape[1] == b.shape[0] \
            and c.shape[1] == d.shape[0]
        # on a device the check below would read the norms back at every call: compute as written there
        if stackable and (bound is None or on_host(xp)):
            if a.flags.f_contiguous and c.flags.f_contiguous and not a.flags.c_contiguous:
                left = xp.concatenate([a.T, c.T], axis=0).T  # transposes: stack the rows of the originals
            else:
                left = xp.concatenate([a, c], axis=1)
            right = xp.concatenate([b, xp.negative(d) if self.subtract else d], axis=0)
            # ||A|| ||B|| + ||C|| ||D|| <= ||[A C]|| ||[B; D]||: no partial sum of the products as
            # written, their sum or the stacked product can overflow (and every operand is finite)
            if bound is None or norm(xp, left) * norm(xp, right) <= bound:
                return xp.dot(left, right)
        first, second = xp.dot(a, b), xp.dot(c, d)
        return first - second if self.subtract else first + second

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        impl, xp = self.impl, backend.xp
        return lambda a, b, c, d: impl(xp, a, b, c, d)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        a, b, c, d = node.inputs
        g = output_grads[0]
        if g is None:
            return [None] * 4
        sign = -1 if self.subtract else 1
        return [Dot()(g, transpose(b)), Dot()(transpose(a), g), sign * Dot()(g, transpose(d)),
                sign * Dot()(transpose(c), g)]


def dot_sum_stack(fgraph: FunctionGraph, node: Apply) -> Result:
    """``dot(A, B) ± dot(C, D)`` → :class:`StackedDotSum` (one GEMM, checked at run time)."""
    op_node = ew(node.outputs[0], "add", "sub")
    if op_node is None or len(node.inputs) != 2:
        return None
    x, y = node.inputs
    out = node.outputs[0]
    first, second = _matrix_dot(fgraph, x), _matrix_dot(fgraph, y)
    if first is None or second is None:
        return None
    (a, b), (c, d) = first, second
    if len({a.dtype, b.dtype, c.dtype, d.dtype, out.dtype}) != 1 or out.ndim != 2:
        return None
    if not _worth_it(a, b, c, d):
        return None
    return [StackedDotSum(node.op.scalar.name == "sub").make_node(a, b, c, d, out).outputs[0]]


REWRITES = [
    RewriteSpec("dot_sum_stack", dot_sum_stack, stage="specialize", tracks=("add", "sub"), tags=("specialize",),
                doc="dot(A, B) + dot(C, D) -> dot(join(1, A, C), join(0, B, D)): one GEMM writing one result "
                    "(a weight gradient's two minibatch products)"),
]
