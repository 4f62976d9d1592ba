"""A product with a matrix that differs from an already multiplied one in one column.

The tutorial's pseudo-likelihood monitor computes ``xi @ W`` and then
``xi_flip @ W`` where ``xi_flip = set_subtensor(xi[:, j], 1 - xi[:, j])``:
two full GEMMs, although the second differs from the first only by the
contribution of column ``j``::

    S @ W == X @ W + outer(S[:, j] - X[:, j], W[j, :])

when ``S`` equals ``X`` except in column ``j``. The rewrite
:func:`dot_column_update` finds ``dot(set_subtensor(X[:, j], y), W)`` where
``dot(X, W)`` is already in the graph, and replaces it with one
:class:`DotColumnUpdate` node: an O(rows x columns) update instead of an
O(rows x inner x columns) product.

Order of operations: ``S @ W`` is one sum of products per element; the
update forms other products (``X[:, j] W[j, :]`` inside ``X @ W``, then
``(S - X)[:, j] W[j, :]``) and adds them in another order. With finite values
that do not overflow only rounding moves. Otherwise the two forms can disagree
in both directions: ``X @ W`` may overflow (or be ``inf - inf``) where ``S @ W``
does not, and ``S @ W`` may overflow in a partial sum where the update stays
finite. So the kernel uses the update only when (1) ``||S|| ||W||``
(Frobenius norms, :mod:`.finite_guard`) proves that ``S @ W`` is finite in any
order of summation -- every value of ``S`` and ``W`` finite, no product or
partial sum near overflow -- and (2) the update itself came out finite;
otherwise it computes ``S @ W``, so the result, ``inf`` and ``nan`` included,
is always the user's. The guard costs one pass over ``S`` and ``W`` (two BLAS
dots) and one over the output, against the GEMM it saves. On a device (CuPy)
the check would synchronise at every call, so there the kernel computes
``S @ W``.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

from framework.core.blas import Dot
from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Variable
from framework.core.op import Op
from framework.core.subtensor import SCALAR, IncSubtensor
from framework.core.types import TensorType
from framework.core.variable import as_tensor_variable
from framework.plugins import RewriteSpec

from .finite_guard import limit, norm, on_host

Result = Optional[List[Variable]]

# x[:, j]: a full slice on axis 0, one symbolic integer on axis 1
_COLUMN = (("slice", None, None, None), SCALAR)


class DotColumnUpdate(Op):
    """``dot(S, W)`` computed from ``XW = dot(X, W)`` when ``S`` differs from ``X`` in column ``j`` only.

    Inputs ``(XW, X, S, W, j)``; the output is ``XW + outer(S[:, j] - X[:, j], W[j])``,
    or ``S @ W`` unless ``S @ W`` provably cannot overflow and the update is finite. Only the
    rewrite builds it, and only where ``S`` is ``set_subtensor(X[:, j], ...)``.
    """
    complex_grad = False  # its rule does not conjugate (built after grad)

    fresh_storage = True  # its output is a new array (the in-place stage may let a reader overwrite it)

    name = "dot_column_update"

    def make_node(self, xw: Any, x: Any, s: Any, w: Any, j: Any) -> Apply:
        xw, x, s, w, j = (as_tensor_variable(v) for v in (xw, x, s, w, j))
        if not (xw.ndim == x.ndim == s.ndim == w.ndim == 2 and j.ndim == 0):
            raise TypeError(f"{self.name} takes (XW, X, S, W) matrices and a scalar column index, got "
                            f"{xw.type}, {x.type}, {s.type}, {w.type}, {j.type}")
        return Apply(self, [xw, x, s, w, j], [TensorType(xw.dtype, xw.type.shape)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        return [input_shapes[0]]

    def impl(self, xp: Any, xw: Any, x: Any, s: Any, w: Any, j: Any) -> Any:
        bound = limit(xw.dtype, w.shape[0] + 2)
        if bound is not None and not on_host(xp):  # a check would synchronise: one GEMM is cheaper
            return xp.asarray(xp.dot(s, w), dtype=xw.dtype)
        if bound is not None and not norm(xp, s) * norm(xp, w) <= bound:
            return xp.asarray(xp.dot(s, w), dtype=xw.dtype)  # S @ W may overflow: compute it as written
        j = int(j)
        d = xp.subtract(s[:, j], x[:, j])
        out = xp.multiply(d[:, None], w[j][None, :], dtype=xw.dtype)
        out += xw
        if bound is not None and not bool(xp.isfinite(out).all()):  # X @ W or the update overflowed
            return xp.asarray(xp.dot(s, w), dtype=xw.dtype)
        return out

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        impl, xp = self.impl, backend.xp
        return lambda xw, x, s, w, j: impl(xp, xw, x, s, w, j)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        """The gradient of the ``dot(S, W)`` it stands for (``XW`` and ``X`` only shortcut it)."""
        from framework.core.shape_ops import transpose

        _, _, s, w, _ = node.inputs
        gz = output_grads[0]
        if gz is None:
            return [None] * 5
        return [None, None, Dot()(gz, transpose(w)), Dot()(transpose(s), gz), None]

    def pp(self, node: Apply, args: Sequence[str]) -> tuple:
        return f"dot({args[2]}, {args[3]}) [from {args[0]}, column {args[4]}]", 100


def _existing_dot(fgraph: FunctionGraph, x: Variable, w: Variable) -> Optional[Variable]:
    """The output of a ``dot(x, w)`` node already in the graph, if any."""
    for client, _ in fgraph.clients.get(x, []):
        if isinstance(client, Apply) and isinstance(client.op, Dot) and client.inputs[0] is x \
                and client.inputs[1] is w:
            return client.outputs[0]
    return None


def dot_column_update(fgraph: FunctionGraph, node: Apply) -> Result:
    """``dot(set_subtensor(X[:, j], y), W)`` → ``DotColumnUpdate(dot(X, W), X, S, W, j)``
    when ``dot(X, W)`` is computed anyway."""
    if not isinstance(node.op, Dot):
        return None
    s, w = node.inputs
    owner = s.owner
    if owner is None or not isinstance(owner.op, IncSubtensor) or not owner.op.set_instead_of_inc:
        return None
    if owner.op.template != _COLUMN or s.ndim != 2 or w.ndim != 2:
        return None
    x, _, j = owner.inputs
    xw = _existing_dot(fgraph, x, w)
    out = node.outputs[0]
    if xw is None or xw.dtype != out.dtype:
        return None
    new = DotColumnUpdate()(xw, x, s, w, j)
    if new.type != out.type:
        return None
    return [new]


REWRITES = [
    RewriteSpec("dot_column_update", dot_column_update, stage="specialize", tracks=("dot",),
                tags=("specialize",),
                doc="dot(set_subtensor(X[:, j], y), W) -> dot(X, W) + outer(y - X[:, j], W[j]) when dot(X, W) "
                    "is computed anyway (computed as written unless a norm bound proves both forms finite)"),
]
