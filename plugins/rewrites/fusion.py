"""Fusion: connected groups of element-wise nodes become one ``Fused`` node.

A group grows from a node towards its inputs, taking in an element-wise
producer when every reader of the producer's result is in the group, or comes
after the group's last node (then the result is also an output of the fused
node). Both rules keep the graph acyclic. The fused node carries the group's
scalar program (:mod:`framework.core.fusion`): the NumPy backend runs it as one
generated function that reuses buffers, the CuPy backend compiles it into one
kernel.
"""
from __future__ import annotations

from typing import Dict, List, Set

from framework.core.elemwise import Elemwise
from framework.core.fgraph import FunctionGraph
from framework.core.fusion import Fused, Ref, ScalarProgram, Step
from framework.core.graph import Apply, Constant, Variable
from framework.core.types import TensorType
from framework.plugins import RewriteSpec

MAX_INPUTS = 31
MAX_STEPS = 64


def _fusable(node: Apply) -> bool:
    return isinstance(node.op, Elemwise) and all(
        isinstance(v.type, TensorType) for v in node.inputs + node.outputs)


def _inline(v: Variable) -> bool:
    """A scalar constant written into the program instead of being an input."""
    return isinstance(v, Constant) and v.type.ndim == 0


def _grow(root: Apply, fgraph: FunctionGraph, pos: Dict[Apply, int], taken: Set[Apply]) -> Set[Apply]:
    clients = fgraph.clients
    blocked = set(fgraph.inputs)
    group = {root}
    n_inputs = len({v for v in root.inputs if not _inline(v)})
    changed = True
    while changed:
        changed = False
        for node in sorted(group, key=pos.get, reverse=True):
            for v in node.inputs:
                p = v.owner
                if p is None or p in group or p in taken or v in blocked or not _fusable(p):
                    continue
                readers = [c for c, _ in clients.get(v, []) if c != "output" and c not in group]
                if any(pos[c] < pos[root] for c in readers):
                    continue  # a reader before the group's end could feed back into it
                new_inputs = {i for i in p.inputs if not _inline(i)}
                if len(group) + 1 > MAX_STEPS or n_inputs + len(new_inputs) > MAX_INPUTS:
                    continue
                group.add(p)
                n_inputs += len(new_inputs)
                changed = True
    return group


def _program(members: List[Apply], group: Set[Apply], fgraph: FunctionGraph):
    """The scalar program, the external inputs and the exported variables of a group."""
    refs: Dict[Variable, Ref] = {}
    inputs: List[Variable] = []
    steps: List[Step] = []
    for node in members:
        args = []
        for v in node.inputs:
            if v in refs:
                args.append(refs[v])
            elif _inline(v):
                data = v.data
                if getattr(v, "weak", False):
                    args.append(("const", data, None))
                else:
                    args.append(("const", data.item(), v.type.dtype))
            else:
                refs[v] = ("in", len(inputs))
                inputs.append(v)
                args.append(refs[v])
        out = node.outputs[0]
        steps.append(Step(node.op.scalar.name, tuple(args), out.type.dtype))
        refs[out] = ("step", len(steps) - 1)
    clients = fgraph.clients
    exported = [members[-1].outputs[0]] + [
        n.outputs[0] for n in members[:-1]
        if any(c == "output" or c not in group for c, _ in clients.get(n.outputs[0], []))]
    prog = ScalarProgram(tuple(v.type.dtype for v in inputs), tuple(steps), tuple(refs[v] for v in exported))
    return prog, inputs, exported


def fuse_elemwise(fgraph: FunctionGraph) -> None:
    """Replace groups of two or more element-wise nodes by ``Fused`` nodes."""
    order = fgraph.toposort()
    pos = {n: i for i, n in enumerate(order)}
    taken: Set[Apply] = set()
    plans = []
    for root in reversed(order):
        if root in taken or not _fusable(root):
            continue
        group = _grow(root, fgraph, pos, taken)
        if len(group) < 2:
            continue
        taken |= group
        plans.append((root, group))
    for root, group in plans:
        members = sorted(group, key=pos.get)
        prog, inputs, exported = _program(members, group, fgraph)
        node = Fused(prog).make_node(*inputs)
        node.trace = root.trace
        node.tag["fused_from"] = members  # run-time errors name the original op and line
        for old, new in zip(exported, node.outputs):
            new.name = old.name
            fgraph.replace(old, new, reason="fuse_elemwise")


REWRITES = [
    RewriteSpec("fuse_elemwise", fuse_elemwise, stage="fusion", kind="global", tags=("fusion",),
                doc="chains of element-wise ops -> one Fused node (one kernel, reused buffers)"),
]
