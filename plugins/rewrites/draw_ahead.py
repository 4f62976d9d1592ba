"""A Bernoulli draw's uniforms, drawn while ``p`` is being computed.

``bernoulli(p)`` (what FAST_RUN makes of ``binomial(n=1, p)``) is ``uniform <
p``: the uniforms depend only on the generator state and the shape, not on
``p``. In an RBM's Gibbs step ``p = sigmoid(h @ W.T + b)``: the uniforms can
be drawn on a second core while the first runs the GEMM (the benchmarks pin
OpenBLAS to one thread, and NumPy's ufuncs use one core anyway). This
rewrite splits the draw in two nodes:

* :class:`UniformsAhead` ``(rng, *dims) -> (rng', uniforms)``: scheduled as
  early as its inputs allow (``schedule_early``: the linker places it right
  after them); its shape is read from the inputs ``p`` is computed from
  (``sigmoid(h @ W.T + b)`` has ``h``'s rows and ``W``'s rows), so it starts
  before the GEMM. A backend with a helper thread (the NumPy backend's
  ``draw_ahead``) starts the draw there;
* :class:`BernoulliFromAhead` ``(uniforms, p) -> sample``: in the draw's
  place; it checks ``p`` and compares.

Nothing observable changes (see ``plugins/backend_numpy/random_draws.py``):
the same numbers in the same order, the same error for a bad ``p`` with the
state put back as before the draw, and where the shape guessed from the
inputs is not ``p``'s, the draw is made again the one-node way. A backend
without ``draw_ahead`` draws in the second node, as the one-node draw did.

Not applied in graphs with a lazy ``ifelse`` (a branch not taken could skip
the second node after the first had drawn).

**Off by default** (``ENABLED``; the environment variable
``FRAMEWORK_DRAW_AHEAD=1`` switches it on, as does setting
``framework_rewrites.draw_ahead.ENABLED = True`` before compiling): whether
it pays depends on the machine having a core to spare beside BLAS -- on the
2-vCPU machine of docs/benchmarks.md, loaded by other jobs, the helper's
draws did not shorten the main thread's time (the GEMMs slowed by as much).
Re-measured after the native streams moved to PCG64 (cheaper draws, less to
hide): still slower there, for PCD-15 and CD-1 alike (docs/benchmarks.md,
"Native streams on PCG64"). Both bit generators are drawn ahead exactly
(MT19937's and PCG64's states are saved and restored).
``bench/rbm_step.py --draw-ahead`` measures it. ``Mode(excluding=["draw_ahead"])``
keeps it off for one function even when enabled.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from framework.core.fgraph import FunctionGraph
from framework.core.fusion import Fused
from framework.core.graph import Apply, Constant, Variable
from framework.core.op import Op
from framework.core.random_ops import RandomVariable
from framework.core.shape_infer import BroadcastDim, infer_shapes
from framework.core.shape_ops import Shape_i
from framework.core.shared import RandomStateType
from framework.core.types import GenericType, TensorType
from framework.core.variable import as_tensor_variable, constant
from framework.config import env_switch
from framework.plugins import RewriteSpec


def _from_environment() -> bool:
    """``FRAMEWORK_DRAW_AHEAD``: 1/true/yes/on or 0/false/no/off (unset: off). Anything else is
    reported and leaves it off: an unsafe-to-guess switch is never read as "on"."""
    return env_switch("FRAMEWORK_DRAW_AHEAD", False, "draw_ahead stays off")


ENABLED = _from_environment()


class UniformsAhead(RandomVariable):
    """``(rng, *dims) -> (rng', uniforms)``: the uniforms of ``bernoulli(p)``, drawn early.

    ``p_dtype`` is ``p``'s dtype (float32 ``p`` draws float32 uniforms);
    ``inferred``: the inputs after ``rng`` are the expected sizes of ``p``
    (the draw had no ``size``), else one ``size`` vector. ``inplace`` as for
    any draw (set by ``random_inplace``, and inside scan bodies)."""
    complex_grad = True  # no gradient

    schedule_early = True  # the linker runs it as soon as its inputs exist
    __props__ = ("dist", "dtype", "ndim", "inplace", "inferred")

    def __init__(self, dtype: str, ndim: int, inplace: bool = False, inferred: bool = True,
                 dist: str = "uniform") -> None:
        super().__init__("uniform", dtype, ndim, inplace)
        self.inferred = bool(inferred)
        self.name = "uniforms_ahead"

    def __str__(self) -> str:
        return f"uniforms_ahead{{{self.dtype}{', inplace' if self.inplace else ''}}}"

    def clone(self, **changes: Any) -> "UniformsAhead":
        kw = dict(dtype=self.dtype, ndim=self.ndim, inplace=self.inplace, inferred=self.inferred)
        kw.update(changes)
        kw.pop("dist", None)
        return UniformsAhead(**kw)

    def make_node(self, rng: Any, *sizes: Any) -> Apply:
        if not isinstance(rng, Variable) or not isinstance(rng.type, RandomStateType):
            raise TypeError(f"{self.name}: the first input must be a random state variable, got {rng!r:.60}")
        sizes_v = [as_tensor_variable(s) for s in sizes]
        want = self.ndim if self.inferred else 1
        if len(sizes_v) != want:
            raise TypeError(f"{self.name}: expected {want} size input(s), got {len(sizes_v)}")
        return Apply(self, [rng] + sizes_v, [RandomStateType(), GenericType("uniforms_ahead")])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [(), ()]

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        return f"uniforms_ahead({', '.join(args[1:])})", 100

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        ahead = getattr(backend, "draw_ahead", None)
        draw, copy_rng = backend.draw, backend.copy_rng
        inplace, inferred, p_dtype = self.inplace, self.inferred, self.dtype

        if inferred:
            def shape_of(sizes: Tuple[Any, ...]) -> Tuple[int, ...]:
                return tuple([int(d) for d in sizes])
        else:
            def shape_of(sizes: Tuple[Any, ...]) -> Tuple[int, ...]:
                return tuple([int(d) for d in sizes[0]])

        if ahead is None:
            def kernel(rng: Any, *sizes: Any) -> Tuple[Any, Any]:
                rng = rng if inplace else copy_rng(rng)
                return rng, DrawLater(draw, rng, shape_of(sizes), inferred)
        else:
            def kernel(rng: Any, *sizes: Any) -> Tuple[Any, Any]:
                rng = rng if inplace else copy_rng(rng)
                return rng, ahead(rng, shape_of(sizes), p_dtype, inferred)
        return kernel


class DrawLater:
    """Uniforms not drawn yet: :meth:`bernoulli` makes the one-node draw (backends without ``draw_ahead``)."""

    __slots__ = ("draw", "rng", "shape", "inferred")

    def __init__(self, draw: Callable[..., Any], rng: Any, shape: Tuple[int, ...], inferred: bool) -> None:
        self.draw, self.rng, self.shape, self.inferred = draw, rng, shape, inferred

    def bernoulli(self, p: Any, dtype: str) -> Any:
        return self.draw(self.rng, "bernoulli", None if self.inferred else (self.shape or None), (p,), dtype)[1]


class BernoulliFromAhead(Op):
    """``(uniforms, p) -> uniforms < p`` as ``dtype``, ``p`` checked as ``binomial`` checks it."""
    complex_grad = True  # no gradient to its parameters

    __props__ = ("dtype", "shape")
    fresh_storage = True  # the sample is the uniforms' own new buffer

    def __init__(self, dtype: str, shape: Tuple[Optional[int], ...]) -> None:
        self.dtype = str(dtype)
        self.shape = tuple(shape)
        self.name = "random_bernoulli"

    def __str__(self) -> str:
        return f"random_bernoulli{{{self.dtype}, drawn ahead}}"

    def make_node(self, uniforms: Variable, p: Any) -> Apply:
        p = as_tensor_variable(p)
        return Apply(self, [uniforms, p], [TensorType(self.dtype, self.shape)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> Optional[List[Tuple[Any, ...]]]:
        return None

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [None, None]

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        dtype = self.dtype

        def kernel(uniforms: Any, p: Any) -> Any:
            return uniforms.bernoulli(p, dtype)
        return kernel


# --- the shape of p, read from what p is computed from -------------------------------------------

def _guess_from_elementwise(node: Apply, v: Variable, k: int) -> Optional[Tuple[Variable, int]]:
    """An input of an element-wise node whose axis gives the output's axis ``k`` (a guess)."""
    n = v.type.ndim
    for x in node.inputs:
        if isinstance(x.type, TensorType) and x.type.ndim == n and x.type.shape[k] != 1:
            return x, k
    return None


def _dim(v: Variable, k: int) -> Variable:
    """An int64 scalar expected to equal ``v.shape[k]``, computed from as far up the graph as possible.

    Only a guess (the kernel checks it against ``p``'s shape and draws again
    where it is wrong); it reads only shapes (``shape_i``), so computing it
    early can never fail."""
    for _ in range(64):
        d = v.type.shape[k]
        if d is not None:
            return constant(np.int64(d))
        node = v.owner
        if node is None:
            break
        nxt: Optional[Tuple[Variable, int]] = None
        if isinstance(node.op, Fused):
            nxt = _guess_from_elementwise(node, v, k)
        else:
            try:
                shapes = infer_shapes(node)
            except Exception:
                shapes = None
            if shapes is not None:
                got = shapes[v.index][k]
                if isinstance(got, (int, np.integer)):
                    return constant(np.int64(got))
                src = got.owner
                if src is not None and isinstance(src.op, BroadcastDim):
                    src = next((i.owner for i in src.inputs
                                if i.owner is not None and isinstance(i.owner.op, Shape_i)), None)
                if src is not None and isinstance(src.op, Shape_i):
                    nxt = (src.inputs[0], src.op.i)
        if nxt is None or (nxt[0] is v and nxt[1] == k):  # (an op's own size: it cannot say)
            break
        v, k = nxt
    return Shape_i(k)(v)


def draw_ahead(fgraph: FunctionGraph) -> None:
    """Split every Bernoulli draw into :class:`UniformsAhead` and :class:`BernoulliFromAhead`."""
    if not ENABLED:
        return
    order = fgraph.toposort()
    if any(getattr(n.op, "lazy", False) for n in order):
        return
    clients = fgraph.clients
    for node in order:
        op = node.op
        if type(op) is not RandomVariable or op.dist != "bernoulli":
            continue
        rng, size, p = node.inputs
        sample = node.outputs[1]
        if sample.type.ndim == 0 or not clients.get(sample) or p.type.dtype not in ("float32", "float64"):
            continue
        if size.type.shape[0]:
            inferred, sizes = False, [size]
        elif p.type.ndim == sample.type.ndim:
            inferred, sizes = True, [_dim(p, k) for k in range(p.type.ndim)]
        else:
            continue
        ahead = UniformsAhead(p.type.dtype, sample.type.ndim, op.inplace, inferred).make_node(rng, *sizes)
        ahead.trace = node.trace
        new_rng, uniforms = ahead.outputs
        draw = BernoulliFromAhead(sample.type.dtype, sample.type.shape).make_node(uniforms, p)
        draw.trace = node.trace
        out = draw.outputs[0]
        out.name = sample.name
        new_rng.name = node.outputs[0].name
        fgraph.replace(node.outputs[0], new_rng, reason="draw_ahead")
        fgraph.replace(sample, out, reason="draw_ahead")


REWRITES = [
    RewriteSpec("draw_ahead", draw_ahead, stage="draw_ahead", after="inplace", kind="global",
                tags=("draw_ahead",),
                doc="a Bernoulli draw's uniforms drawn as soon as the shape is known (on a helper thread "
                    "where the backend has one), p checked and compared where the draw was"),
]
