"""A scan body's shapes, read from its graph without running it.

:class:`BodyShapes` walks the body's nodes with each op's own ``infer_shape``
(see :mod:`framework.core.shape_infer`), starting from shapes given for the
inner inputs in another graph, the *target*: the outer graph for
``Scan.infer_shape`` and ``Scan.shape_constraints`` (a sequence row has the
sequence's shape without its first axis, a carry its initial value's, a
non-sequence its own), or a small graph of size placeholders for a loop that
runs no step (:func:`zero_step_shapes`). It gives

* ``shapes[v]`` for each body variable: per axis an int, an int64 scalar of
  the target graph, or None where the size is not known without running the
  body: it depends on values the loop makes (a sequence row's, a carry's, a
  draw's), or on an op without a shape rule (or whose rule cannot tell);
* ``checks``: the sizes the body's ops check when they run (their
  ``shape_constraints``), as ``(kind, size, size)`` in the target graph (a
  size None where it is not known), or None when some op does not say what
  it checks.

A value a size depends on (``T.zeros((k,))``, a draw's ``size=x.shape``) is
computed in the target graph when it is an integer scalar or vector made from
constants, non-sequences and sizes alone; nothing else of the body is (no
draw, no nested loop: a nested loop's shapes come from its own ``infer_shape``).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .graph import Constant, Variable, ancestors, clone_replace, inputs_of, toposort
from .types import TensorType, is_int

Dim = Union[int, Variable, None]


def _size_like(v: Variable) -> bool:
    """An integer scalar or vector: the only body values read into the target graph."""
    t = v.type
    return isinstance(t, TensorType) and t.ndim <= 1 and (is_int(t.dtype) or t.dtype == "bool")


class BodyShapes:
    """Shapes of the variables of the graph ``inputs -> outputs`` (see the module docstring).

    ``in_shapes``: one tuple per input (ints, target int64 scalars, None where not known);
    ``values``: the target variables standing for inputs whose values may be read (the
    non-sequences); other inputs' values (sequence rows, carries) change from step to step.
    """

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
                 in_shapes: Sequence[Sequence[Dim]], values: Dict[Variable, Variable]) -> None:
        self.inner = set(ancestors(outputs)) | set(inputs)
        self.shapes: Dict[Variable, Tuple[Dim, ...]] = {}
        self.memo: Dict[Variable, Optional[Variable]] = dict(values)  # body or target variable -> target value
        for v, shape in zip(inputs, in_shapes):
            self.shapes[v] = tuple(int(d) if isinstance(d, (int, np.integer)) else d for d in shape)
            self.memo.update((d, d) for d in shape if isinstance(d, Variable))
        self.checks: Optional[List[Tuple[str, Dim, Dim]]] = []
        for node in toposort(outputs):
            self._visit(node)

    def shape(self, v: Variable) -> Tuple[Dim, ...]:
        """``v``'s shape: walked, else its static one (a constant's; None where unknown)."""
        s = self.shapes.get(v)
        if s is not None:
            return s
        return tuple(v.type.shape) if isinstance(v.type, TensorType) else ()

    def _visit(self, node: Any) -> None:
        try:
            args = [tuple(d if d is not None else _shape_i(x, k) for k, d in enumerate(self.shape(x)))
                    for x in node.inputs]
            rule = node.op.infer_shape(node, args)
        except Exception:  # a rule that cannot read these sizes: as if it had none
            rule = None
        for j, o in enumerate(node.outputs):
            if not isinstance(o.type, TensorType):
                self.shapes[o] = ()
                continue
            got = rule[j] if rule is not None and j < len(rule) else None
            if got is None or len(got) != o.type.ndim:
                got = (None,) * o.type.ndim
            self.shapes[o] = tuple(st if st is not None else self.size(d) for st, d in zip(o.type.shape, got))
        if self.checks is not None:
            try:
                cons = node.op.shape_constraints(node)
            except Exception:
                cons = None
            if cons is None:
                self.checks = None
            else:
                self.checks += [(kind, self._side(node, a), self._side(node, b)) for kind, a, b in cons]

    def _side(self, node: Any, side: Any) -> Dim:
        if isinstance(side, (int, np.integer)):
            return int(side)
        i, axis = side
        x = node.inputs[i]
        return self.size(x) if axis is None else self.shape(x)[axis]

    def size(self, d: Any) -> Dim:
        """A size an op's rule gave (an int or an int scalar over body variables), in the target graph."""
        from .shape_ops import static_int

        if d is None or isinstance(d, (int, np.integer)):
            return None if d is None else int(d)
        v = self.value(d)
        if v is None:
            return None
        known = static_int(v)
        return known if known is not None else v

    def value(self, v: Variable) -> Optional[Variable]:
        """``v`` computed in the target graph, or None where it depends on what the loop makes."""
        if v in self.memo:
            return self.memo[v]
        self.memo[v] = None  # (a rule naming its own output's size meets itself here: not known)
        out = self._value(v)
        self.memo[v] = out
        return out

    def _value(self, v: Variable) -> Optional[Variable]:
        from .scan import Scan
        from .shape_infer import as_dim
        from .shape_ops import Shape, Shape_i, make_vector

        if isinstance(v, Constant):
            return v
        node, inner = v.owner, v in self.inner
        if node is None:
            return None if inner else v  # a per-step value of the body, or a target variable
        op = node.op
        if isinstance(op, (Shape, Shape_i)) and node.inputs[0] in self.inner:
            dims = self.shape(node.inputs[0])
            if isinstance(op, Shape_i):
                return None if dims[op.i] is None else as_dim(dims[op.i])
            return None if None in dims else make_vector(*[as_dim(d) for d in dims], dtype="int64")
        if inner and (not _size_like(v) or isinstance(op, Scan)):
            return None
        new = []
        for i in node.inputs:
            t = self.value(i)
            if t is None:
                return None
            new.append(t)
        if not inner and all(a is b for a, b in zip(new, node.inputs)):
            return v  # a size expression over target variables already
        try:  # a body node is always copied: the target graph never shares the body's nodes
            return op.make_node(*new).outputs[v.index]
        except Exception:
            return None


