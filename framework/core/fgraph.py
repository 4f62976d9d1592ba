"""FunctionGraph: the graph a compiled function owns, and the place rewrites edit.

It holds the function's inputs (explicit and shared) and outputs, knows each
variable's clients, and replaces variables everywhere at once. Its nodes are
copies of the user's, so rewriting never changes the user's graph.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Set, Tuple

import numpy as np

from .graph import Apply, Variable, ancestors, toposort

Client = Tuple[object, int]  # (Apply, input index) or ("output", output index)


class FunctionGraph:
    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable]) -> None:
        self.inputs: List[Variable] = list(inputs)
        self.outputs: List[Variable] = list(outputs)
        self._order: Optional[List[Apply]] = None
        self._clients: Optional[Dict[Variable, List[Client]]] = None
        self.history: List[Tuple[str, Variable, Variable]] = []

    # --- structure --------------------------------------------------------
    def toposort(self) -> List[Apply]:
        if self._order is None:
            self._order = toposort(self.outputs, blockers=self.inputs)
        return self._order

    @property
    def has_lazy(self) -> bool:
        """Whether the graph holds a lazy node (``ifelse``), read once and kept: rewrites never
        add one, so after that it can only say True of a graph that lost its last lazy node --
        the cautious answer for what asks it (the shape checks a rewrite keeps)."""
        cached = self.__dict__.get("_has_lazy")
        if cached is None:
            cached = self.__dict__["_has_lazy"] = any(getattr(n.op, "lazy", False) for n in self.toposort())
        return cached

    @property
    def apply_nodes(self) -> Set[Apply]:
        return set(self.toposort())

    @property
    def variables(self) -> Set[Variable]:
        return set(ancestors(self.outputs, self.inputs))

    @property
    def clients(self) -> Dict[Variable, List[Client]]:
        if self._clients is None:
            clients: Dict[Variable, List[Client]] = {}
            for node in self.toposort():
                for i, v in enumerate(node.inputs):
                    clients.setdefault(v, []).append((node, i))
            for i, v in enumerate(self.outputs):
                clients.setdefault(v, []).append(("output", i))
            self._clients = clients
        return self._clients

    def _dirty(self) -> None:
        self._order = None
        self._clients = None

    # --- editing -----------------------------------------------------------
    def replace(self, old: Variable, new: Variable, reason: str = "") -> None:
        """Make every client of ``old`` use ``new`` instead.

        A *weak* constant (a Python scalar, which NumPy 2 lets the other operand's dtype
        win against) never replaces a variable that is not weak: it becomes a constant of
        ``old``'s dtype. Otherwise ``x * fill(s, 2.5)`` (float32 ``x``, 0-d float32 ``s``:
        a float64 product) became ``x * 2.5`` after ``fill(m, v) -> v``, a float32 result
        under a float64 type."""
        if old is new:
            return
        if getattr(new, "weak", False) and not getattr(old, "weak", False) and getattr(old.type, "ndim", None) == 0:
            new = _strong(new, old)
        clients = self.clients
        moved = clients.pop(old, [])
        new_was_in = bool(clients.get(new))
        for client, i in moved:
            if client == "output":
                self.outputs[i] = new
            else:
                client.inputs[i] = new
        clients.setdefault(new, []).extend(moved)
        # keep the client lists up to date instead of recomputing them (a rewrite
        # pass replaces many variables): register the new nodes, drop dead ones
        if not new_was_in:
            self._add_clients(new)
        if old.owner is not None and not any(clients.get(o) for o in old.owner.outputs):
            self._drop_node(old.owner)
        self.history.append((reason, old, new))
        self._order = None

    def _add_clients(self, v: Variable) -> None:
        """Record the clients of the nodes computing ``v`` that are new to the graph."""
        clients, blocked, seen = self._clients, set(self.inputs), set()
        stack = [v]
        while stack:
            w = stack.pop()
            node = w.owner
            if node is None or node in seen:
                continue
            seen.add(node)
            if node.inputs and any(c is node for c, _ in clients.get(node.inputs[0], ())):
                continue  # already registered (through another of its outputs: a used one, or
                # one replaced earlier whose client list is empty -- not a reason to add it twice)
            for j, u in enumerate(node.inputs):
                known = bool(clients.get(u))
                clients.setdefault(u, []).append((node, j))
                if not known and u not in blocked:
                    stack.append(u)

    def _drop_node(self, node: Apply) -> None:
        """Forget a node none of whose outputs is used, and the nodes only it used."""
        clients, stack = self._clients, [node]
        while stack:
            n = stack.pop()
            for o in n.outputs:
                clients.pop(o, None)
            for j, u in enumerate(n.inputs):
                lst = clients.get(u)
                if lst is None:
                    continue
                lst[:] = [(c, k) for c, k in lst if not (c is n and k == j)]
                if not lst:
                    del clients[u]
                    if u.owner is not None and u not in self.inputs and not any(
                            clients.get(o) for o in u.owner.outputs):
                        stack.append(u.owner)

    def replace_all(self, pairs: Sequence[Tuple[Variable, Variable]], reason: str = "") -> None:
        for old, new in pairs:
            self.replace(old, new, reason)

    def __repr__(self) -> str:
        return f"FunctionGraph({self.inputs} -> {self.outputs}, {len(self.toposort())} nodes)"


def _strong(c: Variable, like: Variable) -> Variable:
    """The weak constant ``c`` as a constant of ``like``'s (0-d) type (the same value)."""
    data = np.array(c.data, dtype=like.type.dtype)
    data.setflags(write=False)
    return type(c)(like.type, data, name=c.name)
