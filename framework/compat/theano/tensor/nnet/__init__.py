"""``theano.tensor.nnet``: activations, softmax (Theano 1.0's 1xn row for a vector), losses, conv2d.

``conv2d`` and the pooling functions come from the plugin that registers a
``conv2d`` op (the convolution plugin); without one, calling them says so.
"""
from __future__ import annotations

from typing import Any, Tuple

from .....core import elemwise as _ew
from .....core import nnet_ops as _nn
from .....core.shape_ops import shape_padleft
from .....core.variable import TensorVariable, as_tensor_variable
from ..._plugin_ops import plugin_function
from . import conv  # noqa: F401 -- theano.tensor.nnet.conv, the old spelling
from . import bn  # noqa: F401 -- theano.tensor.nnet.bn

binary_crossentropy, categorical_crossentropy = _nn.binary_crossentropy, _nn.categorical_crossentropy
crossentropy_categorical_1hot = _nn.categorical_crossentropy
conv2d = plugin_function("conv2d", "theano.tensor.nnet.conv2d")
from . import abstract_conv  # noqa: E402 -- theano.tensor.nnet.abstract_conv
from . import neighbours  # noqa: E402 -- theano.tensor.nnet.neighbours (images2neibs, neibs2images)
from . import ctc  # noqa: E402 -- theano.tensor.nnet.ctc (the CTC loss, without warp-ctc)
conv3d = abstract_conv.conv3d
from ..elemwise import op_class  # noqa: E402

Softmax = op_class("Softmax", "A softmax node (framework's, along an axis), for ``isinstance(node.op, Softmax)``.",
                   lambda op: isinstance(op, _nn.Softmax), "T.nnet.softmax(x)", "theano.tensor.nnet")
LogSoftmax = op_class("LogSoftmax", "A log-softmax node.", lambda op: isinstance(op, _nn.LogSoftmax),
                      "T.nnet.logsoftmax(x)", "theano.tensor.nnet")


def conv2d_transpose(input: Any, filters: Any, output_shape: Any, filter_shape: Any = None, border_mode: Any = "valid",
                     input_dilation: Any = (1, 1), filter_flip: bool = True, filter_dilation: Any = (1, 1),
                     num_groups: int = 1) -> TensorVariable:
    """Theano's ``conv2d_transpose``: the transposed convolution ("deconvolution") of ``input`` to an
    image of ``output_shape`` -- the gradient of ``conv2d`` with respect to its input, with
    ``input_dilation`` the stride of that ``conv2d``."""
    return abstract_conv.conv2d_grad_wrt_inputs(input, filters, input_shape=output_shape, filter_shape=filter_shape,
                                                border_mode=border_mode, subsample=input_dilation,
                                                filter_flip=filter_flip, filter_dilation=filter_dilation,
                                                num_groups=num_groups)

__all__ = ["sigmoid", "softplus", "softmax", "logsoftmax", "log_softmax", "relu", "elu", "hard_sigmoid",
           "ultra_fast_sigmoid", "binary_crossentropy", "categorical_crossentropy", "crossentropy_categorical_1hot",
           "sigmoid_binary_crossentropy", "conv2d", "conv", "bn", "softmax_graph", "softsign", "selu", "abstract_conv",
           "conv2d_transpose", "neighbours", "ctc", "conv3d", "Softmax", "LogSoftmax",
           "softmax_with_bias", "crossentropy_softmax_argmax_1hot_with_bias", "crossentropy_softmax_1hot_with_bias",
           "crossentropy_softmax_1hot", "crossentropy_softmax_max_and_argmax_1hot_with_bias",
           "crossentropy_softmax_max_and_argmax_1hot", "h_softmax"]


def _row_if_vector(x: Any) -> TensorVariable:
    x = _as_float(x)
    return shape_padleft(x) if x.ndim == 1 else x


def _as_float(x: Any) -> TensorVariable:
    """``x``, an integer tensor cast to the float dtype Theano 1.0's ``upgrade_to_float`` gives
    (8- and 16-bit integers and bool to float32, wider ones to float64)."""
    x = as_tensor_variable(x)
    if x.dtype.startswith("float") or x.dtype.startswith("complex"):
        return x
    return _ew.cast(x, "float32" if x.dtype in ("bool", "int8", "uint8", "int16", "uint16") else "float64")


def softmax(c: Any) -> TensorVariable:
    """Theano 1.0's softmax: along the last axis; a vector gives a 1xn row (framework's native
    ``T.nnet.softmax`` keeps a vector a vector)."""
    return _nn.softmax(_row_if_vector(c))


