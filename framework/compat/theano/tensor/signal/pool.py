"""``theano.tensor.signal.pool``: ``pool_2d``, ``pool_3d`` & co., from the plugin that registers them.

``pool_2d`` and ``pool_3d`` keep Theano 1.0's default ``ignore_border=None``: a warning, then
``False`` (windows running past the border kept, partial) -- framework's own ``pool_2d`` defaults to
``True``, so a Theano program relying on the default would otherwise get other shapes. ``pool_3d``
pools the last three axes as two 2-d poolings (the last two axes, then the third from last): every
mode is separable -- a maximum or sum over a box is one over its rows of one over its columns, and
the averages' counts (with or without the padding) are products of per-axis counts -- so the
values are those of one 3-d pooling (the sums' rounding order aside) and the gradients those of
``pool_2d``.
"""
from __future__ import annotations

import warnings
from typing import Any, Optional, Sequence

from ..._plugin_ops import plugin_function

_pool_2d = plugin_function("pool_2d", "theano.tensor.signal.pool.pool_2d")
max_pool_2d_same_size = plugin_function("max_pool_2d_same_size", "theano.tensor.signal.pool.max_pool_2d_same_size")

__all__ = ["pool_2d", "pool_3d", "max_pool_2d_same_size", "Pool", "MaxPoolGrad", "AveragePoolGrad"]


def _border(ignore_border: Optional[bool], name: str) -> bool:
    if ignore_border is None:
        warnings.warn(f"{name}(): ignore_border was not given; as in Theano 1.0 it is False (windows that run past "
                      "the border are kept, partial). Pass ignore_border=True (framework's default) or False to "
                      "silence this.", UserWarning, stacklevel=3)
        return False
    return bool(ignore_border)


def _renamed(name: str, ws: Any, stride: Any, pad: Any, ds: Any, st: Any, padding: Any, zero_pad: tuple) -> tuple:
    """Theano's deprecated ``ds``/``st``/``padding`` names (a warning each; both spellings an error)."""
    for old, new, value, current, empty in (("ds", "ws", ds, ws, (None,)), ("st", "stride", st, stride, (None,)),
                                            ("padding", "pad", padding, pad, (None, zero_pad))):
        if value is None:
            continue
        if current not in empty and not (new == "pad" and tuple(current) == zero_pad):
            raise ValueError(f"{name}: give {new}= or its old name {old}=, not both")
        warnings.warn(f"{name}: the keyword {old}= is deprecated, use {new}=", DeprecationWarning, stacklevel=3)
        ws, stride, pad = (value if new == "ws" else ws, value if new == "stride" else stride,
                           value if new == "pad" else pad)
    if ws is None:
        raise ValueError(f"{name}: the window ws= (or its old name ds=) is required")
    return ws, stride, pad


def pool_2d(input: Any, ws: Any = None, ignore_border: Optional[bool] = None, stride: Any = None, pad: Any = (0, 0),
            mode: str = "max", ds: Any = None, st: Any = None, padding: Any = None) -> Any:
    """Theano 1.0's ``pool_2d`` (the plugin's, with Theano's default ``ignore_border``: see above)."""
    ws, stride, pad = _renamed("pool_2d", ws, stride, pad, ds, st, padding, (0, 0))
    return _pool_2d(input, ws, _border(ignore_border, "pool_2d"), stride, pad, mode)


def pool_3d(input: Any, ws: Any = None, ignore_border: Optional[bool] = None, stride: Any = None,
            pad: Any = (0, 0, 0), mode: str = "max", ds: Any = None, st: Any = None, padding: Any = None) -> Any:
    """Theano 1.0's ``pool_3d``: max, sum or average over windows of the last three axes (see above)."""
    from .....core.variable import as_tensor_variable

    ws, stride, pad = _renamed("pool_3d", ws, stride, pad, ds, st, padding, (0, 0, 0))
    border = _border(ignore_border, "pool_3d")
    x = as_tensor_variable(input)
    if x.ndim < 3:
        raise ValueError(f"pool_3d: the input needs at least three dimensions, got {x.type}")
    ws, pad = _three(ws, "ws"), _three(pad, "pad")
    stride = ws if stride is None else _three(stride, "stride")
    planes = _pool_2d(x, ws[1:], border, stride[1:], pad[1:], mode)  # the last two axes
    nd = planes.ndim
    lead = list(range(nd - 3))
    # the third from last axis last, beside a unit axis: pooled as rows of width 1
    cols = planes.dimshuffle(*lead, nd - 2, nd - 1, nd - 3, "x")
    pooled = _pool_2d(cols, (ws[0], 1), border, (stride[0], 1), (pad[0], 0), mode)
    out = pooled.reshape(pooled.shape[:-1])
    return out.dimshuffle(*lead, nd - 1, nd - 3, nd - 2)


def _three(value: Any, what: str) -> Sequence[Any]:
    values = tuple(value)
    if len(values) != 3:
        raise ValueError(f"pool_3d: {what} must have three entries, got {value!r}")
    return values


from ..elemwise import op_class  # noqa: E402


def _named(name: str):
    return lambda op: getattr(op, "name", None) == name


_POOL = "theano.tensor.signal.pool"
Pool = op_class("Pool", "A pooling node (the plugin's ``pool_2d``), for ``isinstance(node.op, Pool)``.",
                _named("pool_2d"), "pool_2d(input, ws, ignore_border, stride, pad, mode)", _POOL)
MaxPoolGrad = op_class("MaxPoolGrad", "The gradient of max pooling.", _named("max_pool_2d_grad"),
                       "T.grad of a pool_2d cost", _POOL)
AveragePoolGrad = op_class("AveragePoolGrad", "The gradient of sum and average pooling.",
                           _named("average_pool_2d_grad"), "T.grad of a pool_2d cost", _POOL)


from ..._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
