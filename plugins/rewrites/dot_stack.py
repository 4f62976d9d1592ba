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

A weight update scales the gradient before subtracting it: ``W - lr * G``.
:func:`dot_sum_stack_scale` moves a multiplication of the stacked product by
a scalar into the node (``scaled``): the kernel multiplies the product it has
just made in place, the same ``multiply`` on the same two values as the
element-wise node it replaces (so the same result, bit for bit), and the
subtraction that is left writes into that same fresh array (see
:mod:`.inplace`) instead of allocating a weight-sized result; a step of the
RBM then allocates no weight-sized array but the new ``W`` (issue 16: about
0.09 ms of the CD-1 step).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from typing import Any, Callable, Sequence

from framework.core.blas import Dot
from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Constant, Variable
from framework.core.op import Op
from framework.core.types import TensorType
from framework.core.shape_ops import DimShuffle, transpose
from framework.core.shape_sig import shape_signature
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


def _static_sum_dim(x: Optional[int], y: Optional[int]) -> Optional[int]:
    """The static size of an axis of ``p + q`` whose operands have static sizes ``x`` and ``y``."""
    if x == y:
        return x
    if x is None or y is None:
        known = y if x is None else x
        return known if known != 1 else None
    return x if y == 1 else y if x == 1 else None


def _broadcast_size(x: Any, y: Any) -> Any:
    """The size of ``p + q`` on an axis where ``p`` and ``q`` have sizes ``x`` and ``y`` (ints or int
    scalar variables)."""
    if x is y or (isinstance(x, int) and isinstance(y, int) and x == y):
        return x
    if isinstance(x, int) and x == 1:
        return y
    if isinstance(y, int) and y == 1:
        return x
    from framework.core.shape_infer import broadcast_dim

    return broadcast_dim(x, y)


def _stack_rows(xp: Any, b: Any, d: Any, subtract: bool) -> Any:
    """``[b; -d]`` (``[b; d]`` without ``subtract``): with ``subtract`` and one dtype, ``-d`` is
    written straight into its rows of the stacked array (no temporary ``-d`` and its second copy;
    the same ``negative``, so the same values)."""
    if not subtract:
        return xp.concatenate([b, d], axis=0)
    if b.dtype != d.dtype or b.ndim != 2 or d.ndim != 2:
        return xp.concatenate([b, xp.negative(d)], axis=0)
    out = xp.empty((b.shape[0] + d.shape[0], b.shape[1]), dtype=b.dtype)
    out[:b.shape[0]] = b
    xp.negative(d, out=out[b.shape[0]:])
    return out


