"""Shapes read from an op's own declaration, and the checks a rewrite must keep.

An op declares two shape facts next to ``make_node`` (see :class:`~framework.core.op.Op`):

* ``infer_shape(node, input_shapes)``: the symbolic output shapes (int64
  scalar variables or ints) from the input shapes;
* ``shape_constraints(node)``: the sizes its kernel checks at run time that
  ``make_node`` could not prove, as ``(kind, a, b)`` records where ``a`` and
  ``b`` are ``(input index, axis)`` (``axis`` None: the value of an integer
  scalar input) or a plain int (a size known when building), and ``kind`` is
  ``"equal"``, ``"broadcast"`` (equal or either is 1), ``"to"`` (``a``
  broadcasts to ``b``: equal or ``a`` is 1), ``"at_most"`` (``a <= b``: a
  loop's step count and its sequences' lengths; ``0 <= a`` for a size that
  must not be negative) or ``"index"`` (``-b <= a < b``: an integer index
  ``a`` into an axis of size ``b``).

An output size that ``infer_shape`` cannot give without running the node is
given as that very size, ``shape_i(node.outputs[j], k)``: readers see that it
names the node's own output (the ``shape_i`` lift leaves it alone, a shape
signature gets a fresh token for it).

Reading a node's output shape from its inputs (the ``shape_i`` lift, a
constant for a static shape) makes the node itself dead, and with it the
check its kernel did. :func:`keep_checks` keeps that check as a
:class:`CheckShapes` node wherever the sizes are not proven equal, so a
rewrite never turns a program that fails into one that returns a
wrong-shaped result.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import NodeRuntimeError, ShapeError, Trace, format_trace
from .graph import Apply, Variable
from .op import Op
from .types import TensorType
from .variable import as_tensor_variable, constant

Side = Union[int, Tuple[int, Optional[int]]]
Constraint = Tuple[str, Side, Side]


def input_shapes(node: Apply, cached: bool = False) -> List[Tuple[Any, ...]]:
    """Each input's shape: ints where static, else ``shape_i(x, k)`` variables.

    ``cached`` reuses one ``shape_i`` variable per (input, axis): only for
    reading shapes (signatures), never for variables put into a graph.
    """
    from .shape_ops import Shape_i

    out = []
    for x in node.inputs:
        if not isinstance(x.type, TensorType):
            out.append(())
            continue
        memo = x.tag.setdefault("_shape_i", {}) if cached else {}
        dims = []
        for k, d in enumerate(x.type.shape):
            if d is None:
                d = memo.get(k)
                if d is None:
                    d = memo[k] = Shape_i(k)(x)
            dims.append(d)
        out.append(tuple(dims))
    return out


def infer_shapes(node: Apply, cached: bool = False) -> Optional[List[Tuple[Any, ...]]]:
    """The op's ``infer_shape`` for ``node``, or None when it declares none."""
    return node.op.infer_shape(node, input_shapes(node, cached))


def as_dim(d: Any) -> Variable:
    """An inferred size as an int64 scalar variable."""
    from .elemwise import cast

    if isinstance(d, (int, np.integer)):
        return constant(np.int64(d))
    return d if d.type.dtype == "int64" else cast(d, "int64")


# --- run-time size checks ------------------------------------------------------------

class ShapeCheckError(NodeRuntimeError, ShapeError):
    """Sizes that a removed node would have rejected when run."""


class IndexCheckError(ShapeCheckError, IndexError):
    """An index that a removed node would have rejected when run (NumPy's ``IndexError``)."""


class _IndexShapeError(ShapeError, IndexError):
    """What the generated check raises for an ``"index"`` constraint."""


_RELATION = {"equal": "must equal", "broadcast": "must broadcast with", "to": "must broadcast to",
             "at_most": "must be at most", "index": "must be an index into"}


def _size_text(side: Side) -> str:
    """The expression of one side of a constraint inside :class:`CheckShapes`' generated check."""
    if isinstance(side, (int, np.integer)):
        return str(int(side))
    i, axis = side
    return f"int(values[{i}])" if axis is None else f"values[{i}].shape[{axis}]"


def _fits(kind: str, a: Any, b: Any) -> bool:
    """Whether sizes ``a`` and ``b`` satisfy ``kind``; also used on signature tokens (equal
    tokens are equal sizes, an int is a known size), where False means "not proven"."""
    ints = isinstance(a, (int, np.integer)) and isinstance(b, (int, np.integer))
    if kind == "at_most":
        return a == b or (ints and a <= b)
    if kind == "index":
        return ints and -b <= a < b
    return a == b or (kind != "equal" and a == 1) or (kind == "broadcast" and b == 1)


