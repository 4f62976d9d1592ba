"""The ops behind ``MRG_RandomStreams``: a draw, and the two ops that turn uniforms into categories.

* :class:`MRGUniform` ``(state, size) -> (new_state, sample)``: ``state`` is
  the int32 matrix of stream states (one row of six per stream) that
  ``MRG_RandomStreams`` keeps in a shared variable; the sample holds the
  floats of :mod:`._mrg31k3p` in Theano 1.0's layout. The input state is never
  changed (the new state is a new array), so replay and
  ``no_default_updates`` need no copy and no in-place rewrite.
* :class:`MultinomialFromUniform` and :class:`ChoiceFromUniform`: Theano 1.0's
  compiled (C) rules for turning one uniform per draw into counts, or into
  categories without replacement.
* :class:`Positions`: ``flatnonzero`` of a boolean vector (what the truncated
  normal needs to lay its draws out as Theano does).

The first three compute on the host with NumPy: on a device backend their
kernels bring the inputs to the host and send the results back (there is no
device kernel for them). None has a gradient: a sample is a constant with
respect to the state and the probabilities.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from ....core.elemwise import cast
from ....core.graph import Apply, Variable
from ....core.op import Op
from ....core.shape_ops import _as_shape_vector, static_int, static_vector
from ....core.types import TensorType, is_int
from ....core.variable import as_tensor_variable
from . import _mrg31k3p as mrg


class _HostOp(Op):
    """An op computed by ``run(*host_values)`` (NumPy in, NumPy out) on every backend."""
    complex_grad = True  # no gradient to its parameters

    fresh_storage = True  # outputs are new arrays

    def run(self, node: Optional[Apply], *values: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define run(node, *host_values): "
                                  "every op of this module does")

    def impl(self, xp: Any, *values: Any) -> Any:
        out = self.run(None, *values)
        return tuple(xp.asarray(o) for o in out) if isinstance(out, tuple) else xp.asarray(out)

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        run = self.run
        if backend.host_is_device:
            return lambda *values: run(node, *values)
        to_host, from_host = backend.to_host, backend.from_host

        def kernel(*values: Any) -> Any:
            out = run(node, *[to_host(v, copy=False) for v in values])
            if isinstance(out, tuple):
                return tuple(from_host(o, copy=False) for o in out)
            return from_host(out, copy=False)

        return kernel

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        """No gradient: a sample is a constant with respect to the state and the probabilities."""
        return [None] * len(node.inputs)


def _label(node: Optional[Apply], k: int, what: str) -> str:
    """How an error names input ``k`` of ``node``: ``what`` and the variable, when there is one."""
    if node is None:
        return what
    v = node.inputs[k]
    return f"{what} ({v.name})" if v.name else what


# --- the draw --------------------------------------------------------------------------------

class MRGUniform(_HostOp):
    """``(state, size) -> (new_state, sample)``: MRG31k3p uniforms of ``dtype`` in ``(0, 1)``.

    ``size`` is an integer vector of length ``ndim`` (the sample's shape).
    Element ``i`` of the flattened sample is the ``(i // n)``-th number of
    stream ``i % n`` (``n`` rows in the state); ``new_state`` is the state
    after those draws. Theano 1.0's name for this op is ``mrg_uniform``;
    :meth:`new` is its constructor.
    """
    complex_grad = True  # no gradient to its parameters

    __props__ = ("dtype", "ndim")
    nout = 2

    def __init__(self, dtype: str, ndim: int) -> None:
        if str(dtype) not in mrg.FLOAT_DTYPES:
            raise TypeError(f"mrg_uniform draws float16, float32 or float64 numbers, not {dtype}")
        self.dtype, self.ndim = str(dtype), int(ndim)
        self.name = "mrg_uniform"

    def host_int_inputs(self, node: Apply) -> frozenset:
        return frozenset({1})  # the size

    @classmethod
    def new(cls, rstate: Any, ndim: Optional[int], dtype: str, size: Any) -> Tuple[Variable, Variable]:
        """Theano's ``mrg_uniform.new(rstate, ndim, dtype, size)``: ``(new_state, sample)``."""
        size_v = _as_shape_vector(size)
        if ndim is None:
            ndim = size_v.type.shape[0]
            if ndim is None:
                raise ValueError("mrg_uniform: the length of size is not known when building; pass ndim=")
        return cls(dtype, ndim)(rstate, size_v)

    def make_node(self, state: Any, size: Any) -> Apply:
        state = as_tensor_variable(state)
        if not isinstance(state.type, TensorType) or state.dtype != "int32" or state.ndim != 2:
            raise TypeError(f"mrg_uniform: the state {state} must be an int32 matrix (one row of 6 integers per "
                            f"stream, as MRG_RandomStreams makes), got {state.type}")
        size = _as_shape_vector(size)
        if size.ndim != 1 or not is_int(size.dtype):
            raise TypeError(f"mrg_uniform: size must be an integer vector, got {size.type}")
        if size.dtype != "int64":
            size = cast(size, "int64")
        n = size.type.shape[0]
        if n is not None and n != self.ndim:
            raise ValueError(f"mrg_uniform: size has {n} entries, the sample {self.ndim} dimension(s)")
        known = static_vector(size) or [None] * self.ndim
        shape = tuple(None if d is None or d < 0 else d for d in known)
        return Apply(self, [state, size], [state.type, TensorType(self.dtype, shape)])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        size = node.inputs[1]
        dims = [d if d is not None else size[i] for i, d in enumerate(node.outputs[1].type.shape)]
        return [tuple(input_shapes[0]), tuple(dims)]

    def run(self, node: Optional[Apply], state: Any, size: Any) -> Tuple[np.ndarray, np.ndarray]:
        shape = tuple(int(s) for s in np.asarray(size).reshape(-1))
        if len(shape) != self.ndim:
            raise ValueError(f"mrg_uniform: size {shape} has {len(shape)} entries, the sample {self.ndim} dimension(s)")
        if any(s < 0 for s in shape):
            raise ValueError(f"mrg_uniform: size {shape} has a negative entry")
        count = int(np.prod(shape, dtype=np.int64))
        if count > mrg.M1:
            raise ValueError(f"mrg_uniform: size {shape} asks for {count} numbers; MRG31k3p streams draw at most "
                             f"2**31 - 1 per call (as in Theano)")
        states = mrg.check_state(state, _label(node, 0, "the MRG stream state"))
        new, k = mrg.draw(states, count)
        return new, mrg.to_float(k, self.dtype).reshape(shape)

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        return f"mrg_uniform{{{self.dtype}}}({args[0]}, size={args[1]})", 100


mrg_uniform = MRGUniform  # Theano's name of the op class


# --- positions of True entries ---------------------------------------------------------------

class Positions(Op):
    """``flatnonzero(mask)`` of a vector: the int64 positions of its True entries, in order."""
    complex_grad = True  # no gradient to its parameters

    name = "positions"
    fresh_storage = True

    def make_node(self, mask: Any) -> Apply:
        mask = as_tensor_variable(mask)
        if mask.ndim != 1:
            raise TypeError(f"positions: the mask must be a vector, got {mask.type}")
        return Apply(self, [mask], [TensorType("int64", (None,))])

    def impl(self, xp: Any, mask: Any) -> Any:
        return xp.flatnonzero(mask).astype("int64")

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        return [None]


positions = Positions()


# --- categories from uniforms ----------------------------------------------------------------

class _FromUniform(_HostOp):
    """``(pvals, unis, n) -> out``: ``n`` categorical draws per row of the matrix ``pvals``,
    draw ``c`` of row ``r`` from ``unis[c * rows + r]`` (Theano 1.0's compiled rules)."""
    complex_grad = True  # no gradient to its parameters

    __props__ = ("odtype",)

    def __init__(self, odtype: str) -> None:
        self.odtype = str(odtype)

    def host_int_inputs(self, node: Apply) -> frozenset:
        return frozenset({2})  # n

    def out_shape(self, pvals: Variable, n: Variable) -> Tuple[Optional[int], ...]:
        raise NotImplementedError(f"{type(self).__name__} must define out_shape(pvals, n): "
                                  "the multinomial and choice ops of this module do")

    def make_node(self, pvals: Any, unis: Any, n: Any = 1) -> Apply:
        pvals, unis, n = as_tensor_variable(pvals), as_tensor_variable(unis), as_tensor_variable(n)
        if pvals.ndim != 2:
            raise NotImplementedError(f"{self.name}: pvals must be a matrix (one row of probabilities per draw), "
                                      f"got {pvals.type}")
        if unis.ndim != 1:
            raise TypeError(f"{self.name}: the uniforms must be a vector, got {unis.type}")
        if n.ndim != 0 or not is_int(n.dtype):
            raise TypeError(f"{self.name}: n must be an integer scalar, got {n.type}")
        n = cast(n, "int64") if n.dtype != "int64" else n
        return Apply(self, [pvals, unis, n], [TensorType(self.odtype, self.out_shape(pvals, n))])

    def host_inputs(self, pvals: Any, unis: Any, n: Any) -> Tuple[np.ndarray, np.ndarray, int]:
        """``pvals``, the uniforms as an ``(n, rows)`` float64 array, and ``n``; or a ValueError."""
        pvals, unis, n = np.asarray(pvals), np.asarray(unis), int(n)
        if n < 0:
            raise ValueError(f"{self.name}: n must not be negative, got {n}")
        if unis.shape[0] != pvals.shape[0] * n:
            raise ValueError(f"{self.name}: {unis.shape[0]} uniforms for {pvals.shape[0]} rows and n={n} (needs "
                             f"rows * n = {pvals.shape[0] * n})")
        return pvals, unis.astype(np.float64).reshape(n, pvals.shape[0]), n


class MultinomialFromUniform(_FromUniform):
    """``(pvals, unis, n) -> counts`` of ``pvals``' shape and dtype ``odtype``.

    Each draw picks the first category whose running sum of probabilities,
    added up in float64, exceeds its uniform (none if the row sums to no more).
    """
    complex_grad = True  # no gradient to its parameters

    name = "multinomial_from_uniform"

    def out_shape(self, pvals: Variable, n: Variable) -> Tuple[Optional[int], ...]:
        return pvals.type.shape

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [tuple(input_shapes[0])]

    def run(self, node: Optional[Apply], pvals: Any, unis: Any, n: Any) -> np.ndarray:
        pvals, u, n = self.host_inputs(pvals, unis, n)
        rows, k = pvals.shape
        out = np.zeros((rows, k), dtype=self.odtype)
        cum = np.cumsum(pvals, axis=1, dtype=np.float64)  # the C loop's running double sum, in order
        chunk = max(1, 10 ** 7 // max(1, rows * k))
        for c0 in range(0, n, chunk):
            hit = cum[None, :, :] > u[c0:c0 + chunk, :, None]
            first, found = hit.argmax(axis=2), hit.any(axis=2)
            rows_hit = np.broadcast_to(np.arange(rows), found.shape)[found]
            np.add.at(out, (rows_hit, first[found]), 1)
        return out


class ChoiceFromUniform(_FromUniform):
    """``(pvals, unis, n) -> indices``: ``(rows, n)`` categories of dtype ``odtype``, without replacement.

    Each draw picks the first category whose running float64 sum exceeds its
    uniform; before the row's next draw that category's probability is set to
    0 and the row is divided by its new sum (computed in ``pvals``' dtype,
    starting from the float64 sum before the category). A draw that finds no
    category gives -1 (Theano's compiled code left that entry unset).
    """
    complex_grad = True  # no gradient to its parameters

    name = "choice_from_uniform"

    def out_shape(self, pvals: Variable, n: Variable) -> Tuple[Optional[int], ...]:
        return pvals.type.shape[0], static_int(n)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [(input_shapes[0][0], node.inputs[2])]

    def run(self, node: Optional[Apply], pvals: Any, unis: Any, n: Any) -> np.ndarray:
        pvals, u, n = self.host_inputs(pvals, unis, n)
        rows, k = pvals.shape
        if n > k:
            raise ValueError(f"{self.name}: cannot draw {n} categories without replacement out of {k}")
        p = np.array(pvals)  # renormalised in place, in pvals' dtype
        out = np.full((rows, n), -1, dtype=self.odtype)
        cols = np.arange(k)
        for c in range(n):
            cum = np.cumsum(p, axis=1, dtype=np.float64)
            hit = cum > u[c][:, None]
            found = hit.any(axis=1)
            first = hit.argmax(axis=1)
            out[found, c] = first[found]
            if c == n - 1 or not found.any():
                continue
            r, m = np.flatnonzero(found), first[found]
            total = np.empty((len(r), k + 1), dtype=p.dtype)
            total[:, 0] = cum[r, m] - p[r, m]  # the float64 sum before the category, in pvals' dtype
            p[r, m] = 0
            total[:, 1:] = np.where(cols[None, :] >= m[:, None], p[r], 0)
            p[r] /= np.add.accumulate(total, axis=1, dtype=p.dtype)[:, -1:]  # summed in order, in pvals' dtype
        return out
