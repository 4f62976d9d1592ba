"""Memory layout for products inside loops: a transposed loop constant copied once, contiguous.

A scan body that multiplies by the transpose of a matrix it does not change
-- the RBM's Gibbs step ``h @ W.T``, every step -- hands the BLAS a
transposed (Fortran-ordered) view each time. OpenBLAS's sgemm is markedly
slower with a transposed operand at the shapes of small minibatches (at 20 x
500 x 784 in float32, about 1.7x the time of the same product with a
C-contiguous operand on the machine of docs/benchmarks.md). The rewrite
:func:`scan_contiguous_transpose` gives the loop the transposed matrix as a
new non-sequence, copied once per call into C order by :class:`AsContiguous`
before the loop starts, instead of the view inside the body.

Values are unchanged (a layout copy; the same products in the same order of
summation per element up to the BLAS's blocking, which may differ in the last
bit as between any two BLAS calls of other layouts).
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

from framework.core.blas import Dot
from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Constant, Variable, clone_replace
from framework.core.op import Op
from framework.core.scan import InnerGraph, Scan
from framework.core.shape_ops import DimShuffle, transpose
from framework.core.variable import as_tensor_variable
from framework.plugins import RewriteSpec

Result = Optional[List[Variable]]

# the loop must run at least this many steps (when known) for one copy to pay off
MIN_STEPS = 3


class AsContiguous(Op):
    """``x`` as a C-contiguous array (a copy when it is not one already); the values are ``x``'s."""
    complex_grad = True  # identity

    name = "as_contiguous"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        return [input_shapes[0]]

    def impl(self, xp: Any, x: Any) -> Any:
        return xp.ascontiguousarray(x)

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        return backend.xp.ascontiguousarray

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [output_grads[0]]


def _transposes_into_dots(inner_clients: dict, w: Variable) -> List[Variable]:
    """The transposes ``w.T`` of the body input ``w`` whose every reader is a ``dot``."""
    found = []
    for client, _ in inner_clients.get(w, []):
        if not isinstance(client, Apply) or not isinstance(client.op, DimShuffle):
            continue
        if tuple(client.op.pattern) != (1, 0):
            continue
        t = client.outputs[0]
        readers = inner_clients.get(t, [])
        if readers and all(isinstance(r, Apply) and isinstance(r.op, Dot) for r, _ in readers):
            found.append(t)
    return found


def _clients(outputs: Sequence[Variable], inputs: Sequence[Variable]) -> dict:
    """Readers of every variable of the body graph ``inputs -> outputs``."""
    clients: dict = {}
    seen = set()
    stack = list(outputs)
    while stack:
        v = stack.pop()
        node = v.owner
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        for i, x in enumerate(node.inputs):
            clients.setdefault(x, []).append((node, i))
            stack.append(x)
    return clients


def scan_contiguous_transpose(fgraph: FunctionGraph, node: Apply) -> Result:
    """Give a scan ``AsContiguous(W.T)`` as a non-sequence where its body multiplies by ``W.T``
    (``W`` a 2-d non-sequence)."""
    op = node.op
    if not isinstance(op, Scan):
        return None
    n_steps = node.inputs[0]
    if isinstance(n_steps, Constant) and int(n_steps.data) < MIN_STEPS:
        return None
    _, _, _, i_ns = op.inner_parts()
    *_, o_ns = op.outer_parts(node.inputs)
    clients = _clients(op.inner.outputs, op.inner.inputs)
    replace = {}
    new_inner, new_outer = [], []
    for w_in, w_out in zip(i_ns, o_ns):
        if w_in.type.ndim != 2:
            continue
        for t in _transposes_into_dots(clients, w_in):
            t_in = t.type()
            t_in.name = f"{w_in.name or 'w'}.T"
            replace[t] = t_in
            new_inner.append(t_in)
            new_outer.append(AsContiguous()(transpose(w_out)))
    if not replace:
        return None
    outs = clone_replace(op.inner.outputs, replace)
    inner = InnerGraph(op.inner.inputs + new_inner, outs)
    new_op = op.clone(inner=inner, n_nonseqs=op.n_nonseqs + len(new_inner))
    new_node = new_op.make_node(*node.inputs, *new_outer)
    new_node.trace = node.trace
    for old, new in zip(node.outputs, new_node.outputs):
        new.name = old.name
    return list(new_node.outputs)


REWRITES = [
    RewriteSpec("scan_contiguous_transpose", scan_contiguous_transpose, stage="specialize", tracks=("scan",),
                tags=("specialize", "scan"),
                doc="a scan body's dot with W.T of a non-sequence W reads a C-contiguous copy of W.T made "
                    "once before the loop"),
]
