"""``theano.tensor.type``: :class:`TensorType`."""
from .basic_extras import TheanoTensorType as TensorType  # Theano's TensorType(dtype, broadcastable)

__all__ = ["TensorType"]


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)
