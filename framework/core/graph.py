"""The graph: variables, constants, apply nodes; walking, cloning and replacing.

A :class:`Variable` is a symbolic value of some :class:`~framework.core.types.Type`.
Its ``owner`` is the :class:`Apply` node that computes it (None for inputs,
constants and shared variables). An Apply node links an op to its input and
output variables and remembers the line of user code that built it.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from ..config import config as _config
from .errors import Trace, user_trace

_ids = itertools.count()


class Tag(dict):
    """A node's or variable's notes: a dict whose keys read as attributes too
    (``x.tag.test_value``, Theano's spelling, is ``x.tag['test_value']``)."""

    __slots__ = ()

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"tag has no {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        self.pop(key, None)


class Variable:
    """A symbolic value. ``bool(var)`` is True, as in Theano."""

    __slots__ = ("type", "owner", "index", "name", "tag", "_id", "__weakref__")

    def __init__(self, type, owner: Optional["Apply"] = None, index: Optional[int] = None, name: Optional[str] = None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.tag: Dict[str, Any] = Tag()
        self._id = next(_ids)

    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def ndim(self) -> int:
        return self.type.ndim

    def clone(self) -> "Variable":
        """A new root variable of the same type and name (no owner)."""
        v = type(self).__new__(type(self))
        Variable.__init__(v, self.type, None, None, self.name)
        v.tag = Tag(self.tag)
        return v

    def __repr__(self) -> str:
        if self.name:
            return self.name
        if self.owner is not None:
            out = f"{self.owner.op}.out" if len(self.owner.outputs) == 1 else f"{self.owner.op}.{self.index}"
            return out
        return f"<{self.type}>"

    __str__ = __repr__

    def __hash__(self) -> int:
        return self._id

    def __eq__(self, other: Any) -> bool:
        return self is other

    def __getstate__(self) -> Dict[str, Any]:
        from .pickling import variable_state

        return variable_state(self)

    def __setstate__(self, state: Dict[str, Any]) -> None:
        from .pickling import set_variable_state

        set_variable_state(self, state, fresh_id=next(_ids))  # identity numbers are per process


class Constant(Variable):
    """A variable with a fixed value. ``weak`` marks Python scalars, which
    (as in NumPy 2) do not upcast the arrays they are combined with."""

    __slots__ = ("data", "weak")

    def __init__(self, type, data: Any, name: Optional[str] = None, weak: bool = False):
        super().__init__(type, None, None, name)
        self.data = data
        self.weak = weak

    def clone(self) -> "Constant":
        return self

    def signature(self):
        import numpy as np

        arr = np.asarray(self.data)
        return (self.type, arr.tobytes() if arr.size < 256 else id(self.data), self.weak)

    def __repr__(self) -> str:
        if self.name:
            return self.name
        import numpy as np

        arr = np.asarray(self.data)
        if arr.ndim == 0:
            return repr(arr.item())
        return f"constant{arr.shape}" if arr.size > 6 else str(arr.tolist())


class Apply:
    """One application of an op to input variables, producing output variables."""

    __slots__ = ("op", "inputs", "outputs", "trace", "tag")

    def __init__(self, op, inputs: Sequence[Variable], output_types: Sequence[Any], trace: Trace = None):
        self.op = op
        self.inputs = list(inputs)
        self.trace = trace if trace is not None else user_trace()
        self.tag: Dict[str, Any] = Tag()
        self.outputs = []
        for i, t in enumerate(output_types):
            v = t.make_variable()
            v.owner = self
            v.index = i
            self.outputs.append(v)
        test_values = _config.compute_test_value
        if test_values != "off":  # Theano's debugging aid: run the node now (framework/core/test_value.py)
            from .test_value import compute_test_values

            compute_test_values(self, test_values)

    @property
    def out(self) -> Variable:
        return self.outputs[0]

    def __getstate__(self) -> Dict[str, Any]:
        from .pickling import variable_state

        return variable_state(self)

    def __setstate__(self, state: Dict[str, Any]) -> None:
        from .pickling import set_variable_state

        set_variable_state(self, state)

    def clone_with_new_inputs(self, inputs: Sequence[Variable], strict: bool = True) -> "Apply":
        """Apply the same op to new inputs, keeping the user's line.

        The op's ``make_node`` re-runs its type rule; with ``strict`` the new
        outputs must have the same types as the old ones.
        """
        node = self.op.make_node(*inputs)
        node.trace = self.trace
        if strict:
            for old, new in zip(self.outputs, node.outputs):
                if not old.type.is_compatible(new.type) and not new.type.is_compatible(old.type):
                    raise TypeError(f"re-applying {self.op} changed output type {old.type} -> {new.type}")
        for old, new in zip(self.outputs, node.outputs):
            new.name = old.name
        return node

    def __repr__(self) -> str:
        return f"{self.op}({', '.join(map(repr, self.inputs))})"


def ancestors(outputs: Iterable[Variable], blockers: Optional[Iterable[Variable]] = None,
              inputs_in_order: bool = False) -> List[Variable]:
    """Every variable that ``outputs`` depend on (stopping at ``blockers``), depth first from the
    last output. A node's inputs are visited last to first, or first to last with
    ``inputs_in_order`` (Theano's order, which ``theano.gof.graph`` lists)."""
    blocked = set(blockers or ())
    seen, order, stack = set(), [], list(outputs)
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        order.append(v)
        if v.owner is not None and v not in blocked:
            stack.extend(reversed(v.owner.inputs) if inputs_in_order else v.owner.inputs)
    return order


def inputs_of(outputs: Iterable[Variable], blockers: Optional[Iterable[Variable]] = None) -> List[Variable]:
    """The root variables (no owner, or blocked) that ``outputs`` depend on."""
    blocked = set(blockers or ())
    return [v for v in ancestors(outputs, blocked) if v.owner is None or v in blocked]


def toposort(outputs: Iterable[Variable], blockers: Optional[Iterable[Variable]] = None) -> List[Apply]:
    """Apply nodes needed for ``outputs``, each after the nodes computing its inputs.

    A cycle (only a faulty rewrite can make one) is an error, not an endless loop."""
    blocked = set(blockers or ())
    order: List[Apply] = []
    done = set()
    open_: set = set()  # expanded, not done: the current path
    for out in outputs:
        stack = [(out, False)]
        while stack:
            v, expanded = stack.pop()
            node = v.owner
            if node is None or v in blocked or node in done:
                continue
            if expanded:
                open_.discard(node)
                done.add(node)
                order.append(node)
                continue
            if node in open_:
                raise RuntimeError(f"the graph has a cycle through op '{node.op}' "
                                   f"(a rewrite produced it; please report this)")
            open_.add(node)
            stack.append((v, True))
            for i in reversed(node.inputs):
                if i.owner is not None and i.owner not in done and i not in blocked:
                    stack.append((i, False))
    return order


# Tag entries that describe a variable through the variables it was computed from (its shape
# signature, ``shape_sig``; its memoised symbolic sizes, ``shape_infer``). A copy with some
# ancestors replaced must not inherit them: they would name the replaced variables, so a size
# could look equal to another that is not (``replace={x: x[1:]}``), or unrelated to one it equals.
DERIVED_TAGS = ("_shape_sig", "_shape_i")


def clone_replace(
    outputs: Sequence[Variable],
    replace: Optional[Dict[Variable, Variable]] = None,
    strict: bool = False,
) -> List[Variable]:
    """Copy the graph of ``outputs`` with the variables of ``replace`` swapped in.

    Nodes whose inputs do not change are copied too (so later in-place edits of
    the copy never touch the user's graph); root variables are kept. With
    replacements, the copies' shape memos (:data:`DERIVED_TAGS`) are not
    carried over: they are computed again from the copy.
    """
    memo: Dict[Variable, Variable] = dict(replace or {})
    drop = DERIVED_TAGS if replace else ()
    for node in toposort(outputs, blockers=memo.keys()):
        new_inputs = [memo.get(i, i) for i in node.inputs]
        new = node.clone_with_new_inputs(new_inputs, strict=strict)
        for old, nv in zip(node.outputs, new.outputs):
            nv.tag = Tag(old.tag)
            for key in drop:
                nv.tag.pop(key, None)
            memo[old] = nv
    return [memo.get(o, o) for o in outputs]


def graph_inputs(outputs: Sequence[Variable]) -> List[Variable]:
    return inputs_of(outputs)


def io_toposort(inputs: Sequence[Variable], outputs: Sequence[Variable]) -> List[Apply]:
    return toposort(outputs, blockers=inputs)


def apply_map(fn: Callable[[Apply], Any], outputs: Sequence[Variable]) -> List[Any]:
    return [fn(n) for n in toposort(outputs)]
