"""``T.nnet``: neural-network functions.

``T.nnet.conv2d`` (and ``conv2d_grad_wrt_inputs`` / ``conv2d_grad_wrt_weights``)
are the ops of that name registered by a plugin (the bundled ``conv``
plugin), looked up in the op registry when first used, as
``framework.ops.conv2d`` is: the kernel itself imports no plugin.
"""
from typing import Any

from ..core.elemwise import relu, sigmoid, sigmoid_binary_crossentropy, softplus
from ..core.nnet_ops import binary_crossentropy, categorical_crossentropy, log_softmax, softmax

__all__ = ["sigmoid", "softplus", "softmax", "log_softmax", "relu", "binary_crossentropy",
           "sigmoid_binary_crossentropy", "categorical_crossentropy"]

PLUGIN_OPS = ("conv2d", "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights")
"""Names ``T.nnet`` forwards to ``framework.ops`` (Theano kept them in ``theano.tensor.nnet``)."""


def __getattr__(name: str) -> Any:
    if name in PLUGIN_OPS:
        from .. import ops

        return getattr(ops, name)
    raise AttributeError(f"module 'framework.tensor.nnet' has no attribute {name!r}")