class StackedDotSum(Op):
    """``dot(A, B) + dot(C, D)`` (``-`` with ``subtract``) as one product of stacked operands.

    The kernel checks the operands' run-time shapes and magnitudes: when both
    products are matrices of one shape and their norms prove that no order of
    summation can overflow, it stacks them (``[A C] @ [B; ±D]``); otherwise it
    computes the two products and their sum as written (so broadcasting,
    errors, ``inf`` and ``nan`` are the original's).
    """
    complex_grad = False  # its products do not conjugate (built after grad)

    fresh_storage = True  # its output is a new array (the in-place stage may let a reader overwrite it)

    __props__ = ("subtract", "scaled")

    def __init__(self, subtract: bool, scaled: bool = False) -> None:
        self.subtract = bool(subtract)
        self.scaled = bool(scaled)
        self.name = "stacked_dot_sum"

    def __str__(self) -> str:
        return f"stacked_dot_sum{{{self.subtract}{', scaled' if self.scaled else ''}}}"

    def make_node(self, a: Variable, b: Variable, c: Variable, d: Variable, scale: Optional[Variable] = None, *,
                  like: Optional[Variable] = None) -> Apply:
        """``scale`` (only with ``scaled``): a 0-d factor the result is multiplied by, in place.
        ``like``: the replaced sum, whose type the output takes; without it (a node cloned onto new
        inputs) the type follows from the operands' static sizes."""
        if self.scaled != (scale is not None):
            raise ValueError(f"{self}: takes a 0-d scale as its fifth input exactly when it is scaled")
        out_type = like.type if like is not None else TensorType(
            a.type.dtype, (_static_sum_dim(a.type.shape[0], c.type.shape[0]), _static_sum_dim(b.type.shape[1], d.type.shape[1])))
        return Apply(self, [a, b, c, d] + ([scale] if self.scaled else []), [out_type])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        # the two products' sizes broadcast (the kernel adds them as written when they differ)
        sa, sb, sc, sd = input_shapes[:4]
        return [(_broadcast_size(sa[0], sc[0]), _broadcast_size(sb[1], sd[1]))]

    def stacked_operands(self, xp: Any, a: Any, b: Any, c: Any, d: Any) -> Optional[Tuple[Any, Any]]:
        """``([A C], [B; ±D])`` when the operands are two products of one shape that no order of
        summation can overflow (the check above); None when the sum must be computed as written."""
        bound = limit(a.dtype, a.shape[1] + c.shape[1] + 1)
        stackable = a.shape[0] == c.shape[0] and b.shape[1] == d.shape[1] and a.shape[1] == b.shape[0] \
            and c.shape[1] == d.shape[0]
        # on a device the check below would read the norms back at every call: compute as written there
        if not stackable or (bound is not None and not on_host(xp)):
            return None
        if a.flags.f_contiguous and c.flags.f_contiguous and not a.flags.c_contiguous:
            left = xp.concatenate([a.T, c.T], axis=0).T  # transposes: stack the rows of the originals
        else:
            left = xp.concatenate([a, c], axis=1)
        right = _stack_rows(xp, b, d, self.subtract)
        # ||A|| ||B|| + ||C|| ||D|| <= ||[A C]|| ||[B; D]||: no partial sum of the products as
        # written, their sum or the stacked product can overflow (and every operand is finite)
        if bound is None or norm(xp, left) * norm(xp, right) <= bound:
            return left, right
        return None

    def as_written(self, xp: Any, a: Any, b: Any, c: Any, d: Any) -> Any:
        """The two products and their sum (difference), as the user wrote them."""
        first, second = xp.dot(a, b), xp.dot(c, d)
        return first - second if self.subtract else first + second

    def impl(self, xp: Any, a: Any, b: Any, c: Any, d: Any) -> Any:
        pair = self.stacked_operands(xp, a, b, c, d)
        return xp.dot(*pair) if pair is not None else self.as_written(xp, a, b, c, d)

    def scaled_impl(self, xp: Any, a: Any, b: Any, c: Any, d: Any, scale: Any) -> Any:
        """The product times ``scale``: the element-wise ``multiply`` the scaled node replaced, written
        into the product's own new array (the same dtype: the rewrite checked it)."""
        out = self.impl(xp, a, b, c, d)
        return xp.multiply(out, scale, out=out)

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        xp = backend.xp
        if self.scaled:
            scaled_impl = self.scaled_impl
            return lambda a, b, c, d, s: scaled_impl(xp, a, b, c, d, s)
        impl = self.impl
        return lambda a, b, c, d: impl(xp, a, b, c, d)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        a, b, c, d = node.inputs[:4]
        g = output_grads[0]
        if g is None:
            return [None] * len(node.inputs)
        sign = -1 if self.subtract else 1
        if not self.scaled:
            return [Dot()(g, transpose(b)), Dot()(transpose(a), g), sign * Dot()(g, transpose(d)),
                    sign * Dot()(transpose(c), g)]
        s = node.inputs[4]
        unscaled = StackedDotSum(self.subtract).make_node(a, b, c, d, like=node.outputs[0]).outputs[0]
        gs = g * s
        return [Dot()(gs, transpose(b)), Dot()(transpose(a), gs), sign * Dot()(gs, transpose(d)),
                sign * Dot()(transpose(c), gs), (g * unscaled).sum().astype(s.type.dtype)]


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
    return [StackedDotSum(node.op.scalar.name == "sub").make_node(a, b, c, d, like=out).outputs[0]]


