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


# --------------------------------------------------------------------------
# Print: an identity op that prints its value when the function runs
# --------------------------------------------------------------------------

from .core.graph import Apply  # noqa: E402
from .core.op import Op  # noqa: E402


class Print(Op):
    """``Print('message')(x)``: ``x`` unchanged, printing ``message`` and ``x``'s attributes
    (``attrs``, default the value) each time the compiled function computes it. Theano's op."""
    complex_grad = True  # identity

    __props__ = ("message", "attrs")
    view_map = {0: [0]}

    def __init__(self, message: str = "", attrs: Sequence[str] = ("__str__",), global_fn: Any = None) -> None:
        self.message = message
        self.attrs = tuple(attrs)
        self.global_fn = global_fn
        self.name = "Print"

    def __str__(self) -> str:
        return f"Print{{{self.message}}}"

    def make_node(self, x: Any) -> Apply:
        from .core.variable import as_tensor_variable

        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def impl(self, xp: Any, x: Any) -> Any:
        if self.global_fn is not None:
            self.global_fn(self, x)
            return x
        for attr in self.attrs:
            value = getattr(x, attr)
            value = value() if callable(value) else value
            print(self.message, attr, "=", value)
        return x

    def grad(self, node: Apply, output_grads: Sequence[Any]) -> List[Any]:
        return [output_grads[0]]


# --------------------------------------------------------------------------
# pydotprint: a picture of the graph (Graphviz DOT; PNG/SVG when `dot` exists)
# --------------------------------------------------------------------------

def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape_text(t: Any) -> str:
    shape = getattr(t, "shape", None)
    if shape is None:
        return ""
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def graph_to_dot(obj: Any, max_label_size: int = 70) -> str:
    """The Graphviz DOT text of a variable's, a list's or a compiled function's graph.

    Apply nodes are boxes labelled with the op; a fused node also lists its
    scalar program. Variables are ellipses (inputs green, shared variables
    cyan, constants grey, outputs blue) labelled with name, dtype and shape.
    """
    from .core.function import Function
    from .core.graph import toposort

    if isinstance(obj, Function):
        fg = obj.maker.fgraph
        outputs, nodes = list(fg.outputs), fg.toposort()
    else:
        outputs = list(obj) if isinstance(obj, (list, tuple)) else [obj]
        nodes = toposort(outputs)
    ids: Dict[Any, str] = {}
    lines = ["digraph G {", "  rankdir=TB;", '  node [fontname="Helvetica", fontsize=10];']

    def clip(text: str) -> str:
        return text if len(text) <= max_label_size else text[:max_label_size - 3] + "..."

    def var_id(v: Variable) -> str:
        if v in ids:
            return ids[v]
        ids[v] = vid = f"v{len(ids)}"
        t = v.type
        label = f"{v.name or ('shared' if isinstance(v, SharedVariable) else '')}".strip()
        if isinstance(v, Constant):
            label = clip(repr(v))
        desc = f"{getattr(t, 'dtype', t)} {_shape_text(t)}".strip()
        text = f"{label}\n{desc}" if label else desc
        color = ("cyan" if isinstance(v, SharedVariable) else "lightgrey" if isinstance(v, Constant)
                 else "dodgerblue" if v in outputs else "limegreen" if v.owner is None else "white")
        lines.append(f"  {vid} [label={_dot_quote(text)}, shape=ellipse, style=filled, fillcolor={color}];")
        return vid

    for k, node in enumerate(nodes):
        nid = f"n{k}"
        label = clip(str(node.op))
        program = getattr(node.op, "program", None)
        if program is not None and hasattr(program, "describe"):
            label += "\n" + program.describe().replace("; ", "\n")
        lines.append(f"  {nid} [label={_dot_quote(label)}, shape=box, style=filled, fillcolor=white];")
        for j, i in enumerate(node.inputs):
            edge = f' [label="{j}"]' if len(node.inputs) > 1 else ""
            lines.append(f"  {var_id(i)} -> {nid}{edge};")
        for o in node.outputs:
            lines.append(f"  {nid} -> {var_id(o)};")
    for o in outputs:
        var_id(o)
    lines.append("}")
    return "\n".join(lines) + "\n"


def pydotprint(fct: Any, outfile: Optional[str] = None, compact: bool = True, format: str = "png",
               with_ids: bool = False, high_contrast: bool = True, max_label_size: int = 70,
               print_output_file: bool = True, return_image: bool = False, **ignored: Any) -> Optional[str]:
    """Draw the graph of ``fct`` (a compiled function, a variable or a list of variables).

    Always writes the Graphviz DOT text (``outfile`` with a ``.dot`` suffix);
    renders ``outfile`` as PNG/SVG/PDF (``format``, or the suffix of
    ``outfile``) when Graphviz's ``dot`` program is installed, and otherwise
    says so and keeps the DOT file. Returns the path written last (or the
    image bytes with ``return_image``). Theano's other keywords are accepted.
    """
    import os
    import shutil
    import subprocess
    import tempfile

    if outfile is None:
        outfile = f"pydotprint.{format}"
    stem, suffix = os.path.splitext(outfile)
    fmt = suffix[1:].lower() if suffix else format
    text = graph_to_dot(fct, max_label_size)
    dot_path = stem + ".dot" if fmt != "dot" else outfile
    folder = os.path.dirname(os.path.abspath(dot_path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".pydotprint-")  # atomic: never a half-written file
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, dot_path)
    if fmt == "dot":
        if print_output_file:
            print(f"The output file is available at {dot_path}")
        return text.encode() if return_image else dot_path
    program = shutil.which("dot")
    if program is None:
        print(f"pydotprint: Graphviz's `dot` program is not installed, so no {fmt.upper()} was made; the graph "
              f"is in {dot_path} (install Graphviz, then run `dot -T{fmt} {dot_path} -o {stem}.{fmt}`)",
              file=sys.stderr)
        return None if return_image else dot_path
    image = f"{stem}.{fmt}"
    done = subprocess.run([program, f"-T{fmt}", dot_path, "-o", image], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pydotprint: `dot -T{fmt}` failed on {dot_path}: {done.stderr.strip()}")
    if print_output_file:
        print(f"The output file is available at {image}")
    if return_image:
        with open(image, "rb") as fh:
            return fh.read()
    return image