softmax_graph = softmax


def logsoftmax(c: Any) -> TensorVariable:
    """``log(softmax(c))``, stable; a vector gives a 1xn row, as ``softmax``."""
    return _nn.log_softmax(_row_if_vector(c))


log_softmax = logsoftmax


def sigmoid(x: Any) -> TensorVariable:
    """``1 / (1 + exp(-x))``, stable; an integer ``x`` computes in Theano's float dtype (``_as_float``)."""
    return _ew.sigmoid(_as_float(x))


def softplus(x: Any) -> TensorVariable:
    """``log(1 + exp(x))``, stable; an integer ``x`` computes in Theano's float dtype (``_as_float``)."""
    return _ew.softplus(_as_float(x))


def relu(x: Any, alpha: Any = 0) -> TensorVariable:
    """``max(x, 0)``, or the leaky ``x if x > 0 else alpha * x`` when ``alpha`` is not 0 (a
    number or a tensor). Theano 1.0 computed ``0.5 * (x + |x|)``: an integer ``x`` gives a
    float result (float32 for 8/16-bit integers, float64 for wider), as there."""
    x = _as_float(x)
    if isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and alpha == 0:
        return _ew.relu(x)
    return _ew.switch(_ew.gt(x, 0), x, alpha * x)


def elu(x: Any, alpha: float = 1) -> TensorVariable:
    """``x if x > 0 else alpha * (exp(x) - 1)``."""
    x = _as_float(x)
    return _ew.switch(_ew.gt(x, 0), x, alpha * _ew.expm1(_ew.minimum(x, 0)))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Any) -> TensorVariable:
    """Scaled ELU (Klambauer et al. 2017): ``scale * elu(x, alpha)`` with Theano 1.0's constants."""
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def softsign(x: Any) -> TensorVariable:
    """``x / (1 + |x|)``."""
    x = _as_float(x)
    return x / (1 + _ew.abs_(x))


def hard_sigmoid(x: Any) -> TensorVariable:
    """Theano's piecewise-linear sigmoid: ``clip(0.2 * x + 0.5, 0, 1)``."""
    x = _as_float(x)
    return _ew.clip(0.2 * x + 0.5, 0, 1)


def ultra_fast_sigmoid(x: Any) -> TensorVariable:
    """Theano's piecewise approximation of the sigmoid (error below 0.05)."""
    x = _as_float(x)
    h = 0.5 * _ew.abs_(x)
    z = _ew.switch(_ew.lt(h, 1.7), 1.5 * h / (1 + h),
                   _ew.switch(_ew.lt(h, 3), 0.935409070603099 + 0.0458812946797165 * (h - 1.7), 0.99505475368673))
    return _ew.switch(_ew.ge(x, 0), 0.5 * z + 0.5, 0.5 - 0.5 * z)


sigmoid_binary_crossentropy = _ew.sigmoid_binary_crossentropy


# --- Theano 1.0's fused softmax / cross-entropy functions, built from softmax, log_softmax and indexing ---

def _matrix_and_bias(opname: str, x: Any, b: Any) -> Tuple[TensorVariable, TensorVariable]:
    x, b = as_tensor_variable(x), as_tensor_variable(b)
    if x.ndim != 2 or not x.dtype.startswith("float"):
        raise ValueError(f"{opname}: x must be a matrix of floats (one row per example), got {x.type}")
    if b.ndim != 1 or not b.dtype.startswith("float"):
        raise ValueError(f"{opname}: b must be a vector of floats (one bias per column of x), got {b.type}")
    return x, b


def softmax_with_bias(x: Any, b: Any) -> TensorVariable:
    """Theano's ``softmax_with_bias(x, b)``: the softmax of each row of ``x + b`` (x a matrix, b a vector)."""
    x, b = _matrix_and_bias("softmax_with_bias", x, b)
    return _nn.softmax(x + b)


