"""``theano.tensor.fft``: real-input FFTs over a batch, Theano 1.0's ``rfft`` and ``irfft``.

Theano kept complex spectra in real tensors: ``rfft`` of a real ``(m, ..., n)`` tensor is the
``(m, ..., n//2 + 1, 2)`` tensor of the ``m`` transforms of its ``(..., n)`` blocks, the last axis
holding each coefficient's real and imaginary parts; ``irfft`` takes such a tensor back. The
values are NumPy's (``numpy.fft.rfftn`` / ``irfftn`` over every axis but the first; CuPy's on the
GPU), in the input's dtype. ``norm``: ``None`` (NumPy's default: the inverse divides by the
number of points), ``'ortho'`` (both divide by its square root), ``'no_norm'`` (neither does).

Two ops do the work, :class:`RFFTOp` and :class:`IRFFTOp`: both unnormalised, each the other's
adjoint up to the weights of the half spectrum -- a coefficient strictly between the first and
the Nyquist one stands for itself and its mirror image in the full spectrum, so the gradient of
``rfft`` halves it before the inverse transform and that of ``irfft`` doubles it after the forward
one. The sizes ``s`` (an integer vector) are read on the host; they get no gradient.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ....core import elemwise as E
from ....core.errors import format_trace, user_trace
from ....core.graph import Apply, Variable
from ....core.op import Op
from ....core.types import TensorType, is_int
from ....core.variable import TensorVariable, as_tensor_variable

__all__ = ["RFFTOp", "IRFFTOp", "rfft_op", "irfft_op", "rfft", "irfft"]


def _sizes(s: Any, label: str, transformed: int) -> TensorVariable:
    """``s`` as an int64 vector of ``transformed`` sizes (one per transformed axis)."""
    s = as_tensor_variable(s)
    if s.ndim != 1 or not is_int(s.dtype):
        raise TypeError(f"{label}: the sizes of the transformed axes must be an integer vector, got {s.type} "
                        f"(at {format_trace(user_trace())})")
    if s.type.shape[0] is not None and s.type.shape[0] != transformed:
        raise ValueError(f"{label}: {transformed} transformed axes, but {s.type.shape[0]} sizes "
                         f"(at {format_trace(user_trace())})")
    return E.cast(s, "int64")


def _host_sizes(s: Any, transformed: int, label: str) -> Tuple[int, ...]:
    sizes = tuple(int(k) for k in np.asarray(s).reshape(-1))
    if len(sizes) != transformed:
        raise ValueError(f"{label}: {transformed} transformed axes, but {len(sizes)} sizes: {sizes}")
    return sizes


def _half_spectrum_weights(n_coeffs: Any, last: Any, inner: Any) -> TensorVariable:
    """``inner`` (0.5 or 2) for the coefficients 1 .. ceil(last / 2) - 1 of a half spectrum of
    ``n_coeffs`` entries (those that stand for a mirrored pair), 1 for the first and the Nyquist one."""
    k = E.cast(_arange(n_coeffs), "int64")
    paired = E.and_(E.ge(k, 1), E.lt(k, last // 2 + last % 2))
    return E.switch(paired, inner, 1.0)


def _arange(n: Any) -> TensorVariable:
    from ....tensor import arange

    return arange(n)


def _weighted(g: TensorVariable, weights: TensorVariable) -> TensorVariable:
    """``g`` (``(..., coefficients, 2)``) with each coefficient multiplied by its weight."""
    w = E.cast(weights, g.dtype).dimshuffle(*(["x"] * (g.ndim - 2)), 0, "x")
    return g * w


class _BatchFFTOp(Op):
    """What the two ops share: no parameters, a float input of at least ``MIN_NDIM`` dimensions (the
    first the batch), the sizes ``s`` read on the host."""

    __props__ = ()
    MIN_NDIM = 2
    LAYOUT = "the first the batch"

    def _input(self, a: Any) -> TensorVariable:
        a = as_tensor_variable(a)
        if a.ndim < self.MIN_NDIM or not str(a.dtype).startswith("float"):
            raise TypeError(f"{self.name}: the input must be a float tensor of at least {self.MIN_NDIM} dimensions, "
                            f"{self.LAYOUT}; got {a.type} (at {format_trace(user_trace())})")
        return a

    def host_int_inputs(self, node: Apply) -> frozenset:
        return frozenset({1})


class RFFTOp(_BatchFFTOp):
    """``RFFTOp()(a, s)``: the unnormalised ``rfftn`` of ``a``'s blocks (every axis but the first) at
    the sizes ``s``, as ``(m, ..., s[-1]//2 + 1, 2)`` real/imaginary pairs in ``a``'s dtype."""
    complex_grad = True  # linear (real inputs only)

    name = "rfft"

    def make_node(self, a: Any, s: Any = None) -> Apply:
        a = self._input(a)
        s = _sizes(a.shape[1:] if s is None else s, "rfft", a.ndim - 1)
        return Apply(self, [a, s], [TensorType(a.dtype, (a.type.shape[0],) + (None,) * (a.ndim - 1) + (2,))])

    def impl(self, xp: Any, a: Any, s: Any) -> Any:
        sizes = _host_sizes(s, a.ndim - 1, "rfft")
        spectrum = xp.fft.rfftn(a, s=sizes, axes=tuple(range(1, a.ndim)))
        return xp.stack([spectrum.real, spectrum.imag], axis=-1).astype(a.dtype, copy=False)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        a, s = node.inputs
        sizes = [s[k] for k in range(a.ndim - 1)]
        return [(input_shapes[0][0], *sizes[:-1], sizes[-1] // 2 + 1, 2)]

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (a, s), g = node.inputs, output_grads[0]
        if g is None:
            return [None, None]
        halved = _weighted(g, _half_spectrum_weights(g.shape[-2], s[-1], 0.5))
        return [irfft_op(halved, s), None]


class IRFFTOp(_BatchFFTOp):
    """``IRFFTOp()(a, s)``: the unnormalised ``irfftn`` (no division by the number of points) of the
    half spectra ``a`` (``(m, ..., n_coeffs, 2)`` real/imaginary pairs) at the output sizes ``s``."""
    complex_grad = True  # linear (real inputs only)

    name = "irfft"
    MIN_NDIM = 3
    LAYOUT = "the first the batch and the last the real and imaginary parts"

    def make_node(self, a: Any, s: Any = None) -> Apply:
        a = self._input(a)
        if s is None:
            sizes = [a.shape[k] for k in range(1, a.ndim - 1)]
            sizes[-1] = (sizes[-1] - 1) * 2
            from ....tensor import stack

            s = stack(sizes)
        s = _sizes(s, "irfft", a.ndim - 2)
        return Apply(self, [a, s], [TensorType(a.dtype, (a.type.shape[0],) + (None,) * (a.ndim - 2))])

    def impl(self, xp: Any, a: Any, s: Any) -> Any:
        if a.shape[-1] != 2:
            raise ValueError(f"irfft: the last axis holds the real and imaginary parts: its size must be 2, "
                             f"got shape {a.shape}")
        sizes = _host_sizes(s, a.ndim - 2, "irfft")
        spectrum = xp.empty(a.shape[:-1], dtype=np.result_type(a.dtype, np.complex64))
        spectrum.real, spectrum.imag = a[..., 0], a[..., 1]  # not a + 1j b: 1j * inf would make a NaN real part
        # norm='forward' leaves the inverse unscaled (no multiplication by the size afterwards)
        out = xp.fft.irfftn(spectrum, s=sizes, axes=tuple(range(1, a.ndim - 1)), norm="forward")
        return out.astype(a.dtype, copy=False)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        a, s = node.inputs
        return [(input_shapes[0][0], *[s[k] for k in range(a.ndim - 2)])]

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        (a, s), g = node.inputs, output_grads[0]
        if g is None:
            return [None, None]
        spectrum = rfft_op(g, s)
        return [_weighted(spectrum, _half_spectrum_weights(spectrum.shape[-2], s[-1], 2.0)), None]


rfft_op = RFFTOp()
irfft_op = IRFFTOp()


def _norm(norm: Any) -> Optional[str]:
    if norm not in (None, "ortho", "no_norm"):
        raise ValueError(f"norm must be None, 'ortho' or 'no_norm', got {norm!r}")
    return norm


def _points(s: TensorVariable, dtype: str) -> TensorVariable:
    from ....core.reduce import prod

    return E.cast(prod(s), dtype)


def rfft(inp: Any, norm: Any = None) -> TensorVariable:
    """The FFTs of the real ``(m, ..., n)`` tensor's ``m`` blocks of shape ``(..., n)``, as the
    ``(m, ..., n//2 + 1, 2)`` tensor of their non-trivial coefficients' real and imaginary parts.
    ``norm='ortho'`` divides by the square root of the number of points of a block; ``None`` and
    ``'no_norm'`` do not (Theano 1.0's ``rfft``)."""
    norm = _norm(norm)
    out = rfft_op(inp)
    if norm == "ortho":
        return out / E.sqrt(_points(out.owner.inputs[1], out.dtype))
    return out


def irfft(inp: Any, norm: Any = None, is_odd: Any = False) -> TensorVariable:
    """The real ``(m, ..., n)`` inverse of ``rfft``'s ``(m, ..., n//2 + 1, 2)`` layout: ``n = 2 (N - 1)``
    for a last axis of ``N`` coefficients, ``2 (N - 1) + 1`` with ``is_odd=True``. ``norm``: ``None``
    divides by the number of points of a block (NumPy's inverse), ``'ortho'`` by its square root,
    ``'no_norm'`` not at all (Theano 1.0's ``irfft``)."""
    if is_odd not in (True, False):
        raise ValueError(f"is_odd must be True or False, got {is_odd!r}")
    norm = _norm(norm)
    a = as_tensor_variable(inp)
    if a.ndim < 3:
        return irfft_op(a)  # the op's own error names what is wrong
    sizes = [a.shape[k] for k in range(1, a.ndim - 1)]
    sizes[-1] = (sizes[-1] - 1) * 2 + (1 if is_odd else 0)
    from ....tensor import stack

    s = stack(sizes)
    out = irfft_op(a, s)
    if norm is None:
        return out / _points(out.owner.inputs[1], out.dtype)
    if norm == "ortho":
        return out / E.sqrt(_points(out.owner.inputs[1], out.dtype))
    return out


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
