"""``theano.tensor.nnet.bn``: Theano 1.0's batch normalization, built from element-wise ops and
reductions (so every gradient, in every input, comes from those ops).

* ``batch_normalization(inputs, gamma, beta, mean, std, mode='low_mem')``: ``(x - mean) / std *
  gamma + beta`` (``'high_mem'``: ``(x - mean) * (gamma / std) + beta``; the same up to rounding).
* ``batch_normalization_train(inputs, gamma, beta, axes='per-activation', epsilon=1e-4,
  running_average_factor=0.1, running_mean=None, running_var=None)``: normalizes over ``axes``
  (``'per-activation'`` is ``(0,)``, ``'spatial'`` is ``(0, 2, 3, ...)``) with the batch's mean
  and biased variance; returns ``(out, mean, invstd)`` and, given both running statistics,
  ``new_running_mean = running_mean * (1 - f) + mean * f`` and ``new_running_var = running_var *
  (1 - f) + m / (m - 1) * var * f`` (``m`` the number of values averaged: the unbiased variance).
* ``batch_normalization_test(inputs, gamma, beta, mean, var, axes='per-activation',
  epsilon=1e-4)``: ``(x - mean) * (gamma / sqrt(var + epsilon)) + beta``.

The parameters either have the input's number of dimensions (size 1 on the normalized axes) or
one per non-normalized axis (``gamma`` a vector for a matrix input with ``'per-activation'``); in
the second form the returned statistics have that form too, as in Theano 1.0.
"""
from __future__ import annotations

from typing import Any, Sequence, Tuple

from .....core import elemwise as _ew
from .....core.variable import TensorVariable, as_tensor_variable

__all__ = ["batch_normalization", "batch_normalization_train", "batch_normalization_test"]


def batch_normalization(inputs: Any, gamma: Any, beta: Any, mean: Any, std: Any,
                        mode: str = "low_mem") -> TensorVariable:
    """``(inputs - mean) / std * gamma + beta``, element-wise (all arguments broadcast together)."""
    x, gamma, beta, mean, std = (as_tensor_variable(v) for v in (inputs, gamma, beta, mean, std))
    if mode == "low_mem":
        return (x - mean) / std * gamma + beta
    if mode == "high_mem":
        return (x - mean) * (gamma / std) + beta
    raise ValueError(f"batch_normalization: mode must be either \"low_mem\" or \"high_mem\", got {mode!r}")


def _axes(opname: str, axes: Any, ndim: int) -> Tuple[int, ...]:
    if isinstance(axes, str) and axes == "per-activation":
        axes = (0,)
    elif isinstance(axes, str) and axes == "spatial":
        axes = (0,) + tuple(range(2, ndim))
    elif isinstance(axes, (tuple, list)) or hasattr(axes, "tolist"):
        axes = tuple(int(a) for a in (axes.tolist() if hasattr(axes, "tolist") else axes))
    else:
        raise ValueError(f"{opname}: axes must be 'per-activation', 'spatial' or a tuple of axes, got {axes!r}")
    axes = tuple(sorted(set(axes)))
    if not axes:
        raise ValueError(f"{opname}: there should be at least one normalization axis")
    if min(axes) < 0 or max(axes) >= ndim:
        raise ValueError(f"{opname}: axes must be between 0 and {ndim - 1} for a {ndim}-d input, got {axes}")
    return axes


def _params(opname: str, ndim: int, axes: Tuple[int, ...], names: Sequence[str], values: Sequence[Any]):
    """The parameters with the input's ndim, and whether they came one per non-normalized axis."""
    from .....core.shape_ops import rebroadcast

    values = [as_tensor_variable(v) for v in values]
    non_bc = [i for i in range(ndim) if i not in axes]
    if all(v.ndim == ndim for v in values):
        return [rebroadcast(v, [(a, True) for a in axes]) for v in values], False, non_bc
    if all(v.ndim == len(non_bc) for v in values):
        pattern = ["x"] * ndim
        for i, axis in enumerate(non_bc):
            pattern[axis] = i
        return [v.dimshuffle(*pattern) for v in values], True, non_bc
    got = ", ".join(f"{n} {v.ndim}-d" for n, v in zip(names, values))
    raise ValueError(f"{opname}: {', '.join(names)} must all have {len(non_bc)} dimensions (one per "
                     f"non-normalized axis) or {ndim} (as the input); got {got}")


def batch_normalization_train(inputs: Any, gamma: Any, beta: Any, axes: Any = "per-activation",
                              epsilon: float = 1e-4, running_average_factor: float = 0.1,
                              running_mean: Any = None, running_var: Any = None) -> Tuple[TensorVariable, ...]:
    """Batch normalization in training: the batch's statistics over ``axes`` (module docstring)."""
    from .....core.reduce import mean as mean_, var as var_
    from .....core.shape_ops import shape_i

    x = as_tensor_variable(inputs)
    axes = _axes("batch_normalization_train", axes, x.ndim)
    running = running_mean is not None and running_var is not None
    names = ["gamma", "beta"] + (["running_mean", "running_var"] if running else [])
    values = [gamma, beta] + ([running_mean, running_var] if running else [])
    params, squeezed, non_bc = _params("batch_normalization_train", x.ndim, axes, names, values)
    gamma, beta = params[:2]
    mean = mean_(x, axis=axes, keepdims=True)
    var = var_(x, axis=axes, keepdims=True)
    invstd = 1.0 / _ew.sqrt(var + epsilon)
    out = (x - mean) * (gamma * invstd) + beta
    results = [out, mean, invstd]
    if running:
        m = _ew.cast(shape_i(x, axes[0]), x.dtype)
        for a in axes[1:]:
            m = m * _ew.cast(shape_i(x, a), x.dtype)
        f = running_average_factor
        results.append(params[2] * (1.0 - f) + mean * f)
        results.append(params[3] * (1.0 - f) + (m / (m - 1)) * var * f)
    if squeezed:
        results = [results[0]] + [r.dimshuffle(*non_bc) for r in results[1:]]
    return tuple(results)


def batch_normalization_test(inputs: Any, gamma: Any, beta: Any, mean: Any, var: Any,
                             axes: Any = "per-activation", epsilon: float = 1e-4) -> TensorVariable:
    """Batch normalization at inference: ``(x - mean) * (gamma / sqrt(var + epsilon)) + beta``."""
    x = as_tensor_variable(inputs)
    axes = _axes("batch_normalization_test", axes, x.ndim)
    gamma, beta, mean, var = _params("batch_normalization_test", x.ndim, axes, ["gamma", "beta", "mean", "var"],
                                     [gamma, beta, mean, var])[0]
    return (x - mean) * (gamma / _ew.sqrt(var + epsilon)) + beta


from ..._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
