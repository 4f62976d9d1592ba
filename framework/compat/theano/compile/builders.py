"""``theano.OpFromGraph`` (``theano.compile.builders.OpFromGraph``): an op made of a graph.

Theano 1.0's contract, kept:

* ``OpFromGraph(inputs, outputs, inline=False, grad_overrides='default', rop_overrides='default',
  name=None, **kwargs)``: ``outputs`` a list; calling the op on variables of the ``inputs``' types
  gives variables of the ``outputs``' types, which compute what the graph computes.
* Shared variables the graph reads become inputs of each node, invisible to the user (their
  current values are read at each call, and the gradient flows to them).
* ``inline=True``: the graph itself is used where the op is applied (no op node in the compiled
  graph, so the rewrites see through it); ``inline=False``: the node runs the graph as a function
  of its own, compiled once per device with ``kwargs`` (``mode``, ...).
* The gradient is the graph's, or ``grad_overrides``: a callable ``f(inputs, output_grads)``
  returning one gradient per input, or a list with one entry per input of ``'default'``, a
  callable returning that input's gradient, or a ``NullType()()`` (not differentiable) or
  ``DisconnectedType()()`` (no gradient flows) variable. The callables get the node's inputs
  (the explicit ones, then the shared variables') and the output gradients (zeros for an output
  the cost does not use).
* Two ``OpFromGraph`` are equal only when they are the same object (as in Theano).

Differences (docs/theano.md): the default gradient is built from the node's own inputs (the
graph's forward part is recomputed for it, as Theano's gradient op recomputes it); ``inline=True``
with a gradient override keeps the node (the override needs it); ``rop_overrides`` other than
``'default'`` are refused (``Rop`` is then built from the gradient); a graph that draws random
numbers draws again in its gradient.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from ....core import elemwise as _ew
from ....core.errors import GradientError, format_trace, safe_str, user_trace
from ....core.graph import Apply, Constant, Variable, clone_replace, inputs_of
from ....core.op import Op
from ....core.shared import SharedVariable
from ....core.types import TensorType
from ....core.variable import as_tensor_variable

__all__ = ["OpFromGraph"]


def _is_disconnected(v: Any) -> bool:
    from ..gradient import DisconnectedType  # here: theano.gradient imports theano.compile's modules

    return isinstance(getattr(v, "type", None), DisconnectedType)


class OpFromGraph(Op):
    """An op whose computation is the graph from ``inputs`` to ``outputs`` (module docstring)."""
    complex_grad = True  # the inner graph's own gradients (each op checked)

    def __init__(self, inputs: Sequence[Any], outputs: Any, inline: bool = False, grad_overrides: Any = "default",
                 rop_overrides: Any = "default", name: Optional[str] = None, **kwargs: Any) -> None:
        if not isinstance(outputs, list):
            raise TypeError(f"OpFromGraph: outputs must be a list of variables, got {type(outputs).__name__} "
                            f"(at {format_trace(user_trace())})")
        inputs = list(inputs)
        for v in inputs + outputs:
            if not isinstance(v, Variable):
                raise TypeError(f"OpFromGraph: inputs and outputs must be symbolic variables, got "
                                f"{safe_str(v)} (at {format_trace(user_trace())})")
        if "updates" in kwargs or "givens" in kwargs:
            raise TypeError("OpFromGraph: updates and givens are not allowed here (as in Theano)")
        if not (isinstance(rop_overrides, str) and rop_overrides == "default"):
            raise TypeError("OpFromGraph: rop_overrides other than 'default' are not supported in framework's "
                            "Theano layer (Rop is built from the gradient; docs/theano.md)")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"OpFromGraph: name must be None or a string, got {safe_str(name)}")
        self.inputs, self.outputs = inputs, outputs
        self.is_inline = bool(inline)
        self.kwargs = kwargs
        self.name = name if name is not None else "OpFromGraph"
        self.shared_inputs = [v for v in inputs_of(outputs) if isinstance(v, SharedVariable) and v not in inputs]
        # the graph over inputs of its own (placeholders of the same types), so that applying the op
        # never shares a node with the user's graph
        self.local_inputs = [v.type() for v in inputs + self.shared_inputs]
        replace: Dict[Variable, Variable] = dict(zip(inputs + self.shared_inputs, self.local_inputs))
        self.local_outputs = clone_replace(outputs, replace)
        self.input_types = [v.type for v in inputs]
        self.output_types = [v.type for v in outputs]
        self._check_overrides(grad_overrides)
        self.grad_overrides = grad_overrides
        self._compiled: Dict[str, Any] = {}

    # --- identity: an OpFromGraph equals only itself ---------------------------------------------
    def __eq__(self, other: Any) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __str__(self) -> str:
        return f"{self.name}{{inline={self.is_inline}}}"

    __repr__ = __str__

    def _check_overrides(self, overrides: Any) -> None:
        n = len(self.local_inputs)
        if isinstance(overrides, str):
            if overrides != "default":
                raise ValueError(f"OpFromGraph: grad_overrides must be 'default', a callable, a list or a "
                                 f"NullType/DisconnectedType variable, got {overrides!r}")
        elif isinstance(overrides, list):
            if len(overrides) != n:
                raise ValueError(f"OpFromGraph: grad_overrides lists {len(overrides)} gradients for {n} inputs "
                                 f"(the inputs, then the {len(self.shared_inputs)} shared variables the graph reads)")
            for k, o in enumerate(overrides):
                if not (o == "default" if isinstance(o, str) else callable(o) or _is_null_or_disconnected(o)):
                    raise TypeError(f"OpFromGraph: grad_overrides[{k}] must be 'default', a callable or a "
                                    f"NullType/DisconnectedType variable, got {safe_str(o)}")
        elif not (callable(overrides) or _is_null_or_disconnected(overrides)):
            raise TypeError(f"OpFromGraph: grad_overrides must be 'default', a callable, a list or a "
                            f"NullType/DisconnectedType variable, got {safe_str(overrides)}")

    # --- building ----------------------------------------------------------------------------------
    def _convert(self, value: Any, k: int) -> Variable:
        want: TensorType = self.input_types[k]
        v = as_tensor_variable(value)
        if isinstance(v, Constant) and v.type.dtype != want.dtype and v.type.ndim == want.ndim:
            data = np.asarray(v.data)
            cast = data.astype(want.dtype)
            if np.array_equal(cast, data):  # a constant that converts exactly (Theano's filter_variable)
                v = _ew.cast(v, want.dtype)
        if v.type.dtype != want.dtype or v.type.ndim != want.ndim:
            raise TypeError(f"{self}: input {k} must be of type {want}, got {v.type} "
                            f"(at {format_trace(user_trace())})")
        return v

    def make_node(self, *args: Any) -> Apply:
        """The node on the given inputs, then the shared variables the graph reads (a node cloned
        onto new inputs -- ``givens``, a copy of the graph -- passes those too)."""
        n, m = len(self.inputs), len(self.shared_inputs)
        if len(args) not in (n, n + m):
            raise TypeError(f"{self}: takes {n} inputs, got {len(args)} (at {format_trace(user_trace())})")
        ins = [self._convert(a, k) for k, a in enumerate(args[:n])]
        shared = list(args[n:]) if len(args) == n + m else list(self.shared_inputs)
        for k, (v, s) in enumerate(zip(shared, self.shared_inputs)):
            if not isinstance(v, Variable) or v.type != s.type:
                raise TypeError(f"{self}: the replacement of shared variable {s} must be of type {s.type}, "
                                f"got {safe_str(v)}")
        return Apply(self, ins + shared, list(self.output_types))

    def __call__(self, *args: Any, name: Optional[str] = None) -> Any:
        if self.is_inline and isinstance(self.grad_overrides, str):
            # inline: the graph itself, on the given inputs (no node of this op in the graph)
            ins = [self._convert(a, k) for k, a in enumerate(args)] if len(args) == len(self.inputs) else None
            if ins is None:
                raise TypeError(f"{self}: takes {len(self.inputs)} inputs, got {len(args)} "
                                f"(at {format_trace(user_trace())})")
            outs = clone_replace(self.local_outputs, dict(zip(self.local_inputs, ins + list(self.shared_inputs))))
            return outs[0] if len(outs) == 1 else outs
        return super().__call__(*args, name=name)

    # --- what depends on what -------------------------------------------------------------------------
    def connection_pattern(self, node: Any = None) -> List[List[bool]]:
        """Theano's ``connection_pattern``: one row per input (the shared variables' last), one column
        per output, True where the output's graph reads the input."""
        return _connection(self.local_inputs, self.local_outputs)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        """The outputs' shapes as the graph's own, on the node's inputs: the shape rewrites then
        reduce them to the inputs' sizes (``x + y`` has ``x``'s shape), so reading ``op(x).shape``
        does not run the op."""
        outer = clone_replace(self.local_outputs, dict(zip(self.local_inputs, node.inputs)))
        return [tuple(o.shape[k] for k in range(o.ndim)) for o in outer]

    def shape_constraints(self, node: Apply) -> list:
        # the sizes the graph's own ops check are checked by the graph that infer_shape returns
        return []

    # --- running -----------------------------------------------------------------------------------
    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        device = backend.device
        fn = self._compiled.get(device)
        if fn is None:
            from ....core.function import function

            opts = {k: v for k, v in self.kwargs.items() if k in ("mode", "name", "allow_input_downcast")}
            fn = function(self.local_inputs, self.local_outputs, on_unused_input="ignore", device=device,
                          outputs_on_device=True, **opts)
            self._compiled[device] = fn
        single = len(self.local_outputs) == 1

        def kernel(*values: Any) -> Any:
            out = fn(*values)  # a list: the function was compiled on a list of outputs
            return out[0] if single else tuple(out)

        return kernel

    # --- gradient ------------------------------------------------------------------------------------
    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from ....core.grad import grad as _grad

        ins = list(node.inputs)
        grads = [g if g is not None else _ew.zeros_like(o) for g, o in zip(output_grads, node.outputs)]
        overrides = self.grad_overrides
        if _is_null_or_disconnected(overrides):
            return [_special(overrides, self, k, v) for k, v in enumerate(ins)]
        if callable(overrides):
            terms = overrides(ins, grads)
            if not isinstance(terms, list) or len(terms) != len(ins):
                raise GradientError(f"{self}: the gradient override must return a list of {len(ins)} gradients "
                                    f"(one per input, then the shared variables'), got {safe_str(terms)} "
                                    f"(node built at {format_trace(node.trace)})")
            return [_special(t, self, k, ins[k]) for k, t in enumerate(terms)]
        per_input = overrides if isinstance(overrides, list) else ["default"] * len(ins)
        default = [k for k, o in enumerate(per_input) if isinstance(o, str)]
        result: List[Optional[Variable]] = [None] * len(ins)
        if default and any(output_grads[j] is not None for j in range(len(output_grads))):
            outer = clone_replace(self.local_outputs, dict(zip(self.local_inputs, ins)))
            known = {o: g for o, g, given in zip(outer, grads, output_grads) if given is not None}
            wrt = [ins[k] for k in default]
            found = _grad(None, wrt, known_grads=known, disconnected_inputs="ignore", return_disconnected="none",
                          null_gradients="return")
            for k, g in zip(default, found):
                result[k] = g
        for k, o in enumerate(per_input):
            if not isinstance(o, str):
                result[k] = _special(o(ins, grads) if callable(o) else o, self, k, ins[k])
        return result


