"""Rewrites for random variables.

``RANDOM_REWRITES`` is yielded by this plugin's ``framework_rewrites`` hook.

* ``random_inplace`` lives with the op (:mod:`framework.core.random_ops`): a draw
  advances its generator state itself instead of a copy when nothing else sees the
  old state.
* ``dead_draw``: a draw whose sample nothing reads, but whose new state is used (the
  tutorial's CD-k draws a last hidden sample that only advances the stream), becomes a
  :class:`RandomAdvance` node: the state moves on exactly as the draw would move it,
  the parameters are checked as the draw checks them, and no sample is made. The
  state after the call -- and so every later number -- is the same, bit for bit; what
  is saved is the sample's numbers (in the CD-1 step, a 20 x 500 draw). The op's own
  kernel draws and discards (exact on every backend and for every distribution); the
  NumPy backend's lowering (``random_advance`` in ``plugins/backend_numpy/random_draws.py``)
  moves a PCG64 state on in O(log n) for the float32 Bernoulli draw.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from framework.core.fgraph import FunctionGraph
from framework.core.graph import Apply, Variable
from framework.core.op import Op
from framework.core.random_ops import DISTRIBUTIONS, RandomVariable, only_updates_itself, random_inplace
from framework.core.shared import RandomStateType
from framework.plugins import RewriteSpec


class RandomAdvance(Op):
    """``(rng, size, *params) -> new_rng``: the state a ``RandomVariable`` of the same
    properties would leave, without its sample.

    Made only by :func:`dead_draw`, from a draw whose sample has no reader. Its
    kernel is the draw's own (the same checks, the same errors, the same new state),
    whose sample it drops; a backend may lower it to something cheaper that leaves
    the same state (``Backend.lowerings['random_advance']``). ``inplace`` (set by
    :func:`advance_inplace`) advances the input state itself, as an in-place draw does.
    """
    complex_grad = True  # no gradient
    fresh_storage = True
    host_int_inputs = Op.inputs_after_first  # the draw's parameters: host or device values

    __props__ = ("dist", "dtype", "ndim", "inplace")

    def __init__(self, dist: str, dtype: str, ndim: int, inplace: bool = False) -> None:
        self.dist, self.dtype, self.ndim, self.inplace = dist, dtype, int(ndim), bool(inplace)
        self.name = "random_advance"

    def __str__(self) -> str:
        # named as the draw the user wrote (an error names it so), marked as making no sample
        return f"random_{self.dist}{{{self.dtype}{', inplace' if self.inplace else ''}, state only}}"

    def draw_op(self) -> RandomVariable:
        """The draw whose state this op leaves."""
        return RandomVariable(self.dist, self.dtype, self.ndim, self.inplace)

    def make_node(self, rng: Variable, size: Variable, *params: Variable) -> Apply:
        self.draw_op().make_node(rng, size, *params)  # the draw's own input checks
        return Apply(self, [rng, size, *params], [RandomStateType()])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        return [()]

    def rng_advanced(self, node: Apply) -> Dict[int, FrozenSet[str]]:
        return {0: frozenset((self.dist,))} if self.inplace else {}

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [None] * len(node.inputs)

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        draw = backend.kernel(self.draw_op().make_node(*node.inputs))  # lowered as the draw itself would be
        return lambda *args: draw(*args)[0]

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        kw = ", ".join(f"{n}={a}" for n, a in zip(DISTRIBUTIONS[self.dist].params, args[2:]))
        return f"advance({args[0]}, {self.dist}(size={args[1]}, {kw}))", 100


def dead_draw(fgraph: FunctionGraph, node: Apply) -> Optional[Dict[Variable, Variable]]:
    """A draw whose sample nothing reads (not even the caller) -> :class:`RandomAdvance`."""
    op = node.op
    if type(op) is not RandomVariable:  # a subclass (draw_ahead's) has its own contract
        return None
    clients = fgraph.clients
    state, sample = node.outputs
    if clients.get(sample) or not clients.get(state):
        return None
    new = RandomAdvance(op.dist, op.dtype, op.ndim, op.inplace).make_node(*node.inputs).outputs[0]
    return {state: new}


def advance_inplace(fgraph: FunctionGraph, node: Apply) -> Optional[List[Variable]]:
    """:func:`framework.core.random_ops.random_inplace` for :class:`RandomAdvance`: the state
    moves on in place when the old state is read by this node only and the new one only
    updates the same variable."""
    op = node.op
    if not isinstance(op, RandomAdvance) or op.inplace or not only_updates_itself(fgraph, node, 0, node.inputs[0]):
        return None
    return RandomAdvance(op.dist, op.dtype, op.ndim, inplace=True).make_node(*node.inputs).outputs


RANDOM_REWRITES: List[RewriteSpec] = [
    RewriteSpec(
        name="random_inplace",
        rewrite=random_inplace,
        stage="inplace",
        tracks=tuple(f"random_{d}" for d in DISTRIBUTIONS),
        tags=("inplace",),
        doc="draw into the generator state itself (no copy) when its only use is its own update",
    ),
    RewriteSpec(
        name="dead_draw",
        rewrite=dead_draw,
        stage="specialize",
        tracks=tuple(f"random_{d}" for d in DISTRIBUTIONS),
        tags=("specialize",),
        doc="a draw whose sample nothing reads only advances its state (the same new state, no sample)",
    ),
    RewriteSpec(
        name="advance_inplace",
        rewrite=advance_inplace,
        stage="inplace",
        tracks=("random_advance",),
        tags=("inplace",),
        doc="advance the generator state itself (no copy) when its only use is its own update",
    ),
]

__all__ = ["RANDOM_REWRITES", "RandomAdvance", "dead_draw", "advance_inplace"]
