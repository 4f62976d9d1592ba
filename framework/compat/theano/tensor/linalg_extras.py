"""Theano 1.0's decompositions of ``theano.tensor.nlinalg`` that framework lacks: ``pinv``, ``eig``,
``eigh`` (with Theano's gradient), ``qr``, ``svd``, ``tensorinv``, ``tensorsolve``.

One op, :class:`Decomposition`, driven by the table :data:`DECOMPOSITIONS`: per function the
types of its outputs, its kernel over the array namespace's ``linalg`` (NumPy's, or CuPy's on
the GPU) and its gradient -- Theano 1.0 gives one for ``eigh`` only; the others have a null
gradient (``NullTypeGradError`` when ``grad`` reaches it), as Theano raised.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .... import tensor as _T
from ....core.grad import grad_not_implemented
from ....core.graph import Apply, Variable
from ....core.op import Op
from ....core.types import TensorType
from ....core.variable import TensorVariable, as_tensor_variable

__all__ = ["Decomposition", "pinv", "eig", "eigh", "qr", "svd", "tensorinv", "tensorsolve"]

Types = List[Tuple[str, int]]  # (dtype, ndim) per output


@dataclass(frozen=True)
class DecompositionRule:
    """One row: output types from the inputs and the options, the kernel, the gradient (or None)."""
    types: Callable[[Sequence[Variable], dict], Types]
    kernel: Callable[[Any, dict], Callable[..., Any]]
    grad: Optional[Callable[[Apply, Sequence[Optional[Variable]], dict], List[Any]]] = None


def _eigh_dtype(dtype: str) -> str:
    """The dtype NumPy's ``eigh`` gives the eigenvalues (probed, as Theano did: LAPACK builds differ)."""
    return str(np.linalg.eigh(np.ones((1, 1), dtype=dtype))[0].dtype)


def _eigh_grad(node: Apply, grads: Sequence[Optional[Variable]], opts: dict) -> List[Any]:
    """Theano's eigensystem gradient: ``g = v diag(W) v^T + v (F o (v^T V))^T v^T`` with
    ``F[m, n] = 1 / (w[n] - w[m])`` off the diagonal, then, since ``eigh`` reads one triangle
    only, that triangle plus the transpose of the other's strict part.

    For a complex Hermitian matrix (Theano's rule is for real ones) the same perturbation theory
    with conjugate transposes: ``g = v (diag(W) + F o (v^H V)) v^H``, folded onto the triangle read
    with the other's strict part *conjugated* (its entries are the conjugates of the read ones) and
    the diagonal's real part only (the imaginary part of the diagonal is not read). A cost that
    depends on the eigenvectors' arbitrary phases has no gradient; one that does not (``|v|``,
    ``v v^H``) gets the right one (checked against finite differences)."""
    x = node.inputs[0]
    w, v = node.outputs
    gw = grads[0] if grads[0] is not None else _T.zeros_like(w)
    gv = grads[1] if grads[1] is not None else _T.zeros_like(v)
    n = x.shape[0]
    diff = w.dimshuffle("x", 0) - w.dimshuffle(0, "x")            # w[n] - w[m] at [m, n]
    off = _T.neq(_T.arange(n).dimshuffle(0, "x"), _T.arange(n).dimshuffle("x", 0))
    f = _T.switch(off, 1.0 / _T.switch(off, diff, 1.0), 0.0)
    rows, cols = _T.arange(n).dimshuffle(0, "x"), _T.arange(n).dimshuffle("x", 0)
    lower = opts["UPLO"] == "L"
    keep = _T.ge(rows, cols) if lower else _T.le(rows, cols)
    strict = _T.lt(rows, cols) if lower else _T.gt(rows, cols)
    if str(x.dtype).startswith("complex"):
        vh = _T.conj(v).T
        g = _T.dot(v * gw.dimshuffle("x", 0), vh) + _T.dot(_T.dot(v, f * _T.dot(vh, gv)), vh)
        diag = _T.eq(rows, cols)
        out = (_T.switch(_T.and_(keep, _T.neq(rows, cols)), g, 0.0) + _T.switch(diag, _T.real(g), 0.0)
               + _T.conj(_T.switch(strict, g, 0.0)).T)
        return [_T.cast(out, x.dtype)]
    g = _T.dot(v * gw.dimshuffle("x", 0), v.T) + _T.dot(_T.dot(v, (f * _T.dot(v.T, gv)).T), v.T)
    out = _T.switch(keep, g, 0.0) + _T.switch(strict, g, 0.0).T
    return [_T.cast(out, x.dtype)]