def _connection(inputs: List[Variable], outputs: List[Variable]) -> List[List[bool]]:
    """Which outputs depend on which inputs, node by node: through a node whose op states its own
    ``connection_pattern`` (a nested ``OpFromGraph``, a Theano-style op) only where it says so,
    through any other node from every input to every output."""
    from ....core.graph import toposort

    reach: Dict[Variable, frozenset] = {v: frozenset({k}) for k, v in enumerate(inputs)}
    for node in toposort(outputs):
        into = [reach.get(i, frozenset()) for i in node.inputs]
        pattern = None
        stated = getattr(node.op, "connection_pattern", None)
        if callable(stated):
            try:
                pattern = stated(node)
            except Exception:  # a pattern that cannot be read: every input reaches every output
                pattern = None
            if not (isinstance(pattern, list) and len(pattern) == len(node.inputs)
                    and all(len(row) == len(node.outputs) for row in pattern)):
                pattern = None
        for j, out in enumerate(node.outputs):
            got: frozenset = frozenset()
            for k, c in enumerate(into):
                if pattern is None or pattern[k][j]:
                    got |= c
            reach[out] = got
    return [[k in reach.get(o, frozenset()) for o in outputs] for k in range(len(inputs))]


def _is_null_or_disconnected(v: Any) -> bool:
    from ....core.grad import is_null

    return _is_disconnected(v) or is_null(v)


def _special(term: Any, op: OpFromGraph, k: int, inp: Variable) -> Optional[Variable]:
    """A gradient term an override gave: a disconnected one is None (no gradient); a null one a fresh
    null variable saying which input of which op; anything else a tensor of the input's rank."""
    from ....core.grad import NullType, is_null

    if _is_disconnected(term):
        return None
    if is_null(term):
        return NullType(f"the gradient override of {op} says input {k} ({inp}) is not differentiable")()
    term = as_tensor_variable(term)
    if term.ndim != inp.type.ndim:
        raise GradientError(f"{op}: the gradient override for input {k} ({inp}, {inp.type}) has rank "
                            f"{term.ndim}, not {inp.type.ndim}")
    return term