class CheckShapes(Op):
    """``value`` unchanged, after checking sizes of a node a rewrite removed.

    Inputs: ``value`` then the removed node's inputs (only their shapes, or an
    integer scalar's value, are read). The error names the removed op, every
    input shape and the user's line that built it.
    """
    complex_grad = True  # structural

    __props__ = ("label", "trace", "constraints")
    reads_only_metadata = True  # shapes of inputs 1.., and the host size it passes on

    def __init__(self, label: str, trace: Trace, constraints: Tuple[Constraint, ...]) -> None:
        self.label, self.trace, self.constraints = label, trace, tuple(constraints)
        self.name = "check_shapes"

    def __str__(self) -> str:
        return f"check_shapes{{{self.label}}}"

    def make_node(self, value: Any, *inputs: Any) -> Apply:
        value = as_tensor_variable(value)
        return Apply(self, [value] + [as_tensor_variable(i) for i in inputs], [value.type])

    def shape_constraints(self, node: Apply) -> List[Constraint]:
        """Its own checks, on its inputs (the constraints name the checked values ``1..``): a shape
        read past this node keeps them (it would otherwise drop the very check it stands for)."""
        def shift(side: Side) -> Side:
            return side if isinstance(side, (int, np.integer)) else (side[0] + 1, side[1])

        return [(kind, shift(a), shift(b)) for kind, a, b in self.constraints]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [input_shapes[0]]

    def make_kernel(self, node: Apply, backend: Any) -> Any:
        """One generated function testing every constraint inline (a node per removed op runs at
        every call, in a scan body at every step: a loop over the constraints cost ~1 us more)."""
        fail = self._fail
        ns: Dict[str, Any] = {"FAIL": fail}
        lines = []
        for j, (kind, a, b) in enumerate(self.constraints):
            ns[f"A{j}"], ns[f"B{j}"] = a, b
            x, y = _size_text(a), _size_text(b)
            if kind == "at_most":  # run-time sizes are ints: _fits' test reduces to <=
                cond = f"{x} <= {y}"
            elif kind == "index":
                cond = f"-{y} <= {x} < {y}"
            elif kind == "equal":
                cond = f"{x} == {y}"
            elif kind == "broadcast":
                cond = f"{x} == {y} or {x} == 1 or {y} == 1"
            else:
                cond = f"{x} == {y} or {x} == 1"
            lines.append(f"    if not ({cond}): FAIL({kind!r}, A{j}, B{j}, values)")
        src = "def check(value, *values):\n" + "\n".join(lines) + "\n    return value\n"
        exec(compile(src, "<framework-check-shapes>", "exec"), ns)
        return ns["check"]

    def impl(self, xp: Any, value: Any, *values: Any) -> Any:
        return self.make_kernel(None, None)(value, *values)  # type: ignore[arg-type]

    def _fail(self, kind: str, a: Side, b: Side, values: Sequence[Any]) -> None:
        def show(side: Side, word: str = "size") -> str:
            if isinstance(side, (int, np.integer)):
                return f"{word} {int(side)}"
            i, axis = side
            v = values[i]
            if axis is None:
                return f"{word} {int(v)} (input {i})"
            return f"{word} {v.shape[axis]} (axis {axis} of input {i})"

        try:
            scalars = {s[0] for s in (a, b) if not isinstance(s, (int, np.integer)) and s[1] is None}
            shapes = " and ".join(
                str(tuple(getattr(v, "shape", ()))) if i not in scalars else str(int(v)) for i, v in enumerate(values))
            msg = (f"op '{self.label}': input shapes {shapes} do not fit: "
                   f"{show(a, 'index' if kind == 'index' else 'size')} {_RELATION[kind]} "
                   f"{show(b)} (node built at {format_trace(self.trace)})")
        except Exception:  # building the message must never fail
            msg = f"op '{self.label}': input shapes do not fit (node built at {self.trace})"
        raise (_IndexShapeError if kind == "index" else ShapeError)(msg)

    def explain_failure(self, node: Apply, exc: BaseException, values: Sequence[Any]) -> Optional[BaseException]:
        """Our own message already names the op, the shapes and the user's line."""
        if not isinstance(exc, ShapeError):
            return None
        return (IndexCheckError if isinstance(exc, IndexError) else ShapeCheckError)(str(exc))

    def grad(self, node: Apply, output_grads: Sequence[Any]) -> List[Any]:
        return [output_grads[0]] + [None] * (len(node.inputs) - 1)

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        return f"check_shapes{{{self.label}}}({', '.join(args)})", 100


