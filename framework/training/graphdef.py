"""A compiled function's graph as a TensorBoard ``GraphDef`` (the Graphs tab).

:func:`graph_def` turns the rewritten graph of a compiled function
(``function.maker.fgraph``: what actually runs) into the protocol buffer
TensorBoard's Graphs tab draws, using tensorboardX's copy of the protos --
no other framework is needed. Each node carries:

* its op (``op``), as the node's type in TensorBoard's info card;
* ``dtype`` and ``shape`` of its outputs (``None`` entries are sizes known
  only at run time, shown as ``?``), and ``_output_shapes``, which
  TensorBoard uses to label the edges with tensor shapes;
* for a fused element-wise node, ``program``: its scalar program
  (``t0 = neg(i0); t1 = softplus(t0); ... -> t3``);
* ``built_at``: the line of the user's script that built the node, if known.

Inputs appear as ``inputs/<name>``, shared variables as ``shared/<name>``,
constants as ``constants/<value>``; each output and each update gets a node
(``outputs/<k>``, ``updates/<shared name>``) so the graph shows where the
results go. Node names are unique and made of ``[A-Za-z0-9_./-]``, as
TensorBoard expects.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

__all__ = ["graph_def"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_./-]+")


def _clean(text: str, fallback: str) -> str:
    text = _UNSAFE.sub("_", str(text)).strip("_./-")
    return text or fallback


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + ")"


def graph_def(function: Any) -> Any:
    """The ``tensorboardX.proto.graph_pb2.GraphDef`` of a compiled ``function``."""
    from .tensorboard import import_tensorboardx

    import_tensorboardx()
    from tensorboardX.proto.attr_value_pb2 import AttrValue
    from tensorboardX.proto.graph_pb2 import GraphDef
    from tensorboardX.proto.node_def_pb2 import NodeDef
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboardX.proto.versions_pb2 import VersionDef

    from ..core.graph import Constant
    from ..core.shared import SharedVariable

    fgraph = function.maker.fgraph
    names: Dict[Any, str] = {}  # variable -> "node" or "node:k"
    used: Dict[str, int] = {}
    nodes: List[Any] = []

    def unique(name: str) -> str:
        count = used.get(name, 0)
        used[name] = count + 1
        return name if count == 0 else f"{name}_{count}"

    def shape_proto(var: Any) -> Any:
        shape = getattr(getattr(var, "type", None), "shape", None)
        if shape is None:
            return TensorShapeProto(unknown_rank=True)
        return TensorShapeProto(dim=[TensorShapeProto.Dim(size=-1 if s is None else int(s)) for s in shape])

    def attrs(outputs: List[Any], extra: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        dtypes = ", ".join(str(getattr(getattr(v, "type", None), "dtype", "?")) for v in outputs)
        shapes = ", ".join(_shape_text(getattr(getattr(v, "type", None), "shape", None)) for v in outputs)
        result = {
            "dtype": AttrValue(s=dtypes.encode()),
            "shape": AttrValue(s=shapes.encode()),
            "_output_shapes": AttrValue(list=AttrValue.ListValue(shape=[shape_proto(v) for v in outputs])),
        }
        for key, value in (extra or {}).items():
            result[key] = AttrValue(s=str(value).encode())
        return result

    def source(var: Any) -> str:
        """The node name (with ``:k`` for a later output) that produces ``var``, made on first use."""
        if var in names:
            return names[var]
        if isinstance(var, SharedVariable):
            name = unique("shared/" + _clean(var.name or "", "shared"))
            kind = "SharedVariable"
        elif isinstance(var, Constant):
            value = getattr(var, "data", None)
            text = repr(value.item() if hasattr(value, "item") and getattr(value, "size", 2) == 1 else value)
            name = unique("constants/" + _clean(text[:40], "constant"))
            kind = "Const"
        else:
            name = unique("inputs/" + _clean(getattr(var, "name", None) or "", "input"))
            kind = "Input"
        nodes.append(NodeDef(name=name, op=kind, attr=attrs([var])))
        names[var] = name
        return name

    for position, apply in enumerate(fgraph.toposort()):
        op = apply.op
        op_name = _clean(getattr(op, "name", None) or type(op).__name__, "op")
        inputs = [source(v) for v in apply.inputs]
        extra: Dict[str, str] = {"op": str(op)}
        program = getattr(op, "program", None)
        if program is not None and hasattr(program, "describe"):
            extra["program"] = program.describe()
        trace = getattr(apply, "trace", None)
        if trace:
            extra["built_at"] = str(trace if isinstance(trace, str) else trace[0] if isinstance(trace, (list, tuple)) else trace)
        label = _clean(getattr(apply.outputs[0], "name", None) or "", "")
        name = unique(f"{op_name}_{position}" + (f"/{label}" if label else ""))
        nodes.append(NodeDef(name=name, op=op_name, input=inputs, attr=attrs(list(apply.outputs), extra)))
        for k, out in enumerate(apply.outputs):
            names[out] = name if k == 0 else f"{name}:{k}"

    n_outputs = len(function.outputs)
    targets = getattr(fgraph, "update_of", {}) or {}
    for k, var in enumerate(fgraph.outputs):
        if k < n_outputs:
            name = unique(f"outputs/{k}")
            kind = "Output"
        else:
            target = targets.get(k)
            name = unique("updates/" + _clean(getattr(target, "name", None) or "", f"update_{k - n_outputs}"))
            kind = "Update"
        nodes.append(NodeDef(name=name, op=kind, input=[source(var)], attr=attrs([var])))
    return GraphDef(node=nodes, versions=VersionDef(producer=22))
