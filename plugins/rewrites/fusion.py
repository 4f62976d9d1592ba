"""Fusion: connected groups of element-wise nodes become one ``Fused`` node.

A group grows from a node, taking in the element-wise producers of its
inputs and element-wise readers of its results, unless a node outside the group would then both read a result of the
group and feed one of its members (a cycle). Results read outside the group
are also outputs of the fused node. The fused node carries the group's
scalar program (:mod:`framework.core.fusion`): the NumPy backend runs it as one
generated function that reuses buffers, the CuPy backend compiles it into one
kernel.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Set

from framework.core.elemwise import Elemwise
from framework.core.fgraph import FunctionGraph
from framework.core.fusion import Fused, Ref, ScalarProgram, Step
from framework.core.graph import Apply, Constant, Variable
from framework.core.ifelse import branch_blocks
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


def _grow(root: Apply, fgraph: FunctionGraph, pos: Dict[Apply, int],
          blocks: Optional[Dict[Apply, Any]] = None) -> Set[Apply]:
    """The group around ``root``: element-wise producers of its inputs and
    element-wise readers of its results, as long as the group stays acyclic and, in a graph
    with lazy nodes (``ifelse``), within ``root``'s branch (``blocks``): a fused node with work
    from a branch and from outside it would run that work -- and raise its errors -- whichever
    branch is taken."""
    clients = fgraph.clients
    blocks = blocks or {}
    home = blocks.get(root)
    blocked = set(fgraph.inputs)
    group = {root}
    n_inputs = len({v for v in root.inputs if not _inline(v)})
    end = pos[root]
    changed = True
    while changed:
        changed = False
        for node in sorted(group, key=pos.get, reverse=True):
            candidates = [v.owner for v in node.inputs if v.owner is not None and v not in blocked]
            candidates += [c for o in node.outputs for c, _ in clients.get(o, []) if c != "output"]
            for p in candidates:
                if p in group or not _fusable(p) or blocks.get(p) != home:
                    continue
                new_inputs = {i for i in p.inputs if not _inline(i) and i.owner not in group}
                if len(group) + 1 > MAX_STEPS or n_inputs + len(new_inputs) > MAX_INPUTS:
                    continue
                new_end = max(end, pos[p])
                if not _acyclic(group | {p}, fgraph, pos, new_end):
                    continue  # a node outside the group would feed back into it
                group.add(p)
                n_inputs += len(new_inputs)
                end = new_end
                changed = True
    return group


def _acyclic(group: Set[Apply], fgraph: FunctionGraph, pos: Dict[Apply, int], end: int) -> bool:
    """Whether ``group`` can become one node: no node outside it reads one of its
    results and also feeds one of its members. Readers after the group's last
    node (``end``) cannot; the others are checked by walking back from the
    members' inputs (only through nodes that come after the reader)."""
    early = {c for m in group for o in m.outputs for c, _ in fgraph.clients.get(o, [])
             if c != "output" and c not in group and pos[c] < end}
    if not early:
        return True
    first = min(pos[c] for c in early)
    seen: Set[Apply] = set()
    stack = [v.owner for m in group for v in m.inputs if v.owner is not None and v.owner not in group]
    while stack:
        n = stack.pop()
        if n in seen or pos[n] < first:
            continue
        if n in early:
            return False
        seen.add(n)
        stack.extend(v.owner for v in n.inputs if v.owner is not None and v.owner not in group)
    return True


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
    """Replace groups of two or more element-wise nodes by ``Fused`` nodes.

    Groups are formed from the last node backwards and each is fused before
    the next is grown, so every acyclicity check sees the graph as it is
    (two groups checked only against the unfused graph could feed each other).
    """
    tried: Set[Apply] = set()
    while True:
        order = fgraph.toposort()
        pos = {n: i for i, n in enumerate(order)}
        blocks = branch_blocks(order, fgraph.clients) if fgraph.has_lazy else None
        for root in reversed(order):
            if root in tried or not _fusable(root):
                continue
            tried.add(root)
            group = _grow(root, fgraph, pos, blocks)
            if len(group) >= 2:
                _fuse(fgraph, root, group, pos)
                break
        else:
            return


def _fuse(fgraph: FunctionGraph, root: Apply, group: Set[Apply], pos: Dict[Apply, int]) -> None:
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