def _qr_types(ins: Sequence[Variable], opts: dict) -> Types:
    dt = ins[0].dtype
    return {"reduced": [(dt, 2), (dt, 2)], "complete": [(dt, 2), (dt, 2)], "r": [(dt, 2)],
            "raw": [(dt, 2), (dt, 1)]}[opts["mode"]]


def _svd_types(ins: Sequence[Variable], opts: dict) -> Types:
    dt = ins[0].dtype
    return [(dt, 2), (dt, 1), (dt, 2)] if opts["compute_uv"] else [(dt, 1)]


def _as(dtype: str) -> Callable[[Any], Any]:
    return lambda a: a.real.astype(dtype) if a.dtype.kind == "c" and dtype[0] != "c" else a.astype(dtype)


DECOMPOSITIONS = {
    "pinv": DecompositionRule(lambda ins, o: [(ins[0].dtype, 2)],
                              lambda xp, o: lambda x: xp.linalg.pinv(x).astype(x.dtype)),
    # Theano casts eig's results to the input's dtype (a real matrix's complex parts are dropped)
    "eig": DecompositionRule(lambda ins, o: [(ins[0].dtype, 1), (ins[0].dtype, 2)],
                             lambda xp, o: lambda x: tuple(_as(str(x.dtype))(z) for z in xp.linalg.eig(x))),
    "eigh": DecompositionRule(lambda ins, o: [(_eigh_dtype(ins[0].dtype), 1), (ins[0].dtype, 2)],
                              lambda xp, o: lambda x: tuple(xp.linalg.eigh(x, UPLO=o["UPLO"])), _eigh_grad),
    "qr": DecompositionRule(_qr_types, lambda xp, o: lambda x: xp.linalg.qr(x, mode=o["mode"])),
    "svd": DecompositionRule(_svd_types, lambda xp, o: lambda x: xp.linalg.svd(
        x, full_matrices=bool(o["full_matrices"]), compute_uv=bool(o["compute_uv"]))),
    "tensorinv": DecompositionRule(lambda ins, o: [(ins[0].dtype, ins[0].ndim)],
                                   lambda xp, o: lambda a: xp.linalg.tensorinv(a, ind=o["ind"])),
    "tensorsolve": DecompositionRule(
        lambda ins, o: [(str(np.result_type(ins[0].dtype, ins[1].dtype)), ins[0].ndim - ins[1].ndim)],
        lambda xp, o: lambda a, b: xp.linalg.tensorsolve(a, b, axes=o["axes"])),
}


