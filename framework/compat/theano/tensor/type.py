"""``theano.tensor.type``: :class:`TensorType`."""
from .basic_extras import TheanoTensorType as TensorType  # Theano's TensorType(dtype, broadcastable)

__all__ = ["TensorType"]
