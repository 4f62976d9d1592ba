"""``theano.tensor.slinalg.expm`` and ``eigvalsh``: SciPy's matrix exponential and symmetric
(generalised) eigenvalues, with Theano 1.0's gradients.

* ``expm(A)``: ``scipy.linalg.expm``. Its gradient for an output gradient ``G`` is the Fréchet
  derivative of the exponential at ``A.T`` in the direction ``G`` (``<G, expm(A + E)>`` grows
  by ``<L(A.T, G), E>``), computed by ``scipy.linalg.expm_frechet`` -- the block-matrix method,
  accurate where ``A`` has repeated eigenvalues (Theano's eigendecomposition is not). A complex
  ``A`` gives a complex result (it used to be cast to float64, its imaginary part dropped) and
  the gradient ``L(A^H, G)`` (the adjoint under ``Re <X, Y>``; the convention ``dC/dx + i dC/dy``).
* ``eigvalsh(a, b=None, lower=True)``: ``scipy.linalg.eigvalsh``, the eigenvalues of the
  symmetric ``a`` (``a v = w b v`` with ``b``), ascending, read from ``a``'s lower (upper)
  triangle. With ``V`` the eigenvectors (``V.T b V = I``) the gradients are ``V diag(g) V.T``
  for ``a`` and ``-V diag(g w) V.T`` for ``b``, folded onto the triangle that is read (the
  other triangle does not change the result: its gradient is zero), as Theano's.

The kernels run on the host (SciPy); on a device backend the values are copied there and back.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from ....core.errors import format_trace, user_trace
from ....core.graph import Apply, Variable
from ....core.op import Op
from ....core.types import TensorType, is_int
from ....core.variable import TensorVariable, as_tensor_variable

__all__ = ["Expm", "ExpmGrad", "expm", "Eigvalsh", "EigvalshGrad", "eigvalsh"]


def _float_dtype(*dtypes: str) -> str:
    """The inexact dtype of the result: the inputs' common one (complex stays complex), integers as
    float64 (SciPy's)."""
    dt = np.result_type(*[np.dtype(d) for d in dtypes])
    return str(dt) if dt.kind in "fc" else "float64"


def _real_dtype(*dtypes: str) -> str:
    """The real dtype of eigenvalues of (complex) Hermitian matrices: complex128 -> float64."""
    dt = np.dtype(_float_dtype(*dtypes))
    return str(np.finfo(dt).dtype)


def _square(x: Any, label: str) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"{label}: expects a square matrix, got {x.type} (at {format_trace(user_trace())})")
    return x


class _HostKernel(Op):
    """An op whose ``host(*arrays)`` (each subclass's) computes on NumPy arrays: the kernel copies
    device values to the host and the results back (a no-op on the NumPy backend)."""

    def impl(self, xp: Any, *values: Any) -> Any:
        return self.host(*[np.asarray(v) for v in values])

    def make_kernel(self, node: Apply, backend: Any) -> Any:
        host, to_host, from_host = self.host, backend.to_host, backend.from_host
        if backend.host_is_device:
            return lambda *values: host(*values)

        def kernel(*values: Any) -> Any:
            out = host(*[to_host(v, False) for v in values])
            return tuple(from_host(o) for o in out) if isinstance(out, tuple) else from_host(out)

        return kernel


class Expm(_HostKernel):
    """``scipy.linalg.expm(A)`` of a square matrix."""
    complex_grad = True  # conjugating (the complex audit)

    __props__ = ()
    name = "expm"

    def make_node(self, a: Any) -> Apply:
        a = _square(a, "expm")
        return Apply(self, [a], [TensorType(_float_dtype(a.dtype), a.type.shape)])

    def host(self, a: np.ndarray) -> np.ndarray:
        import scipy.linalg

        if a.shape[0] != a.shape[1]:
            raise ValueError(f"expm: expects a square matrix, got shape {a.shape}")
        return np.asarray(scipy.linalg.expm(a), dtype=self._dtype(a))

    @staticmethod
    def _dtype(a: np.ndarray) -> str:
        return _float_dtype(str(a.dtype))

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        return [tuple(input_shapes[0])]

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (a,), g = node.inputs, output_grads[0]
        if g is None or is_int(a.dtype):
            return [None]
        return [ExpmGrad()(a, g)]


