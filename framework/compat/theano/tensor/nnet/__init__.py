"""``theano.tensor.nnet``: activations, softmax (Theano 1.0's 1xn row for a vector), losses, conv2d.

``conv2d`` and the pooling functions come from the plugin that registers a
``conv2d`` op (the convolution plugin); without one, calling them says so.
"""
from __future__ import annotations

from typing import Any

from .....core import elemwise as _ew
from .....core import nnet_ops as _nn
from .....core.shape_ops import shape_padleft
from .....core.variable import TensorVariable, as_tensor_variable
from ..._plugin_ops import plugin_function
from . import conv  # noqa: F401 -- theano.tensor.nnet.conv, the old spelling

sigmoid, softplus = _ew.sigmoid, _ew.softplus
binary_crossentropy, categorical_crossentropy = _nn.binary_crossentropy, _nn.categorical_crossentropy
crossentropy_categorical_1hot = _nn.categorical_crossentropy
conv2d = plugin_function("conv2d", "theano.tensor.nnet.conv2d")

__all__ = ["sigmoid", "softplus", "softmax", "logsoftmax", "log_softmax", "relu", "elu", "hard_sigmoid",
           "ultra_fast_sigmoid", "binary_crossentropy", "categorical_crossentropy", "crossentropy_categorical_1hot",
           "sigmoid_binary_crossentropy", "conv2d", "conv", "softmax_graph", "softsign"]


def _row_if_vector(x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    return shape_padleft(x) if x.ndim == 1 else x


def softmax(c: Any) -> TensorVariable:
    """Theano 1.0's softmax: along the last axis; a vector gives a 1xn row (framework's native
    ``T.nnet.softmax`` keeps a vector a vector)."""
    return _nn.softmax(_row_if_vector(c))


softmax_graph = softmax


def logsoftmax(c: Any) -> TensorVariable:
    """``log(softmax(c))``, stable; a vector gives a 1xn row, as ``softmax``."""
    return _nn.log_softmax(_row_if_vector(c))


log_softmax = logsoftmax


def relu(x: Any, alpha: Any = 0) -> TensorVariable:
    """``max(x, 0)``, or the leaky ``x if x > 0 else alpha * x`` when ``alpha`` is not 0."""
    if isinstance(alpha, (int, float)) and alpha == 0:
        return _ew.relu(x)
    x = as_tensor_variable(x)
    return _ew.switch(_ew.gt(x, 0), x, alpha * x)


def elu(x: Any, alpha: float = 1) -> TensorVariable:
    """``x if x > 0 else alpha * (exp(x) - 1)``."""
    x = as_tensor_variable(x)
    return _ew.switch(_ew.gt(x, 0), x, alpha * _ew.expm1(_ew.minimum(x, 0)))


def softsign(x: Any) -> TensorVariable:
    """``x / (1 + |x|)``."""
    x = as_tensor_variable(x)
    return x / (1 + _ew.abs_(x))


def hard_sigmoid(x: Any) -> TensorVariable:
    """Theano's piecewise-linear sigmoid: ``clip(0.2 * x + 0.5, 0, 1)``."""
    x = as_tensor_variable(x)
    return _ew.clip(0.2 * x + 0.5, 0, 1)


def ultra_fast_sigmoid(x: Any) -> TensorVariable:
    """Theano's piecewise approximation of the sigmoid (error below 0.05)."""
    x = as_tensor_variable(x)
    h = 0.5 * _ew.abs_(x)
    z = _ew.switch(_ew.lt(h, 1.7), 1.5 * h / (1 + h),
                   _ew.switch(_ew.lt(h, 3), 0.935409070603099 + 0.0458812946797165 * (h - 1.7), 0.99505475368673))
    return _ew.switch(_ew.ge(x, 0), 0.5 * z + 0.5, 0.5 - 0.5 * z)


sigmoid_binary_crossentropy = _ew.sigmoid_binary_crossentropy