def dot_transpose_lift(fgraph: FunctionGraph, node: Apply) -> Result:
    """``dot(A, B).T`` (the transpose of a matrix product read only there) → ``dot(B.T, A.T)``.

    The gradient of a weight used both as ``W`` and as ``W.T`` (the tied weights of autoencoders:
    ``h @ W.T`` reconstructs) reaches ``W`` as ``dot(x.T, dh) + dot(h.T, dz).T``: a product plus the
    transposed view of another. Lifted, both terms are products, which :func:`dot_sum_stack` makes
    one GEMM, and the sum no longer reads a weight-sized array through a transposed (strided) view.
    Each element is the same sum of the same products (``(A B)^T_ij = sum_k A_jk B_ki``); the BLAS's
    blocking may order the sum differently, as between any two layouts of a product (see
    :mod:`.layout`). Only where the inner sizes are proven equal (shape signatures), so the
    lifted product can never fail: a mismatch keeps the error naming the operands as written."""
    if not isinstance(node.op, DimShuffle) or node.op.pattern != (1, 0):
        return None
    prod = node.inputs[0]
    src = prod.owner
    if src is None or type(src.op) is not Dot or not single_client(fgraph, prod):
        return None
    a, b = src.inputs
    if a.ndim != 2 or b.ndim != 2:
        return None
    if shape_signature(a)[1] != shape_signature(b)[0]:
        # sizes not proven equal: a mismatch must keep the error naming the operands as written
        return None
    out = Dot()(_transposed(b), _transposed(a))
    return [out] if out.type == node.outputs[0].type else None


def _transposed(v: Variable) -> Variable:
    """``v.T``, or the matrix ``v`` is the transpose of (no transpose of a transpose)."""
    src = v.owner
    if src is not None and isinstance(src.op, DimShuffle) and src.op.pattern == (1, 0):
        return src.inputs[0]
    return transpose(v)


def _scalar_factor(v: Variable, dtype: str) -> bool:
    """Whether ``v`` is a 0-d factor that ``multiply`` applies in ``dtype`` exactly as the element-wise
    ``mul`` node did: a 0-d tensor of that dtype, or a weak (Python) float constant, which NumPy casts
    to the array's dtype either way."""
    if not isinstance(v.type, TensorType) or v.type.ndim != 0:
        return False
    if v.type.dtype == dtype:
        return True
    return isinstance(v, Constant) and getattr(v, "weak", False) and isinstance(v.data, float)


def dot_sum_stack_scale(fgraph: FunctionGraph, node: Apply) -> Result:
    """``mul(stacked_dot_sum(...), s)`` (``s`` a 0-d factor) → one scaled :class:`StackedDotSum` node."""
    if ew(node.outputs[0], "mul") is None or len(node.inputs) != 2:
        return None
    out = node.outputs[0]
    for k in (0, 1):
        prod, s = node.inputs[k], node.inputs[1 - k]
        src = prod.owner
        if src is None or not isinstance(src.op, StackedDotSum) or src.op.scaled:
            continue
        if not single_client(fgraph, prod) or out.type != prod.type:
            continue  # the product read elsewhere, or a mul that changes the type (a wider factor)
        if not _scalar_factor(s, prod.type.dtype):
            continue
        new = StackedDotSum(src.op.subtract, scaled=True).make_node(*src.inputs, s, like=out).outputs[0]
        return [new]
    return None


REWRITES = [
    RewriteSpec("dot_transpose_lift", dot_transpose_lift, stage="specialize", tracks=("dimshuffle",),
                tags=("specialize",),
                doc="dot(A, B).T -> dot(B.T, A.T) when the product is read only transposed: a tied weight's "
                    "gradient term becomes a product that dot_sum_stack can stack with the other"),
    RewriteSpec("dot_sum_stack", dot_sum_stack, stage="specialize", tracks=("add", "sub"), tags=("specialize",),
                doc="dot(A, B) + dot(C, D) -> dot(join(1, A, C), join(0, B, D)): one GEMM writing one result "
                    "(a weight gradient's two minibatch products)"),
    RewriteSpec("dot_sum_stack_scale", dot_sum_stack_scale, stage="specialize", tracks=("mul",),
                tags=("specialize",),
                doc="stacked_dot_sum(...) * s (s 0-d) -> one stacked_dot_sum node scaling its new product in place "
                    "(W - lr * G then writes into G: no weight-sized temporary)"),
]
