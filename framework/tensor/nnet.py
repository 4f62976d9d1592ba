"""``T.nnet``: neural-network functions."""
from ..core.elemwise import relu, sigmoid, sigmoid_binary_crossentropy, softplus
from ..core.nnet_ops import binary_crossentropy, categorical_crossentropy, log_softmax, softmax

__all__ = ["sigmoid", "softplus", "softmax", "log_softmax", "relu", "binary_crossentropy",
           "sigmoid_binary_crossentropy", "categorical_crossentropy"]