class Decomposition(Op):
    """``Decomposition(name, **options)(*inputs)``: the function ``name`` of :data:`DECOMPOSITIONS`."""
    complex_grad = True  # eigh's rule conjugates (the complex audit); the others have no gradient

    __props__ = ("name", "options")
    fresh_storage = True

    def __init__(self, name: str, **options: Any) -> None:
        self.name = name
        self.options = tuple(sorted(options.items()))
        self.rule = DECOMPOSITIONS[name]
        self.nout = len(self.rule.types([_T.dmatrix(), _T.dvector()], dict(self.options)))

    def __str__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options)
        return f"{self.name}{{{opts}}}" if opts else self.name

    def make_node(self, *inputs: Any) -> Apply:
        ins = [as_tensor_variable(x) for x in inputs]
        types = self.rule.types(ins, dict(self.options))
        return Apply(self, ins, [TensorType(dt, (None,) * nd) for dt, nd in types])

    def impl(self, xp: Any, *values: Any) -> Any:
        out = self.rule.kernel(xp, dict(self.options))(*values)
        outs = list(out) if isinstance(out, tuple) else [out]
        types = self.rule.types([_Typed(v) for v in values], dict(self.options))
        outs = [xp.asarray(o).astype(dt, copy=False) for o, (dt, _) in zip(outs, types)]
        return tuple(outs) if self.nout > 1 else outs[0]

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Any]:
        if all(g is None for g in output_grads):
            return [None] * len(node.inputs)
        if self.rule.grad is None:
            return [grad_not_implemented(self, k, x, "Theano 1.0 has no gradient for it either")
                    for k, x in enumerate(node.inputs)]
        return self.rule.grad(node, output_grads, dict(self.options))


class _Typed:
    """A value seen as a variable by the type rules (its dtype and ndim)."""

    def __init__(self, value: Any) -> None:
        self.dtype, self.ndim = str(value.dtype), value.ndim


def _matrix(x: Any, label: str) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"{label}: expected a matrix, got {x.type}")
    return x


def pinv(x: Any) -> TensorVariable:
    """Theano's ``pinv``: the Moore-Penrose pseudo-inverse of a matrix (no gradient, as in Theano)."""
    return Decomposition("pinv")(_matrix(x, "pinv"))


def eig(x: Any) -> List[TensorVariable]:
    """Theano's ``eig``: eigenvalues and right eigenvectors of a square matrix, in the input's dtype
    (the imaginary parts of a real matrix's complex pairs are dropped, as Theano's cast did)."""
    return Decomposition("eig")(_matrix(x, "eig"))


def eigh(a: Any, UPLO: str = "L") -> List[TensorVariable]:  # noqa: N803 -- Theano's name
    """Theano's ``eigh(a, UPLO='L')``: eigenvalues (ascending) and eigenvectors of a symmetric matrix,
    reading its lower (upper) triangle; with Theano's gradient."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return Decomposition("eigh", UPLO=UPLO)(_matrix(a, "eigh"))


def qr(a: Any, mode: str = "reduced") -> Any:
    """Theano's ``qr(a, mode)``: ``q, r`` ('reduced', also spelled 'full' as in Theano; 'complete'),
    ``r`` alone ('r') or ``h, tau`` ('raw'), as ``numpy.linalg.qr``."""
    modes = {"full": "reduced", "reduced": "reduced", "complete": "complete", "r": "r", "raw": "raw"}
    if mode not in modes:
        raise ValueError(f"qr: mode must be one of {sorted(modes)}, got {mode!r} ('economic' is gone from NumPy: "
                         "use 'raw' and take h)")
    return Decomposition("qr", mode=modes[mode])(_matrix(a, "qr"))


def svd(a: Any, full_matrices: int = 1, compute_uv: int = 1) -> Any:
    """Theano's ``svd(a, full_matrices=1, compute_uv=1)``: ``u, s, v`` (``v`` is NumPy's ``vh``) or
    the singular values alone."""
    return Decomposition("svd", full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))(_matrix(a, "svd"))


def tensorinv(a: Any, ind: int = 2) -> TensorVariable:
    """Theano's ``tensorinv(a, ind=2)``: ``numpy.linalg.tensorinv``."""
    return Decomposition("tensorinv", ind=int(ind))(a)


def tensorsolve(a: Any, b: Any, axes: Optional[Sequence[int]] = None) -> TensorVariable:
    """Theano's ``tensorsolve(a, b, axes=None)``: ``numpy.linalg.tensorsolve``."""
    return Decomposition("tensorsolve", axes=None if axes is None else tuple(axes))(a, b)