def crossentropy_softmax_argmax_1hot_with_bias(x: Any, b: Any, y_idx: Any, **kwargs: Any
                                               ) -> Tuple[TensorVariable, TensorVariable, TensorVariable]:
    """``(nll, sm, am)``: for each row ``i`` of ``x + b``, ``nll[i] = -log(softmax(x + b)[i, y_idx[i]])``
    (from the log-softmax, finite where the softmax underflows), ``sm`` the softmax and ``am`` the
    index of the row's maximum (of ``y_idx``'s dtype)."""
    x, b = _matrix_and_bias("crossentropy_softmax_argmax_1hot_with_bias", x, b)
    y_idx = as_tensor_variable(y_idx)
    if y_idx.ndim != 1 or not y_idx.dtype.startswith(("int", "uint")):
        raise TypeError("crossentropy_softmax_argmax_1hot_with_bias: y_idx must be a vector of integer class "
                        f"indices (one per row of x), got {y_idx.type}")
    from .....core.reduce import argmax
    from .....core.shape_ops import arange, shape_i

    z = x + b
    nll = -_nn.log_softmax(z)[arange(shape_i(z, 0)), y_idx]
    return nll, _nn.softmax(z), _ew.cast(argmax(z, axis=1), y_idx.dtype)


def crossentropy_softmax_1hot_with_bias(x: Any, b: Any, y_idx: Any, **kwargs: Any
                                        ) -> Tuple[TensorVariable, TensorVariable]:
    """``(nll, softmax)`` of ``crossentropy_softmax_argmax_1hot_with_bias``."""
    return crossentropy_softmax_argmax_1hot_with_bias(x, b, y_idx, **kwargs)[:2]


def crossentropy_softmax_1hot(x: Any, y_idx: Any, **kwargs: Any) -> Tuple[TensorVariable, TensorVariable]:
    """``(nll, softmax)`` of the rows of the matrix ``x`` for the class indices ``y_idx`` (no bias)."""
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise ValueError(f"crossentropy_softmax_1hot: x must be a matrix of floats (one row per example), got {x.type}")
    return crossentropy_softmax_1hot_with_bias(x, _ew.zeros_like(x[0, :]), y_idx, **kwargs)


def crossentropy_softmax_max_and_argmax_1hot_with_bias(x: Any, b: Any, y_idx: Any, **kwargs: Any):
    """``(nll, softmax, max, argmax)``: the max and argmax of each row of the softmax."""
    from .....core.reduce import argmax, max as max_

    nll, sm = crossentropy_softmax_1hot_with_bias(x, b, y_idx, **kwargs)
    return nll, sm, max_(sm, axis=-1), argmax(sm, axis=-1)


def crossentropy_softmax_max_and_argmax_1hot(x: Any, y_idx: Any, **kwargs: Any):
    """``crossentropy_softmax_max_and_argmax_1hot_with_bias`` with a zero bias."""
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise ValueError("crossentropy_softmax_max_and_argmax_1hot: x must be a matrix of floats, got "
                         f"{x.type}")
    return crossentropy_softmax_max_and_argmax_1hot_with_bias(x, _ew.zeros_like(x[0, :]), y_idx, **kwargs)


def h_softmax(x: Any, batch_size: Any, n_outputs: int, n_classes: int, n_outputs_per_class: int,
              W1: Any, b1: Any, W2: Any, b2: Any, target: Any = None) -> TensorVariable:
    """Theano 1.0's two-level hierarchical softmax. ``x`` (batch, dim); ``W1`` (dim, n_classes),
    ``b1`` (n_classes,); ``W2`` (n_classes, dim, n_outputs_per_class), ``b2`` (n_classes,
    n_outputs_per_class). Without ``target``: the (batch, n_outputs) probabilities of every output;
    with ``target`` (integer output indices, one per row): the (batch,) probability of each target."""
    from .....core.blas import dot, tensordot
    from .....core.reduce import sum as sum_
    from .....core.shape_ops import arange, reshape

    x, W1, b1, W2, b2 = (as_tensor_variable(v) for v in (x, W1, b1, W2, b2))
    class_probs = _nn.softmax(dot(x, W1) + b1)
    if target is None:
        activations = tensordot(x, W2, [[1], [1]]) + b2
        output_probs = _nn.softmax(reshape(activations, (-1, n_outputs_per_class)))
        output_probs = reshape(output_probs, (batch_size, n_classes, -1))
        output_probs = class_probs.dimshuffle(0, 1, "x") * output_probs
        return reshape(output_probs, (batch_size, -1))[:, :n_outputs]
    target = as_tensor_variable(target).flatten()
    target_classes = target // n_outputs_per_class
    target_outputs_in_class = target % n_outputs_per_class
    activations = sum_(x.dimshuffle(0, 1, "x") * W2[target_classes], axis=1) + b2[target_classes]
    output_probs = _nn.softmax(activations)
    rows = arange(batch_size)
    return class_probs[rows, target_classes] * output_probs[rows, target_outputs_in_class]


from . import nnet  # noqa: E402,F401 -- theano.tensor.nnet.nnet, where Theano defined these functions
from ..._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
