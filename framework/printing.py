"""Printing graphs: ``pp`` (one readable line) and ``debugprint`` (a tree)."""
from __future__ import annotations

import io
import sys
from typing import Any, Dict, List, Optional, Sequence, TextIO, Union

from .core.errors import expression as pp
from .core.graph import Constant, Variable
from .core.shared import SharedVariable


def _ids() -> Any:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    n = 0
    while True:
        q, r = divmod(n, 26)
        yield (letters[q - 1] if q else "") + letters[r]
        n += 1


def debugprint(obj: Any, file: Optional[TextIO] = None, print_type: bool = True, depth: int = -1,
               ids: str = "CHAR") -> Optional[str]:
    """Print the graph of a variable, a list of variables or a compiled function as a tree.

    Each line shows the op (or the variable's name), an id (the same id marks a
    shared sub-expression; its subtree is printed once), the type and the
    variable's name. With ``file='str'`` the text is returned instead.
    """
    from .core.function import Function

    out = io.StringIO()
    idgen = _ids()
    seen: Dict[Variable, str] = {}
    inner: List[Any] = []

    def label(v: Variable) -> str:
        if v not in seen:
            seen[v] = next(idgen)
        return seen[v]

    def line(v: Variable, prefix: str, level: int) -> None:
        first = v not in seen
        vid = label(v)
        t = f" <{v.type}>" if print_type else ""
        name = f" '{v.name}'" if v.name else ""
        if v.owner is None:
            if isinstance(v, SharedVariable):
                head = f"{v.name or 'shared'} [id {vid}]{t} (shared)"
            elif isinstance(v, Constant):
                head = f"{v!r} [id {vid}]{t}"
            else:
                head = f"{v.name or '<input>'} [id {vid}]{t}"
            out.write(f"{prefix}{head}\n")
            return
        op = v.owner.op
        idx = f".{v.index}" if len(v.owner.outputs) > 1 else ""
        out.write(f"{prefix}{op}{idx} [id {vid}]{t}{name}{'' if first else ' ...'}\n")
        if hasattr(op, "inner_outputs") and op not in inner:
            inner.append(op)
        if not first or depth == level:
            return
        child_prefix = (prefix[:-1] + "|" if prefix.endswith("|") else prefix) + " |"
        for i in v.owner.inputs:
            line(i, child_prefix, level + 1)

    if isinstance(obj, Function):
        fg = obj.maker.fgraph
        n = len(obj.outputs)
        for v in fg.outputs[:n]:
            line(v, "", 0)
        targets = getattr(fg, "update_of", {})
        for k, v in enumerate(fg.outputs[n:]):
            target = targets.get(n + k)
            heading = f"update of {target.name or 'shared variable'}" if target is not None else f"update {k}"
            out.write(f"{heading}:\n")
            line(v, " ", 0)
    else:
        vs = obj if isinstance(obj, (list, tuple)) else [obj]
        for v in vs:
            line(v, "", 0)
    for op in inner:
        out.write(f"\nInner graph of {op}:\n")
        for v in op.inner_outputs:
            line(v, " ", 0)
    text = out.getvalue()
    if file == "str":
        return text
    (file or sys.stdout).write(text)
    return None