def _shape_i(x: Variable, k: int) -> Variable:
    from .shape_ops import Shape_i

    return Shape_i(k)(x)


# --- a loop that runs no step ----------------------------------------------------------------

def zero_step_shapes(op: Any, backend: Any) -> Callable[[Sequence[Any]], List[Tuple[int, ...]]]:
    """``per_step(values)``: the per-step shape of each stacked output of ``op``'s loop
    (``Scan._per_step``), from the run-time outer values after ``n_steps`` (sequences, carries,
    non-sequences), without running the body; a size the body's shape rules cannot give is 0.
    The size computations are compiled once per body and backend."""
    key = ("zero_step_shapes", backend.name, backend.device, op.n_seqs, op.n_rec, op.n_nonrec, op.n_state)
    known = op.inner.compiled.get(key)
    if known is not None:
        return known
    ins, n_seqs = op.inner.inputs, op.n_seqs
    where: Dict[Variable, Tuple[int, int]] = {}  # int64 placeholder of a size -> (outer value, axis)
    shapes: List[Tuple[Dim, ...]] = [()]  # laid out like the outer inputs (n_steps first)
    for k, v in enumerate(ins):
        dims: List[Dim] = [None] if k < n_seqs else []
        for ax, d in enumerate(v.type.shape if isinstance(v.type, TensorType) else ()):
            if d is None:
                d = TensorType("int64", ())(f"{v.name or 'input'}.shape[{ax}]")
                where[d] = (k, ax + (k < n_seqs))
            dims.append(d)
        shapes.append(tuple(dims))
    non_seqs = op.inner_parts()[3]
    body = BodyShapes(ins, op.inner.outputs, [s[1:] if k < n_seqs else s for k, s in enumerate(shapes[1:])],
                      {v: v for v in non_seqs})
    per_step = op._per_step(body, shapes)
    allowed = set(where) | set(non_seqs)
    exprs: List[Variable] = []
    for shape in per_step:
        for d in shape:
            if isinstance(d, Variable) and d not in where and d not in exprs and all(
                    isinstance(r, Constant) or r in allowed for r in inputs_of([d])):
                exprs.append(d)
    run = None
    if exprs:
        try:
            run = _compile(exprs, where, non_seqs, len(ins) - len(non_seqs), backend)
        except Exception:  # sizes the backend cannot compute apart from the body: not known (0)
            run = None
    index = {d: j for j, d in enumerate(exprs)}

    def size(d: Dim, values: Sequence[Any], got: Sequence[Any]) -> int:
        if isinstance(d, int):
            return d
        if d in where:
            k, ax = where[d]
            return int(values[k].shape[ax])
        return int(got[index[d]]) if d in index and got else 0

    def sizes(values: Sequence[Any]) -> List[Tuple[int, ...]]:
        got: Sequence[Any] = ()
        if run is not None:
            try:
                got = run(values)
            except Exception:  # a size the body would compute and fail on: not known (0)
                got = ()
        return [tuple(size(d, values, got) for d in shape) for shape in per_step]

    op.inner.compiled[key] = sizes
    return sizes


def _compile(exprs: List[Variable], where: Dict[Variable, Tuple[int, int]], non_seqs: Sequence[Variable],
             n0: int, backend: Any) -> Callable[[Sequence[Any]], List[Any]]:
    """The size expressions as one linked function (FAST_COMPILE's rewrites) of the outer values
    after ``n_steps``: a placeholder in ``where`` is ``(value, axis)``'s size, non-sequence ``m``
    is ``values[n0 + m]``."""
    from .fgraph import FunctionGraph
    from .linker import link
    from .mode import get_mode
    from .rewrite import rewrite

    used = set(inputs_of(exprs))
    feeds = [(h, where[h]) for h in where if h in used]
    ns_used = [(v, n0 + m) for m, v in enumerate(non_seqs) if v in used]
    ins = [h for h, _ in feeds] + [v for v, _ in ns_used]
    fresh = [v.clone() for v in ins]
    fgraph = FunctionGraph(fresh, clone_replace(exprs, dict(zip(ins, fresh))))
    rewrite(fgraph, get_mode("FAST_COMPILE"))
    n = len(exprs)
    run = link(fgraph, backend, fresh, [], n, n == 1, [lambda v: v] * len(fresh), check_inputs=False).run

    def sizes(values: Sequence[Any]) -> List[Any]:
        got = run(*[np.int64(values[k].shape[ax]) for _, (k, ax) in feeds], *[values[i] for _, i in ns_used])
        return [got] if n == 1 else list(got)

    return sizes