class ExpmGrad(_HostKernel):
    """The gradient of ``<G, expm(A)>`` with respect to ``A``: ``expm_frechet(A.T, G)``."""

    __props__ = ()
    name = "expm_grad"

    def make_node(self, a: Any, g: Any) -> Apply:
        a, g = _square(a, "expm_grad"), as_tensor_variable(g)
        return Apply(self, [a, g], [TensorType(a.dtype, a.type.shape)])

    def host(self, a: np.ndarray, g: np.ndarray) -> np.ndarray:
        import scipy.linalg

        # the adjoint of the Frechet derivative L(A, .) is L(A^H, .): A.T for a real A
        return np.asarray(scipy.linalg.expm_frechet(a.conj().T, g, compute_expm=False), dtype=a.dtype)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        return [tuple(input_shapes[0])]


def expm(a: Any) -> TensorVariable:
    """The matrix exponential of the square matrix ``a`` (``scipy.linalg.expm``), with its gradient."""
    return Expm()(a)


class Eigvalsh(_HostKernel):
    """``scipy.linalg.eigvalsh(a, b, lower)``: ascending eigenvalues of the symmetric ``a``
    (generalised, ``a v = w b v``, with the symmetric positive definite ``b``)."""
    complex_grad = True  # conjugating (the complex audit)

    __props__ = ("lower",)

    def __init__(self, lower: bool = True) -> None:
        self.lower = bool(lower)
        self.name = "eigvalsh"

    def make_node(self, a: Any, b: Any = None) -> Apply:
        a = _square(a, "eigvalsh")
        ins = [a] if b is None else [a, _square(b, "eigvalsh")]
        return Apply(self, ins, [TensorType(_real_dtype(*[v.dtype for v in ins]), (a.type.shape[0],))])

    def host(self, a: np.ndarray, b: Optional[np.ndarray] = None) -> np.ndarray:
        import scipy.linalg

        dtype = _real_dtype(*[str(v.dtype) for v in ((a,) if b is None else (a, b))])
        return np.asarray(scipy.linalg.eigvalsh(a, b, lower=self.lower), dtype=dtype)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        return [(input_shapes[0][0],)]

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        g = output_grads[0]
        if g is None:
            return [None] * len(node.inputs)
        out = EigvalshGrad(self.lower)(*node.inputs, g)
        grads = out if isinstance(out, list) else [out]
        return [None if is_int(v.dtype) else gv for v, gv in zip(node.inputs, grads)]


class EigvalshGrad(_HostKernel):
    """The gradients of ``<g, eigvalsh(a[, b])>`` for ``a`` (and ``b``), on the triangle read."""

    __props__ = ("lower",)

    def __init__(self, lower: bool = True) -> None:
        self.lower = bool(lower)
        self.name = "eigvalsh_grad"

    def make_node(self, *args: Any) -> Apply:
        *mats, g = args
        mats = [_square(m, "eigvalsh_grad") for m in mats]
        g = as_tensor_variable(g)
        dtype = _float_dtype(*[m.dtype for m in mats])
        return Apply(self, mats + [g], [TensorType(dtype, m.type.shape) for m in mats])

    def host(self, *args: np.ndarray) -> Any:
        import scipy.linalg

        *mats, g = args
        a, b = mats[0], (mats[1] if len(mats) > 1 else None)
        w, v = scipy.linalg.eigh(a, b, lower=self.lower)
        dtype = _float_dtype(*[str(m.dtype) for m in mats])
        vh = v.conj().T  # v.T for real matrices
        outs = [(v * g) @ vh]
        if b is not None:
            outs.append(-(v * (g * w)) @ vh)
        folded = tuple(np.asarray(self._fold(o), dtype=dtype) for o in outs)
        return folded if len(folded) > 1 else folded[0]

    def _fold(self, m: np.ndarray) -> np.ndarray:
        """The gradient of a function of the symmetric (Hermitian) matrix built from one triangle:
        the read triangle gets its own entries plus the mirrored ones (conjugated: the unread
        triangle holds the conjugates of the read one); the other triangle zero. A complex
        diagonal's imaginary part is not read: its gradient is the real part."""
        if self.lower:
            out = np.tril(m) + np.triu(m, 1).T.conj()
        else:
            out = np.triu(m) + np.tril(m, -1).T.conj()
        if out.dtype.kind == "c":
            idx = np.arange(out.shape[0])
            out[idx, idx] = out[idx, idx].real
        return out

    def infer_shape(self, node: Apply, input_shapes: Sequence[Any]) -> List[Any]:
        return [tuple(s) for s in input_shapes[:-1]]


def eigvalsh(a: Any, b: Any = None, lower: bool = True) -> TensorVariable:
    """The ascending eigenvalues of the symmetric ``a`` (generalised with ``b``), as
    ``scipy.linalg.eigvalsh(a, b, lower=lower)``, with their gradients."""
    return Eigvalsh(lower)(a, b) if b is not None else Eigvalsh(lower)(a)
