"""FunctionGraph: the graph a compiled function owns, and the place rewrites edit.

It holds the function's inputs (explicit and shared) and outputs, knows each
variable's clients, and replaces variables everywhere at once. Its nodes are
copies of the user's, so rewriting never changes the user's graph.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Set, Tuple

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
        """Make every client of ``old`` use ``new`` instead."""
        if old is new:
            return
        for client, i in list(self.clients.get(old, ())):
            if client == "output":
                self.outputs[i] = new
            else:
                client.inputs[i] = new
        self.history.append((reason, old, new))
        self._dirty()

    def replace_all(self, pairs: Sequence[Tuple[Variable, Variable]], reason: str = "") -> None:
        for old, new in pairs:
            self.replace(old, new, reason)

    def __repr__(self) -> str:
        return f"FunctionGraph({self.inputs} -> {self.outputs}, {len(self.toposort())} nodes)"
