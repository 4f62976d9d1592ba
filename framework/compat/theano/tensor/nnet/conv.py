"""``theano.tensor.nnet.conv``: the old spelling of ``conv2d`` (from the convolution plugin).

Theano 1.0's ``nnet.conv.conv2d(input, filters, image_shape=None, filter_shape=None,
border_mode='valid', subsample=(1, 1), **kargs)`` passed ``kargs`` on to its ``ConvOp``:
code-generation hints (``unroll_*``, ``openmp``, ...) that change nothing in the result and are
accepted and dropped here, and "logical" shapes that do change it and are refused clearly.
"""
from __future__ import annotations

from typing import Any

from .....core.errors import FrameworkError
from ..._plugin_ops import plugin_function

__all__ = ["conv2d", "ConvOp"]

_conv2d = plugin_function("conv2d", "theano.tensor.nnet.conv.conv2d")

#: ConvOp keywords that only chose among Theano's C implementations.
_SPEED_HINTS = frozenset({"unroll_batch", "unroll_kern", "unroll_patch", "openmp", "verbose", "version",
                          "direction_hint"})


def conv2d(input: Any, filters: Any, image_shape: Any = None, filter_shape: Any = None,
           border_mode: Any = "valid", subsample: Any = (1, 1), **kargs: Any) -> Any:
    """Theano 1.0's old ``conv2d``: a true (flipped-filter) convolution, 'valid' or 'full'."""
    unknown = sorted(k for k, v in kargs.items() if k not in _SPEED_HINTS and v is not None)
    if unknown:
        raise FrameworkError(
            f"theano.tensor.nnet.conv.conv2d: the ConvOp option(s) {', '.join(unknown)} are not supported "
            "by framework's compatibility layer (only the speed hints unroll_batch, unroll_kern, "
            "unroll_patch, openmp, verbose and version are accepted, and ignored); use "
            "theano.tensor.nnet.conv2d for strides, padding and dilation")
    return _conv2d(input, filters, input_shape=image_shape, filter_shape=filter_shape,
                   border_mode=border_mode, subsample=subsample)


from ..elemwise import op_class  # noqa: E402

ConvOp = op_class("ConvOp", "The old convolution op's class: ``isinstance(node.op, ConvOp)`` holds for the plugin's "
                  "``conv2d`` nodes (this module's ``conv2d`` builds them).",
                  lambda op: getattr(op, "name", None) == "conv2d", "theano.tensor.nnet.conv.conv2d(input, filters, ...)",
                  "theano.tensor.nnet.conv")


from ..._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
