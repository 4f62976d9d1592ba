"""Random variables: ops that draw from a generator state held in a graph variable.

A :class:`RandomVariable` node has the inputs ``(rng, size, *params)`` and
two outputs: the generator's *new state* and the *sample*. The state is an
ordinary graph value (a shared variable's ``numpy.random.RandomState`` on
the CPU), so drawing is a pure function of it: the same state gives the same
numbers, and ``function`` stores the new state through the shared variable's
``default_update`` (see :mod:`framework.random`).

Drawing goes through the backend: the kernel calls
``backend.draw(rng, dist, size, params, dtype)``; the op never imports a
random-number library. Before drawing, the kernel copies the state
(``backend.copy_rng``) so the input state is left as it was -- unless the
node is marked ``inplace``, which :func:`random_inplace` does when nothing
else reads the old state and the new one only goes back into the same
variable (then the copy would be wasted work).

The distributions are the rows of :data:`DISTRIBUTIONS`: a name, the
parameter names and how many axes a draw adds to ``size`` (1 for
``permutation`` and ``multinomial``, whose every draw is a vector).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from .errors import ShapeError, format_trace, user_trace
from .graph import Apply, Constant, Variable
from .op import Op
from .shape_ops import _as_shape_vector, static_int, static_vector
from .shared import RandomStateType
from .types import TensorType, as_dtype, broadcast_shapes, is_int
from .variable import TensorVariable, as_tensor_variable


@dataclass(frozen=True)
class Distribution:
    """One row of the distribution table.

    ``params``: parameter names in the order the op takes them.
    ``core_ndim``: axes each draw adds after ``size`` (a permutation or a
    multinomial count vector); ``core_param``: the parameter whose last axis
    (multinomial) or value (permutation) gives that axis' length.
    """

    name: str
    params: Tuple[str, ...]
    core_ndim: int = 0
    doc: str = ""


DISTRIBUTIONS: Dict[str, Distribution] = {
    d.name: d
    for d in (
        Distribution("uniform", ("low", "high"), doc="uniform on [low, high)"),
        Distribution("normal", ("avg", "std"), doc="Gaussian with mean avg and standard deviation std"),
        Distribution("binomial", ("n", "p"), doc="number of successes in n trials of probability p"),
        Distribution("bernoulli", ("p",), doc="1 with probability p, else 0 (binomial with n=1, drawn as "
                     "uniform < p; p outside [0, 1] or NaN is an error, as for binomial)"),
        Distribution("random_integers", ("low", "high"), doc="integers uniform on [low, high], both included"),
        Distribution("permutation", ("n",), core_ndim=1, doc="a random permutation of range(n) per draw"),
        Distribution("multinomial", ("n", "pvals"), core_ndim=1,
                     doc="counts of n draws among len(pvals) outcomes, pvals along the last axis"),
        Distribution("poisson", ("lam",), doc="counts of a Poisson process of mean lam (lam >= 0)"),
        Distribution("choice", ("a", "replace", "p"),
                     doc="entries of a (a vector, or range(a) for a scalar a), with replacement or not, of "
                         "probabilities p (an empty p: equally likely); one draw of shape size (the parameters "
                         "do not broadcast with it)"),
    )
}


class RandomTensorVariable(TensorVariable):
    """The sample output of a random op. ``rv.rng`` is the shared variable
    holding its generator state and ``rv.update`` the pair ``(rng, new_state)``
    (both set by :class:`~framework.random.RandomStreams`)."""

    __slots__ = ()

    @property
    def rng(self) -> Any:
        rng = self.tag.get("rng")
        if rng is None and self.owner is not None:
            rng = self.owner.inputs[0]
        return rng

    @property
    def update(self) -> Tuple[Any, Any]:
        node = self.owner
        return (self.rng, node.outputs[0] if node is not None else None)


class RandomVariable(Op):
    """Draw from distribution ``dist``: ``(rng, size, *params) -> (new_rng, sample)``.

    ``size`` is an int64 vector of static length; an empty ``size`` means "the
    broadcast shape of the parameters" (as NumPy's ``size=None``).
    ``ndim`` is the sample's number of dimensions, ``dtype`` its dtype.
    ``inplace`` (set only by :func:`random_inplace`) lets the kernel advance
    the input state instead of a copy of it.
    """
    complex_grad = True  # no gradient to its parameters
    fresh_storage = True  # outputs are new arrays
    host_int_inputs = Op.inputs_after_first  # draw parameters: host or device values

    __props__ = ("dist", "dtype", "ndim", "inplace")
    nout = 2

    def __init__(self, dist: str, dtype: str, ndim: int, inplace: bool = False) -> None:
        if dist not in DISTRIBUTIONS:
            raise ValueError(f"unknown distribution {dist!r}; known: {', '.join(DISTRIBUTIONS)}")
        self.dist = dist
        self.dtype = as_dtype(dtype)
        self.ndim = int(ndim)
        self.inplace = bool(inplace)
        self.name = f"random_{dist}"
        self.info = DISTRIBUTIONS[dist]

    def __str__(self) -> str:
        return f"{self.name}{{{self.dtype}{', inplace' if self.inplace else ''}}}"

    def clone(self, **changes: Any) -> "RandomVariable":
        kw = dict(dist=self.dist, dtype=self.dtype, ndim=self.ndim, inplace=self.inplace)
        kw.update(changes)
        return RandomVariable(**kw)

    # --- building -------------------------------------------------------------
    def make_node(self, rng: Any, size: Any, *params: Any) -> Apply:
        info = self.info
        if not isinstance(rng, Variable) or not isinstance(rng.type, RandomStateType):
            raise TypeError(f"{self.name}: the first input must be a random state variable "
                            f"(RandomStreams makes one), got {rng!r:.60}")
        if len(params) != len(info.params):
            raise TypeError(f"{self.name} takes the parameters ({', '.join(info.params)}), got {len(params)}")
        size = as_tensor_variable(size)
        if size.ndim != 1 or not is_int(size.dtype) or size.type.shape[0] is None:
            raise TypeError(f"{self.name}: size must be an integer vector of known length, got {size.type}")
        params = [as_tensor_variable(p) for p in params]
        shape = self._sample_shape(size, params)
        node = Apply(self, [rng, size] + params, [RandomStateType(), TensorType(self.dtype, shape)])
        # the sample carries the .rng / .update accessors
        old = node.outputs[1]
        sample = RandomTensorVariable(old.type, node, 1)
        sample.tag.update(old.tag)  # e.g. its test value (config.compute_test_value)
        node.outputs[1] = sample
        return node

    def _sample_shape(self, size: Variable, params: List[Variable]) -> Tuple[Optional[int], ...]:
        info = self.info
        where = format_trace(user_trace())
        n_size = size.type.shape[0]
        known = static_vector(size) or [None] * n_size
        if info.name == "permutation":
            core = (static_int(params[0]),)
            batch = []  # n is a scalar: the parameters add no batch axes
            if params[0].ndim != 0:
                raise TypeError(f"{self.name}: n must be a scalar, got {params[0].type} (at {where})")
        elif info.name == "multinomial":
            pv = params[1]
            if pv.ndim < 1:
                raise TypeError(f"{self.name}: pvals must have at least one axis, got {pv.type} (at {where})")
            core = (pv.type.shape[-1],)
            batch = [params[0].type.shape, pv.type.shape[:-1]]
        elif info.name == "choice":
            a, replace, p = params
            if a.ndim > 1 or replace.ndim != 0 or p.ndim != 1:
                raise TypeError(f"{self.name}: a must be a scalar or a vector, replace a scalar and p a vector "
                                f"(empty: equally likely), got {a.type}, {replace.type}, {p.type} (at {where})")
            core, batch = (), []  # the sample has the shape size (a scalar without one)
        else:
            core = ()
            batch = [p.type.shape for p in params]
        if n_size:
            base = tuple(None if d is None or d < 0 else d for d in known)
            both = broadcast_shapes([base] + batch)
            if both is None or len(both) != len(base) or any(
                    b is not None and s is not None and b != s for b, s in zip(both, base)):
                shapes = ", ".join(str(b).replace("None", "?") for b in batch)
                raise ShapeError(f"{self.name}: parameters of shapes {shapes} do not broadcast to size "
                                 f"{tuple('?' if d is None else d for d in base)} (at {where})")
        else:
            base = broadcast_shapes(batch) if batch else ()
            if base is None:
                shapes = ", ".join(str(b).replace("None", "?") for b in batch)
                raise ShapeError(f"{self.name}: parameter shapes {shapes} do not broadcast (at {where})")
        shape = tuple(base) + core
        if len(shape) != self.ndim:
            raise TypeError(f"{self.name}: the sample would have {len(shape)} dimension(s), the op was "
                            f"made for {self.ndim} (at {where})")
        return shape

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        """The sample's shape, as :meth:`_sample_shape` has it: ``size`` (else the parameters'
        broadcast shape), then a permutation's ``n`` or a multinomial's number of outcomes.
        (The parameters' fit to ``size`` is the draw's own check: ``shape_constraints`` stays unknown.)"""
        from .elemwise import cast
        from .shape_infer import broadcast_dim

        size, params, shapes = node.inputs[1], node.inputs[2:], [tuple(s) for s in input_shapes[2:]]
        core: List[Any] = []
        if self.info.name == "permutation":
            core, shapes = [cast(params[0], "int64")], []
        elif self.info.name == "choice":
            shapes = []
        elif self.info.name == "multinomial":
            core, shapes = [shapes[1][-1]], [shapes[0], shapes[1][:-1]]
        n_base = self.ndim - len(core)
        if size.type.shape[0]:
            base = [size[i] for i in range(n_base)]
        else:
            base = []
            for ax in range(n_base):
                ds = [s[ax - n_base + len(s)] for s in shapes
                      if ax - n_base + len(s) >= 0 and not (isinstance(s[ax - n_base + len(s)], int)
                                                            and s[ax - n_base + len(s)] == 1)]
                base.append(1 if not ds else ds[0] if len(ds) == 1 else broadcast_dim(*ds))
        static = node.outputs[1].type.shape
        return [(), tuple(st if st is not None else d for st, d in zip(static, base + core))]

    def rng_advanced(self, node: Apply) -> Dict[int, FrozenSet[str]]:
        """An in-place draw advances its state input (a failed call puts it back)."""
        return {0: frozenset((self.dist,))} if self.inplace else {}

    # --- gradient ---------------------------------------------------------------
    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        """No gradient flows through a draw: a sample is treated as a constant
        with respect to its parameters (as with ``consider_constant``)."""
        return [None] * len(node.inputs)

    # --- running ----------------------------------------------------------------
    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        draw, copy_rng = backend.draw, backend.copy_rng
        dist, dtype = self.dist, self.dtype
        size_var = node.inputs[1]
        static = None
        if isinstance(size_var, Constant):
            static = tuple(int(s) for s in size_var.data) or None

        if self.inplace:
            if static is not None:
                return lambda rng, size, *params: draw(rng, dist, static, params, dtype)
            return lambda rng, size, *params: draw(rng, dist, tuple(int(s) for s in size) or None, params, dtype)
        if static is not None:
            return lambda rng, size, *params: draw(copy_rng(rng), dist, static, params, dtype)
        return lambda rng, size, *params: draw(copy_rng(rng), dist, tuple(int(s) for s in size) or None,
                                               params, dtype)

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        names = self.info.params
        kw = ", ".join(f"{n}={a}" for n, a in zip(names, args[2:]))
        return f"{self.dist}(size={args[1]}, {kw})", 100


# --- building a random variable ------------------------------------------------------

def make_random(dist: str, rng: Variable, size: Any, params: Sequence[Any], dtype: Any,
                ndim: Optional[int] = None) -> Tuple[Variable, RandomTensorVariable]:
    """Build ``dist``'s op on ``rng``: returns ``(new_state, sample)``.

    ``size`` is ``None`` or ``()`` (the parameters' broadcast shape), a tuple
    of ints and symbolic scalars, or a symbolic int vector such as
    ``x.shape``. ``ndim``, when given, is checked against the sample's.
    """
    info = DISTRIBUTIONS[dist]
    params = [as_tensor_variable(p) for p in params]
    if size is None or (isinstance(size, (tuple, list)) and len(size) == 0):
        size_v = as_tensor_variable(_empty_size())
    else:
        size_v = _as_shape_vector(size)
        if size_v.dtype != "int64":
            from .elemwise import cast

            size_v = cast(size_v, "int64")
    n_size = size_v.type.shape[0]
    if n_size is None:
        raise TypeError(f"random {dist}: the length of size must be known when building, got {size_v.type}")
    if n_size:
        out_ndim = n_size + info.core_ndim
    elif dist == "multinomial":
        out_ndim = max(params[0].ndim, params[1].ndim - 1) + 1
    elif dist == "permutation":
        out_ndim = 1
    elif dist == "choice":
        out_ndim = 0
    else:
        out_ndim = max((p.ndim for p in params), default=0)
    if ndim is not None and int(ndim) != out_ndim:
        raise ValueError(f"random {dist}: ndim={ndim} but size {size!r:.40} and the parameters give "
                         f"{out_ndim} dimension(s)")
    op = RandomVariable(dist, dtype, out_ndim)
    new_state, sample = op.make_node(rng, size_v, *params).outputs
    return new_state, sample


def _empty_size() -> Any:
    import numpy as np

    return np.zeros((0,), dtype="int64")


# --- the in-place rewrite ------------------------------------------------------------

def random_inplace(fgraph: Any, node: Apply) -> Optional[List[Variable]]:
    """Let a draw advance its state in place when no one else can see the old state.

    That holds when the state is an input of the graph read by this node
    only, and the new state's one use is as the update of that same input
    (``fgraph.update_of`` maps output positions to the variables they
    update; :func:`framework.function` and the scan op fill it). Then the
    copy the kernel would make is never observable: replay through
    ``get_state``/``set_state`` and ``no_default_updates`` (which removes the
    update, so this does not fire) behave exactly as without the rewrite.
    """
    op = node.op
    if not isinstance(op, RandomVariable) or op.inplace:
        return None
    rng = node.inputs[0]
    if not only_updates_itself(fgraph, node, 0, rng):
        return None
    return op.clone(inplace=True).make_node(*node.inputs).outputs


def only_updates_itself(fgraph: Any, node: Apply, out_index: int, state: Variable) -> bool:
    """Whether ``state`` is a graph input used once (by ``node``) and
    ``node.outputs[out_index]`` is used only as the update of ``state``."""
    if not any(state is i for i in fgraph.inputs):
        return False
    clients = fgraph.clients
    uses = clients.get(state, [])
    if len(uses) != 1 or uses[0][0] is not node:
        return False
    out_uses = clients.get(node.outputs[out_index], [])
    if len(out_uses) != 1 or not isinstance(out_uses[0][0], str):
        return False
    return getattr(fgraph, "update_of", {}).get(out_uses[0][1]) is state


__all__ = ["RandomVariable", "RandomTensorVariable", "Distribution", "DISTRIBUTIONS", "make_random",
           "random_inplace", "only_updates_itself"]
