"""In-place computation: an op overwrites an input that nothing reads afterwards.

An input may be overwritten only if its storage belongs to this call of the
function alone: it was computed during the call by an op known to return new
storage (not a view), it is read by exactly one node (this one, once), and
it is not an output. So a function input the caller owns, a shared
variable's storage, a constant, or a view of any of them is never touched.
Element-wise nodes become one-step ``Fused`` nodes that write into the input
(``out=``); fused nodes may reuse their dying inputs as buffers;
``set_subtensor``/``inc_subtensor`` write into their first input instead of a
copy. The op declares it with ``destroy_map``, which the linker reads when it
decides which outputs to copy.
"""
from __future__ import annotations

from typing import Optional

from framework.core.elemwise import Elemwise
from framework.core.fgraph import FunctionGraph
from framework.core.fusion import Fused, ScalarProgram, Step, writes_into_buffer
from framework.core.graph import Apply, Constant, Variable
from framework.core.subtensor import IncSubtensor
from framework.core.types import TensorType
from framework.plugins import RewriteSpec

from .patterns import single_client

def private_storage(fgraph: FunctionGraph, v: Variable) -> bool:
    """Whether ``v``'s storage was made during the call and is no one else's."""
    roots = set(fgraph.inputs)
    while True:
        if v in roots or isinstance(v, Constant) or v.owner is None:
            return False
        op = v.owner.op
        if not op.fresh_storage or op.view_map.get(v.index):
            return False
        destroyed = op.destroy_map.get(v.index)
        if not destroyed:
            return True
        if len(destroyed) > 1:
            return all(private_storage(fgraph, v.owner.inputs[k]) for k in destroyed)
        v = v.owner.inputs[destroyed[0]]


def _can_destroy(fgraph: FunctionGraph, node: Apply, k: int) -> bool:
    x = node.inputs[k]
    return (isinstance(x.type, TensorType) and x.type.ndim > 0 and single_client(fgraph, x)
            and private_storage(fgraph, x))


def _elemwise_inplace(fgraph: FunctionGraph, node: Apply) -> Optional[Apply]:
    op: Elemwise = node.op
    out = node.outputs[0]
    if out.type.ndim == 0 or not writes_into_buffer(op.scalar.name):
        return None
    for k, x in enumerate(node.inputs):
        if x.type.dtype == out.type.dtype and x.type.ndim == out.type.ndim and _can_destroy(fgraph, node, k):
            args, inputs = [], []
            for v in node.inputs:
                if isinstance(v, Constant) and v.type.ndim == 0:
                    args.append(("const", v.data, None) if getattr(v, "weak", False)
                                else ("const", v.data.item(), v.type.dtype))
                else:
                    args.append(("in", len(inputs)))
                    inputs.append(v)
            dk = inputs.index(x)
            prog = ScalarProgram(tuple(v.type.dtype for v in inputs), (Step(op.scalar.name, tuple(args), out.type.dtype),),
                                 (("step", 0),))
            return Fused(prog, (dk,)).make_node(*inputs)
    return None


def _fused_inplace(fgraph: FunctionGraph, node: Apply) -> Optional[Apply]:
    op: Fused = node.op
    if op.destroy:
        return None
    dtypes = {s.dtype for s in op.program.steps}
    ndim = max(o.type.ndim for o in node.outputs)
    ks = [k for k, x in enumerate(node.inputs)
          if x.type.dtype in dtypes and x.type.ndim == ndim and _can_destroy(fgraph, node, k)]
    if not ks:
        return None
    return op.with_destroy(ks).make_node(*node.inputs)


def _incsubtensor_inplace(fgraph: FunctionGraph, node: Apply) -> Optional[Apply]:
    op: IncSubtensor = node.op
    if op.inplace or not _can_destroy(fgraph, node, 0):
        return None
    return IncSubtensor(op.template, op.set_instead_of_inc, inplace=True).make_node(*node.inputs)


def inplace(fgraph: FunctionGraph) -> None:
    """Let element-wise, fused and set/inc-subtensor nodes overwrite dying inputs."""
    for node in list(fgraph.toposort()):
        if isinstance(node.op, Elemwise):
            new = _elemwise_inplace(fgraph, node)
        elif isinstance(node.op, Fused):
            new = _fused_inplace(fgraph, node)
        elif isinstance(node.op, IncSubtensor):
            new = _incsubtensor_inplace(fgraph, node)
        else:
            continue
        if new is None:
            continue
        new.trace = node.trace
        new.tag["fused_from"] = node.tag.get("fused_from", [node])
        for old, nv in zip(node.outputs, new.outputs):
            nv.name = old.name
            fgraph.replace(old, nv, reason="inplace")


REWRITES = [
    RewriteSpec("inplace", inplace, stage="inplace", kind="global", tags=("inplace",),
                doc="ops overwrite inputs nothing reads afterwards (never inputs, shared values or constants)"),
]
