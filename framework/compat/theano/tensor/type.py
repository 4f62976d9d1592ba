"""``theano.tensor.type``: :class:`TensorType`."""
from ....core.types import TensorType

__all__ = ["TensorType"]