def _side_key(node: Apply, side: Side) -> Any:
    from .shape_sig import dim_key, shape_signature

    if isinstance(side, (int, np.integer)):
        return int(side)
    i, axis = side
    x = node.inputs[i]
    return dim_key(x) if axis is None else shape_signature(x)[axis]


def unproven(node: Apply) -> Optional[List[Constraint]]:
    """The node's run-time checks that signatures cannot prove (None: unknown)."""
    cons = node.op.shape_constraints(node)
    if cons is None:
        return None
    return [c for c in cons if not _fits(c[0], _side_key(node, c[1]), _side_key(node, c[2]))]


def _dropped(fgraph: Any, rewritten: Apply, value: Variable) -> List[Apply]:
    """The nodes that stop running when ``rewritten``'s output is replaced by
    ``value``: ancestors whose every client is dropped too. In a graph with a lazy node
    (``ifelse``) a node that keeps other clients may still stop running *on this path* (its
    other reader sits in the branch not taken), so there every ancestor counts as dropped:
    a kept check costs a few comparisons, a lost one turns an error into a result."""
    lazy = getattr(fgraph, "has_lazy", True)
    keep, todo = set(), [value]
    while todo:  # value's new nodes, down to the graph's variables they read
        v = todo.pop()
        if v not in keep:
            keep.add(v)
            if v.owner is not None and v not in fgraph.clients:
                todo += v.owner.inputs
    dropped, out = {rewritten}, []
    frontier = [i.owner for i in rewritten.inputs if i.owner is not None]
    while frontier:
        node = frontier.pop()
        if node in dropped or any(o in keep for o in node.outputs):
            continue
        clients = [c for o in node.outputs for c, _ in fgraph.clients.get(o, ())]
        if not lazy and any(c == "output" or c not in dropped for c in clients):
            continue  # still computed (it comes back here if its last client is dropped)
        dropped.add(node)
        out.append(node)
        frontier += [i.owner for i in node.inputs if i.owner is not None]
    return out


def keep_checks(fgraph: Any, value: Variable, dropped: Variable, rewritten: Apply) -> Optional[Variable]:
    """``value`` (which replaces ``rewritten``, a read of ``dropped``'s shape)
    guarded by the run-time checks of every node that stops running because of
    the replacement; None when such a node's checks are unknown, so the rewrite
    must not apply."""
    checks = []
    for node in _dropped(fgraph, rewritten, value):
        todo = unproven(node)
        if todo is None:
            return None
        if todo:
            checks.append((node, todo))
    for node, todo in checks:
        value = CheckShapes(str(node.op.name), node.trace, tuple(todo))(value, *node.inputs)
    return value


def static_check(op: Op, node_inputs: Sequence[Variable], constraints: Sequence[Constraint]) -> Optional[str]:
    """The first constraint that static sizes already break, described, else None."""
    def known(s: Side) -> Optional[int]:
        if isinstance(s, (int, np.integer)):
            return int(s)
        return node_inputs[s[0]].type.shape[s[1]] if s[1] is not None else None

    def where(s: Side) -> str:
        return "" if isinstance(s, (int, np.integer)) else f" (axis {s[1]} of input {s[0]})"

    for kind, a, b in constraints:
        sa, sb = known(a), known(b)
        if sa is not None and sb is not None and not _fits(kind, sa, sb):
            return f"size {sa}{where(a)} {_RELATION[kind]} size {sb}{where(b)}"
    return None


# --- the broadcast of several sizes ---------------------------------------------------

class BroadcastDim(Op):
    """The size of a broadcast axis from its operands' sizes (the one that is
    not 1). Compatibility is checked by the node it came from (or a
    :class:`CheckShapes` that replaced it), not here."""
    complex_grad = True  # sizes

    name = "broadcast_dim"
    host_bookkeeping = True

    def make_node(self, *dims: Any) -> Apply:
        return Apply(self, [as_dim(d) for d in dims], [TensorType("int64", ())])

    def shape_constraints(self, node: Apply) -> List[Constraint]:
        return []

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [()]

    def make_kernel(self, node: Apply, backend: Any) -> Any:
        def broadcast_dim(*dims: Any) -> Any:
            out = dims[0]
            for d in dims[1:]:
                if out == 1:
                    out = d
            return np.int64(out)

        return broadcast_dim

    def impl(self, xp: Any, *dims: Any) -> Any:
        return self.make_kernel(None, None)(*dims)  # type: ignore[arg-type]

    def grad(self, node: Apply, output_grads: Sequence[Any]) -> List[Any]:
        return [None] * len(node.inputs)


broadcast_dim = BroadcastDim()
